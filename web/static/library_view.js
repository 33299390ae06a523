// The Library tab: the indexed videos, with their length, clips, status and format.

import * as api from "./api.js";
import { byTestId, show } from "./dom.js";
import { clock, formatDate, statusBadgeClass } from "./format.js";

const ui = {
  view: byTestId("library-view"),
  rows: byTestId("library-rows"),
  summary: byTestId("library-summary"),
  error: byTestId("library-error"),
  empty: byTestId("library-empty"),
  refresh: byTestId("library-refresh"),
};

let libraryController = null;

async function loadLibrary() {
  if (libraryController) libraryController.abort();
  const controller = new AbortController();
  libraryController = controller;
  ui.summary.textContent = "Loading…";
  show(ui.error, false);
  try {
    const data = await api.videos(controller.signal);
    if (controller !== libraryController) return;
    const videos = Array.isArray(data.videos) ? data.videos : Array.isArray(data) ? data : [];
    renderLibrary(videos);
  } catch (err) {
    if (err && err.name === "AbortError") return;
    ui.summary.textContent = "";
    ui.error.textContent = `Could not list the library: ${err.message || err}`;
    show(ui.error, true);
  } finally {
    if (controller === libraryController) libraryController = null;
  }
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function libraryRow(v) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "library-row";
  tr.dataset.videoId = String(v.id);
  const name = document.createElement("td");
  name.className = "video-cell";
  const link = document.createElement("a");
  link.href = v.stream_url || `api/videos/${encodeURIComponent(v.id)}/stream`;
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = v.title || v.path;
  link.dataset.testid = "library-title";
  const path = document.createElement("span");
  path.className = "path";
  path.textContent = v.path || "";
  name.append(link, path);
  const status = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = statusBadgeClass(v.status || "unknown");
  badge.textContent = v.status || "unknown";
  badge.dataset.testid = "library-status";
  status.append(badge);
  const fmt = [v.width && v.height ? `${v.width}×${v.height}` : "", v.codec || "",
    v.fps ? `${Number(v.fps).toFixed(2).replace(/\.?0+$/, "")} fps` : ""].filter(Boolean).join(" · ");
  const duration = cell(clock(v.duration), "num");
  duration.dataset.testid = "library-duration";
  const clips = cell(String(v.clips ?? "–"), "num");
  clips.dataset.testid = "library-clips";
  tr.append(name, duration, clips, status, cell(fmt, "wide"), cell(formatDate(v.indexed_at), "wide"));
  return tr;
}

function renderLibrary(videos) {
  ui.rows.replaceChildren(...videos.map(libraryRow));
  show(ui.empty, videos.length === 0);
  const seconds = videos.reduce((s, v) => s + (Number(v.duration) || 0), 0);
  const clips = videos.reduce((s, v) => s + (Number(v.clips) || 0), 0);
  ui.summary.textContent = videos.length
    ? `${videos.length} video${videos.length === 1 ? "" : "s"} · ${clock(seconds)} · ${clips} clips`
    : "";
}

/** The tab was opened (true: show it and load the list afresh) or left (false). */
export function setLibraryVisible(visible) {
  show(ui.view, visible);
  if (visible) loadLibrary();
}

ui.refresh.addEventListener("click", loadLibrary);
