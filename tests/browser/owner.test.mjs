// The owner's phone pages as an owner uses them (issue 17, finding 9), in zh-CN and
// en, with axe-core on every page (finding 13): the progress page says which car,
// station, order and total it is about, names parts instead of part numbers, makes
// "decline" look different and ask first, never reloads itself (a notice offers a
// refresh instead), and a dead link says what to do; the home shows the car in the
// shop, bookings with a booking entry, bills, messages (or that there are none) and
// signs out. Every page has a `main` landmark and exactly one h1.
//
// The order is set up through the JSON API (a new customer, car and walk-in order),
// so the test does not depend on the console pages.
//
//   SERVER_LOG=/tmp/owner_server.log BASE_URL=http://127.0.0.1:18181 node --test tests/browser/owner.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { signInOwner, screenshot } from './helpers.mjs';
import { assertAccessible } from './axe.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const PASSWORD = 'demo1234';

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const TRANSLIT = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
function withCheckDigit(raw) {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = raw[i];
    sum += (c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : TRANSLIT[c]) * WEIGHTS[i];
  }
  const r = sum % 11;
  return raw.slice(0, 8) + (r === 10 ? 'X' : String(r)) + raw.slice(9);
}
const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');


async function apiSession(username) {
  const r = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(r.status, 200, `login ${username}`);
  const { csrf } = await r.json();
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (method, path, body) => {
    const res = await fetch(`${BASE_URL}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, text };
  };
}

/** A new owner with a car in the shop: a walk-in order with a labour and a part line and its owner link. */
async function carInTheShop() {
  const advisor = await apiSession('advisor');
  const me = await advisor('GET', '/api/v1/me');
  const station = me.body.unit.id[0];
  const phone = `139${digits(8)}`;
  const plate = `京A${digits(5)}`;
  let r = await advisor('POST', '/api/v1/customers', {
    name: '林车主', phone, station_id: station, channel: 'sms', consent_service: true, consent_marketing: false,
  });
  assert.equal(r.status, 201, r.text);
  const customer = r.body.id;
  r = await advisor('POST', '/api/v1/vehicles', {
    vin: withCheckDigit(`LHZSA5B10T${digits(7)}`), brand: '岚际', model: 'S5 轿车', model_year: 2025, plate,
    purchase_date: '2025-03-01', warranty_start: '2025-03-01', warranty_end: '2028-02-29',
    warranty_km: 100000, is_ev: false, owner_id: customer, station_id: station,
  });
  assert.equal(r.status, 201, r.text);
  const vehicle = r.body.id;
  r = await advisor('POST', '/api/v1/repair-orders', { station_id: station, vehicle_id: vehicle, concern: '保养，更换机油' });
  assert.equal(r.status, 201, r.text);
  const order = r.body.id;
  r = await advisor('POST', `/api/v1/repair-orders/${order}/lines`, { kind: 'labour', code: 'MAINT-10K' });
  assert.equal(r.status, 201, r.text);
  r = await advisor('POST', `/api/v1/repair-orders/${order}/lines`, { kind: 'part', code: 'OIL-FILTER', hundredths: 100, unit_price_fen: 6800 });
  assert.equal(r.status, 201, r.text);
  r = await advisor('POST', `/api/v1/repair-orders/${order}/owner-link`);
  assert.equal(r.status, 201, r.text);
  return { phone, plate, order, link: r.body.url, token: r.body.token };
}

const launch = () => chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A phone (390 px) or desktop (1440 px) page in `lang`, chosen as the owner would (the language cookie). */
async function pageIn(browser, lang, width = 390) {
  const ctx = await browser.newContext({ viewport: { width, height: 844 }, locale: lang === 'en' ? 'en-US' : 'zh-CN' });
  await ctx.addCookies([{ name: 'as_lang', value: lang === 'en' ? 'en' : 'zh-CN', url: BASE_URL }]);
  return ctx.newPage();
}

/** One `main` landmark, exactly one h1, no axe-core critical or serious violation, screenshots. */
async function checkPage(page, name) {
  assert.equal(await page.locator('main').count(), 1, `${name}: one main landmark`);
  assert.equal(await page.locator('h1').count(), 1, `${name}: exactly one h1`);
  await assertAccessible(page, name);
  await screenshot(page, `${SHOTS}owner-${name}.png`);
}

async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

const TEXT = {
  zh: { station: /服务站|站/, part: '机油滤清器', gone: /重新发送/, title: '链接无效或已过期', none: /暂无消息/, inShop: '在店车辆', book: '预约保养维修' },
  en: { station: /./, part: 'Oil filter', gone: /send the progress link again/, title: 'This link is invalid or has expired', none: /No messages yet/, inShop: 'In the workshop', book: 'Book a service' },
};

test('the progress page shows car, station, order, total, part names and a decline that asks first', async () => {
  const shop = await carInTheShop();
  const browser = await launch();
  try {
    for (const lang of ['zh', 'en']) {
      const page = await pageIn(browser, lang);
      const res = await page.goto(`${BASE_URL}${shop.link}`);
      assert.equal(res.status(), 200);
      assert.ok((await page.textContent('#car')).includes(shop.plate), 'the plate of the car');
      assert.ok((await page.textContent('#car')).includes('岚际'), 'the brand and model');
      assert.ok((await page.textContent('#station')).trim().length > 1, 'the station by name');
      assert.equal((await page.textContent('#order-no')).trim(), String(shop.order));
      assert.match(await page.textContent('#total'), /¥\s?\d/);
      const lines = await page.textContent('section:has(#estimate-h)');
      assert.ok(lines.includes(TEXT[lang].part), `the part by name (${TEXT[lang].part})`);
      assert.ok(!lines.includes('OIL-FILTER'), 'no raw part number');
      assert.equal(await page.locator('meta[http-equiv=refresh]').count(), 0);
      // "Decline" is a danger control that looks different from "approve".
      const approve = page.locator('[data-approve="2"]');
      const decline = page.locator('[data-decline="2"]');
      const look = (l) => l.evaluate((e) => { const s = getComputedStyle(e); return `${s.backgroundColor}|${s.color}`; });
      assert.notEqual(await look(approve), await look(decline), 'approve and decline look different');
      assert.equal(await page.isVisible('[data-decline-confirm="2"]'), false, 'no decline without asking');
      await checkPage(page, `track-${lang}`);
      await page.setViewportSize({ width: 1440, height: 900 });
      await screenshot(page, `${SHOTS}owner-track-${lang}-1440.png`);
      await page.context().close();
    }
    // Declining asks first, then marks the line declined.
    const page = await pageIn(browser, 'zh');
    await page.goto(`${BASE_URL}${shop.link}`);
    await page.click('[data-decline="2"]');
    assert.ok(await page.isVisible('[data-decline-confirm="2"]'), 'the confirmation shows');
    await checkPage(page, 'track-decline-confirm-zh');
    await click(page, '[data-decline-confirm="2"]');
    assert.equal(await page.locator('[data-decline="2"]').count(), 0);
    assert.ok(await page.locator('[data-line="2"].decision-declined').count() === 1, 'the line is declined');
    await page.context().close();
  } finally {
    await browser.close();
  }
});

test('the progress page never reloads itself: a change shows a notice with a refresh link', async () => {
  const shop = await carInTheShop();
  const browser = await launch();
  try {
    const page = await pageIn(browser, 'zh');
    await page.goto(`${BASE_URL}${shop.link}`);
    await page.evaluate(() => { window.__typed = 'still here'; });
    // The page has read the order once (else a slow first poll could already see
    // the change below and take it for the page's own state).
    await page.waitForSelector('#live-poll[data-polled]', { state: 'attached', timeout: 20_000 });
    // The owner approves from another device; the page notices within one poll.
    const r = await fetch(`${BASE_URL}/api/v1/track/${shop.token}/lines/1/approve`, { method: 'POST' });
    assert.equal(r.status, 204);
    await page.waitForSelector('#live-changed:not([hidden])', { timeout: 40_000 });
    assert.equal(await page.evaluate(() => window.__typed), 'still here', 'the page was not reloaded');
    assert.equal(await page.getAttribute('#live-changed a', 'href'), shop.link);
    await page.context().close();
  } finally {
    await browser.close();
  }
});

test('a bad or expired owner link says what to do, in both languages', async () => {
  const browser = await launch();
  try {
    for (const lang of ['zh', 'en']) {
      const page = await pageIn(browser, lang);
      const res = await page.goto(`${BASE_URL}/owner/track/0123456789abcdef0123456789abcdef`);
      assert.equal(res.status(), 404);
      assert.equal((await page.textContent('h1')).trim(), TEXT[lang].title);
      assert.match(await page.textContent('#link-gone'), TEXT[lang].gone);
      assert.ok(!(await page.textContent('body')).includes('记录不存在'));
      assert.equal(await page.getAttribute('#link-gone a', 'href'), '/owner/login');
      await checkPage(page, `link-gone-${lang}`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('the owner home shows the car in the shop, bookings, bills, messages and signs out', async () => {
  const shop = await carInTheShop();
  const browser = await launch();
  try {
    for (const lang of ['zh', 'en']) {
      const page = await pageIn(browser, lang);
      await page.goto(`${BASE_URL}/owner/login`);
      await checkPage(page, `login-${lang}`);
      await signInOwner(page, shop.phone);
      const inShop = await page.textContent('section:has(#in-shop-h)');
      assert.ok(inShop.includes(TEXT[lang].inShop));
      const card = page.locator(`[data-order="${shop.order}"]`);
      assert.equal(await card.count(), 1, 'the car in the shop');
      assert.ok((await card.textContent()).includes(shop.plate));
      assert.equal(await card.locator('.tag').count(), 1, 'its stage');
      assert.equal(await page.getAttribute('#book', 'href'), '/owner/book');
      assert.equal((await page.textContent('#book')).trim(), TEXT[lang].book);
      assert.ok(await page.isVisible('#no-bill'), 'bills: an empty state, not an empty heading');
      const inbox = await page.textContent('section:has(#inbox-h)');
      assert.ok((await page.locator('#messages li').count()) > 0 || TEXT[lang].none.test(inbox), 'messages or an empty state');
      await checkPage(page, `home-${lang}`);
      await page.setViewportSize({ width: 1440, height: 900 });
      await screenshot(page, `${SHOTS}owner-home-${lang}-1440.png`);
      await click(page, '#sign-out');
      assert.match(page.url(), /\/owner\/login$/);
      await page.goto(`${BASE_URL}/owner`);
      assert.match(page.url(), /\/owner\/login$/, 'signed out');
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});
