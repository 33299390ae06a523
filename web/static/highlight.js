// The words of a text that a query names, marked: the query read as vidseek/lexical.py reads it (words, "quoted
// phrases", prefix*), matched case- and accent-insensitively on whole words, and the text built as text nodes and
// <mark> elements (never as HTML: a subtitle line is shown exactly as it was said).

const TOKEN = /"([^"]*)"(\*?)|(\S+)/g;
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** A word as both sides are compared: lower case, without accents. */
function fold(word) {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

function wordsOf(text) {
  return [...text.matchAll(WORD)].map((m) => ({ word: fold(m[0]), start: m.index, end: m.index + m[0].length }))
    .filter((w) => w.word);
}

/** The terms of ``query``: [{words, prefix}], as lexical.terms (a phrase's words must follow each other). */
export function queryTerms(query) {
  const terms = [];
  for (const m of String(query || "").matchAll(TOKEN)) {
    const [, quoted, star, bare] = m;
    const text = quoted !== undefined ? quoted : bare;
    const prefix = Boolean(star) || (bare !== undefined && bare.endsWith("*"));
    const words = wordsOf(text).map((w) => w.word);
    if (words.length) terms.push({ words, prefix });
  }
  return terms;
}

function same(have, want, prefix) {
  return prefix ? have.startsWith(want) : have === want;
}

/** [start, end) character ranges of ``text`` that the terms of ``query`` match, in order, not overlapping. */
export function matchRanges(text, query) {
  const words = wordsOf(String(text || ""));
  const ranges = [];
  for (const { words: want, prefix } of queryTerms(query)) {
    for (let i = 0; i + want.length <= words.length; i += 1) {
      const hit = want.every((w, k) => same(words[i + k].word, w, prefix && k === want.length - 1));
      if (hit) ranges.push([words[i].start, words[i + want.length - 1].end]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  return merged;
}

/** ``text`` as a fragment of text nodes with the words ``query`` names in <mark> elements. */
export function highlighted(text, query) {
  const value = String(text || "");
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of matchRanges(value, query)) {
    if (start > at) fragment.append(document.createTextNode(value.slice(at, start)));
    const mark = document.createElement("mark");
    mark.textContent = value.slice(start, end);
    fragment.append(mark);
    at = end;
  }
  if (at < value.length) fragment.append(document.createTextNode(value.slice(at)));
  return fragment;
}
