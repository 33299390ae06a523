// The strip: where in the video a moment is (its span as a fraction of the video), with the relevance curve
// and the cuts between shots around it (``curve.cuts``, thin ticks).

import { clock, videoDuration } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 1000;

function el(name, attrs) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Points of the relevance curve, as [x, y] in a WIDTH x height box, or [] when the result has none. */
export function curvePoints(result, duration, height, pad = 2) {
  const curve = result.curve;
  if (!curve || !Array.isArray(curve.scores) || curve.scores.length === 0) return [];
  const scores = curve.scores.map(Number).filter((s) => Number.isFinite(s));
  if (scores.length !== curve.scores.length) return [];
  const start = Number(curve.start) || 0;
  const step = Number(curve.step) || 0;
  const lo = Math.min(...scores);
  const hi = Math.max(...scores, Number(result.score) || -Infinity);
  const range = hi - lo;
  return scores.map((s, i) => {
    // score i is the frame sampled at start + i * step
    const t = start + step * i;
    const x = Math.min(WIDTH, Math.max(0, (t / duration) * WIDTH));
    const f = range > 1e-9 ? (s - lo) / range : 0.5;
    return [x, height - pad - f * (height - 2 * pad)];
  });
}

/** x of each cut between shots the result carries (``curve.cuts``, seconds), in a WIDTH-wide box. */
export function cutPositions(result, duration) {
  const cuts = result.curve && Array.isArray(result.curve.cuts) ? result.curve.cuts : [];
  return cuts
    .map(Number)
    .filter((t) => Number.isFinite(t) && t > 0 && t < duration)
    .map((t) => ((t / duration) * WIDTH).toFixed(1));
}

/**
 * Draw the strip of ``result`` into ``svg`` (any <svg> with viewBox "0 0 1000 height").
 * Returns the video duration it assumed.
 */
export function drawStrip(svg, result, height) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const duration = videoDuration(result);
  const x0 = Math.max(0, (Number(result.start) / duration) * WIDTH);
  const x1 = Math.min(WIDTH, (Number(result.end) / duration) * WIDTH);
  svg.append(el("rect", { class: "strip-track", x: 0, y: 0, width: WIDTH, height }));
  svg.append(el("rect", { class: "strip-span", x: x0, y: 0, width: Math.max(4, x1 - x0), height }));
  const points = curvePoints(result, duration, height);
  if (points.length) {
    const line = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    const first = points[0][0].toFixed(1);
    const last = points[points.length - 1][0].toFixed(1);
    svg.append(el("polygon", { class: "strip-curve-area", points: `${first},${height} ${line} ${last},${height}` }));
    svg.append(el("polyline", { class: "strip-curve", points: line, "vector-effect": "non-scaling-stroke" }));
  }
  for (const x of cutPositions(result, duration)) {
    svg.append(el("line", { class: "strip-cut", "data-testid": "strip-cut", x1: x, x2: x, y1: 0, y2: height, "vector-effect": "non-scaling-stroke" }));
  }
  if (Number.isFinite(Number(result.peak))) {
    const xp = (Number(result.peak) / duration) * WIDTH;
    svg.append(el("line", { class: "strip-peak", x1: xp, x2: xp, y1: 0, y2: height, "vector-effect": "non-scaling-stroke" }));
  }
  return duration;
}

/** A new strip element for a card. */
export function stripFor(result) {
  const svg = el("svg", { class: "strip", "data-testid": "result-strip", role: "img", focusable: "false" });
  const duration = drawStrip(svg, result, 24);
  svg.setAttribute("aria-label", `Moment ${clock(result.start)} to ${clock(result.end)} of a ${clock(duration)} video`);
  const title = el("title", {});
  title.textContent = svg.getAttribute("aria-label");
  svg.prepend(title);
  return svg;
}
