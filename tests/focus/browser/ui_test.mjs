// The focus UI in a real browser (issue 12 §3): Debian's Chromium driven by playwright-core
// (both installed by scripts/setup-deps.sh) against `ethovid focus run --video CLIP --realtime`.
// Checks that the page loads with nothing fetched from elsewhere, the MJPEG image changes,
// Pause / Start / Stop change /status and the page, a test intervention shows the banner; saves
// a screenshot (focus_ui.png) under the build folder; then ends the run with SIGINT.
//
// Exit 0 passed, 1 failed, 77 skipped (the shared clip is absent).
// Environment: ETHOVID_BINARY (the ethovid program), FOCUS_UI_CLIP (default
// ../shared/data/face_video/liveportrait_d6.mp4 next to the source tree), FOCUS_UI_OUT (where
// the screenshot goes; default the current folder), ETHOVID_THIRD_PARTY (default third_party/),
// CHROMIUM (default /usr/bin/chromium), FOCUS_UI_COMMAND (a shell command that starts some
// other server printing its http://127.0.0.1:PORT/ui line, instead of `focus run`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const clip = process.env.FOCUS_UI_CLIP ||
  path.join(root, '..', 'shared', 'data', 'face_video', 'liveportrait_d6.mp4');
const outDir = process.env.FOCUS_UI_OUT || process.cwd();
const thirdParty = process.env.ETHOVID_THIRD_PARTY || path.join(root, 'third_party');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const customCommand = process.env.FOCUS_UI_COMMAND;

const log = (...args) => console.log('focus_ui_browser:', ...args);
class Failure extends Error {}
function fail(message) {
  console.error('focus_ui_browser: FAILED: ' + message);
  process.exitCode = 1;
  throw new Failure(message);
}

// Polls `probe` until it returns something truthy; fails naming `what` after `seconds`.
async function until(what, probe, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      if (e instanceof Failure) throw e;
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`${what}: not so after ${seconds} s (last seen: ${JSON.stringify(last)})`);
}

if (!customCommand && !fs.existsSync(clip)) {
  log(`SKIPPED: the shared clip ${clip} is absent (it lives in ../shared/data/face_video/)`);
  process.exit(77);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(`focus_ui_browser: FAILED: no Chromium at ${chromiumPath}; ` +
                'run scripts/setup-deps.sh');
  process.exit(1);
}
const playwrightEntry = path.join(thirdParty, 'playwright-core', 'index.mjs');
if (!fs.existsSync(playwrightEntry)) {
  console.error(`focus_ui_browser: FAILED: no ${playwrightEntry}; run scripts/setup-deps.sh`);
  process.exit(1);
}
const { chromium } = await import(pathToFileURL(playwrightEntry).href);

