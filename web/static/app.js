// The vidseek search page: search as you type, moment cards, a player that plays the moment, the library.

import * as api from "./api.js";
import {
  clock, formatDate, hiddenText, nextOffset, relevanceLabel, score, span, streamUrl, urlWithQuery, videoDuration,
} from "./format.js";
import { drawStrip, stripFor } from "./strip.js";
import { setJobsVisible } from "./jobs.js";

const PAGE_SIZE = 24;
const GROUP_PAGE_SIZE = 12; // videos per page when grouped by video
const MAX_EXPORT = 1000; // the API's largest limit
const DEBOUNCE_MS = 250;
const LOOP_KEY = "vidseek.loop";
// Result options, kept in the page URL (defaults left out) and sent with every search.
const RELEVANCE = ["high", "medium", "low"]; // strongest first
const DEFAULT_RELEVANCE = "medium";
const SORTS = ["score", "count", "date"];
// Page URL parameters that are not filters for the API (the options are sent from the controls).
const NOT_FILTERS = new Set(["q", "similar", "limit", "offset", "min_relevance", "group_by", "sort"]);

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

const ui = {
  form: $("search-form"),
  input: $("search-input"),
  spinner: $("search-spinner"),
  status: $("search-status"),
  layout: $("layout"),
  results: $("results"),
  loadMore: $("load-more"),
  minRelevance: $("min-relevance"),
  groupToggle: $("group-toggle"),
  sortOption: $("sort-option"),
  sort: $("sort-select"),
  exports: $("exports"),
  exportLinks: { csv: $("export-csv"), edl: $("export-edl"), otio: $("export-otio") },
  hiddenNote: $("hidden-note"),
  hiddenCount: $("hidden-count"),
  showHidden: $("show-hidden"),
  empty: $("state-empty"),
  noMatches: $("state-no-matches"),
  noMatchesQuery: $("no-matches-query"),
  error: $("state-error"),
  errorDetail: $("error-detail"),
  searchView: $("search-view"),
  libraryView: $("library-view"),
  libraryRows: $("library-rows"),
  librarySummary: $("library-summary"),
  libraryError: $("library-error"),
  libraryEmpty: $("library-empty"),
  libraryRefresh: $("library-refresh"),
  player: $("player"),
  video: $("player-video"),
  playerTitle: $("player-title"),
  playerMeta: $("player-meta"),
  playerDetails: $("player-details"),
  playerError: $("player-error"),
  playerClose: $("player-close"),
  playerPrev: $("player-prev"),
  playerNext: $("player-next"),
  playerReplay: $("player-replay"),
  playerSimilar: $("player-similar"),
  loop: $("loop-toggle"),
  timeline: $("player-timeline"),
  timelineSvg: document.querySelector(".timeline-svg"),
  playhead: $("player-playhead"),
  position: $("player-position"),
  duration: $("player-duration"),
};

const state = {
  request: null, // what the results are for: see textRequest / similarRequest
  results: [], // the moments shown, in page order (grouped: the groups' moments in group order)
  grouped: false, // the results are shown as one section per video
  units: 0, // moments loaded, or videos when grouped: what offsets count
  hidden: 0, // weaker moments the latest answer says it left out
  next: null,
  selected: -1,
  seq: 0,
  controller: null,
  timer: 0,
  loading: false,
  view: "search",
};

// ---------------------------------------------------------------- search

/** Filters given in the page URL (video_id, min_score, path_prefix, ...) pass through to the API. */
function filtersFromUrl() {
  return [...new URLSearchParams(location.search)].filter(([k]) => !NOT_FILTERS.has(k));
}

function show(node, visible) {
  node.hidden = !visible;
}

function setStatus(text) {
  ui.status.textContent = text;
}

function setLoading(loading) {
  state.loading = loading;
  show(ui.spinner, loading);
  ui.results.classList.toggle("stale", loading && state.results.length > 0);
  document.body.setAttribute("data-loading", loading ? "true" : "false");
}

function showState(which, detail = "") {
  show(ui.empty, which === "empty");
  show(ui.noMatches, which === "no-matches");
  show(ui.error, which === "error");
  if (which === "no-matches") ui.noMatchesQuery.textContent = state.request ? state.request.label : "";
  if (which === "error") ui.errorDetail.textContent = detail;
}

// ---------------------------------------------------------------- result options

