// The Jobs tab: upload videos (file picker or drag and drop, with progress), asking for an API key
// when the server wants one, and the list of background jobs, refreshed while any is queued or running.

import * as api from "./api.js";
import { byTestId, show } from "./dom.js";
import { formatDate, statusBadgeClass } from "./format.js";

const POLL_MS = 1500;
const ACTIVE = new Set(["queued", "running"]);
const KEPT_RESULTS = 6;

const ui = {
  view: byTestId("jobs-view"),
  summary: byTestId("jobs-summary"),
  filter: byTestId("jobs-filter"),
  refresh: byTestId("jobs-refresh"),
  error: byTestId("jobs-error"),
  empty: byTestId("jobs-empty"),
  rows: byTestId("jobs-rows"),
  drop: byTestId("upload-drop"),
  input: byTestId("upload-input"),
  panel: byTestId("upload-panel"),
  name: byTestId("upload-name"),
  percent: byTestId("upload-percent"),
  progress: byTestId("upload-progress"),
  cancel: byTestId("upload-cancel"),
  results: byTestId("upload-results"),
  keyForm: byTestId("key-form"),
  keyMessage: byTestId("key-message"),
  keyInput: byTestId("key-input"),
  keyCancel: byTestId("key-cancel"),
  keySaved: byTestId("key-saved"),
  keyPrefix: byTestId("key-prefix"),
  keyForget: byTestId("key-forget"),
  keyNone: byTestId("key-none"),
  keyOpen: byTestId("key-open"),
};

const jobsState = { visible: false, timer: 0, controller: null, highlight: new Set() };
const up = { queue: [], current: null, handle: null };

// ---------------------------------------------------------------- the list

function baseName(path) {
  return String(path || "").split(/[\\/]/).pop();
}

function jobTitle(job) {
  const payload = job.payload || {};
  if (job.kind === "index" && payload.original_name) return baseName(job.path) || payload.original_name;
  if (job.path) return baseName(job.path);
  if (payload.title) return payload.title;
  return job.video_id !== null && job.video_id !== undefined ? `video ${job.video_id}` : "";
}

function jobRow(job) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "job-row";
  tr.dataset.jobId = String(job.id);
  tr.dataset.status = job.status;
  if (jobsState.highlight.has(job.id)) tr.classList.add("highlight");

  const id = document.createElement("td");
  id.className = "job-cell";
  const number = document.createElement("span");
  number.className = "job-id";
  number.textContent = `#${job.id}`;
  const kind = document.createElement("span");
  kind.className = "job-kind";
  kind.dataset.testid = "job-kind";
  kind.textContent = job.kind === "index" && job.payload && job.payload.source === "upload" ? "upload" : job.kind;
  id.append(number, kind);

  const file = document.createElement("td");
  file.className = "video-cell";
  const title = document.createElement("span");
  title.className = "job-title";
  title.dataset.testid = "job-title";
  title.textContent = jobTitle(job);
  const path = document.createElement("span");
  path.className = "path";
  path.textContent = job.path || "";
  file.append(title, path);
  if (job.error) {
    const error = document.createElement("span");
    error.className = "job-error";
    error.dataset.testid = "job-error";
    error.textContent = job.error;
    file.append(error);
  }

  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = statusBadgeClass(job.status);
  badge.dataset.testid = "job-status";
  badge.textContent = job.status;
  status.append(badge);
  if (job.attempts > 1 || (job.status === "queued" && job.attempts > 0)) {
    const attempts = document.createElement("span");
    attempts.className = "job-attempts";
    attempts.textContent = `attempt ${job.attempts}/${job.max_attempts}`;
    status.append(attempts);
  }

  const progress = document.createElement("td");
  progress.className = "num";
  const fraction = Math.max(0, Math.min(1, Number(job.progress) || 0));
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = fraction;
  bar.setAttribute("aria-label", `Job ${job.id} progress`);
  const percent = document.createElement("span");
  percent.className = "job-percent";
  percent.dataset.testid = "job-progress";
  percent.textContent = `${Math.round(fraction * 100)} %`;
  progress.append(bar, percent);

  const created = document.createElement("td");
  created.className = "wide";
  created.textContent = formatDate(job.created_at);
  tr.append(id, file, status, progress, created);
  return tr;
}

