// The vidseek page's entry: shows one view at a time (Search, Library, Jobs, from the URL's hash), starts the
// search view from the page URL, and sends the keyboard to the search view while it shows.

import { closePlayer } from "./player.js";
import { optionsFromUrl } from "./search_options.js";
import { focusSearchBox, handleSearchKeys, searchFromUrl, setSearchVisible } from "./search_view.js";
import { setLibraryVisible } from "./library_view.js";
import { setJobsVisible } from "./jobs.js";

const VIEWS_BY_HASH = { "#library": "library", "#jobs": "jobs" }; // anything else: search

let currentView = "search";

function route() {
  const view = VIEWS_BY_HASH[location.hash] || "search";
  currentView = view;
  setSearchVisible(view === "search");
  if (view !== "search") closePlayer({ restoreFocus: false });
  setLibraryVisible(view === "library");
  setJobsVisible(view === "jobs");
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
}

document.addEventListener("keydown", (event) => {
  if (currentView === "search") handleSearchKeys(event);
});
window.addEventListener("hashchange", route);

function start() {
  if (location.hash === "#search") history.replaceState(history.state, "", location.pathname + location.search);
  optionsFromUrl();
  route();
  const named = searchFromUrl();
  if (currentView === "search" && !named) focusSearchBox();
  document.documentElement.dataset.ready = "true";
}

start();
