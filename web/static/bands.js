// What a moment's relevance badge says (pure). The API's band (`relevance`) describes what is seen in the moment;
// a line that says what was asked is shown whatever band the picture reaches. So a card whose band is weaker than
// the band asked for (`min_relevance`) is there for what is said, and its badge says that instead of a band the
// filter seems to exclude.

import { RELEVANCE_LABELS, relevanceLabel } from "./format.js";

const STRONGEST_FIRST = Object.keys(RELEVANCE_LABELS);

export const SAID_LABEL = "said match";

/** Whether ``band`` is weaker than ``minRelevance`` (false when either is not a band the page knows). */
export function weakerThan(band, minRelevance) {
  const at = STRONGEST_FIRST.indexOf(band);
  const bar = STRONGEST_FIRST.indexOf(minRelevance);
  return at >= 0 && bar >= 0 && at > bar;
}

/**
 * The badge of a moment (or a video's best moment) found by ``matched`` signals when ``minRelevance`` was asked:
 * ``{label, said, title}``: the band's words, or SAID_LABEL (``said`` true) when what is said found it and its
 * band is below the one asked for; ``label`` is "" for no band.
 */
export function badgeWords(band, matched, minRelevance) {
  const label = relevanceLabel(band);
  if (!label) return { label: "", said: false, title: "" };
  const heard = Array.isArray(matched) && (matched.includes("speech") || matched.includes("shown"));
  if (heard && weakerThan(band, minRelevance)) {
    return { label: SAID_LABEL, said: true, title: `Shown for what is said: the picture alone is a ${label}` };
  }
  return { label, said: false, title: "" };
}