function summaryText(data) {
  const counts = data.counts || {};
  const total = Object.values(counts).reduce((s, n) => s + (Number(n) || 0), 0);
  if (!total) return "";
  const parts = ["running", "queued", "failed", "done"].filter((k) => counts[k]).map((k) => `${counts[k]} ${k}`);
  return `${total} job${total === 1 ? "" : "s"} · ${parts.join(" · ")}`;
}

function schedule(data) {
  clearTimeout(jobsState.timer);
  const counts = (data && data.counts) || {};
  const busy = (counts.queued || 0) + (counts.running || 0) > 0 || up.current !== null;
  if (jobsState.visible && busy) jobsState.timer = setTimeout(loadJobs, POLL_MS);
}

export async function loadJobs() {
  clearTimeout(jobsState.timer);
  if (jobsState.controller) jobsState.controller.abort();
  const controller = new AbortController();
  jobsState.controller = controller;
  try {
    const data = await api.jobs({ status: ui.filter.value }, controller.signal);
    if (controller !== jobsState.controller) return;
    const list = Array.isArray(data.jobs) ? data.jobs : [];
    ui.rows.replaceChildren(...list.map(jobRow));
    show(ui.empty, list.length === 0);
    show(ui.error, false);
    ui.summary.textContent = summaryText(data);
    ui.view.dataset.active = String(list.some((j) => ACTIVE.has(j.status)));
    schedule(data);
  } catch (err) {
    if (err && err.name === "AbortError") return;
    ui.error.textContent = `Could not list the jobs: ${err.message || err}`;
    show(ui.error, true);
    schedule(null);
  } finally {
    if (controller === jobsState.controller) jobsState.controller = null;
  }
}

/** The tab was opened (true) or left (false): load and keep refreshing only while it shows. */
export function setJobsVisible(visible) {
  show(ui.view, visible);
  jobsState.visible = visible;
  if (visible) {
    showSavedKey();
    loadJobs();
  } else {
    clearTimeout(jobsState.timer);
    if (jobsState.controller) jobsState.controller.abort();
  }
}

// ---------------------------------------------------------------- uploads

function addResult(text, kind, jobId) {
  const item = document.createElement("li");
  item.dataset.testid = "upload-result";
  item.dataset.kind = kind;
  if (jobId !== undefined) item.dataset.jobId = String(jobId);
  item.className = `upload-result upload-${kind}`;
  item.textContent = text;
  ui.results.prepend(item);
  while (ui.results.children.length > KEPT_RESULTS) ui.results.lastElementChild.remove();
}

function setProgress(loaded, total) {
  const f = total > 0 ? loaded / total : 0;
  ui.progress.value = f;
  ui.percent.textContent = `${Math.round(f * 100)} %`;
}

function showSavedKey() {
  const key = api.currentKey();
  show(ui.keySaved, Boolean(key) && ui.keyForm.hidden);
  show(ui.keyNone, !key && ui.keyForm.hidden);
  ui.keyPrefix.textContent = key ? `${key.slice(0, 12)}…` : "";
}

function askForKey(reason) {
  ui.keyMessage.textContent = reason || "This server needs an API key to upload.";
  show(ui.keyForm, true);
  show(ui.keySaved, false);
  show(ui.keyNone, false);
  ui.keyInput.value = "";
  ui.keyInput.focus();
}

function enqueueFiles(files) {
  const videos = [...files].filter((f) => f && f.size !== undefined);
  if (!videos.length) return;
  up.queue.push(...videos);
  if (!up.current && ui.keyForm.hidden) nextUpload();
}

