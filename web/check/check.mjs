// The browser check of Weir's web build: opens the built site in headless
// Chromium and checks that a lesson opens and runs in the page.
//
// Usage: node web/check/check.mjs URL OUTDIR
//
// It fails (exit 1) when the page logs an error or a panic, throws,
// fails to load a resource, never sets its title to the expected lesson's,
// shows no canvas, draws a blank canvas, or draws the same picture twice
// while the simulation should be running. OUTDIR gets the canvas's two
// screenshots (first.png, second.png), and page.png when a check fails.
//
// Environment (all optional):
//   EXPECT_TITLE         text the page's title must contain (default "Weir";
//                        the app names the open document: "<name> — Weir")
//   ADVANCE_MS           wait between the two screenshots (default 4000)
//   TITLE_TIMEOUT_MS     wait for the title (default 60000: the wasm file is
//                        large and WebGL renders in software)
//   CHECK_TIMEOUT_MS     the whole check's limit (default 120000)
//   MIN_CHANGED_PERCENT  share of the canvas's pixels that must change
//                        between the screenshots (default 0.05)
//   CANVAS_SELECTOR      the app's canvas (default "canvas#weir-canvas")
//   CHROMIUM             the browser (default /usr/bin/chromium)

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const [url, outArg] = process.argv.slice(2);
if (!url || !outArg) {
  console.error('usage: node web/check/check.mjs URL OUTDIR');
  process.exit(2);
}
const outDir = resolve(outArg);

function numberFrom(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name} must be a non-negative number, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const expectTitle = process.env.EXPECT_TITLE || 'Weir';
const advanceMs = numberFrom('ADVANCE_MS', 4000);
const titleTimeoutMs = numberFrom('TITLE_TIMEOUT_MS', 60000);
const checkTimeoutMs = numberFrom('CHECK_TIMEOUT_MS', 120000);
const minChangedPercent = numberFrom('MIN_CHANGED_PERCENT', 0.05);
const canvasSelector = process.env.CANVAS_SELECTOR || 'canvas#weir-canvas';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const viewport = { width: 1280, height: 800 };

// What the page reported that counts as a failure, in the order seen.
const consoleErrors = [];
const pageErrors = [];
const failedRequests = [];
let browser;
let page;
let finished = false;
// Set once the overall timeout has reported: what the interrupted steps
// print afterwards is left out.
let silent = false;

const PANIC = /panic|panicked|RuntimeError: unreachable/i;

function watch(page, origin) {
  page.on('console', (message) => {
    const type = message.type();
    const text = message.text();
    if (type === 'error' || (type === 'warning' && PANIC.test(text))) {
      const where = message.location();
      const at = where && where.url ? ` (${where.url}:${where.lineNumber})` : '';
      consoleErrors.push(`[console.${type}] ${text}${at}`);
    }
  });
  page.on('pageerror', (error) => {
    pageErrors.push(`[pageerror] ${error.stack || error.message || String(error)}`);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure();
    failedRequests.push(
      `[requestfailed] ${request.method()} ${request.url()}: ${failure ? failure.errorText : 'failed'}`,
    );
  });
  page.on('response', (response) => {
    let sameOrigin = false;
    try {
      sameOrigin = new URL(response.url()).origin === origin;
    } catch {
      // (A data: or blob: address has no origin of its own.)
    }
    if (sameOrigin && response.status() >= 400) {
      failedRequests.push(
        `[http ${response.status()}] ${response.request().method()} ${response.url()}`,
      );
    }
  });
}

// ---- PNG decoding (8-bit RGB or RGBA, not interlaced: what Chromium writes)

