// The JSON API, same origin, relative URLs.

import { errorText } from "./format.js";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

async function getJson(url, signal) {
  let response;
  try {
    response = await fetch(url, { signal, headers: { Accept: "application/json" } });
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

export function videos(signal) {
  return getJson("api/videos", signal);
}
