// The JSON API, same origin, relative URLs.

import { errorText } from "./format.js";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

// The API key (Jobs tab): kept in this browser's localStorage, sent as a Bearer token.
const KEY_STORAGE = "vidseek.apiKey";
let sessionKey = "";

export function savedKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function saveKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage refused (private mode): the key lasts for this page only
  }
  sessionKey = key || "";
}

/** The key in use: the saved one, or one given for this page only when storage is refused. */
export function currentKey() {
  return savedKey() || sessionKey;
}

function authHeaders() {
  const key = currentKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function getJson(url, signal) {
  let response;
  try {
    response = await fetch(url, { signal, headers: { Accept: "application/json", ...authHeaders() } });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError("The server could not be reached. Is `vidseek serve` running?", 0);
  }
  let body = null;
  const text = await response.text();
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(errorText(body, response.status), response.status);
  if (body === null || typeof body !== "object") {
    throw new ApiError(`The server sent something other than JSON (HTTP ${response.status}).`, response.status);
  }
  return body;
}

/** One page of moments. ``filters``: [name, value] pairs (names may repeat, e.g. video_id). */
export function search(query, { limit, offset = 0, filters = [] }, signal) {
  const params = new URLSearchParams({ q: query, limit: String(limit), offset: String(offset) });
  for (const [k, v] of filters) if (v !== undefined && v !== null && v !== "") params.append(k, v);
  return getJson(`api/search?${params}`, signal);
}

/** One page of the moments most like a clip (a result's ``clip_id``). */
export function similar(clipId, { limit, offset = 0, filters = [] }, signal) {
  const params = new URLSearchParams({ clip_id: String(clipId), limit: String(limit), offset: String(offset) });
  for (const [k, v] of filters) if (v !== undefined && v !== null && v !== "") params.append(k, v);
  return getJson(`api/search/similar?${params}`, signal);
}

/** The link of a text search's moments as a file: ``format`` is "csv", "edl" or "otio"; same parameters as search. */
export function exportUrl(format, query, { limit, filters = [] }) {
  const params = new URLSearchParams({ q: query, limit: String(limit) });
  for (const [k, v] of filters) if (v !== undefined && v !== null && v !== "") params.append(k, v);
  return `api/export.${format}?${params}`;
}

export function videos(signal) {
  return getJson("api/videos", signal);
}

/** One video's details, with its caption tracks (``captions``). */
export function video(id, signal) {
  return getJson(`api/videos/${encodeURIComponent(id)}`, signal);
}

/** Jobs, newest first: {jobs, total, counts, next_offset}. */
export function jobs({ status = "", limit = 100 } = {}, signal) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (status) params.set("status", status);
  return getJson(`api/jobs?${params}`, signal);
}

/** Whether the saved key may upload: {can_write, write_status, reason, key}. */
export function authStatus(signal) {
  return getJson("api/auth", signal);
}

/**
 * Upload one file (multipart field ``file``) with XMLHttpRequest, for its upload progress events.
 * Returns {promise, abort}; the promise gives {status, body} for any HTTP answer, and rejects when
 * no answer came (ApiError) or the upload was cancelled (AbortError).
 */
export function uploadVideo(file, { onProgress } = {}) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", "api/videos");
    xhr.setRequestHeader("Accept", "application/json");
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener("progress", (event) => {
      if (onProgress && event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body, message: errorText(body, xhr.status) });
    });
    xhr.addEventListener("error", () => reject(new ApiError(
      "The upload stopped: the server closed the connection (is the file larger than it accepts?) or could not be reached.", 0)));
    xhr.addEventListener("abort", () => reject(new DOMException("The upload was cancelled.", "AbortError")));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

