// The result list's elements: a card per moment (thumbnail, span, rank, relevance badge, the signals that found
// it, time, score, the subtitle line it matched with the query's words marked, strip), and, when grouped by video, a
// section per video holding its moments' cards. Builds elements only, with text set as text.
//
// A card is a button named by its own content (no aria-label), so its accessible name is the text it shows, in
// reading order: title, times, score, quote, strip, then the thumbnail's badges (the thumbnail is drawn on top by
// CSS), with a visually hidden ", " between the parts (so they are not run together) and a visually hidden word
// before short bits ("score", "rank").

import { badgeWords } from "./bands.js";
import { clock, relevanceLabel, score, span } from "./format.js";
import { highlighted } from "./highlight.js";
import { stripFor } from "./strip.js";

const SIGNALS = { visual: "seen", speech: "said", shown: "shown" };
const SIGNAL_TITLES = {
  visual: "Found in what is seen",
  speech: "Found in what is said (subtitles)",
  shown: "Found in the text shown in the picture",
};

/** The rank a card shows: the API's, or (grouped, where each page counts again) its place on the page. */
export function rankOf(result, index, grouped) {
  return grouped ? index + 1 : result.rank ?? index + 1;
}

/** The relevance badge of ``band`` for a moment found by ``matched`` when ``minRelevance`` was asked: words (not
 * colour alone) and a ``relevance-BAND`` class (plus ``relevance-said`` when it is shown for what is said, see
 * ``bands.js``); null for no band. */
function relevanceBadge(band, matched, minRelevance, testid) {
  const words = badgeWords(band, matched, minRelevance);
  if (!words.label) return null;
  const badge = document.createElement("span");
  badge.className = `relevance relevance-${band}${words.said ? " relevance-said" : ""}`;
  badge.dataset.testid = testid;
  badge.dataset.relevance = band;
  badge.textContent = words.label;
  if (words.title) badge.title = words.title;
  return badge;
}

/** ``text`` for screen readers only: a word that says what the visible bit after it is, or a pause. */
function spoken(text) {
  const hint = document.createElement("span");
  hint.className = "visually-hidden";
  hint.textContent = text;
  return hint;
}

/** Append ``parts`` (nulls left out) to ``parent`` with a pause for screen readers between them. */
function appendPaused(parent, ...parts) {
  parts.filter(Boolean).forEach((part, i) => parent.append(...(i ? [spoken(", "), part] : [part])));
}

/** The signals of ``matched`` this page knows ("visual", "speech", "shown"), in its order. */
function knownSignals(matched) {
  return Array.isArray(matched) ? matched.filter((m) => SIGNALS[m]) : [];
}

/** Badges of the signals that found the moment ("seen", "said", "shown"); null when the answer does not say. */
function signalBadges(known) {
  if (!known.length) return null;
  const box = document.createElement("span");
  box.className = "signals";
  box.dataset.testid = "result-signals";
  box.dataset.matched = known.join(" ");
  known.forEach((signal, i) => {
    if (i) box.append(spoken(" "));
    const badge = document.createElement("span");
    badge.className = `signal signal-${signal}`;
    badge.dataset.signal = signal;
    badge.textContent = SIGNALS[signal];
    badge.title = SIGNAL_TITLES[signal];
    box.append(badge);
  });
  return box;
}

/** The subtitle line(s) a moment matched, the words of ``query`` marked; null without a quote. */
function quoteLine(quote, query) {
  if (typeof quote !== "string" || !quote.trim()) return null;
  const line = document.createElement("span");
  line.className = "card-quote";
  line.dataset.testid = "result-quote";
  line.title = quote;
  line.append(highlighted(quote, query));
  return line;
}

/** The card of the moment at ``index`` (its place in the whole list), showing ``rank``; ``query`` is marked in
 * its quote; ``minRelevance`` is the band the answer was asked for. */
