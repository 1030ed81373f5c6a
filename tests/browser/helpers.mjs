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
