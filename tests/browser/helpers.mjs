// What the browser tests share: the server under test, staff and owner sign-in, the
// owner's one-time code read from the server log, and the phone checks (no sideways
// scrolling, tap targets big enough for a thumb).
//
// BASE_URL is the demo server, SERVER_LOG the file its log goes to (owners' sign-in
// codes are written there by the sandbox SMS sender).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** The server under test, without a trailing slash. */
export const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
/** Where the server's log goes. */
export const SERVER_LOG = process.env.SERVER_LOG ?? '/tmp/bk_server.log';
/** Every demo account's password. */
export const PASSWORD = 'demo1234';
/** The demo owner's mobile number (customer 1, of the first station). */
export const OWNER_PHONE = '13800000000';

/** Launch arguments of Debian's headless chromium. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** Clicks and waits for the page it leads to. */
export async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** The last sign-in code the server logged for a (masked) mobile number. */
export function codeFor(phone) {
  const masked = `${phone.slice(0, 3)}****${phone.slice(7)}`;
  // eslint-disable-next-line no-control-regex
  const lines = readFileSync(SERVER_LOG, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const mine = lines.filter((l) => l.includes(masked) && /code=\d{4,8}/.test(l));
  assert.ok(mine.length > 0, `a sign-in code for ${masked} in the server log`);
  return mine[mine.length - 1].match(/code=(\d{4,8})/)[1];
}

/**
 * Signs an owner in on `page` with a one-time code (asked for, then read from the
 * server log) and leaves the page on the owner's home. Test files run in parallel and
 * several sign in the demo owner: a code asked for by another file at the same moment
 * replaces this one, so a refused code is asked for again (up to three times).
 */
export async function signInOwner(page, phone = OWNER_PHONE) {
  for (let attempt = 1; ; attempt += 1) {
    await page.goto(`${BASE_URL}/owner/login`);
    await page.fill('#phone', phone);
    await click(page, 'form[action="/owner/code"] button');
    // The log line is written as the code is sent; give the file a moment.
    await new Promise((res) => setTimeout(res, 300));
    await page.fill('#code', codeFor(phone));
    await click(page, 'form[action="/owner/login"] button');
    if (page.url().endsWith('/owner') || attempt >= 3) break;
    await new Promise((res) => setTimeout(res, 500 + Math.floor(Math.random() * 1500)));
  }
  assert.ok(page.url().endsWith('/owner'), `owner ${phone} signed in: ${page.url()}`);
}

/** Signs a staff account in on `page` (console, demo password), then switches to `lang`. */
export async function signInStaff(page, username, lang = 'zh-CN') {
  await page.goto(`${BASE_URL}/console/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await click(page, 'button[type=submit]');
  assert.ok(!page.url().includes('/console/login'), `${username} signed in`);
  await page.goto(`${BASE_URL}/lang/${lang}?back=/console`);
}

/** A new page of a new context in `lang` at `width` px (`height` 900). */
export async function newPage(browser, lang = 'zh-CN', width = 1440) {
  const ctx = await browser.newContext({ locale: lang, viewport: { width, height: 900 } });
  ctx.setDefaultTimeout(15_000);
  return ctx.newPage();
}

/** Fails when the page is wider than the window (sideways scrolling). */
export async function noOverflow(page, what) {
  const { sw, cw } = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth,
    cw: document.documentElement.clientWidth,
  }));
  assert.ok(sw <= cw, `${what}: scrollWidth ${sw} > clientWidth ${cw}`);
}

/** Fails when a visible button or button-like link of `scope` is under 44 px tall. */
export async function tapTargets(page, what, scope = 'main') {
  const small = await page.evaluate((sel) => {
    const root = document.querySelector(sel) ?? document.body;
    return [...root.querySelectorAll('button, a.btn, input[type=submit], select')]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ text: (el.textContent || el.value || '').trim().slice(0, 30), h: el.getBoundingClientRect().height }))
      .filter((b) => b.h < 44);
  }, scope);
  assert.deepEqual(small, [], `${what}: tap targets under 44 px`);
}

/** Milliseconds from navigation start to the load event of the page just loaded. */
export async function loadMs(page) {
  return page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation');
    return nav ? nav.loadEventEnd - nav.startTime : NaN;
  });
}

/** `n` random decimal digits. */
export const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const TRANSLIT = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };

/** A random VIN with a valid check digit (ISO 3779). */
export function randomVin() {
  const raw = `LHZBA24B0PN${String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = raw[i];
    sum += (c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : TRANSLIT[c]) * WEIGHTS[i];
  }
  const r = sum % 11;
  return raw.slice(0, 8) + (r === 10 ? 'X' : String(r)) + raw.slice(9);
}

/** Signs in through the JSON API and returns a fetch helper carrying the session. */
export async function apiSession(username) {
  const r = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(r.status, 200, `login ${username}`);
  const { csrf } = await r.json();
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return (method, path, body) =>
    fetch(`${BASE_URL}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

/**
 * A new owner with a car at `station`, made by the administrator: their own phone,
 * so sign-in codes are not shared with other test files (the demo owner's are).
 * Returns { phone, customer, vehicle }.
 */
export async function newOwner(station = 1) {
  const admin = await apiSession('admin');
  const phone = `139${digits(8)}`;
  let r = await admin('POST', '/api/v1/customers', {
    name: '陈改期', phone, station_id: station, channel: 'sms', consent_service: true, consent_marketing: false,
  });
  let body = await r.text();
  assert.equal(r.status, 201, body);
  const customer = JSON.parse(body).id;
  r = await admin('POST', '/api/v1/vehicles', {
    vin: randomVin(), brand: '岚际', model: 'S5', model_year: 2024, plate: `京C${digits(5)}`,
    purchase_date: '2024-03-01', warranty_start: '2024-03-01', warranty_end: '2027-03-01',
    warranty_km: 100000, is_ev: false, owner_id: customer, station_id: station,
  });
  body = await r.text();
  assert.equal(r.status, 201, body);
  return { phone, customer, vehicle: JSON.parse(body).id };
}

/**
 * Moves the demo server's clock forward by `minutes` (`POST /api/v1/demo/clock`, the
 * demo's administrator; `{ reset: true }` instead brings it back to real time).
 * Returns the server's clock after the move: `{ now, now_ms, offset_minutes }`.
 * Sessions signed in before a move of more than their lifetime (12 h) have expired:
 * sign in again after it. A file that moves the clock resets it when it is done, so
 * the next file sees the day the browser sees.
 */
export async function moveClock(minutes) {
  const admin = await apiSession('admin');
  const body = minutes === 'reset' ? { reset: true } : { advance_minutes: minutes };
  const r = await admin('POST', '/api/v1/demo/clock', body);
  const text = await r.text();
  assert.equal(r.status, 200, `the demo clock moved: ${text}`);
  return JSON.parse(text);
}

/** Tallest full-page screenshot taken: Chromium refuses to capture pages much taller
 * than 16,384 px ("Unable to capture screenshot"), and a long list at 390 px reaches it. */
const SHOT_MAX_HEIGHT = 12_000;

/**
 * A full-page screenshot to `path`, cut at SHOT_MAX_HEIGHT px; tried once more if the
 * compositor was busy (a loaded CI machine sometimes drops the first capture).
 */
export async function screenshot(page, path) {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const width = page.viewportSize()?.width ?? 1440;
  const options = height > SHOT_MAX_HEIGHT
    ? { path, fullPage: true, clip: { x: 0, y: 0, width, height: SHOT_MAX_HEIGHT } }
    : { path, fullPage: true };
  try {
    await page.screenshot(options);
  } catch (error) {
    if (!/Unable to capture screenshot/.test(String(error))) throw error;
    await page.waitForTimeout(500);
    await page.screenshot(options);
  }
}