/** What the option controls say: {minRelevance, grouped, sort}. */
function currentOptions() {
  const minRelevance = RELEVANCE.includes(ui.minRelevance.value) ? ui.minRelevance.value : DEFAULT_RELEVANCE;
  const grouped = ui.groupToggle.checked;
  const sort = grouped && SORTS.includes(ui.sort.value) ? ui.sort.value : "score";
  return { minRelevance, grouped, sort };
}

/** Set the controls from the page URL (unknown values fall back to the defaults). */
function optionsFromUrl() {
  const params = new URLSearchParams(location.search);
  const minRelevance = params.get("min_relevance");
  ui.minRelevance.value = RELEVANCE.includes(minRelevance) ? minRelevance : DEFAULT_RELEVANCE;
  ui.groupToggle.checked = params.get("group_by") === "video";
  const sort = params.get("sort");
  ui.sort.value = SORTS.includes(sort) ? sort : "score";
  showSortOption();
}

function showSortOption() {
  show(ui.sortOption, ui.groupToggle.checked);
}

/** The API parameters of ``options``. Sort only goes with grouping (sort=count needs it). */
function optionParams(options) {
  const params = [["min_relevance", options.minRelevance]];
  if (options.grouped) params.push(["group_by", "video"], ["sort", options.sort]);
  return params;
}

function pageSize(request) {
  return request.options.grouped ? GROUP_PAGE_SIZE : PAGE_SIZE;
}

/** A control changed: keep it in the URL and run what is shown again with it. */
function optionsChanged() {
  showSortOption();
  if (!state.request) {
    syncUrl(null);
    return Promise.resolve();
  }
  return run({ ...state.request, options: currentOptions() });
}

// A request is a text search (?q=) or "more like this moment" (?similar=CLIP_ID), with the result
// options it was asked with.
function textRequest(q) {
  return { kind: "text", key: q, label: q, q, options: currentOptions() };
}

function similarRequest(clipId, label) {
  return { kind: "similar", key: `similar:${clipId}`, label: label || `clip ${clipId}`, clipId: String(clipId),
    options: currentOptions() };
}

function fetchPage(request, offset, signal) {
  const filters = [...optionParams(request.options), ...filtersFromUrl()];
  const options = { limit: pageSize(request), offset, filters };
  return request.kind === "similar"
    ? api.similar(request.clipId, options, signal) : api.search(request.q, options, signal);
}

/** The moments of an answer (and its videos when grouped: null otherwise). */
function pageOf(data, request) {
  if (request.options.grouped && Array.isArray(data.groups)) {
    const groups = data.groups.filter((g) => g && g.video && Array.isArray(g.moments));
    return { groups, results: groups.flatMap((g) => g.moments) };
  }
  return { groups: null, results: Array.isArray(data.results) ? data.results : [] };
}

