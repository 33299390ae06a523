// The player: plays one moment of a video, stopping (or looping) at its end, with the timeline strip, the
// moment's details, its controls, and the video's captions (its stored subtitle cues, as WebVTT tracks) when it
// has any. What Prev, Next and "More like this" do is set by the view that opens it.

import * as api from "./api.js";
import { byTestId, show } from "./dom.js";
import { badgeWords } from "./bands.js";
import { clock, score, span, streamUrl, videoDuration } from "./format.js";
import { drawStrip } from "./strip.js";

const LOOP_KEY = "vidseek.loop";

const ui = {
  layout: byTestId("layout"),
  player: byTestId("player"),
  video: byTestId("player-video"),
  playerTitle: byTestId("player-title"),
  playerMeta: byTestId("player-meta"),
  playerDetails: byTestId("player-details"),
  playerError: byTestId("player-error"),
  playerClose: byTestId("player-close"),
  playerPrev: byTestId("player-prev"),
  playerNext: byTestId("player-next"),
  playerReplay: byTestId("player-replay"),
  playerSimilar: byTestId("player-similar"),
  loop: byTestId("loop-toggle"),
  timeline: byTestId("player-timeline"),
  timelineSvg: document.querySelector(".timeline-svg"),
  playhead: byTestId("player-playhead"),
  position: byTestId("player-position"),
  duration: byTestId("player-duration"),
};

const player = {
  result: null,
  start: 0,
  end: 0,
  duration: 1,
  enforce: true, // stop (or loop) at the moment's end; off once the user seeks outside it
  internalSeek: false,
  raf: 0,
};

// What the buttons that lead out of the player do, and where the focus goes when it closes.
const actions = {
  previous() {},
  next() {},
  similar() {},
  returnFocus() {},
};

/** Set what Prev, Next and "More like this" do, and where closing the player puts the focus. */
export function setPlayerActions({ previous, next, similar, returnFocus }) {
  Object.assign(actions, { previous, next, similar, returnFocus });
}

export function isPlayerOpen() {
  return !ui.player.hidden;
}

export function playerContains(node) {
  return ui.player.contains(node);
}

/** Whether arrow keys on ``node`` seek in the video (the video and the timeline do). */
export function seeksWithArrows(node) {
  return node === ui.video || node === ui.timeline;
}

/** Whether ``node`` is the loop checkbox (arrow keys on it still move between results). */
export function isLoopToggle(node) {
  return node === ui.loop;
}

// ---------------------------------------------------------------- captions

const captions = { controller: null };

function removeCaptions() {
  if (captions.controller) captions.controller.abort();
  captions.controller = null;
  for (const track of ui.video.querySelectorAll("track")) track.remove();
  delete ui.video.dataset.captions;
}

/** A track's name in the player's captions menu: its language and where it came from. */
function trackLabel(track) {
  const [kind, name] = String(track.source || "").split(/:(.*)/s);
  const from = kind === "stream" ? `stream ${name}` : name || kind || "captions";
  return track.lang ? `${track.lang} (${from})` : from;
}

/** Add ``videoId``'s caption tracks (from its details) to the player, the default one showing. */
async function loadCaptions(videoId) {
  removeCaptions();
  const controller = new AbortController();
  captions.controller = controller;
  let tracks;
  try {
    const details = await api.video(videoId, controller.signal);
    tracks = Array.isArray(details.captions) ? details.captions : [];
  } catch {
    return; // no details, no captions: the video still plays
  } finally {
    if (captions.controller === controller) captions.controller = null;
  }
  if (controller.signal.aborted) return;
  tracks.filter((t) => t && typeof t.url === "string").forEach((t, i) => {
    const track = document.createElement("track");
    track.kind = "captions";
    track.src = t.url;
    track.label = trackLabel(t);
    if (typeof t.lang === "string" && t.lang) track.srclang = t.lang.replace(/_/g, "-");
    track.default = i === 0;
    ui.video.append(track);
  });
  if (ui.video.textTracks.length) ui.video.textTracks[0].mode = "showing"; // default is read only on load
  ui.video.dataset.captions = String(ui.video.textTracks.length);
}

// ---------------------------------------------------------------- playing

function seekTo(t) {
  player.internalSeek = true;
  ui.video.currentTime = Math.max(0, t);
}

function tryPlay() {
  const p = ui.video.play();
  if (p && p.catch) p.catch(() => {}); // autoplay refused: the user presses play
}

/** Open the player on ``result``, the moment at ``index`` in its list, shown as #``rank``, from an answer asked
 * for ``minRelevance`` (its band is said as on its card). */
export function playMoment(result, { index, rank, minRelevance = "low" }) {
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
  const band = badgeWords(result.relevance, result.matched, minRelevance).label;
  ui.playerMeta.textContent = `#${rank} · ${clock(player.start)}–${clock(player.end)} `
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
    loadCaptions(result.video.id);
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

export function closePlayer({ restoreFocus = true } = {}) {
  if (ui.player.hidden) return;
  cancelAnimationFrame(player.raf);
  ui.video.pause();
  removeCaptions();
  ui.video.removeAttribute("src");
  delete ui.video.dataset.src;
  ui.video.load();
  player.result = null;
  ui.player.hidden = true;
  ui.layout.classList.remove("has-player");
  delete ui.player.dataset.index;
  if (restoreFocus) actions.returnFocus();
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
  if (player.result) actions.similar(player.result);
});
ui.playerPrev.addEventListener("click", () => actions.previous());
ui.playerNext.addEventListener("click", () => actions.next());
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
