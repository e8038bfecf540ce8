// Incident console: live list, presence ("who edits which field"), autosave, shortcuts.
// The pages work without it; the socket signs in with the page's HttpOnly session cookie.

const page = document.querySelector(".incidents-page");
const incidentId = page?.dataset.incident;
const AUTOSAVE_MS = 30_000;

const live = (text) => {
  const region = page?.querySelector(".live");
  if (region) region.textContent = text;
};

function badges(incident) {
  const fragment = document.createDocumentFragment();
  for (const [role, cls, text] of [
    ["status", `st-${incident.status}`, incident.status],
    ["priority", `pr-${incident.priority}`, incident.priority],
    ["severity", "sev", incident.severity],
  ]) {
    const badge = document.createElement("span");
    badge.className = `badge ${cls}`;
    badge.dataset.role = role;
    badge.textContent = text;
    fragment.append(badge, " ");
  }
  return fragment;
}

function row(incident) {
  const item = document.createElement("li");
  item.className = "inc";
  item.dataset.incident = incident.id;
  const link = document.createElement("a");
  link.href = `/incidents/${encodeURIComponent(incident.id)}`;
  const id = document.createElement("span");
  id.className = "inc-id";
  id.textContent = incident.id;
  const title = document.createElement("span");
  title.dataset.role = "title";
  title.textContent = incident.title;
  link.append(id, " ", title);
  const meta = document.createElement("p");
  meta.className = "inc-meta";
  meta.append(badges(incident));
  item.append(link, meta);
  return item;
}

function listPage(socket) {
  const list = page.querySelector("ul.incidents");
  const matches = (incident) =>
    (!list.dataset.status || list.dataset.status === incident.status) &&
    (!list.dataset.priority || list.dataset.priority === incident.priority);
  const show = (incident, isNew) => {
    const old = list.querySelector(`[data-incident="${CSS.escape(incident.id)}"]`);
    if (!matches(incident)) {
      old?.remove();
      return;
    }
    const fresh = row(incident);
    if (old) old.replaceWith(fresh);
    else list.prepend(fresh);
    page.querySelector(".empty")?.remove();
    live(`${incident.id} ${isNew ? "opened" : "updated"}: ${incident.title} (${incident.status})`);
  };
  socket.on("incident-created", ({ incident }) => show(incident, true));
  socket.on("incident-updated", ({ incident }) => show(incident, false));
  socket.on("incident-deleted", ({ incidentId: gone }) => {
    list.querySelector(`[data-incident="${CSS.escape(gone)}"]`)?.remove();
  });
  return ["incidents"];
}

function formData(form) {
  const data = {};
  for (const [name, value] of new FormData(form)) {
    if (name === "csrf_token" || name === "version") continue;
    if (name === "affected_services") (data[name] ??= []).push(value);
    else data[name] = value;
  }
  return data;
}

function autosave(socket, form) {
  const key = form.dataset.draft;
  const status = page.querySelector(".autosave");
  const baseVersion = Number(form.querySelector("[name=version]")?.value) || undefined;
  let dirty = false;
  form.addEventListener("input", () => (dirty = true));
  form.addEventListener("change", () => (dirty = true));
  form.addEventListener("submit", () => (dirty = false));
  setInterval(() => {
    if (!dirty || !socket.connected) return;
    dirty = false;
    const payload = { incidentId: key, data: formData(form), baseVersion, timestamp: new Date().toISOString() };
    socket.emit("auto-save", payload, (answer) => {
      if (!answer?.ok) {
        dirty = true;
        if (status) status.textContent = `Draft not saved: ${answer?.error ?? "no answer"}`;
        return;
      }
      const at = new Date(answer.draft.savedAt).toLocaleTimeString();
      if (status) {
        status.textContent = answer.conflict
          ? `Draft saved at ${at}, but the incident changed since you opened it (now version ${answer.currentVersion}): reload to compare before saving.`
          : `Draft saved at ${at}.`;
      }
    });
  }, AUTOSAVE_MS);
}