function momentCard(result, index, rank, query, minRelevance) {
  const item = document.createElement("li");
  item.className = "card-item";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "card";
  button.dataset.testid = "result-card";
  button.dataset.index = String(index);
  button.dataset.videoId = String(result.video.id);
  const title = result.video.title || result.video.path || `video ${result.video.id}`;
  const known = knownSignals(result.matched);
  const relevance = relevanceBadge(result.relevance, known, minRelevance, "result-relevance");
  if (relevance) button.dataset.relevance = result.relevance;

  const thumb = document.createElement("span");
  thumb.className = "thumb";
  const img = document.createElement("img");
  img.src = result.thumbnail_url;
  img.alt = ""; // the card's own text names the moment; a frame's description would only repeat it
  img.loading = "lazy";
  img.decoding = "async";
  img.width = 320;
  img.height = 180;
  img.dataset.testid = "result-thumbnail";
  img.addEventListener("error", () => thumb.classList.add("thumb-missing"), { once: true });
  if (relevance && Number.isFinite(Number(result.z)) && !relevance.title) {
    relevance.title = `${Number(result.z).toFixed(1)} spreads above this query's background`;
  }
  const rankBadge = document.createElement("span");
  rankBadge.className = "rank";
  rankBadge.append(spoken("rank "), String(rank));
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = span(Number(result.end) - Number(result.start));
  thumb.append(img);
  appendPaused(thumb, relevance, signalBadges(known), rankBadge, badge);

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
  time.textContent = `${clock(result.start)}–${clock(result.end)}`;
  if (result.timecode && result.timecode.start) time.title = `${result.timecode.start} – ${result.timecode.end}`;
  const sc = document.createElement("span");
  sc.className = "card-score";
  sc.title = "Relevance score";
  const value = document.createElement("span");
  value.dataset.testid = "result-score";
  value.textContent = score(result.score);
  sc.append(spoken("score "), value);
  appendPaused(line, time, sc);
  appendPaused(body, name, line, quoteLine(result.quote, query), stripFor(result));
  appendPaused(button, body, thumb);
  item.append(button);
  return item;
}

/** Append the cards of ``results`` to ``list``, the first being the moment at ``from``. */
function appendCards(list, results, from, grouped, query, minRelevance) {
  const fragment = document.createDocumentFragment();
  results.forEach((r, i) => {
    fragment.append(momentCard(r, from + i, rankOf(r, from + i, grouped), query, minRelevance));
  });
  list.append(fragment);
}

/** One video of a grouped answer: its title, how many moments match, the best band, and its moment cards. */
function groupSection(group, from, headingId, query, minRelevance) {
  const item = document.createElement("li");
  item.className = "group-item";
  const section = document.createElement("section");
  section.className = "group";
  section.dataset.testid = "result-group";
  section.dataset.videoId = String(group.video.id);
  section.dataset.count = String(group.count ?? group.moments.length);
  if (relevanceLabel(group.relevance)) section.dataset.relevance = group.relevance;
  const title = group.video.title || group.video.path || `video ${group.video.id}`;
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
  const matched = group.moments.flatMap((m) => knownSignals(m.matched));
  const badge = relevanceBadge(group.relevance, matched, minRelevance, "group-relevance");
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
  appendCards(grid, group.moments, from, true, query, minRelevance);
  section.append(head, grid);
  item.append(section);
  return item;
}

/**
 * Append a page of an answer to ``list``: moment cards, or (``page.groups`` not null) one section per video.
 * ``from`` is the index of the page's first moment in the whole list; group headings get the ids
 * ``headingPrefix-INDEX``; the words of ``query`` (a text search's) are marked in the quotes; ``minRelevance`` is
 * the band the answer was asked for (a card below it is there for what is said, and says so).
 */
export function appendPage(list, page, from, headingPrefix, query = "", minRelevance = "low") {
  if (page.groups === null) {
    appendCards(list, page.results, from, false, query, minRelevance);
    return;
  }
  const fragment = document.createDocumentFragment();
  let at = from;
  for (const group of page.groups) {
    fragment.append(groupSection(group, at, `${headingPrefix}-${at}`, query, minRelevance));
    at += group.moments.length;
  }
  list.append(fragment);
}
