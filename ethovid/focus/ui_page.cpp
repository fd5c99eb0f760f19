#include "ethovid/focus/ui_page.hpp"

namespace ethovid::focus {

namespace {

// Element ids are part of the page's contract (tests/focus/browser/ui_test.mjs reads them):
// #state, #state-duration, #session-mode, #stream, #frames, #btn-start, #btn-pause, #btn-stop,
// #btn-camera, #btn-test, #banner, #timeline, #c-focused, #c-distractions, #c-longest,
// #c-perclos, #c-interventions, #conn.
constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ethovid focus</title>
<style>
  :root {
    --focused: #2e9e5b; --distracted: #e3a21a; --away: #98a2b3;
    --bg: #f5f6f8; --card: #fff; --line: #e4e7ec; --ink: #1d2330; --muted: #667085;
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; background: var(--bg);
         color: var(--ink); }
  header { display: flex; align-items: center; gap: 12px; padding: 10px 20px;
           background: var(--card); border-bottom: 1px solid var(--line); }
  h1 { font-size: 17px; margin: 0; font-weight: 650; }
  .muted { color: var(--muted); font-size: 13px; }
  .badge { padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 650;
           background: var(--line); }
  .badge.RUNNING { background: #d1fadf; color: #05603a; }
  .badge.PAUSED { background: #fef0c7; color: #93370d; }
  .badge.STOPPED { background: #fee4e2; color: #912018; }
  #conn { margin-left: auto; }
  #conn.down { color: #b42318; font-weight: 650; }
  #banner { display: none; align-items: center; gap: 12px; margin: 12px 20px 0; padding: 10px 14px;
            border-radius: 10px; background: #fff4e5; border: 1px solid #f7b955; }
  #banner.show { display: flex; }
  #banner-text { flex: 1; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 16px;
         padding: 16px 20px; max-width: 1240px; margin: 0 auto; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
          padding: 14px; }
  .wide { grid-column: 1 / -1; }
  #stream { width: 100%; height: auto; min-height: 240px; max-height: 72vh; object-fit: contain;
            background: #101318; border-radius: 6px; display: block; }
  .under { margin-top: 6px; }
  #state { font-size: 30px; font-weight: 750; letter-spacing: .02em; }
  #state.FOCUSED { color: var(--focused); }
  #state.DISTRACTED { color: var(--distracted); }
  #state.AWAY { color: var(--away); }
  .buttons { display: flex; flex-wrap: wrap; gap: 8px; margin: 14px 0; }
  button { font: inherit; padding: 6px 14px; border-radius: 8px; border: 1px solid #d0d5dd;
           background: #fff; cursor: pointer; }
  button:hover:not(:disabled) { background: #f2f4f7; }
  button:disabled { opacity: .45; cursor: default; }
  dl { display: grid; grid-template-columns: 1fr auto; gap: 6px 12px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; text-align: right; font-weight: 650; font-variant-numeric: tabular-nums; }
  #timeline { width: 100%; height: 84px; display: block; }
  .legend { display: flex; gap: 14px; margin-top: 6px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
              margin-right: 4px; }
  @media (max-width: 820px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>ethovid focus</h1>
  <span id="session-mode" class="badge">-</span>
  <span id="session" class="muted"></span>
  <span id="conn" class="muted">connecting</span>
</header>
<div id="banner" role="alert">
  <span id="banner-text"></span>
  <button id="banner-close" aria-label="Dismiss">Dismiss</button>
</div>
<main>
  <section class="card">
    <img id="stream" alt="Live view with the face box, landmarks and head pose">
    <div class="under muted">
      <span id="frames">0</span> frames (<span id="dropped">0</span> dropped) &middot;
      <span id="fps">-</span> fps &middot; <span id="source"></span>
    </div>
  </section>
  <section class="card">
    <div class="muted">State</div>
    <div id="state">-</div>
    <div id="state-duration" class="muted"></div>
    <div id="state-detail" class="muted"></div>
    <div class="buttons">
      <button id="btn-start">Start</button>
      <button id="btn-pause">Pause</button>
      <button id="btn-stop">Stop</button>
      <button id="btn-camera">Camera off</button>
      <button id="btn-test" title="Fire a test intervention">Test nudge</button>
    </div>
    <dl>
      <dt>Focused</dt><dd id="c-focused">-</dd>
      <dt>Distractions</dt><dd id="c-distractions">-</dd>
      <dt>Longest focused stretch</dt><dd id="c-longest">-</dd>
      <dt>PERCLOS (eyes closed, last 60 s)</dt><dd id="c-perclos">-</dd>
      <dt>Interventions</dt><dd id="c-interventions">-</dd>
    </dl>
  </section>
  <section class="card wide">
    <div class="muted">Timeline of this run</div>
    <canvas id="timeline"></canvas>
    <div class="legend muted">
      <span><i style="background: var(--focused)"></i>FOCUSED</span>
      <span><i style="background: var(--distracted)"></i>DISTRACTED</span>
      <span><i style="background: var(--away)"></i>AWAY</span>
    </div>
  </section>
</main>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
// A server on a non-loopback address needs its token on every request; the page was opened
// with it in its URL. <img> and EventSource cannot set headers, so they get it as ?token=.
const token = new URLSearchParams(location.search).get('token');
const withToken = (path) =>
  token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
const authHeaders = token ? { Authorization: 'Bearer ' + token } : {};
// The icon is linked from here, with the token, so the browser neither asks for /favicon.ico
// (a 404) nor for an icon without the token (a 401).
const icon = Object.assign(document.createElement('link'),
                           { rel: 'icon', type: 'image/svg+xml', href: withToken('/favicon.svg') });
document.head.append(icon);
const colours = { FOCUSED: '#2e9e5b', DISTRACTED: '#e3a21a', AWAY: '#98a2b3' };

const clock = (s) => {
  if (!Number.isFinite(s) || s < 0) return '-';
  s = Math.floor(s);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};
const num = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

// --- the live view: the server sends the overlay frames as MJPEG.
const stream = $('stream');
stream.addEventListener('error', () => {
  setTimeout(() => { stream.src = withToken('/stream?retry=' + Date.now()); }, 2000);
});
stream.src = withToken('/stream');

// --- status, four times a second
let current = {};
let polling = false;
async function refresh() {
  if (polling) return;
  polling = true;
  try {
    const reply = await fetch('/status', { headers: authHeaders, cache: 'no-store' });
    if (!reply.ok) throw new Error('HTTP ' + reply.status);
    current = await reply.json();
    render(current);
    $('conn').textContent = 'live';
    $('conn').className = 'muted';
  } catch (e) {
    $('conn').textContent = 'disconnected (' + e.message + ')';
    $('conn').className = 'muted down';
  } finally {
    polling = false;
  }
}

function render(s) {
  const mode = s.session_mode || '-';
  $('session-mode').textContent = mode;
  $('session-mode').className = 'badge ' + mode;
  const calibrating = s.policy === 'calibrated' && s.calibrated === false;
  $('session').textContent = [s.session_id, s.run_id && 'run ' + s.run_id,
                              s.policy && 'policy ' + s.policy, calibrating && 'calibrating']
    .filter(Boolean).join(' \u00b7 ');
  const state = s.state || '-';
  $('state').textContent = state;
  $('state').className = state;
  $('state-duration').textContent =
    Number.isFinite(s.state_duration_s) ? 'for ' + clock(s.state_duration_s) : '';
  $('state-detail').textContent =
    [s.drowsy && 'drowsy', s.policy_reason].filter(Boolean).join(' \u00b7 ');
  $('frames').textContent = s.frames_processed ?? 0;
  $('dropped').textContent = s.frames_dropped ?? 0;
  $('fps').textContent = num(s.fps, 1);
  $('source').textContent = s.source || '';

  const c = s.counters || {};
  $('c-focused').textContent =
    Number.isFinite(c.focused_s) ? num(c.focused_s / 60, 1) + ' min' : '-';
  $('c-distractions').textContent = c.distractions ?? '-';
  $('c-longest').textContent = clock(c.longest_focused_s);
  $('c-perclos').textContent = Number.isFinite(c.perclos) ? num(100 * c.perclos, 1) + ' %' : '-';
  $('c-interventions').textContent = c.interventions ?? '-';

  $('btn-start').disabled = mode === 'RUNNING';
  $('btn-pause').disabled = mode !== 'RUNNING';
  $('btn-stop').disabled = mode === 'STOPPED';
  $('btn-camera').textContent = s.camera_on === false ? 'Camera on' : 'Camera off';
  drawTimeline(s.timeline || [], s.video_time_s);
}

// --- the timeline: one bar per smoothed-state segment on the session clock, with a time axis.
function drawTimeline(segments, now) {
  const canvas = $('timeline');
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const barTop = 8, barHeight = height - 34;
  g.fillStyle = '#f2f4f7';
  g.fillRect(0, barTop, width, barHeight);
  if (!segments.length) return;
  const start = segments[0].start_s;
  const last = segments[segments.length - 1].end_s;
  const end = Math.max(last, Number.isFinite(now) ? now : 0, start + 10);
  const x = (t) => ((t - start) / (end - start)) * width;
  for (const seg of segments) {
    g.fillStyle = colours[seg.state] || '#d0d5dd';
    // At least a pixel, so a short distraction in a long run still shows.
    g.fillRect(x(seg.start_s), barTop, Math.max(1, x(seg.end_s) - x(seg.start_s)), barHeight);
  }
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  const step = steps.find((s) => (end - start) / s <= Math.max(2, width / 90)) || 14400;
  g.fillStyle = '#667085';
  g.strokeStyle = '#98a2b3';
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'top';
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const px = Math.round(x(t)) + 0.5;
    g.beginPath();
    g.moveTo(px, barTop + barHeight);
    g.lineTo(px, barTop + barHeight + 5);
    g.stroke();
    const label = clock(t);
    const w = g.measureText(label).width;
    g.fillText(label, Math.min(Math.max(0, px - w / 2), width - w), barTop + barHeight + 8);
  }
}

// --- the buttons post their command with a JSON body (the server refuses any other POST).
async function command(path) {
  try {
    const reply = await fetch(path, {
      method: 'POST',
      headers: { ...authHeaders, 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (!reply.ok) {
      const body = await reply.json().catch(() => ({}));
      throw new Error(body.error || 'HTTP ' + reply.status);
    }
  } catch (e) {
    showBanner('Command failed', path + ': ' + e.message);
  }
  refresh();
}
$('btn-start').onclick = () => command('/session/start');
$('btn-pause').onclick = () => command('/session/pause');
$('btn-stop').onclick = () => command('/session/stop');
$('btn-camera').onclick = () => command(current.camera_on === false ? '/camera/on' : '/camera/off');
$('btn-test').onclick = () => command('/intervention/test');

// --- interventions: a banner and a short beep
let audio = null;
let bannerTimer = null;
function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
    const t = audio.currentTime, osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.32);
  } catch (e) {
    // No sound (no audio device, or the browser wants a click first): the banner still shows.
  }
}
// Browsers let a page play sound only after the user did something on it.
document.addEventListener('pointerdown', () => { if (!audio) beep(); }, { once: true });

function showBanner(title, text) {
  $('banner-text').innerHTML = '';
  const strong = document.createElement('strong');
  strong.textContent = title + ' ';
  $('banner-text').append(strong, document.createTextNode(text));
  $('banner').className = 'show';
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(() => { $('banner').className = ''; }, 15000);
}
$('banner-close').onclick = () => { $('banner').className = ''; };

// --- server-sent events; the browser reconnects by itself and resumes after the last id.
const events = new EventSource(withToken('/events?from=now'));
events.addEventListener('intervention', (e) => {
  const i = JSON.parse(e.data);
  const level = i.level ? ` (level ${i.level})` : '';
  showBanner((i.type || 'intervention') + level + ':', i.reason || '');
  beep();
  refresh();
});
events.addEventListener('state', refresh);
events.addEventListener('session', refresh);

refresh();
setInterval(refresh, 250);
window.addEventListener('resize', () => drawTimeline(current.timeline || [], current.video_time_s));
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view ui_page_html() { return kPage; }

}  // namespace ethovid::focus
