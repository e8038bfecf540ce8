// RAN explorer: upload PM files with a progress bar, then redraw the charts without a reload.
// The page works without it: the upload form posts and the page comes back with the results.
// HTML fragments come from the server's own (escaped) templates, asked for by a header.

const FRAGMENT = "X-Kpiwatch-Fragment";
const form = document.querySelector("#ran-upload");
const view = document.querySelector("#ran-view");

function megabytes(bytes) {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function summarize(results) {
  const counts = {};
  for (const item of results.querySelectorAll("[data-status]")) {
    counts[item.dataset.status] = (counts[item.dataset.status] ?? 0) + 1;
  }
  const parts = Object.entries(counts).map(([status, n]) => `${n} ${status}`);
  return parts.length ? `Done: ${parts.join(", ")}.` : "Done.";
}

async function refreshView() {
  const answer = await fetch(window.location.href, { headers: { [FRAGMENT]: "view" } });
  if (answer.ok && !answer.redirected && view) view.innerHTML = await answer.text();
}

function upload(event) {
  event.preventDefault();
  const status = form.querySelector(".upload-status");
  const bar = form.querySelector("#upload-progress");
  const button = form.querySelector("button[type=submit]");
  const results = document.querySelector("#upload-results");
  const data = new FormData(form);
  const request = new XMLHttpRequest();
  request.open("POST", form.action);
  request.setRequestHeader(FRAGMENT, "results");
  request.upload.onprogress = (progress) => {
    if (!progress.lengthComputable) return;
    bar.value = Math.round((100 * progress.loaded) / progress.total);
    status.textContent = `Uploading: ${bar.value} % (${megabytes(progress.loaded)} of ${megabytes(progress.total)})`;
  };
  request.upload.onload = () => {
    bar.value = 100;
    status.textContent = "Uploaded; importing…";
  };
  request.onload = async () => {
    button.disabled = false;
    if (new URL(request.responseURL).pathname !== new URL(form.action).pathname) {
      status.textContent = "Your session has ended: reload the page and log in again.";
    } else if (request.status === 200 || request.status === 422) {
      results.innerHTML = request.responseText;
      status.textContent = summarize(results);
      form.reset();
      await refreshView();
    } else if (request.status === 403) {
      status.textContent = "The page's session expired or you may not import files: reload the page.";
    } else if (request.status === 413) {
      status.textContent = "Too large: import fewer or smaller files at a time.";
    } else {
      status.textContent = `The import failed (HTTP ${request.status}).`;
    }
  };
  request.onerror = () => {
    button.disabled = false;
    status.textContent = "The upload failed: the server could not be reached.";
  };
  bar.hidden = false;
  bar.value = 0;
  button.disabled = true;
  status.textContent = "Uploading…";
  request.send(data);
}

if (form) form.addEventListener("submit", upload);
