// Pure helpers: time and number formatting, API error text, URL state. No DOM access here.

/**
 * `M:SS.s`, or `H:MM:SS.s` past an hour: 75.25 -> "1:15.3", 0.35 -> "0:00.4". Rounded half up to the tenth
 * by the same arithmetic, in the same order, as the CLI's `vidseek.timecode.clock`, so both show the same text.
 */
export function clock(seconds) {
  const tenths = Math.floor(Math.max(0, Number(seconds) || 0) * 10 + 0.5);
  const tenth = tenths % 10;
  const total = Math.floor(tenths / 10);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const ss = String(secs).padStart(2, "0");
  if (hours) return `${hours}:${String(minutes).padStart(2, "0")}:${ss}.${tenth}`;
  return `${minutes}:${ss}.${tenth}`;
}

/** A short span: "4.0 s", "1:05.0". */
export function span(seconds) {
  const s = Math.max(0, Number(seconds) || 0);
  return s < 60 ? `${s.toFixed(1)} s` : clock(s);
}

export function score(value) {
  const v = Number(value);
  return Number.isFinite(v) ? v.toFixed(3) : "–";
}

/** The message of an API error body: FastAPI's `detail` is a string, or a list of {loc, msg} for 422s. */
export function errorText(body, status) {
  const detail = body && typeof body === "object" ? body.detail : undefined;
  if (typeof detail === "string" && detail.trim()) return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((d) => {
        if (typeof d === "string") return d;
        const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "query" && p !== "body").join(".") : "";
        return loc ? `${loc}: ${d.msg}` : String(d.msg ?? JSON.stringify(d));
      })
      .join("; ");
  }
  if (detail && typeof detail === "object") return JSON.stringify(detail);
  return status ? `The server answered HTTP ${status}.` : "The server could not be reached.";
}

/** Where the next page starts: the API's `next_offset` when given (null = the end), else guessed from a full page. */
export function nextOffset(data, offset, limit, received) {
  if (data && Object.prototype.hasOwnProperty.call(data, "next_offset")) {
    const n = data.next_offset;
    return n === null || n === undefined ? null : Number(n);
  }
  return received >= limit ? offset + received : null;
}

/** The stream URL without its media fragment. */
export function streamUrl(result) {
  const url = result.video_url || `/api/videos/${encodeURIComponent(result.video.id)}/stream`;
  return url.split("#")[0];
}

/** How long the video is, as far as the result tells: its duration, or at least the moment's end. */
export function videoDuration(result) {
  const d = Number(result.video && result.video.duration);
  const curveEnd = result.curve && Array.isArray(result.curve.scores)
    ? Number(result.curve.start || 0) + Number(result.curve.step || 0) * (result.curve.scores.length - 1) : 0;
  return Math.max(Number.isFinite(d) ? d : 0, Number(result.end) || 0, curveEnd, 0.001);
}

/** The page URL for a query (kept in ?q= so searches can be shared), keeping other parameters and the hash. */
export function urlWithQuery(href, query) {
  const url = new URL(href);
  if (query) url.searchParams.set("q", query);
  else url.searchParams.delete("q");
  return url.pathname + url.search + url.hash;
}

/** The classes of a status badge ("status-badge status-done"): the status kept to safe class characters. */
export function statusBadgeClass(status) {
  return `status-badge status-${String(status).replace(/[^a-z0-9_-]/gi, "")}`;
}

export function formatDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Relevance bands of the API, strongest first, with the words the page shows for them. */
export const RELEVANCE_LABELS = { high: "strong match", medium: "good match", low: "weak match" };

/** The words for a band ("strong match"), or "" for none or one the page does not know. */
export function relevanceLabel(band) {
  return Object.prototype.hasOwnProperty.call(RELEVANCE_LABELS, band) ? RELEVANCE_LABELS[band] : "";
}

/** "1 weaker match hidden", "3 weaker matches hidden". */
export function hiddenText(n) {
  return `${n} weaker match${n === 1 ? "" : "es"} hidden`;
}
