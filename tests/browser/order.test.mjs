// Issue 17, the order page and the console's components, in Debian's headless
// Chromium (playwright-core), zh-CN and en: friendly error pages and the favicon;
// primary / secondary / danger buttons; the order page's header by name, the current
// stage open and the others folded, checkpoints ticked in one form, the estimate
// beside; names instead of ids and no raw keys in the timeline; 先认证后上岗 at the
// start of work; a second open order needs a reason; the owner link sent, with a QR
// code, a copy button, a confirm before replacing it, and no POST URL left behind.
//
// Run against a running demo server:
//   BASE_URL=http://127.0.0.1:8080 node --test tests/browser/order.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { screenshot } from './helpers.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const PASSWORD = 'demo1234';
const LANGS = ['zh-CN', 'en'];

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const TRANSLIT = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
function checkDigit(vin) {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = vin[i];
    sum += (c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : TRANSLIT[c]) * WEIGHTS[i];
  }
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}
const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
function randomVin() {
  const raw = `LFVBA24B0PN${digits(6)}`;
  return raw.slice(0, 8) + checkDigit(raw) + raw.slice(9);
}

/** Signs in through the JSON API and returns a fetch helper carrying the session. */
async function apiSession(username) {
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
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie, 'accept-language': 'en' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function consoleLogin(browser, username, lang, width = 1440) {
  const ctx = await browser.newContext({ locale: lang, viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${BASE_URL}/console/login`);
  if (lang === 'en') {
    await Promise.all([page.waitForNavigation(), page.click('a[data-lang="en"]')]);
  }
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.ok(!page.url().includes('/console/login'), `${username} signed in`);
  return page;
}

async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

const shot = (page, name) => screenshot(page, `${SHOTS}order-${name}.png`);

/** A customer of the advisor's station with a car, and a walk-in order for it. */
async function newOrder() {
  const adv = await apiSession('advisor');
  const me = await (await adv('GET', '/api/v1/me')).json();
  const station = me.unit.id[0];
  const admin = await apiSession('admin');
  let r = await admin('POST', '/api/v1/customers', {
    name: '周工单', phone: `139${digits(8)}`, station_id: station, channel: 'wechat',
    consent_service: true, consent_marketing: false,
  });
  assert.equal(r.status, 201, await r.clone().text());
  const customer = (await r.json()).id;
  const vin = randomVin();
  const plate = `京D${digits(5)}`;
  r = await admin('POST', '/api/v1/vehicles', {
    vin, brand: '远航', model: 'Y7', model_year: 2024, plate,
    purchase_date: '2024-03-01', warranty_start: '2024-03-01', warranty_end: '2027-03-01',
    warranty_km: 100000, is_ev: false, owner_id: customer, station_id: station,
  });
  assert.equal(r.status, 201, await r.clone().text());
  r = await adv('POST', '/api/v1/repair-orders', { station_id: station, vin, concern: '空调不制冷，仪表有故障灯' });
  assert.equal(r.status, 201, await r.clone().text());
  const id = (await r.json()).id;
  return { adv, admin, station, vin, plate, id };
}

test('friendly error pages in the user language, favicon, button styles', { timeout: 120_000 }, async () => {
  const fav = await fetch(`${BASE_URL}/favicon.ico`);
  assert.equal(fav.status, 200, 'favicon.ico is served');
  assert.match(fav.headers.get('content-type'), /image\//);
  const browser = await launch();
  try {
    for (const lang of LANGS) {
      const page = await consoleLogin(browser, 'advisor', lang);
      for (const path of ['/console/orders/abc', '/console/no-such-page', '/console/orders/1/link']) {
        const r = await page.goto(`${BASE_URL}${path}`);
        const text = await page.textContent('body');
        assert.doesNotMatch(text, /Invalid URL|Cannot parse|^\s*404\s*$/, `${path}: ${text}`);
        if (path.endsWith('/link')) {
          // A form's address opened by a reload is the order page again, never 405.
          assert.notEqual(r.status(), 405, path);
          continue;
        }
        assert.equal(r.status(), 404, path);
        assert.ok(await page.isVisible('#error-page'), `${path} has the friendly page`);
        assert.match(text, lang === 'en' ? /does not exist/ : /找不到这个页面/, text);
        await shot(page, `error-${lang}`);
      }
      // Secondary buttons are not primary ones.
      const { id } = await newOrder();
      await page.goto(`${BASE_URL}/console/orders/${id}`);
      const bg = (sel) => page.locator(sel).first().evaluate((e) => getComputedStyle(e).backgroundColor);
      const primary = await bg('.btn-primary');
      const secondary = await bg('.btn-secondary');
      assert.notEqual(primary, secondary, 'secondary differs from primary');
      assert.equal(secondary, 'rgb(255, 255, 255)');
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('the order page: compact, by name, one form per stage, back where the user was', { timeout: 180_000 }, async () => {
  const browser = await launch();
  try {
    for (const lang of LANGS) {
      const { id, plate } = await newOrder();
      const page = await consoleLogin(browser, 'advisor', lang);
      await page.goto(`${BASE_URL}/console/orders/${id}`);
      // Header: plate, model, owner with a masked phone, advisor, state.
      assert.equal((await page.textContent('#order-plate')).trim(), plate);
      assert.match(await page.textContent('#order-model'), /远航 Y7/);
      assert.match(await page.textContent('#order-owner'), /周工单 · 139\*{4}\d{4}/);
      assert.ok((await page.textContent('#order-advisor')).trim().length > 0, 'advisor named');
      const body = await page.textContent('main');
      for (const raw of [/车辆 \d+/, /服务站 \d+/, /svc\.event\./, /role\.[a-z_]+/, /reception\.[a-z_]+/, /customer:\d+/, /×0\.01/]) {
        assert.doesNotMatch(body, raw, `no raw id or key (${raw})`);
      }
      // Only the current stage is open; the others fold to one line.
      const open = await page.locator('details.stage[open]').count();
      assert.ok(open <= 2, `at most the current and the next stage open (${open})`);
      assert.equal(await page.locator('#stage-reception').getAttribute('open'), '');
      assert.equal(await page.locator('#stage-repair').getAttribute('open'), null);
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      assert.ok(height < 2000, `the order page is compact at 1440 px (${height} px)`);
      await shot(page, `page-1440-${lang}`);
      // Tick every checkpoint of reception in one form: one post, back at the stage.
      const boxes = page.locator('#checks-reception input[type=checkbox][data-required]');
      const n = await boxes.count();
      assert.ok(n > 1, 'reception has required checkpoints');
      for (let i = 0; i < n; i++) await boxes.nth(i).check();
      await click(page, '[data-save-checks="reception"]');
      assert.ok(page.url().endsWith(`/console/orders/${id}#stage-reception`), page.url());
      assert.ok(await page.isVisible('#toast'), 'a toast says it was saved');
      assert.equal(await page.locator('#checks-reception input[type=checkbox][data-required]').count(), 0);
      // A reload of the page after the post shows it again (a GET), without the toast.
      const again = await page.reload();
      assert.equal(again.status(), 200);
      assert.equal(await page.locator('#toast').count(), 0, 'the toast shows once');
      // Technician dropdowns are labelled; prices are typed in yuan.
      await page.selectOption('#add-line-form select[name=kind]', 'part');
      await page.fill('#add-line-form input[name=code]', `P-${digits(6)}`);
      await page.fill('#add-line-form input[name=quantity]', '2');
      await page.fill('#add-line-form input[name=unit_price_yuan]', '45.50');
      await click(page, '#add-line');
      assert.ok(page.url().endsWith('#estimate'), page.url());
      const row = await page.textContent('tr[data-line="1"]');
      assert.match(row, /¥91\.00/, `2 × ¥45.50: ${row}`);
      assert.match(row, lang === 'en' ? /2 pcs/ : /2 件/, row);
      // The timeline names people and translates every event.
      const tl = await page.textContent('#timeline');
      assert.doesNotMatch(tl, /#0|svc\.|role\./, tl);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${BASE_URL}/console/orders/${id}`);
      await shot(page, `page-390-${lang}`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('a second open order for a vehicle needs a reason, with a link to the open one', { timeout: 120_000 }, async () => {
  const { adv, station, vin, id } = await newOrder();
  let r = await adv('POST', '/api/v1/repair-orders', { station_id: station, vin, concern: '再来一次' });
  assert.equal(r.status, 409);
  const p = await r.json();
  assert.ok(JSON.stringify(p).includes(`/api/v1/repair-orders/${id}`), JSON.stringify(p));
  assert.ok(JSON.stringify(p).includes('repair_order.open_exists'));
  const browser = await launch();
  try {
    for (const lang of LANGS) {
      const page = await consoleLogin(browser, 'advisor', lang);
      await page.goto(`${BASE_URL}/console/orders/new?station=${station}`);
      await page.fill('[name=vin]', vin);
      await page.fill('[name=concern]', '钣金另开一单');
      await click(page, 'form[action="/console/orders/new"] button[type=submit]');
      assert.ok(await page.isVisible('#open-order-warning'));
      assert.equal(await page.getAttribute('#open-order-link', 'href'), `/console/orders/${id}`);
      await shot(page, `second-order-${lang}`);
      await page.fill('#second_order_reason', lang === 'en' ? 'Body shop job beside the service' : '钣金与保养分开结算');
      await click(page, '#open-second');
      assert.match(page.url(), /\/console\/orders\/\d+$/);
      assert.notEqual(page.url(), `${BASE_URL}/console/orders/${id}`);
      const tl = await page.textContent('#timeline');
      assert.match(tl, lang === 'en' ? /Second order opened/ : /再开一单/, tl);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('work starts only with an assigned, qualified technician (先认证后上岗)', { timeout: 120_000 }, async () => {
  const { adv, admin, id } = await newOrder();
  const code = `AC-${digits(4)}`;
  let r = await admin('POST', '/api/v1/labour-operations', {
    code, name_zh: '空调制冷剂加注', name_en: 'Refrigerant recharge', standard_hundredths: 50,
    qualification: 'air_conditioning',
  });
  assert.equal(r.status, 201, await r.clone().text());
  const tick = async (stage) => {
    const d = await (await adv('GET', `/api/v1/repair-orders/${id}`)).json();
    const st = (d.stages ?? []).find((s) => s.stage === stage);
    for (const c of st?.checkpoints ?? []) {
      if (!c.checked && c.required) await adv('POST', `/api/v1/repair-orders/${id}/checkpoints`, { code: c.code });
    }
  };
  await tick('reception');
  await adv('POST', `/api/v1/repair-orders/${id}/stages/reception/complete`, {});
  await adv('POST', `/api/v1/repair-orders/${id}/stages/diagnosis/start`, {});
  r = await adv('POST', `/api/v1/repair-orders/${id}/lines`, { kind: 'labour', code });
  assert.equal(r.status, 201, await r.clone().text());
  const line = (await r.json()).line_no;
  r = await adv('POST', `/api/v1/repair-orders/${id}/lines/${line}/approve`, { by: '周工单', signature: 'S1' });
  assert.ok(r.status < 300, await r.clone().text());
  await tick('diagnosis');
  await adv('POST', `/api/v1/repair-orders/${id}/stages/diagnosis/complete`, {});
  await adv('POST', `/api/v1/repair-orders/${id}/stages/repair/start`, {});
  r = await adv('POST', `/api/v1/repair-orders/${id}/lines/${line}/start`, {});
  assert.equal(r.status, 422, 'nobody assigned: refused');
  assert.ok((await r.text()).includes('certification.unassigned'));
  const browser = await launch();
  try {
    for (const lang of LANGS) {
      const page = await consoleLogin(browser, 'advisor', lang);
      await page.goto(`${BASE_URL}/console/orders/${id}#estimate`);
      const label = await page.textContent(`label[for="tech-${line}"]`);
      assert.ok(label.trim().length > 0, 'the technician dropdown is labelled');
      const off = page.locator(`#tech-${line} option[disabled]`);
      if ((await off.count()) > 0) {
        assert.match(await off.first().textContent(), lang === 'en' ? /air-conditioning/ : /空调/);
      }
      await shot(page, `assign-${lang}`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('the owner link: sent, QR code, copy, confirm before replacing, no POST URL left', { timeout: 120_000 }, async () => {
  const browser = await launch();
  try {
    for (const lang of LANGS) {
      const { id } = await newOrder();
      const page = await consoleLogin(browser, 'advisor', lang);
      await page.goto(`${BASE_URL}/console/orders/${id}`);
      await click(page, '#issue-link');
      assert.match(page.url(), new RegExp(`/console/orders/${id}\\?link=[0-9a-f]+#owner-link-card$`));
      assert.ok(await page.isVisible('#owner-link-qr svg'), 'a QR code');
      assert.ok(await page.isVisible('[data-copy="#owner-link-url"]'), 'a copy button');
      const href = await page.getAttribute('#owner-link', 'href');
      assert.match(new URL(href).pathname, /^\/owner\/track\/[0-9a-f]{32,}/);
      assert.match(await page.textContent('#owner-link-card'), lang === 'en' ? /WeChat/ : /微信/);
      const r = await page.reload();
      assert.equal(r.status(), 200, 'a reload is a GET of the order page');
      await shot(page, `owner-link-${lang}`);
      // Replacing a live link asks first; going back keeps the old one.
      await page.goto(`${BASE_URL}/console/orders/${id}`);
      await page.click('#issue-link');
      await page.waitForSelector('dialog.confirm[open]');
      await shot(page, `confirm-${lang}`);
      await page.click('dialog.confirm button.btn-secondary');
      await page.waitForSelector('dialog.confirm', { state: 'detached' });
      assert.ok(page.url().endsWith(`/console/orders/${id}`), 'nothing was sent');
      const old = await fetch(`${BASE_URL}${new URL(href).pathname}`);
      assert.equal(old.status, 200, 'the old link still works');
      await Promise.all([page.waitForNavigation(), (async () => {
        await page.click('#issue-link');
        await page.waitForSelector('dialog.confirm[open]');
        await page.click('dialog.confirm [data-confirm-ok]');
      })()]);
      assert.match(page.url(), /\?link=/);
      const gone = await fetch(`${BASE_URL}${new URL(href).pathname}`);
      assert.notEqual(gone.status, 200, 'the replaced link stops');
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});
