// End-to-end test of pick-up and delivery (上门取送车) in Debian's headless Chromium,
// driven by playwright-core: a new owner books on the phone page → the advisor
// schedules a pick-up for that appointment in the console, assigns a driver, records
// the hand-over checklist, has a wrong file refused by rule and uploads a real photo
// (a plain multipart form, no script) → the owner sees it all on the phone page and
// confirms the hand-over → the console shows the confirmation and its channel.
//
// The owner is a customer created for this run (own mobile number), so the sign-in
// code read from the server log is this test's own even when other tests sign in.
//
// Run against a running demo server whose log goes to $SERVER_LOG:
//   SERVER_LOG=/tmp/pk_server.log BASE_URL=http://127.0.0.1:18282 node --test tests/browser/pickup.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { signInOwner, signInStaff, screenshot } from './helpers.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const PASSWORD = 'demo1234';

const shot = (page, name) => screenshot(page, `${SHOTS}pickup-${name}.png`);

// VIN check digit (ISO 3779), independent of the Rust implementation.
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
function randomVin() {
  const serial = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
  const raw = `LFVBA24B0PN${serial}`;
  return raw.slice(0, 8) + checkDigit(raw) + raw.slice(9);
}
const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

/** The next weekday after today in Asia/Shanghai, as YYYY-MM-DD. */
function nextWorkday() {
  const now = new Date(Date.now() + 8 * 3600_000);
  for (let i = 1; i < 10; i++) {
    const d = new Date(now.getTime() + i * 86_400_000);
    const dow = d.getUTCDay();
    if (dow !== 0 && dow !== 6) return d.toISOString().slice(0, 10);
  }
  throw new Error('no weekday');
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
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test('pick-up scheduled in the console, confirmed by the owner on the phone', { timeout: 180_000 }, async () => {
  // A customer of the advisor's station with a vehicle, created for this run.
  const advisorApi = await apiSession('advisor');
  const me = await (await advisorApi('GET', '/api/v1/me')).json();
  assert.equal(me.unit.kind, 'station');
  const station = me.unit.id[0];
  const admin = await apiSession('admin');
  const phone = `139${digits(8)}`;
  const concern = `上门取车测试 ${digits(4)}`;
  let r = await admin('POST', '/api/v1/customers', {
    name: '王取送', phone, station_id: station, channel: 'sms',
    consent_service: true, consent_marketing: false,
  });
  let body = await r.text();
  assert.equal(r.status, 201, body);
  const customer = JSON.parse(body).id;
  r = await admin('POST', '/api/v1/vehicles', {
    vin: randomVin(), brand: '大众', model: '朗逸', model_year: 2023, plate: `京B${digits(5)}`,
    purchase_date: '2023-03-01', warranty_start: '2023-03-01', warranty_end: '2026-03-01',
    warranty_km: 100000, is_ev: false, owner_id: customer, station_id: station,
  });
  body = await r.text();
  assert.equal(r.status, 201, body);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // 1. The owner signs in on the phone and books.
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const owner = await phoneCtx.newPage();
    await signInOwner(owner, phone);
    await owner.goto(`${BASE_URL}/owner/book`);
    const day = nextWorkday();
    // The nearest station (the vehicle's own) first, then the day's tab and the time.
    await click(owner, 'a.station');
    await click(owner, `.tabs a[data-day="${day}"]`);
    await click(owner, `a.slot[data-start="${day} 15:00"]`);
    await owner.fill('input[name=concern]', concern);
    await click(owner, '#book-form button[type=submit]');
    assert.match(owner.url(), /\/owner\/appointments/, await owner.textContent('body'));

    // 2. The advisor schedules the pick-up from the appointment's row.
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const adv = await ctx.newPage();
    await adv.goto(`${BASE_URL}/console/login`);
    await adv.fill('#username', 'advisor');
    await adv.fill('#password', PASSWORD);
    await click(adv, 'button[type=submit]');
    await adv.goto(`${BASE_URL}/console/appointments?day=${day}`);
    assert.ok(await adv.isVisible('nav.side a[href="/console/pickups"]'), 'navigation links pick-ups');
    const row = adv.locator('tr', { hasText: concern });
    await Promise.all([adv.waitForNavigation(), row.locator('button', { hasText: '上门取车' }).click()]);
    assert.equal(await adv.inputValue('#f-window_end'), `${day} 15:00`);
    await adv.fill('#f-address', '北京市海淀区中关村大街27号');
    await adv.fill('#f-window_start', `${day} 13:00`);
    await adv.fill('#f-window_end', `${day} 15:00`);
    const driver = await adv.locator('#f-driver_id option').nth(1).getAttribute('value');
    await adv.selectOption('#f-driver_id', driver);
    await shot(adv, '01-console-schedule');
    await click(adv, 'form button[type=submit]');
    assert.match(adv.url(), /\/console\/pickups\/\d+\?notice=scheduled$/, await adv.textContent('main'));
    const pickupUrl = adv.url().split('?')[0];
    const pickupId = pickupUrl.split('/').pop();

    // 3. The checklist: one item with an issue and a note, the rest in order.
    for (const code of ['exterior', 'interior', 'fuel', 'odometer', 'belongings', 'keys', 'documents']) {
      await adv.selectOption(`#state-${code}`, code === 'exterior' ? 'issue' : 'ok');
    }
    await adv.fill('#note-exterior', '右前保险杠轻微划痕');
    await adv.fill('#note-odometer', '23,456 km');
    await click(adv, '#save-checklist');
    assert.match(await adv.textContent('#notice'), /检查单已保存/);

    // 4. A file that is not the image it claims to be is refused, naming the rule.
    await adv.setInputFiles('#photo', { name: 'note.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all') });
    await click(adv, '#upload-photo');
    assert.equal(await adv.getAttribute('#error', 'data-rule'), 'photo.magic');
    assert.match(await adv.textContent('#error'), /文件内容与声明的图片类型不符/);
    assert.match(await adv.textContent('#photos'), /尚无照片/);
    await shot(adv, '02-console-upload-refused');

    // 5. A real JPEG is stored and shown.
    // A real JPEG, drawn in the browser: a car at the kerb with its plate.
    const dataUrl = await adv.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 640; c.height = 480;
      const g = c.getContext('2d');
      const sky = g.createLinearGradient(0, 0, 0, 480);
      sky.addColorStop(0, '#8ec5fc'); sky.addColorStop(1, '#e0e0e0');
      g.fillStyle = sky; g.fillRect(0, 0, 640, 480);
      g.fillStyle = '#555'; g.fillRect(0, 380, 640, 100);
      g.fillStyle = '#c0392b'; g.fillRect(110, 250, 420, 110); g.fillRect(190, 180, 250, 80);
      g.fillStyle = '#222';
      for (const x of [200, 440]) { g.beginPath(); g.arc(x, 370, 42, 0, 2 * Math.PI); g.fill(); }
      g.fillStyle = '#1d5fd1'; g.fillRect(270, 300, 110, 34);
      g.fillStyle = '#fff'; g.font = 'bold 20px sans-serif'; g.fillText('京B·PICKUP', 272, 324);
      return c.toDataURL('image/jpeg', 0.85);
    });
    const jpeg = Buffer.from(dataUrl.split(',')[1], 'base64');
    await adv.setInputFiles('#photo', { name: 'front.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await click(adv, '#upload-photo');
    assert.match(await adv.textContent('#notice'), /照片已上传/);
    assert.equal(await adv.locator('#photos figure').count(), 1);
    const loaded = await adv.locator('#photos img').evaluate((img) => img.complete && img.naturalWidth > 0);
    assert.ok(loaded, 'the photo renders');
    await shot(adv, '03-console-handover');

    // 6. The owner sees the hand-over on the phone and confirms it.
    await owner.goto(`${BASE_URL}/owner`);
    await click(owner, '#my-pickups');
    const card = owner.locator(`#pickup-${pickupId}`);
    const text = await card.textContent();
    assert.match(text, /上门取车/);
    assert.match(text, /待交接/);
    assert.match(text, /右前保险杠轻微划痕/);
    assert.match(text, new RegExp(`${day} 13:00 – 15:00`));
    assert.doesNotMatch(await card.locator('.driver').textContent(), /未指派/);
    assert.equal(await card.locator('.photos img').count(), 1);
    await shot(owner, '04-owner-pickup');
    await click(owner, `[data-confirm="${pickupId}"]`);
    assert.match(await owner.textContent('#notice'), /已确认交接/);
    assert.match(await card.locator('.state').textContent(), /已确认交接/);
    assert.equal(await owner.locator(`[data-confirm="${pickupId}"]`).count(), 0);
    await shot(owner, '05-owner-confirmed');

    // 7. The console shows who confirmed, and how; the day's list shows the state.
    await adv.goto(pickupUrl);
    // Who confirmed is masked like every name in a hand-over's history (privacy policy).
    const facts = await adv.textContent('#facts');
    assert.match(facts, /王\*\*.*车主手机确认/s);
    assert.doesNotMatch(facts, /王取送/);
    assert.equal(await adv.locator('#confirm-handover').count(), 0);
    await shot(adv, '06-console-confirmed');
    await adv.goto(`${BASE_URL}/console/pickups?day=${day}`);
    const listed = adv.locator(`tr[data-pickup="${pickupId}"]`);
    assert.equal(await listed.getAttribute('data-state'), 'confirmed');
    await shot(adv, '07-console-list');
  } finally {
    await browser.close();
  }
});