// --- start the server and read its address from what it prints
const eventsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'focus-ui-events-'));
let child;
if (customCommand) {
  child = spawn('/bin/sh', ['-c', customCommand],
                { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
} else {
  const binary = process.env.ETHOVID_BINARY;
  if (!binary || !fs.existsSync(binary)) {
    console.error(`focus_ui_browser: FAILED: ETHOVID_BINARY (${binary}) ` +
                  'is not the ethovid program');
    process.exit(1);
  }
  const args = ['focus', 'run', '--video', clip, '--realtime', '--port', '0',
                '--events', eventsDir];
  log('starting', binary, args.join(' '));
  child = spawn(binary, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}
let output = '';
let exited = null;  // {code, signal} once the server has exited
const exit = new Promise((resolve) => {
  child.on('exit', (code, signal) => resolve((exited = { code, signal })));
});
child.stdout.on('data', (d) => { output += d; });
child.stderr.on('data', (d) => { output += d; });

let browser;
let serverEnded = false;
async function endServer() {
  if (serverEnded) return;
  serverEnded = true;
  if (!exited) {
    // SIGINT, as a user's Ctrl-C: the run ends after its last flush.
    try { process.kill(-child.pid, 'SIGINT'); } catch (e) { /* already gone */ }
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch (e) { /* already gone */ }
    }, 20000);
    await exit;
    clearTimeout(timer);
    if (exited.signal === 'SIGKILL') fail('the server did not end within 20 s of SIGINT');
  } else if (exited.code !== 0 && !process.exitCode) {
    fail(`the server ended on its own with ${JSON.stringify(exited)}`);
  }
  log('server ended:', JSON.stringify(exited));
}

try {
  const url = await until('the server prints its http://127.0.0.1:PORT/ui line', () => {
    if (exited) fail(`the server exited (${JSON.stringify(exited)}) before listening:\n${output}`);
    const m = output.match(/http:\/\/127\.0\.0\.1:\d+\/ui\S*/);
    return m && m[0];
  }, 90);
  const base = new URL(url);
  const token = base.searchParams.get('token');
  log('page at', url);
  const status = async () => {
    const reply = await fetch(new URL('/status', base), {
      headers: token ? { Authorization: 'Bearer ' + token } : {},
    });
    if (!reply.ok) throw new Error('GET /status: HTTP ' + reply.status);
    return reply.json();
  };

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push('console error: ' + m.text());
  });
  // Served from the binary alone: every request must go to the server itself.
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== base.origin) problems.push('request elsewhere: ' + r.url());
  });

  const response = await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (response.status() !== 200) fail(`GET ${url}: HTTP ${response.status()}`);
  for (const id of ['#state', '#session-mode', '#stream', '#btn-start', '#btn-pause', '#btn-stop',
                    '#btn-camera', '#banner', '#timeline', '#frames']) {
    if ((await page.locator(id).count()) !== 1) fail(`the page has no single ${id}`);
  }
  await until('the status shows on the page', async () =>
    ['RUNNING', 'PAUSED', 'STOPPED'].includes(await page.textContent('#session-mode')));
  await until('the page shows a state', async () =>
    ['FOCUSED', 'DISTRACTED', 'AWAY'].includes(await page.textContent('#state')));

  // --- the MJPEG view changes: two drawings of the <img> differ, and the frame count grows
  await until('the live image has a frame', () =>
    page.$eval('#stream', (img) => img.complete && img.naturalWidth > 0));
  const snapshot = () => page.$eval('#stream', (img) => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const pixels = g.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 2166136261;
    for (let i = 0; i < pixels.length; i += 7) hash = Math.imul(hash ^ pixels[i], 16777619) >>> 0;
    return `${canvas.width}x${canvas.height}:${hash}`;
  });
  const first = await snapshot();
  const framesBefore = Number(await page.textContent('#frames'));
  const statusBefore = (await status()).frames_processed;
  await until('the live image changes', async () => (await snapshot()) !== first);
  await until('the page\'s frame count grows', async () =>
    Number(await page.textContent('#frames')) > framesBefore);
  await until('/status.frames_processed grows', async () =>
    (await status()).frames_processed > statusBefore);
  log('live image', first, 'changed; frames', framesBefore, '->',
      await page.textContent('#frames'));

  // --- Pause / Start / Stop: /status and the page follow each button
  const expectMode = async (button, mode) => {
    await page.click(button);
    await until(`after ${button}, /status.session_mode is ${mode}`,
      async () => (await status()).session_mode === mode);
    await until(`after ${button}, #session-mode shows ${mode}`,
      async () => (await page.textContent('#session-mode')) === mode);
    log(button, '->', mode);
  };
  if ((await status()).session_mode !== 'RUNNING') await expectMode('#btn-start', 'RUNNING');
  await expectMode('#btn-pause', 'PAUSED');
  await expectMode('#btn-start', 'RUNNING');

  // --- a test intervention reaches the banner through /events
  await page.click('#btn-test');
  await until('the intervention banner shows', () => page.isVisible('#banner'));
  log('banner:', (await page.textContent('#banner-text')).trim());
  await until('the timeline is drawn', () => page.$eval('#timeline', (c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return data.some((v, i) => i % 4 === 3 && v > 0);
  }));

  fs.mkdirSync(outDir, { recursive: true });
  const shot = path.join(outDir, 'focus_ui.png');
  await page.screenshot({ path: shot, fullPage: true });
  log('screenshot', shot);

  await expectMode('#btn-stop', 'STOPPED');
  if (problems.length) fail(problems.join('\n'));
  await browser.close();
  browser = null;
  await endServer();
  log('passed');
} catch (e) {
  if (!process.exitCode) {
    console.error('focus_ui_browser: FAILED: ' + (e.stack || e.message));
    process.exitCode = 1;
  }
  console.error('--- server output ---\n' + output.slice(-6000));
} finally {
  if (browser) await browser.close().catch(() => {});
  try {
    await endServer();
  } catch (e) {
    process.exitCode = 1;
  }
  fs.rmSync(eventsDir, { recursive: true, force: true });
}