function decodePng(buffer) {
  const signature = '89504e470d0a1a0a';
  if (buffer.subarray(0, 8).toString('hex') !== signature) {
    throw new Error('not a PNG');
  }
  let offset = 8;
  let header;
  const data = [];
  while (offset + 8 <= buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const body = buffer.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8],
        colourType: body[9],
        interlace: body[12],
      };
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  if (!header) throw new Error('PNG without a header');
  const { width, height, bitDepth, colourType, interlace } = header;
  const channels = { 2: 3, 6: 4 }[colourType];
  if (bitDepth !== 8 || !channels || interlace !== 0) {
    throw new Error(
      `unsupported PNG: bit depth ${bitDepth}, colour type ${colourType}, interlace ${interlace}`,
    );
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error('PNG data too short');
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    const up = out - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? pixels[out + i - channels] : 0;
      const b = y > 0 ? pixels[up + i] : 0;
      const c = y > 0 && i >= channels ? pixels[up + i - channels] : 0;
      let predicted;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`PNG line ${y} has unknown filter ${filter}`);
      }
      pixels[out + i] = (line[i] + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

// Each pixel as one RGB number.
function rgbAt(image, index) {
  const p = index * image.channels;
  return (image.pixels[p] << 16) | (image.pixels[p + 1] << 8) | image.pixels[p + 2];
}

function distinctColours(image) {
  const seen = new Set();
  const count = image.width * image.height;
  for (let i = 0; i < count; i++) {
    seen.add(rgbAt(image, i));
    if (seen.size > 10000) break;
  }
  return seen.size;
}

function changedPixels(first, second) {
  let changed = 0;
  let box = null;
  for (let y = 0; y < first.height; y++) {
    for (let x = 0; x < first.width; x++) {
      const i = y * first.width + x;
      if (rgbAt(first, i) !== rgbAt(second, i)) {
        changed++;
        if (!box) box = { left: x, top: y, right: x, bottom: y };
        box.left = Math.min(box.left, x);
        box.right = Math.max(box.right, x);
        box.bottom = y;
      }
    }
  }
  return { changed, box };
}

// ---- The check

const results = [];
function pass(line) {
  if (silent) return;
  results.push(true);
  console.log(`ok    ${line}`);
}
function fail(line) {
  if (silent) return;
  results.push(false);
  console.log(`FAIL  ${line}`);
}

async function closeBrowser() {
  if (!browser) return;
  const closing = browser.close().catch(() => {});
  await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
}

async function pageScreenshot() {
  if (!page) return;
  try {
    const path = `${outDir}/page.png`;
    await page.screenshot({ path, timeout: 10000 });
    console.log(`page screenshot: ${path}`);
  } catch {
    // (The page may be gone: its absence is reported already.)
  }
}

function reportErrors() {
  const lists = [
    ['console errors', consoleErrors],
    ['page errors', pageErrors],
    ['failed requests', failedRequests],
  ];
  for (const [name, list] of lists) {
    if (list.length === 0) pass(`${name}: 0`);
    else fail(`${name}: ${list.length}`);
  }
  for (const [, list] of lists) {
    for (const text of list) console.log(`      ${text.replace(/\n/g, '\n      ')}`);
  }
}

async function finish() {
  finished = true;
  clearTimeout(overall);
  reportErrors();
  if (results.includes(false)) await pageScreenshot();
  await closeBrowser();
  const failed = results.filter((ok) => !ok).length;
  console.log(failed === 0 ? 'web check passed' : `web check FAILED (${failed} failed)`);
  process.exit(failed === 0 ? 0 : 1);
}

const overall = setTimeout(async () => {
  if (finished) return;
  finished = true;
  fail(`the check did not finish within ${checkTimeoutMs} ms`);
  reportErrors();
  await pageScreenshot();
  console.log('web check FAILED (timed out)');
  silent = true;
  await closeBrowser();
  process.exit(1);
}, checkTimeoutMs);

async function run() {
  mkdirSync(outDir, { recursive: true });
  for (const name of ['first.png', 'second.png', 'page.png']) {
    rmSync(`${outDir}/${name}`, { force: true });
  }
  const origin = new URL(url).origin;
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--window-size=${viewport.width},${viewport.height}`,
    ],
  });
  console.log(`browser: Chromium ${browser.version()}`);
  const context = await browser.newContext({ viewport });
  page = await context.newPage();
  watch(page, origin);

  const started = Date.now();
  const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: titleTimeoutMs });
  if (!response || !response.ok()) {
    fail(`page: ${url} answered ${response ? response.status() : 'nothing'}`);
    return;
  }
  pass(`page: ${url}`);

  try {
    await page.waitForFunction((text) => document.title.includes(text), expectTitle, {
      timeout: Math.max(0, titleTimeoutMs - (Date.now() - started)),
      polling: 250,
    });
  } catch {
    const title = await page.title().catch(() => '(unreadable)');
    fail(
      `title: ${JSON.stringify(title)} does not contain ${JSON.stringify(expectTitle)} after ${titleTimeoutMs} ms`,
    );
    return;
  }
  pass(`title: ${await page.title()} (after ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  const canvas = page.locator(canvasSelector).first();
  try {
    await canvas.waitFor({ state: 'visible', timeout: 10000 });
  } catch {
    const count = await page.locator('canvas').count();
    fail(`canvas: no visible ${canvasSelector} (the page has ${count} canvas element(s))`);
    return;
  }
  const size = await canvas.evaluate((element) => ({
    cssWidth: element.clientWidth,
    cssHeight: element.clientHeight,
    width: element.width,
    height: element.height,
  }));
  if (size.cssWidth === 0 || size.cssHeight === 0) {
    fail(`canvas ${size.cssWidth}×${size.cssHeight}: empty`);
    return;
  }
  pass(
    `canvas ${size.cssWidth}×${size.cssHeight} (drawing buffer ${size.width}×${size.height})`,
  );

  const firstPath = `${outDir}/first.png`;
  const secondPath = `${outDir}/second.png`;
  const firstPng = await canvas.screenshot({ timeout: 15000 });
  const firstAt = Date.now();
  writeFileSync(firstPath, firstPng);
  await page.waitForTimeout(advanceMs);
  const secondPng = await canvas.screenshot({ timeout: 15000 });
  const apart = Date.now() - firstAt;
  writeFileSync(secondPath, secondPng);
  console.log(`screenshots: ${firstPath} ${secondPath}`);

  const first = decodePng(firstPng);
  const second = decodePng(secondPng);
  const colours = distinctColours(first);
  if (colours > 3) pass(`first picture: ${colours > 10000 ? 'over 10000' : colours} colours`);
  else fail(`first picture: blank (${colours} colour${colours === 1 ? '' : 's'})`);

  if (first.width !== second.width || first.height !== second.height) {
    fail(
      `pictures differ in size: ${first.width}×${first.height} then ${second.width}×${second.height}`,
    );
    return;
  }
  const total = first.width * first.height;
  const { changed, box } = changedPixels(first, second);
  const percent = (100 * changed) / total;
  const where = box ? `, within x ${box.left}–${box.right}, y ${box.top}–${box.bottom}` : '';
  const line =
    `pixels changed: ${changed} of ${total} (${percent.toFixed(3)} %${where}) ` +
    `in ${(apart / 1000).toFixed(1)} s; at least ${minChangedPercent} % needed`;
  if (percent >= minChangedPercent && changed > 0) pass(line);
  else fail(line);
}

run()
  .catch((error) => {
    // (Playwright's messages carry a call log, coloured for a terminal.)
    const message = String(error.message || error).replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (!finished) fail(`the check stopped: ${message.replace(/\n/g, '\n      ')}`);
  })
  .finally(() => {
    if (!finished) return finish();
  });