function detailPage(socket) {
  const people = new Map();
  const room = `incident:${incidentId}`;
  const me = page.dataset.user;
  const editForm = page.querySelector("form[data-draft]");
  let myField = null;

  const render = () => {
    for (const span of page.querySelectorAll("[data-editing]")) span.textContent = "";
    const list = page.querySelector(".people");
    list.replaceChildren();
    for (const person of people.values()) {
      const item = document.createElement("li");
      item.textContent = person.field ? `${person.name} is editing ${person.field.replaceAll("_", " ")}` : `${person.name} is viewing`;
      list.append(item);
      if (person.field) {
        const span = page.querySelector(`[data-editing="${CSS.escape(person.field)}"]`);
        if (span) span.textContent = `(${person.name} is editing)`;
      }
    }
  };
  const announce = (isEditing, field) =>
    socket.emit("incident-editing", { incidentId, isEditing, field });

  socket.on("user-joined", ({ user }) => {
    if (user.id === me) return;
    people.set(user.id, { name: user.name, field: people.get(user.id)?.field ?? null });
    render();
    if (myField) announce(true, myField);
  });
  socket.on("user-left", ({ userId }) => {
    people.delete(userId);
    render();
  });
  socket.on("incident-editing", (event) => {
    if (event.incidentId !== incidentId || event.userId === me) return;
    people.set(event.userId, { name: event.userName, field: event.isEditing ? event.field : null });
    render();
  });
  socket.on("incident-comment", ({ comment }) => {
    const item = document.createElement("li");
    item.className = "tl-comment";
    const head = document.createElement("p");
    head.innerHTML = '<span class="badge">comment</span> <strong></strong> <time></time>';
    head.querySelector("strong").textContent = comment.userName;
    head.querySelector("time").textContent = comment.timestamp.replace("T", " ").replace("Z", " UTC");
    const body = document.createElement("p");
    body.textContent = comment.message;
    item.append(head, body);
    page.querySelector(".timeline").append(item);
    live(`New comment by ${comment.userName}`);
  });
  socket.on("incident-updated", ({ incident }) => {
    if (incident.id !== incidentId || String(incident.version) === page.dataset.version) return;
    live(`This incident changed (now ${incident.status}, version ${incident.version}): reload to see it.`);
  });
  socket.on("auto-save", ({ userName, timestamp }) =>
    live(`${userName} autosaved a draft at ${new Date(timestamp).toLocaleTimeString()}`),
  );
  socket.on("error", ({ message }) => live(message));

  if (editForm) {
    editForm.addEventListener("focusin", (event) => {
      const field = event.target.closest("[data-field]")?.dataset.field;
      if (!field || field === myField) return;
      myField = field;
      announce(true, field);
    });
    editForm.addEventListener("focusout", (event) => {
      if (editForm.contains(event.relatedTarget)) return;
      myField = null;
      announce(false, null);
    });
  }
  return ["incidents", room];
}

function shortcuts() {
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      const form = document.activeElement?.closest("form") ?? page.querySelector("form[data-main]");
      form?.requestSubmit();
    } else if (event.key === "Escape") {
      const form = document.activeElement?.closest("form");
      if (page.dataset.page === "detail" && form) {
        form.reset();
        document.activeElement.blur();
      } else if (page.dataset.cancel) {
        window.location.assign(page.dataset.cancel);
      }
    }
  });
}

async function main() {
  if (!page) return;
  shortcuts();
  let io;
  try {
    ({ io } = await import("/static/vendor/socket.io.esm.min.js"));
  } catch (error) {
    console.warn("kpiwatch: live updates are off (socket.io-client not served)", error);
    return;
  }
  const socket = io();
  const kind = page.dataset.page;
  const rooms = kind === "list" ? listPage(socket) : kind === "detail" ? detailPage(socket) : [];
  for (const form of page.querySelectorAll("form[data-draft]")) autosave(socket, form);
  socket.on("connect", () => {
    for (const room of rooms) {
      socket.emit("join-room", { room }, (answer) => {
        if (!answer?.ok) live(`Live updates unavailable: ${answer?.error}`);
        else document.documentElement.dataset.live = "on";
      });
    }
  });
}

main();
