// The search view: the query form (search as you type), the answer's pages of moment cards (or one section per
// video when grouped), the status line, "Load more", the note on hidden weaker matches, the export links,
// choosing a result (with the keys), and the page URL and title that say what is shown.

import * as api from "./api.js";
import { weakerThan } from "./bands.js";
import { byTestId, show } from "./dom.js";
import { clock, hiddenText, nextOffset, urlWithQuery } from "./format.js";
import {
  closePlayer, isLoopToggle, isPlayerOpen, playMoment, playerContains, seeksWithArrows, setPlayerActions,
} from "./player.js";
import { appendPage, rankOf } from "./result_cards.js";
import {
  DEFAULT_RELEVANCE, currentOptions, onOptionsChange, searchFilters, showAllMatches, showSortOption,
  writeOptionsToUrl,
} from "./search_options.js";

const PAGE_SIZE = 24;
const GROUP_PAGE_SIZE = 12; // videos per page when grouped by video
const MAX_EXPORT = 1000; // the API's largest limit
const DEBOUNCE_MS = 250;

const ui = {
  view: byTestId("search-view"),
  form: byTestId("search-form"),
  input: byTestId("search-input"),
  spinner: byTestId("search-spinner"),
  status: byTestId("search-status"),
  results: byTestId("results"),
  loadMore: byTestId("load-more"),
  exports: byTestId("exports"),
  exportLinks: {
    csv: byTestId("export-csv"),
    edl: byTestId("export-edl"),
    otio: byTestId("export-otio"),
    fcpxml: byTestId("export-fcpxml"),
    xml: byTestId("export-xmeml"),
    "markers.edl": byTestId("export-resolve"),
  },
  exportSnap: byTestId("export-snap"),
  hiddenNote: byTestId("hidden-note"),
  hiddenCount: byTestId("hidden-count"),
  showHidden: byTestId("show-hidden"),
  empty: byTestId("state-empty"),
  noMatches: byTestId("state-no-matches"),
  noMatchesQuery: byTestId("no-matches-query"),
  error: byTestId("state-error"),
  errorDetail: byTestId("error-detail"),
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
};

// ---------------------------------------------------------------- status

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

// ---------------------------------------------------------------- requests

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

/** The words a request searched for (marked in the quotes): a text search's query, else none. */
function textOf(request) {
  return request.kind === "text" ? request.q : "";
}

function fetchPage(request, offset, signal) {
  const options = { limit: pageSize(request), offset, filters: searchFilters(request.options, request.kind) };
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

/** The page URL (?q= or ?similar=, and the options) and title say what is shown, so it can be shared. */
function syncUrl(request) {
  const url = new URL(urlWithQuery(location.href, request && request.kind === "text" ? request.q : ""), location.href);
  if (request && request.kind === "similar") url.searchParams.set("similar", request.clipId);
  else url.searchParams.delete("similar");
  writeOptionsToUrl(url, request ? request.options : currentOptions());
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
    appendPage(ui.results, page, 0, `group-${state.seq}`, textOf(request), request.options.minRelevance);
    ui.results.dataset.query = request.key;
    ui.results.dataset.minRelevance = request.options.minRelevance;
    ui.results.dataset.groupBy = state.grouped ? "video" : "none";
    ui.results.dataset.sort = request.options.sort;
    if (request.kind === "text") ui.results.dataset.modality = request.options.modality;
    else delete ui.results.dataset.modality;
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
    appendPage(ui.results, page, from, `group-${state.seq}`, textOf(request), request.options.minRelevance);
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

// ---------------------------------------------------------------- what goes with the results

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
  const filters = searchFilters(request.options);
  for (const [format, link] of Object.entries(ui.exportLinks)) {
    // The editors' timelines get one second of handles either side of each moment.
    const timeline = link.dataset.route ? [["handles", "1"]] : [];
    // Edges within a second of a cut between shots move onto it, when asked for.
    const snap = ui.exportSnap.checked ? [["shots", "snap"]] : [];
    link.href = api.exportUrl(format, request.q, { limit, filters: [...filters, ...timeline, ...snap] });
    link.setAttribute("aria-label", `Export ${request.label} as ${link.textContent}`);
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
  delete ui.results.dataset.modality;
  updateLoadMore();
  updateHiddenNote();
  updateExports();
}

// ---------------------------------------------------------------- choosing a result

function cardAt(index) {
  return ui.results.querySelector(`[data-testid="result-card"][data-index="${index}"]`);
}

function playResult(index) {
  const result = state.results[index];
  if (result) {
    const minRelevance = state.request ? state.request.options.minRelevance : DEFAULT_RELEVANCE;
    playMoment(result, { index, rank: rankOf(result, index, state.grouped), minRelevance });
  }
}

function select(index, { focus = true, play = state.selected >= 0 && isPlayerOpen() } = {}) {
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
  if (play) playResult(i);
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

function isTyping(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/** The view's keys (while it shows): Escape closes the player, "/" goes to the search box, arrows move. */
export function handleSearchKeys(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  if (event.key === "Escape" && isPlayerOpen()) {
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
  if (isTyping(target) && !isLoopToggle(target)) return;
  if (seeksWithArrows(target)) return;
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
    if (event.key === "ArrowUp" && !isPlayerOpen()) ui.input.focus();
    return;
  }
  if (next >= state.results.length) return;
  select(next, { focus: !playerContains(target) || target === document.body });
}

// ---------------------------------------------------------------- the view

export function setSearchVisible(visible) {
  show(ui.view, visible);
}

/**
 * Run the search the page URL names (?q=, or ?similar=CLIP_ID), or show the empty state.
 * Returns whether the URL named one (even one it could not run).
 */
export function searchFromUrl() {
  const params = new URLSearchParams(location.search);
  const q = (params.get("q") || "").trim();
  const similar = (params.get("similar") || "").trim();
  if (q) {
    ui.input.value = q;
    runSearch(q);
  } else if (/^\d+$/.test(similar)) {
    run(similarRequest(similar));
  } else {
    showState("empty");
  }
  return Boolean(q || similar);
}

export function focusSearchBox() {
  ui.input.focus();
}

setPlayerActions({
  previous: () => select(state.selected - 1, { focus: false, play: true }),
  next: () => select(state.selected + 1, { focus: false, play: true }),
  similar: runSimilar,
  returnFocus: () => {
    const c = cardAt(state.selected);
    if (c) c.focus({ preventScroll: false });
  },
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
ui.exportSnap.addEventListener("change", updateExports);
onOptionsChange(optionsChanged);
ui.showHidden.addEventListener("click", () => {
  const before = state.request ? state.request.options.minRelevance : DEFAULT_RELEVANCE;
  showAllMatches();
  optionsChanged().then(() => {
    // carry the focus (the button is gone) to the first match that was hidden, or the first result
    if (!state.results.length) return;
    // (a weaker moment found by what is said was shown already: bands.js)
    const weaker = state.results.findIndex((r) => weakerThan(r.relevance, before)
      && !(Array.isArray(r.matched) && (r.matched.includes("speech") || r.matched.includes("shown"))));
    select(weaker >= 0 ? weaker : 0, { play: false });
  });
});