function hiddenOf(data) {
  const n = Number(data.hidden);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function syncUrl(request) {
  const url = new URL(urlWithQuery(location.href, request && request.kind === "text" ? request.q : ""), location.href);
  if (request && request.kind === "similar") url.searchParams.set("similar", request.clipId);
  else url.searchParams.delete("similar");
  const options = request ? request.options : currentOptions();
  if (options.minRelevance !== DEFAULT_RELEVANCE) url.searchParams.set("min_relevance", options.minRelevance);
  else url.searchParams.delete("min_relevance");
  if (options.grouped) url.searchParams.set("group_by", "video");
  else url.searchParams.delete("group_by");
  if (options.grouped && options.sort !== "score") url.searchParams.set("sort", options.sort);
  else url.searchParams.delete("sort");
  const target = url.pathname + url.search + url.hash;
  if (target !== location.pathname + location.search + location.hash) history.replaceState(history.state, "", target);
  document.title = request ? `${request.kind === "similar" ? "like " : ""}${request.label} – vidseek` : "vidseek";
}

function scheduleSearch() {
  clearTimeout(state.timer);
  const query = ui.input.value.trim();
  if (!query) {
    runSearch("");
    return;
  }
  // typing back to what is already shown (or on its way), or only adding spaces, asks nothing new
  const current = state.request;
  if (current && current.kind === "text" && current.q === query && ui.error.hidden) return;
  state.timer = setTimeout(() => runSearch(query), DEBOUNCE_MS);
}

/** Search for ``query`` (or clear, for ""). */
function runSearch(query) {
  return run(query ? textRequest(query) : null);
}

/** Start a new request (or clear, for null). Older requests are aborted, and their answers ignored if they come. */
async function run(request) {
  clearTimeout(state.timer);
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  state.controller = null;
  state.request = request;
  syncUrl(request);
  if (!request) {
    setLoading(false);
    clearResults();
    showState("empty");
    setStatus("");
    return;
  }
  const controller = new AbortController();
  state.controller = controller;
  setLoading(true);
  setStatus("Searching…");
  try {
    const data = await fetchPage(request, 0, controller.signal);
    if (seq !== state.seq) return;
    const page = pageOf(data, request);
    closePlayer({ restoreFocus: false });
    clearResults();
    state.grouped = page.groups !== null;
    ui.results.classList.toggle("grouped", state.grouped);
    ui.results.setAttribute("aria-label", state.grouped ? "Matching videos" : "Matching moments");
    state.results = page.results;
    state.units = state.grouped ? page.groups.length : page.results.length;
    state.next = nextOffset(data, 0, pageSize(request), state.units);
    state.hidden = hiddenOf(data);
    renderPage(page, 0);
    ui.results.dataset.query = request.key;
    ui.results.dataset.minRelevance = request.options.minRelevance;
    ui.results.dataset.groupBy = state.grouped ? "video" : "none";
    ui.results.dataset.sort = request.options.sort;
    showState(page.results.length ? "none" : "no-matches");
    setStatus(summary(data));
  } catch (err) {
    if (err && err.name === "AbortError") return;
    if (seq !== state.seq) return;
    closePlayer({ restoreFocus: false });
    clearResults();
    showState("error", err.message || String(err));
    setStatus("");
  } finally {
    if (seq === state.seq) {
      setLoading(false);
      state.controller = null;
      updateLoadMore();
      updateHiddenNote();
      updateExports();
    }
  }
}

async function loadMore() {
  if (state.next === null || state.loading || !state.request) return;
  const seq = state.seq;
  const request = state.request;
  const controller = new AbortController();
  state.controller = controller;
  const offset = state.next;
  setLoading(true);
  ui.loadMore.disabled = true;
  try {
    const data = await fetchPage(request, offset, controller.signal);
    if (seq !== state.seq) return;
    let page = pageOf(data, request);
    // a page is shown the way the first one was
    if (state.grouped && page.groups === null) page = { groups: [], results: [] };
    if (!state.grouped && page.groups !== null) page = { groups: null, results: page.results };
    const received = state.grouped ? page.groups.length : page.results.length;
    const from = state.results.length;
    state.results = state.results.concat(page.results);
    state.units += received;
    state.next = received ? nextOffset(data, offset, pageSize(request), received) : null;
    state.hidden = hiddenOf(data);
    renderPage(page, from);
    setStatus(summary(data));
  } catch (err) {
    if (err && err.name === "AbortError") return;
    if (seq !== state.seq) return;
    setStatus(`Could not load more: ${err.message || err}`);
  } finally {
    if (seq === state.seq) {
      setLoading(false);
      state.controller = null;
      updateLoadMore();
      updateHiddenNote();
      updateExports();
    }
  }
}

/** "More like this": the moments most like the one playing. */
function runSimilar(result) {
  if (result.clip_id === undefined || result.clip_id === null) return;
  const title = result.video.title || result.video.path;
  ui.input.value = "";
  const request = similarRequest(result.clip_id, `${title} ${clock(result.start)}–${clock(result.end)}`);
  run(request).then(() => {
    // the button that asked is gone with the player: carry the focus to the first result
    if (state.request === request && state.results.length) select(0, { play: false });
  });
}

function summary(data) {
  const n = state.results.length;
  if (!n) return "";
  const took = Number(data.took_ms);
  const ms = Number.isFinite(took) ? ` in ${took < 10 ? took.toFixed(1) : Math.round(took)} ms` : "";
  const like = state.request && state.request.kind === "similar" ? `Moments like ${state.request.label}: ` : "";
  const videos = state.grouped ? ` in ${state.units} video${state.units === 1 ? "" : "s"}` : "";
  return `${like}${n} moment${n === 1 ? "" : "s"}${videos}${state.next === null ? "" : " so far"}${ms}`;
}

function updateLoadMore() {
  show(ui.loadMore, state.next !== null && state.results.length > 0);
  ui.loadMore.disabled = state.loading;
}

/** "N weaker matches hidden — show them", while the answer left some out. */
function updateHiddenNote() {
  const visible = Boolean(state.request) && state.hidden > 0 && state.request.options.minRelevance !== "low"
    && ui.error.hidden;
  show(ui.hiddenNote, visible);
  ui.hiddenCount.textContent = visible ? hiddenText(state.hidden) : "";
}

/** The export links: the text search shown, with its options and filters, as far as it is loaded. */
function updateExports() {
  const request = state.request;
  const visible = Boolean(request) && request.kind === "text" && state.results.length > 0;
  show(ui.exports, visible);
  if (!visible) return;
  const limit = Math.min(MAX_EXPORT, Math.max(state.units, pageSize(request)));
  const filters = [...optionParams(request.options), ...filtersFromUrl()];
  for (const [format, link] of Object.entries(ui.exportLinks)) {
    link.href = api.exportUrl(format, request.q, { limit, filters });
    link.setAttribute("aria-label", `Export ${request.label} as ${format.toUpperCase()}`);
  }
}

function clearResults() {
  state.results = [];
  state.grouped = false;
  state.units = 0;
  state.hidden = 0;
  state.next = null;
  state.selected = -1;
  ui.results.replaceChildren();
  ui.results.classList.remove("grouped");
  ui.results.setAttribute("aria-label", "Matching moments");
  delete ui.results.dataset.query;
  delete ui.results.dataset.minRelevance;
  delete ui.results.dataset.groupBy;
  delete ui.results.dataset.sort;
  updateLoadMore();
  updateHiddenNote();
  updateExports();
}

// ---------------------------------------------------------------- cards

/** The rank a card shows: the API's, or (grouped, where each page counts again) its place on the page. */
function rankOf(result, index) {
  return state.grouped ? index + 1 : result.rank ?? index + 1;
}

/** The relevance badge: words (not colour alone) and a ``relevance-BAND`` class; null for no band. */
function relevanceBadge(band, testid) {
  const label = relevanceLabel(band);
  if (!label) return null;
  const badge = document.createElement("span");
  badge.className = `relevance relevance-${band}`;
  badge.dataset.testid = testid;
  badge.dataset.relevance = band;
  badge.textContent = label;
  return badge;
}

function card(result, index) {
  const item = document.createElement("li");
  item.className = "card-item";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "card";
  button.dataset.testid = "result-card";
  button.dataset.index = String(index);
  button.dataset.videoId = String(result.video.id);
  const title = result.video.title || result.video.path || `video ${result.video.id}`;
  const when = `${clock(result.start)}–${clock(result.end)}`;
  const band = relevanceLabel(result.relevance);
  if (band) button.dataset.relevance = result.relevance;
  button.setAttribute("aria-label", `${title}, ${clock(result.start)} to ${clock(result.end)}, `
    + `${band ? `${band}, ` : ""}score ${score(result.score)}`);

  const thumb = document.createElement("span");
  thumb.className = "thumb";
  const img = document.createElement("img");
  img.src = result.thumbnail_url;
  img.alt = `Frame at ${clock(result.peak ?? result.start)} of ${title}`;
  img.loading = "lazy";
  img.decoding = "async";
  img.width = 320;
  img.height = 180;
  img.dataset.testid = "result-thumbnail";
  img.addEventListener("error", () => thumb.classList.add("thumb-missing"), { once: true });
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = span(Number(result.end) - Number(result.start));
  const rank = document.createElement("span");
  rank.className = "rank";
  rank.textContent = String(rankOf(result, index));
  thumb.append(img, badge, rank);
  const relevance = relevanceBadge(result.relevance, "result-relevance");
  if (relevance) {
    if (Number.isFinite(Number(result.z))) {
      relevance.title = `${Number(result.z).toFixed(1)} spreads above this query's background`;
    }
    thumb.append(relevance);
  }

  const body = document.createElement("span");
  body.className = "card-body";
  const name = document.createElement("span");
  name.className = "card-title";
  name.dataset.testid = "result-title";
  name.textContent = title;
  name.title = result.video.path || title;
  const line = document.createElement("span");
  line.className = "card-line";
  const time = document.createElement("span");
  time.className = "card-time";
  time.dataset.testid = "result-time";
  time.textContent = when;
  if (result.timecode && result.timecode.start) time.title = `${result.timecode.start} – ${result.timecode.end}`;
  const sc = document.createElement("span");
  sc.className = "card-score";
  sc.dataset.testid = "result-score";
  sc.textContent = score(result.score);
  sc.title = "Relevance score";
  line.append(time, sc);
  body.append(name, line, stripFor(result));

  button.append(thumb, body);
  item.append(button);
  return item;
}

function renderCards(results, from, into = ui.results) {
  const fragment = document.createDocumentFragment();
  results.forEach((r, i) => fragment.append(card(r, from + i)));
  into.append(fragment);
}

/** One video of a grouped answer: its title, how many moments match, the best band, and its moment cards. */
function groupSection(group, from) {
  const item = document.createElement("li");
  item.className = "group-item";
  const section = document.createElement("section");
  section.className = "group";
  section.dataset.testid = "result-group";
  section.dataset.videoId = String(group.video.id);
  section.dataset.count = String(group.count ?? group.moments.length);
  if (relevanceLabel(group.relevance)) section.dataset.relevance = group.relevance;
  const title = group.video.title || group.video.path || `video ${group.video.id}`;
  const headingId = `group-${state.seq}-${from}`;
  section.setAttribute("aria-labelledby", headingId);

  const head = document.createElement("header");
  head.className = "group-head";
  const heading = document.createElement("h2");
  heading.className = "group-title";
  heading.id = headingId;
  heading.dataset.testid = "group-title";
  heading.textContent = title;
  heading.title = group.video.path || title;
  const meta = document.createElement("p");
  meta.className = "group-meta";
  const count = Number(group.count ?? group.moments.length);
  const counted = document.createElement("span");
  counted.dataset.testid = "group-count";
  counted.textContent = `${count} matching moment${count === 1 ? "" : "s"}`;
  meta.append(counted);
  const badge = relevanceBadge(group.relevance, "group-relevance");
  if (badge) {
    const best = document.createElement("span");
    best.className = "group-best";
    best.append("best: ", badge);
    meta.append(best);
  }
  if (Number.isFinite(Number(group.video.duration))) {
    const length = document.createElement("span");
    length.textContent = `${clock(group.video.duration)} video`;
    meta.append(length);
  }
  head.append(heading, meta);

  const grid = document.createElement("ol");
  grid.className = "grid group-grid";
  grid.setAttribute("aria-label", `Moments in ${title}`);
  renderCards(group.moments, from, grid);
  section.append(head, grid);
  item.append(section);
  return item;
}

/** Append a page of the answer: moment cards, or one section per video. */
function renderPage(page, from) {
  if (page.groups === null) {
    renderCards(page.results, from);
    return;
  }
  const fragment = document.createDocumentFragment();
  let at = from;
  for (const group of page.groups) {
    fragment.append(groupSection(group, at));
    at += group.moments.length;
  }
  ui.results.append(fragment);
}

function cardAt(index) {
  return ui.results.querySelector(`[data-testid="result-card"][data-index="${index}"]`);
}

function select(index, { focus = true, play = state.selected >= 0 && !ui.player.hidden } = {}) {
  if (!state.results.length) return;
  const i = Math.max(0, Math.min(state.results.length - 1, index));
  const previous = cardAt(state.selected);
  if (previous) {
    previous.classList.remove("selected");
    previous.removeAttribute("aria-current");
  }
  state.selected = i;
  const current = cardAt(i);
  current.classList.add("selected");
  current.setAttribute("aria-current", "true");
  if (focus) current.focus({ preventScroll: true });
  current.scrollIntoView({ block: "nearest", inline: "nearest" });
  if (play) openPlayer(i);
  // fetch the next page when the selection reaches the end
  if (i === state.results.length - 1 && state.next !== null) loadMore();
}

function columns() {
  const template = getComputedStyle(ui.results).gridTemplateColumns;
  return Math.max(1, template.split(" ").filter(Boolean).length);
}

/** Grouped: the card in the row above (-1) or below (+1) on screen, nearest across; -1 when none. */
function verticalNeighbour(index, direction) {
  const here = cardAt(index);
  if (!here) return -1;
  const box = here.getBoundingClientRect();
  const middle = box.left + box.width / 2;
  const candidates = [];
  for (const other of ui.results.querySelectorAll('[data-testid="result-card"]')) {
    const b = other.getBoundingClientRect();
    const gap = direction > 0 ? b.top - box.bottom : box.top - b.bottom;
    const across = Math.abs(b.left + b.width / 2 - middle);
    if (gap >= -1) candidates.push({ index: Number(other.dataset.index), gap, across });
  }
  if (!candidates.length) return -1;
  const nearest = Math.min(...candidates.map((c) => c.gap));
  const row = candidates.filter((c) => c.gap <= nearest + 2);
  row.sort((a, b) => a.across - b.across);
  return row[0].index;
}

// ---------------------------------------------------------------- player

const player = {
  result: null,
  start: 0,
  end: 0,
  duration: 1,
  enforce: true, // stop (or loop) at the moment's end; off once the user seeks outside it
  internalSeek: false,
  raf: 0,
};

function seekTo(t) {
  player.internalSeek = true;
  ui.video.currentTime = Math.max(0, t);
}

function tryPlay() {
  const p = ui.video.play();
  if (p && p.catch) p.catch(() => {}); // autoplay refused: the user presses play
}

function openPlayer(index) {
  const result = state.results[index];
  if (!result) return;
  const wasHidden = ui.player.hidden;
  player.result = result;
  player.start = Number(result.start) || 0;
  player.end = Number(result.end) || player.start;
  player.enforce = true;
  ui.player.hidden = false;
  ui.layout.classList.add("has-player");
  ui.player.dataset.index = String(index);
  ui.player.dataset.videoId = String(result.video.id);
  ui.player.dataset.start = String(player.start);
  ui.player.dataset.end = String(player.end);
  show(ui.playerError, false);

  const title = result.video.title || result.video.path;
  ui.playerTitle.textContent = title;
  ui.playerTitle.title = result.video.path || "";
  const band = relevanceLabel(result.relevance);
  ui.playerMeta.textContent = `#${rankOf(result, index)} · ${clock(player.start)}–${clock(player.end)} `
    + `(${span(player.end - player.start)}) · ${band ? `${band} · ` : ""}score ${score(result.score)}`;
  const details = [];
  if (result.timecode && result.timecode.start) details.push(`TC ${result.timecode.start} – ${result.timecode.end}`);
  if (result.frames && result.frames.start !== undefined) {
    details.push(`frames ${result.frames.start}–${result.frames.end}${result.fps ? ` @ ${Number(result.fps).toFixed(3).replace(/\.?0+$/, "")} fps` : ""}`);
  }
  if (result.clip_id !== undefined && result.clip_id !== null) details.push(`clip ${result.clip_id}`);
  details.push(result.video.path || "");
  ui.playerDetails.textContent = details.filter(Boolean).join(" · ");
  show(ui.playerSimilar, result.clip_id !== undefined && result.clip_id !== null);

  player.duration = videoDuration(result);
  drawStrip(ui.timelineSvg, result, 40);
  ui.timeline.setAttribute("aria-valuemax", String(Math.round(player.duration)));
  ui.duration.textContent = clock(player.duration);

  const src = streamUrl(result);
  const absolute = new URL(src, location.href).href;
  if (ui.video.currentSrc.split("#")[0] !== absolute && ui.video.getAttribute("src")?.split("#")[0] !== src) {
    ui.video.src = `${src}#t=${player.start}`;
    ui.video.dataset.src = src;
  } else if (ui.video.readyState >= 1) {
    seekTo(player.start);
  }
  // else: loadedmetadata will seek
  updatePlayhead();
  tryPlay();
  if (wasHidden && window.matchMedia("(max-width: 899px)").matches) {
    ui.player.scrollIntoView({ block: "start", behavior: "smooth" });
  }
}

function closePlayer({ restoreFocus = true } = {}) {
  if (ui.player.hidden) return;
  cancelAnimationFrame(player.raf);
  ui.video.pause();
  ui.video.removeAttribute("src");
  delete ui.video.dataset.src;
  ui.video.load();
  player.result = null;
  ui.player.hidden = true;
  ui.layout.classList.remove("has-player");
  delete ui.player.dataset.index;
  if (restoreFocus) {
    const c = cardAt(state.selected);
    if (c) c.focus({ preventScroll: false });
  }
}

function updatePlayhead() {
  const t = ui.video.currentTime || 0;
  const f = Math.max(0, Math.min(1, t / player.duration));
  ui.playhead.style.left = `${(f * 100).toFixed(3)}%`;
  ui.position.textContent = clock(t);
  ui.timeline.setAttribute("aria-valuenow", String(Math.round(t)));
  ui.timeline.setAttribute("aria-valuetext", clock(t));
}

function watchEnd() {
  cancelAnimationFrame(player.raf);
  const tick = () => {
    if (ui.video.paused || !player.result) return;
    if (player.enforce && !ui.video.seeking && ui.video.currentTime >= player.end - 0.02) {
      if (ui.loop.checked) seekTo(player.start);
      else ui.video.pause();
    }
    updatePlayhead();
    player.raf = requestAnimationFrame(tick);
  };
  player.raf = requestAnimationFrame(tick);
}

ui.video.addEventListener("loadedmetadata", () => {
  if (!player.result) return;
  if (Number.isFinite(ui.video.duration) && ui.video.duration > 0) {
    // the API's duration places the strip; the file's own is what the player can seek in
    ui.duration.textContent = clock(ui.video.duration);
  }
  if (Math.abs(ui.video.currentTime - player.start) > 0.05) seekTo(player.start);
  updatePlayhead();
});
ui.video.addEventListener("seeking", () => {
  if (!player.internalSeek) {
    const t = ui.video.currentTime;
    if (t < player.start - 0.25 || t > player.end + 0.05) player.enforce = false;
  }
});
ui.video.addEventListener("seeked", () => {
  player.internalSeek = false;
  ui.player.dataset.seeked = "true";
  updatePlayhead();
});
ui.video.addEventListener("timeupdate", updatePlayhead);
ui.video.addEventListener("play", () => {
  // pressing play after the moment ended replays it
  if (player.enforce && !ui.loop.checked && ui.video.currentTime >= player.end - 0.05) seekTo(player.start);
  watchEnd();
});
ui.video.addEventListener("pause", () => cancelAnimationFrame(player.raf));
ui.video.addEventListener("error", () => {
  if (!player.result || !ui.video.getAttribute("src")) return;
  const err = ui.video.error;
  const why = err && err.code === 4 ? "the browser cannot play this file's format" : (err && err.message) || "it could not be loaded";
  ui.playerError.textContent = `This video cannot be played here: ${why}.`;
  show(ui.playerError, true);
});

function timelineSeek(event) {
  const box = ui.timeline.getBoundingClientRect();
  const f = Math.max(0, Math.min(1, (event.clientX - box.left) / box.width));
  const t = f * player.duration;
  player.enforce = t >= player.start - 0.25 && t <= player.end;
  seekTo(t);
  updatePlayhead();
}
ui.timeline.addEventListener("pointerdown", (event) => {
  ui.timeline.setPointerCapture(event.pointerId);
  timelineSeek(event);
  const move = (e) => timelineSeek(e);
  const up = () => {
    ui.timeline.removeEventListener("pointermove", move);
    ui.timeline.removeEventListener("pointerup", up);
  };
  ui.timeline.addEventListener("pointermove", move);
  ui.timeline.addEventListener("pointerup", up);
});
ui.timeline.addEventListener("keydown", (event) => {
  const delta = { ArrowLeft: -1, ArrowRight: 1, ArrowDown: -5, ArrowUp: 5 }[event.key];
  if (delta === undefined && event.key !== "Home") return;
  event.preventDefault();
  event.stopPropagation();
  const t = event.key === "Home" ? player.start : Math.max(0, Math.min(player.duration, ui.video.currentTime + delta));
  player.enforce = t >= player.start - 0.25 && t <= player.end;
  seekTo(t);
  updatePlayhead();
});

ui.playerClose.addEventListener("click", () => closePlayer());
ui.playerSimilar.addEventListener("click", () => {
  if (player.result) runSimilar(player.result);
});
ui.playerPrev.addEventListener("click", () => select(state.selected - 1, { focus: false, play: true }));
ui.playerNext.addEventListener("click", () => select(state.selected + 1, { focus: false, play: true }));
ui.playerReplay.addEventListener("click", () => {
  player.enforce = true;
  seekTo(player.start);
  tryPlay();
});
ui.loop.checked = localStorage.getItem(LOOP_KEY) === "1";
ui.loop.addEventListener("change", () => {
  localStorage.setItem(LOOP_KEY, ui.loop.checked ? "1" : "0");
  ui.video.loop = false; // we loop the moment, not the file
  if (ui.loop.checked && player.result) {
    player.enforce = true;
    if (ui.video.currentTime >= player.end - 0.05 || ui.video.currentTime < player.start - 0.25) seekTo(player.start);
    tryPlay();
  }
});

// ---------------------------------------------------------------- library

let libraryController = null;

async function loadLibrary() {
  if (libraryController) libraryController.abort();
  const controller = new AbortController();
  libraryController = controller;
  ui.librarySummary.textContent = "Loading…";
  show(ui.libraryError, false);
  try {
    const data = await api.videos(controller.signal);
    if (controller !== libraryController) return;
    const videos = Array.isArray(data.videos) ? data.videos : Array.isArray(data) ? data : [];
    renderLibrary(videos);
  } catch (err) {
    if (err && err.name === "AbortError") return;
    ui.librarySummary.textContent = "";
    ui.libraryError.textContent = `Could not list the library: ${err.message || err}`;
    show(ui.libraryError, true);
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

function renderLibrary(videos) {
  const rows = videos.map((v) => {
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
    badge.className = `status-badge status-${String(v.status || "unknown").replace(/[^a-z0-9_-]/gi, "")}`;
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
  });
  ui.libraryRows.replaceChildren(...rows);
  show(ui.libraryEmpty, videos.length === 0);
  const seconds = videos.reduce((s, v) => s + (Number(v.duration) || 0), 0);
  const clips = videos.reduce((s, v) => s + (Number(v.clips) || 0), 0);
  ui.librarySummary.textContent = videos.length
    ? `${videos.length} video${videos.length === 1 ? "" : "s"} · ${clock(seconds)} · ${clips} clips`
    : "";
}

ui.libraryRefresh.addEventListener("click", loadLibrary);

// ---------------------------------------------------------------- views and keys

function route() {
  const view = { "#library": "library", "#jobs": "jobs" }[location.hash] || "search";
  state.view = view;
  show(ui.searchView, view === "search");
  show(ui.libraryView, view === "library");
  setJobsVisible(view === "jobs");
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (view === "library") {
    closePlayer({ restoreFocus: false });
    loadLibrary();
  }
  if (view === "jobs") closePlayer({ restoreFocus: false });
}

function isTyping(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (state.view !== "search") return;
  const target = event.target;
  if (event.key === "Escape" && !ui.player.hidden) {
    event.preventDefault();
    closePlayer({ restoreFocus: target !== ui.input });
    return;
  }
  if (event.key === "/" && !isTyping(target)) {
    event.preventDefault();
    ui.input.focus();
    ui.input.select();
    return;
  }
  const arrows = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
  if (!arrows.includes(event.key) || !state.results.length) return;
  if (target === ui.input) {
    if (event.key !== "ArrowDown") return;
    event.preventDefault();
    select(state.selected >= 0 ? state.selected : 0, { play: false });
    return;
  }
  if (isTyping(target) && target !== ui.loop) return;
  if (target === ui.video || target === ui.timeline) return; // those seek with arrows
  event.preventDefault();
  if (state.selected < 0) {
    select(0);
    return;
  }
  let next;
  if (state.grouped && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    next = verticalNeighbour(state.selected, event.key === "ArrowDown" ? 1 : -1);
    if (next < 0 && event.key === "ArrowDown") return;
  } else {
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns(), ArrowDown: columns() }[event.key];
    next = state.selected + step;
  }
  if (next < 0) {
    if (event.key === "ArrowUp" && ui.player.hidden) ui.input.focus();
    return;
  }
  if (next >= state.results.length) return;
  select(next, { focus: !ui.player.contains(target) || target === document.body });
});

ui.results.addEventListener("click", (event) => {
  const c = event.target.closest('[data-testid="result-card"]');
  if (!c) return;
  select(Number(c.dataset.index), { play: true });
});
ui.results.addEventListener("focusin", (event) => {
  const c = event.target.closest('[data-testid="result-card"]');
  if (c && Number(c.dataset.index) !== state.selected) select(Number(c.dataset.index), { focus: false, play: false });
});

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  runSearch(ui.input.value.trim());
});
ui.input.addEventListener("input", scheduleSearch);
ui.loadMore.addEventListener("click", loadMore);
ui.minRelevance.addEventListener("change", optionsChanged);
ui.groupToggle.addEventListener("change", optionsChanged);
ui.sort.addEventListener("change", optionsChanged);
ui.showHidden.addEventListener("click", () => {
  const before = state.request ? state.request.options.minRelevance : DEFAULT_RELEVANCE;
  ui.minRelevance.value = "low";
  optionsChanged().then(() => {
    // carry the focus (the button is gone) to the first match that was hidden, or the first result
    if (!state.results.length) return;
    const weaker = state.results.findIndex((r) => RELEVANCE.indexOf(r.relevance) > RELEVANCE.indexOf(before));
    select(weaker >= 0 ? weaker : 0, { play: false });
  });
});
window.addEventListener("hashchange", route);

// ---------------------------------------------------------------- start

function start() {
  if (location.hash === "#search") history.replaceState(history.state, "", location.pathname + location.search);
  const params = new URLSearchParams(location.search);
  const q = (params.get("q") || "").trim();
  const similar = (params.get("similar") || "").trim();
  optionsFromUrl();
  route();
  if (q) {
    ui.input.value = q;
    runSearch(q);
  } else if (/^\d+$/.test(similar)) {
    run(similarRequest(similar));
  } else {
    showState("empty");
  }
  if (state.view === "search" && !q && !similar) ui.input.focus();
  document.documentElement.dataset.ready = "true";
}

start();