async function nextUpload() {
  if (up.current || !up.queue.length) return;
  const file = up.queue[0];
  up.current = file; // reserved while we ask whether the key may upload
  try {
    // ask before sending the bytes, so a large file is not sent only to be refused
    const auth = await api.authStatus();
    if (auth && auth.can_write === false) {
      up.current = null;
      askForKey(auth.reason);
      return;
    }
  } catch {
    // the answer to the upload itself will say
  }
  up.queue.shift();
  ui.name.textContent = up.queue.length ? `${file.name} (${up.queue.length} more waiting)` : file.name;
  setProgress(0, 1);
  show(ui.panel, true);
  const handle = api.uploadVideo(file, { onProgress: setProgress });
  up.handle = handle;
  let again = true;
  try {
    const { status, body, message } = await handle.promise;
    if (status === 202 && body) {
      jobsState.highlight.add(body.id);
      addResult(`${file.name}: uploaded; indexing as job #${body.id}`, "queued", body.id);
      loadJobs();
    } else if (status === 401 || status === 403) {
      up.queue.unshift(file);
      askForKey(message);
      again = false;
    } else if (status === 409 && body) {
      const what = body.duplicate_of !== undefined
        ? `already in the library as video ${body.duplicate_of}${body.video && body.video.title ? ` (${body.video.title})` : ""}`
        : `already uploaded, waiting as job #${body.duplicate_of_job}`;
      addResult(`${file.name}: ${what}; not uploaded again`, "duplicate");
    } else {
      addResult(`${file.name}: ${message}`, "error");
    }
  } catch (err) {
    const cancelled = err && err.name === "AbortError";
    addResult(`${file.name}: ${cancelled ? "upload cancelled" : err.message || err}`, cancelled ? "cancelled" : "error");
  } finally {
    up.current = null;
    up.handle = null;
    show(ui.panel, false);
    if (again) nextUpload();
  }
}

ui.keyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = ui.keyInput.value.trim();
  if (!key) return;
  api.saveKey(key);
  let auth = null;
  try {
    auth = await api.authStatus();
  } catch (err) {
    ui.keyMessage.textContent = `Could not check the key: ${err.message || err}`;
    return;
  }
  if (!auth.can_write) {
    api.saveKey("");
    ui.keyMessage.textContent = auth.key_sent ? `That key is not accepted: ${auth.reason}` : auth.reason;
    ui.keyInput.select();
    return;
  }
  show(ui.keyForm, false);
  showSavedKey();
  nextUpload();
});

ui.keyCancel.addEventListener("click", () => {
  const dropped = up.queue.splice(0);
  show(ui.keyForm, false);
  showSavedKey();
  for (const file of dropped) addResult(`${file.name}: not uploaded (no API key)`, "cancelled");
});

ui.keyOpen.addEventListener("click", () => askForKey("Enter an API key: it is sent with every request from this page."));

ui.keyForget.addEventListener("click", () => {
  api.saveKey("");
  showSavedKey();
});

ui.cancel.addEventListener("click", () => {
  if (up.handle) up.handle.abort();
});

ui.input.addEventListener("change", () => {
  enqueueFiles(ui.input.files);
  ui.input.value = ""; // the same file can be picked again
});

// Drag and drop: onto the drop zone, or anywhere while the Jobs tab shows.
function carriesFiles(event) {
  return event.dataTransfer && [...event.dataTransfer.types].includes("Files");
}

window.addEventListener("dragover", (event) => {
  if (!jobsState.visible || !carriesFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
  ui.drop.classList.add("dragging");
});
window.addEventListener("dragleave", (event) => {
  if (event.relatedTarget === null) ui.drop.classList.remove("dragging");
});
window.addEventListener("drop", (event) => {
  ui.drop.classList.remove("dragging");
  if (!jobsState.visible || !carriesFiles(event)) return;
  event.preventDefault();
  enqueueFiles(event.dataTransfer.files);
});

ui.filter.addEventListener("change", loadJobs);
ui.refresh.addEventListener("click", loadJobs);
