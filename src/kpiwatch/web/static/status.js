// Live status page: joins the tenant's Socket.IO rooms and updates statuses in place.
// The server-rendered page is complete without this module; it only keeps it current.
// Incident events re-read the past-incidents section and the bars' incident lines from
// /status/<tenant>/past, rendered by the server as the page was.

const root = document.querySelector(".status-page");
const ROOMS = ["system-status", "uptime", "incidents"];
const INCIDENT_EVENTS = ["incident-created", "incident-updated", "incident-deleted"];
// Events often come in bursts (an update, then an edit): one fetch after the last of them.
const PAST_DEBOUNCE_MS = 250;
const OVERALL = { major_outage: "outage", partial_outage: "degraded", degraded: "degraded" };
const DAY_LABELS = {
  o: "no downtime",
  po: "partial outage",
  mo: "major outage",
  m: "maintenance",
  nd: "no data",
};

function rowOf(serviceId) {
  return root.querySelector(`.svc[data-service="${CSS.escape(serviceId)}"]`);
}

function setStatus(row, status, labels) {
  const state = row.querySelector(".state");
  row.dataset.status = status;
  state.className = `state st-${status}`;
  state.textContent = labels[status] ?? status;
}

function setOverall(banners) {
  const banner = root.querySelector(".banner[data-overall]");
  if (!banner) return;
  const found = new Set(
    [...root.querySelectorAll(".svc")].map((row) => OVERALL[row.dataset.status] ?? "operational"),
  );
  const overall = ["outage", "degraded"].find((level) => found.has(level)) ?? "operational";
  banner.dataset.overall = overall;
  banner.className = `banner banner-${overall}`;
  banner.querySelector("strong").textContent = banners[overall];
}

function withNotes(title, notes) {
  const figures = title.split("\n")[0];
  return notes ? `${figures}\n${notes}` : figures;
}

function setToday(row, date, code) {
  const today = row.querySelector(".bars li:last-child");
  if (!today || !today.title.startsWith(date)) return;
  today.className = code;
  const notes = today.title.split("\n").slice(1).join("\n");
  today.title = withNotes(`${date}: ${DAY_LABELS[code] ?? code}`, notes);
}

async function refreshPast() {
  const section = root.querySelector(".past");
  const page = section?.dataset.page ?? "1";
  const tenant = encodeURIComponent(root.dataset.tenant);
  const response = await fetch(`/status/${tenant}/past?page=${page}`);
  if (!response.ok) return;
  const { html, notes } = await response.json();
  if (section) section.outerHTML = html; // server-rendered and escaped, as on the page
  for (const row of root.querySelectorAll(".svc")) {
    const own = notes[row.dataset.service] ?? {};
    for (const bar of row.querySelectorAll(".bars li")) {
      bar.title = withNotes(bar.title, own[bar.title.slice(0, 10)]);
    }
  }
  document.documentElement.dataset.pastRefreshed = String(Date.now());
}

function pastRefresher() {
  let timer = null;
  return () => {
    clearTimeout(timer);
    const run = () => refreshPast().catch((error) => console.warn("kpiwatch:", error));
    timer = setTimeout(run, PAST_DEBOUNCE_MS);
  };
}

async function refresh(labels, banners) {
  const query = new URLSearchParams({ tenant: root.dataset.tenant });
  const response = await fetch(`/api/system-status?${query}`);
  if (!response.ok) return;
  for (const service of (await response.json()).services) {
    const row = rowOf(service.id);
    if (!row) continue;
    setStatus(row, service.status, labels);
    const codes = service.uptimeData;
    const bars = row.querySelectorAll(".bars li");
    if (codes.length && bars.length) bars[bars.length - 1].className = codes[codes.length - 1];
  }
  setOverall(banners);
}

async function main() {
  let io;
  try {
    ({ io } = await import("/static/vendor/socket.io.esm.min.js"));
  } catch (error) {
    console.warn("kpiwatch: live updates are off (socket.io-client not served)", error);
    return;
  }
  const labels = JSON.parse(root.dataset.labels);
  const banners = JSON.parse(root.dataset.banners);
  const live = root.querySelector(".live");
  const socket = io({ query: { tenant: root.dataset.tenant } });
  const schedulePast = pastRefresher();
  let connectedBefore = false;

  socket.on("connect", () => {
    const reconnected = connectedBefore;
    connectedBefore = true;
    let pending = ROOMS.length;
    for (const room of ROOMS) {
      socket.emit("join-room", { room }, (answer) => {
        if (!answer?.ok || --pending > 0) return;
        live.textContent = "live updates on";
        document.documentElement.dataset.live = "joined";
        if (reconnected) {
          refresh(labels, banners); // catch up on what changed meanwhile
          schedulePast();
        }
      });
    }
  });
  socket.on("disconnect", () => {
    live.textContent = "";
    delete document.documentElement.dataset.live;
  });
  socket.on("status-update", ({ serviceId, status }) => {
    const row = rowOf(serviceId);
    if (!row) return;
    setStatus(row, status, labels);
    setOverall(banners);
  });
  socket.on("uptime-updated", ({ serviceId, date, status }) => {
    const row = rowOf(serviceId);
    if (row) setToday(row, date, status);
  });
  for (const event of INCIDENT_EVENTS) socket.on(event, schedulePast);
}

if (root) main();