// The demo's car that goes home today (a delivery for a repair order, issue 17
// findings 4 and 11): on the advisor's phone, in both languages, the page names the
// hand-over by its kind and car (never "#7"), the order and the driver by car and
// name in the facts and the history (never "工单: 7" or a sign-in name), and the
// checklist fits the 390 px screen as one card per item.
test('the demo delivery home reads as names and fits a phone', async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const [lang, order] of [['zh-CN', /工单（[^）]+）/], ['en', /Repair order \([^)]+\)/]]) {
      const ctx = await browser.newContext({ locale: lang, viewport: { width: 390, height: 844 } });
      const adv = await ctx.newPage();
      await signInStaff(adv, 'advisor', lang);
      // The delivery is due in the next hours: today's list, or tomorrow's late at night.
      const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
      let href = null;
      for (const list of ['/console/pickups', `/console/pickups?day=${tomorrow}`]) {
        await adv.goto(`${BASE_URL}${list}`);
        const row = adv.locator('#pickups tbody tr', { hasText: lang === 'en' ? 'Return to the owner' : '送车上门' }).first();
        if (await row.count()) { href = await row.locator('a').first().getAttribute('href'); break; }
      }
      assert.ok(href, `${lang}: the demo's delivery home is listed`);
      await adv.goto(`${BASE_URL}${href}`);
      const title = await adv.textContent('h1');
      assert.doesNotMatch(title, /#\d/, `${lang}: the title names the car, not the row: ${title}`);
      assert.match(title, /·\s*\S{5,}/, title);
      assert.match(await adv.textContent('#facts'), order);
      const options = await adv.locator('#driver option').allTextContents();
      assert.ok(options.length > 0 && options.every((o) => o.includes(' · ') && !/\(\w+\)/.test(o)), options.join(' | '));
      const history = await adv.textContent('#timeline');
      assert.doesNotMatch(history, /(?:工单|预约|Repair order|Appointment|Driver|司机)[:：]\s?\d+(?![\d\-:/.])/, history);
      assert.match(history, order.source.startsWith('工单') ? /工单[:：]\s?[^\d\s]/ : /Repair order[:：]\s?[^\d\s]/, history);
      const { sw, cw } = await adv.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
      assert.ok(sw <= cw, `${lang}: the page is ${sw} px wide on a ${cw} px phone`);
      const card = await adv.locator('#checklist').boundingBox();
      for (const box of await adv.locator('#checklist input, #checklist select').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right))) {
        assert.ok(box <= card.x + card.width + 1, `${lang}: a checklist field ends at ${box}, past its card (${card.x + card.width})`);
      }
      await shot(adv, `08-demo-delivery-${lang}-390`);
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
});
