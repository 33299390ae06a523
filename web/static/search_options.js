// The result options (what is searched: seen, said, shown in the picture or all; how strong a match must be, group by video, how videos
// are ordered): their controls, kept in the page URL (defaults left out) and sent with every search, with the URL's
// other filters.

import { byTestId, show } from "./dom.js";

export const RELEVANCE = ["high", "medium", "low"]; // strongest first
export const DEFAULT_RELEVANCE = "medium";
const SORTS = ["score", "count", "date"];
export const MODALITIES = ["all", "visual", "speech", "shown"];
export const DEFAULT_MODALITY = "all";
// Page URL parameters that are not filters for the API (the options are sent from the controls).
const NOT_FILTERS = new Set(["q", "similar", "limit", "offset", "min_relevance", "group_by", "sort", "modality"]);

const ui = {
  modality: byTestId("modality-select"),
  minRelevance: byTestId("min-relevance"),
  groupToggle: byTestId("group-toggle"),
  sortOption: byTestId("sort-option"),
  sort: byTestId("sort-select"),
};

/** What the option controls say: {modality, minRelevance, grouped, sort}. */
export function currentOptions() {
  const modality = MODALITIES.includes(ui.modality.value) ? ui.modality.value : DEFAULT_MODALITY;
  const minRelevance = RELEVANCE.includes(ui.minRelevance.value) ? ui.minRelevance.value : DEFAULT_RELEVANCE;
  const grouped = ui.groupToggle.checked;
  const sort = grouped && SORTS.includes(ui.sort.value) ? ui.sort.value : "score";
  return { modality, minRelevance, grouped, sort };
}

/** Set the controls from the page URL (unknown values fall back to the defaults). */
export function optionsFromUrl() {
  const params = new URLSearchParams(location.search);
  const modality = params.get("modality");
  ui.modality.value = MODALITIES.includes(modality) ? modality : DEFAULT_MODALITY;
  const minRelevance = params.get("min_relevance");
  ui.minRelevance.value = RELEVANCE.includes(minRelevance) ? minRelevance : DEFAULT_RELEVANCE;
  ui.groupToggle.checked = params.get("group_by") === "video";
  const sort = params.get("sort");
  ui.sort.value = SORTS.includes(sort) ? sort : "score";
  showSortOption();
}

/** The sort control shows only while grouping by video. */
export function showSortOption() {
  show(ui.sortOption, ui.groupToggle.checked);
}

/** Set ``options`` in ``url``'s parameters, leaving out the defaults. */
export function writeOptionsToUrl(url, options) {
  if (options.modality && options.modality !== DEFAULT_MODALITY) url.searchParams.set("modality", options.modality);
  else url.searchParams.delete("modality");
  if (options.minRelevance !== DEFAULT_RELEVANCE) url.searchParams.set("min_relevance", options.minRelevance);
  else url.searchParams.delete("min_relevance");
  if (options.grouped) url.searchParams.set("group_by", "video");
  else url.searchParams.delete("group_by");
  if (options.grouped && options.sort !== "score") url.searchParams.set("sort", options.sort);
  else url.searchParams.delete("sort");
}

/** The API parameters of ``options``. Sort only goes with grouping (sort=count needs it); modality only with a
 * text search (``kind`` "text": "more like this" looks at what is seen). */
function optionParams(options, kind) {
  const params = kind === "text" ? [["modality", options.modality || DEFAULT_MODALITY]] : [];
  params.push(["min_relevance", options.minRelevance]);
  if (options.grouped) params.push(["group_by", "video"], ["sort", options.sort]);
  return params;
}

/** Filters given in the page URL (video_id, min_score, path_prefix, ...) pass through to the API. */
function filtersFromUrl() {
  return [...new URLSearchParams(location.search)].filter(([k]) => !NOT_FILTERS.has(k));
}

/** What a search of ``kind`` ("text" or "similar") sends besides its query and page: ``options``, then the page
 * URL's filters, as [name, value]. */
export function searchFilters(options, kind = "text") {
  return [...optionParams(options, kind), ...filtersFromUrl()];
}

/** Lower the relevance control to show every match (the search is not run again here). */
export function showAllMatches() {
  ui.minRelevance.value = "low";
}

/** Call ``handler`` whenever one of the controls changes. */
export function onOptionsChange(handler) {
  for (const control of [ui.modality, ui.minRelevance, ui.groupToggle, ui.sort]) {
    control.addEventListener("change", handler);
  }
}
