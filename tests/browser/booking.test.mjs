// Booking as people do it (issue 17, finding 1, 11, 12): the advisor finds a customer's
// car by a plate fragment and books a slot picked from the real free capacity, then
// sees it in the day view; the station's day and week views move by previous / next and
// name the station instead of a number; a head-office agent picks the station from a
// searchable select; the owner picks a station from a list sorted by distance and a
// free time from buttons. No page asks for a typed station number or a free-text time,
// and no page overflows sideways at 768 or 390 px. zh-CN and en; screenshots at 1440
// and 390 px.
//
// Run against a running demo server whose log goes to $SERVER_LOG (the owner's
// one-time code is read from it):
//   SERVER_LOG=/tmp/bk_server.log BASE_URL=http://127.0.0.1:18383 node --test tests/browser/booking.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { signInOwner, screenshot } from './helpers.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const PASSWORD = 'demo1234';
const OWNER_PHONE = '13800000000';

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** A signed-in console page in `lang` at `width` px. */
async function consolePage(username, lang = 'zh-CN', width = 1440) {
  const ctx = await browser.newContext({ locale: lang, viewport: { width, height: 900 } });
  ctx.setDefaultTimeout(15_000);
  const page = await ctx.newPage();
  await page.goto(`${BASE_URL}/console/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await click(page, 'button[type=submit]');
  assert.ok(!page.url().includes('/console/login'), `${username} signed in`);
  if (lang === 'en') await page.goto(`${BASE_URL}/lang/en?back=/console`);
  return page;
}

/** Fails when the page is wider than the window (sideways scrolling). */
async function noOverflow(page, what) {
  const { sw, cw } = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth,
    cw: document.documentElement.clientWidth,
  }));
  assert.ok(sw <= cw, `${what}: scrollWidth ${sw} > clientWidth ${cw}`);
}

const shot = (page, name) => screenshot(page, `${SHOTS}booking-${name}.png`);

/** A plate of the advisor's station, read through the API. */
async function somePlate() {
  const r = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'advisor', password: PASSWORD }),
  });
  assert.equal(r.status, 200);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const v = await (await fetch(`${BASE_URL}/api/v1/vehicles?per_page=20`, { headers: { cookie } })).json();
  const items = v.items.filter((x) => x.plate);
  assert.ok(items.length > 1, 'vehicles with a plate at the advisor station');
  return items;
}

test('the advisor books a customer car on a free slot and sees it in the day view (zh)', { timeout: 120_000 }, async () => {
  const concern = `预约测试：空调异味 ${Math.random().toString(36).slice(2, 8)}`;
  const cars = await somePlate();
  const plate = cars[0].plate;
  const page = await consolePage('advisor');
  await page.goto(`${BASE_URL}/console/appointments/new`);
  assert.equal(await page.locator('input[name=station]:not([type=hidden])').count(), 0, 'no typed station number');
  // A fragment of the plate (its last characters) finds the car and its owner.
  await page.fill('#find-q', plate);
  await click(page, '#find-form button[type=submit]');
  const row = page.locator('#matches tr', { hasText: plate }).first();
  assert.ok(await row.isVisible(), 'the car is found by its plate');
  await Promise.all([page.waitForNavigation(), row.locator('a.pick-vehicle').click()]);
  assert.match(await page.textContent('#chosen-vehicle'), new RegExp(plate));
  // The picker offers the soonest free slots first, and every day as a tab.
  const best = page.locator('.best a.slot');
  assert.ok((await best.count()) > 0, 'best slots offered');
  const starts = await best.evaluateAll((as) => as.map((a) => a.dataset.start));
  assert.deepEqual([...starts].sort(), starts, 'best slots soonest first');
  assert.ok((await page.locator('.tabs a[role=tab]').count()) > 0, 'days as tabs');
  await shot(page, 'console-picker-1440-zh');
  // Another day's tab (a random one, so a rerun on the same demo does not collide).
  const tabCount = await page.locator('.tabs a[role=tab]').count();
  const other = page.locator('.tabs a[role=tab]').nth(1 + Math.floor(Math.random() * (tabCount - 1)));
  if (tabCount > 1) {
    await Promise.all([page.waitForNavigation(), other.click()]);
    assert.equal(await page.getAttribute('.tabs a.on', 'data-day'), await other.getAttribute('data-day'));
  }
  const free = page.locator('[role=tabpanel] a.slot');
  const slot = free.nth(Math.floor(Math.random() * (await free.count())));
  const start = await slot.getAttribute('data-start');
  await Promise.all([page.waitForNavigation(), slot.click()]);
  assert.match(await page.textContent('#chosen-start'), new RegExp(start.slice(11)));
  await page.fill('#concern', concern);
  await click(page, '#book-form button[type=submit]');
  // Post–redirect–get: the confirmation has its own URL and names, not ids.
  assert.match(page.url(), /\/console\/appointments\/\d+\?booked=1$/);
  assert.ok(await page.isVisible('#booked'));
  const body = await page.textContent('main');
  assert.ok(body.includes(plate), 'confirmation shows the plate');
  assert.ok(!/服务站\s*\d|车辆\s*\d/.test(body), 'no station or vehicle number');
  await shot(page, 'console-confirmation-1440-zh');
  // The day view shows it in its slot with the plate, and the slot's counts.
  await click(page, '#day-link');
  const appt = page.locator('tr.appt', { hasText: concern });
  assert.ok(await appt.isVisible(), 'the booking is in the day view');
  assert.ok((await appt.textContent()).includes(plate));
  assert.ok((await page.locator('tr.slot .tag').count()) > 0, 'slots with booked/free counts');
  // Cancel is a danger action behind a confirmation, not a primary button.
  const cancel = appt.locator('details.confirm summary.btn-danger');
  assert.equal(await cancel.count(), 1);
  assert.ok(!(await appt.locator('form[action$="/cancel"] button').isVisible()), 'cancel asks first');
  const receive = appt.locator('button.btn-primary');
  assert.equal(await receive.count(), 1, 'one primary action per row');
  await shot(page, 'console-day-1440-zh');

  // The board: a walk-in shows as a card in the reception column with plate, model,
  // customer and advisor by name, and the advisor filter keeps it.
  const walkIn = cars[1];
  const csrf = await page.getAttribute('input[name=csrf]', 'value');
  const r = await page.request.post(`${BASE_URL}/console/orders/new`, {
    form: { csrf, station_id: String(walkIn.station_id), vin: walkIn.vin, concern: '看板测试：异响', service_type: 'repair' },
    maxRedirects: 0,
  });
  assert.equal(r.status(), 303, await r.text());
  await page.goto(`${BASE_URL}/console/board`);
  const card = page.locator('.board-card', { hasText: walkIn.plate }).first();
  assert.ok(await card.isVisible(), 'the walk-in is on the board');
  const cardText = await card.textContent();
  assert.ok(cardText.includes(walkIn.model), 'the card shows the model');
  assert.ok(/服务顾问：\S+/.test(cardText), `the card names the advisor: ${cardText}`);
  const col = page.locator('.board-col', { has: card });
  assert.ok(Number(await col.locator('.count').textContent()) >= 1, 'the column counts its cards');
  const adv = page.locator('select[name=advisor][data-search]');
  const opts = await adv.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.text]).filter((o) => o[0]));
  assert.ok(opts.length >= 1 && !/^\d+$/.test(opts[0][1]), 'advisors by name');
  await Promise.all([page.waitForNavigation(), adv.selectOption(opts[0][0])]);
  assert.ok((await page.locator('.board-card', { hasText: walkIn.plate }).count()) >= 1, 'the advisor filter keeps the card');
  await shot(page, 'console-board-1440-zh');
  await page.setViewportSize({ width: 768, height: 1000 });
  await noOverflow(page, 'board at 768');
  await shot(page, 'console-board-768-zh');
});

test('day and week views move by previous / next and name the station (zh and en)', { timeout: 90_000 }, async () => {
  for (const lang of ['zh-CN', 'en']) {
    const page = await consolePage('advisor', lang);
    await page.goto(`${BASE_URL}/console/appointments`);
    const title = await page.textContent('h1');
    assert.ok(!/(服务站|[Ss]tation)\s*#?\d+\s*$/.test(title.trim()) && /[A-Za-z\u4e00-\u9fff]{2,}/.test(title.split('·')[1] ?? ''), `station by name, not number: ${title}`);
    assert.equal(await page.locator('input[name=station]:not([type=hidden])').count(), 0);
    const date0 = await page.getAttribute('section.day', 'data-date');
    await click(page, '#next');
    const date1 = await page.getAttribute('section.day', 'data-date');
    assert.notEqual(date0, date1, 'next moves the day');
    await click(page, '#prev');
    assert.equal(await page.getAttribute('section.day', 'data-date'), date0, 'previous comes back');
    await click(page, '#view-week');
    assert.equal(await page.locator('section.day').count(), 7, 'the week has seven days');
    await shot(page, `console-week-1440-${lang}`);
    const html = await page.content();
    assert.ok(!html.includes('book.') && !html.includes('svc.appt.'), 'no raw keys');
    for (const width of [768, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of ['/console/appointments', '/console/appointments?view=week', '/console/appointments/new']) {
        await page.goto(`${BASE_URL}${path}`);
        await noOverflow(page, `${path} at ${width} (${lang})`);
      }
      await page.goto(`${BASE_URL}/console/appointments`);
      await shot(page, `console-day-${width}-${lang}`);
    }
    // On a tablet the sidebar is collapsed behind a toggle.
    await page.setViewportSize({ width: 768, height: 900 });
    assert.ok(await page.isVisible('#nav-toggle'), 'sidebar toggle on a tablet');
    assert.ok(!(await page.isVisible('nav.side')), 'sidebar collapsed on a tablet');
    await page.click('#nav-toggle');
    assert.ok(await page.isVisible('nav.side'), 'the toggle opens the sidebar');
    await page.context().close();
  }
});

test('a head-office agent picks the station from a searchable select (en)', { timeout: 60_000 }, async () => {
  const page = await consolePage('agent', 'en');
  await page.goto(`${BASE_URL}/console/appointments`);
  const select = page.locator('select[name=station][data-search]');
  assert.equal(await select.count(), 1, 'a station select, not a typed number');
  const filter = page.locator('input.select-filter');
  assert.equal(await filter.count(), 1, 'the select is searchable');
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.text]));
  assert.ok(options.length > 1, 'several stations');
  const [value, text] = options[options.length - 1];
  assert.ok(!/^\d+$/.test(text), 'options show names');
  await filter.fill(text.split(' · ')[1]); // the station code
  assert.equal(await select.inputValue(), value, 'typing the code selects the station');
  await Promise.all([page.waitForNavigation(), select.selectOption(value)]);
  assert.ok(page.url().includes(`station=${value}`));
  assert.ok((await page.textContent('h1')).includes(text.split(' · ')[0]));
  await shot(page, 'console-agent-1440-en');
});

test('the owner picks a station sorted by distance and a free time on the phone (zh and en)', { timeout: 90_000 }, async () => {
  for (const lang of ['zh-CN', 'en']) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: lang });
    ctx.setDefaultTimeout(15_000);
    const owner = await ctx.newPage();
    await signInOwner(owner, OWNER_PHONE);
    if (lang === 'en') await owner.goto(`${BASE_URL}/lang/en?back=/owner`);
    await owner.goto(`${BASE_URL}/owner/book`);
    assert.equal(await owner.locator('input[name=station_id]').count(), 0, 'no typed station number');
    assert.equal(await owner.locator('input[name=start]:not([type=hidden])').count(), 0, 'no free-text time');
    const stations = owner.locator('a.station');
    assert.ok((await stations.count()) > 0, 'stations listed');
    await noOverflow(owner, `owner stations (${lang})`);
    await shot(owner, `owner-stations-390-${lang}`);
    await click(owner, 'a.station');
    const tabs = owner.locator('.tabs a[role=tab]');
    assert.ok((await tabs.count()) > 0, 'days as tabs');
    const tab = tabs.nth(Math.floor(Math.random() * (await tabs.count())));
    await Promise.all([owner.waitForNavigation(), tab.click()]);
    const free = owner.locator('[role=tabpanel] a.slot');
    const slot = free.nth(Math.floor(Math.random() * (await free.count())));
    const start = await slot.getAttribute('data-start');
    await Promise.all([owner.waitForNavigation(), slot.click()]);
    await noOverflow(owner, `owner slots (${lang})`);
    assert.match(await owner.textContent('#chosen-start'), new RegExp(start.slice(11)));
    await owner.fill('#concern', lang === 'en' ? 'Booking test' : '预约测试');
    await shot(owner, `owner-confirm-390-${lang}`);
    await click(owner, '#book-form button[type=submit]');
    assert.match(owner.url(), /\/owner\/appointments\?booked=1/, await owner.textContent('body'));
    await ctx.close();
  }
});

test('every role\'s home shows its work, not only a welcome (zh and en)', { timeout: 90_000 }, async () => {
  const expect = {
    advisor: ['#home-today', '#home-consent', '#home-overruns'],
    technician: ['#home-jobs'],
    manager: ['#home-today', '#home-month'],
    admin: ['#home-top', '#home-bottom'],
  };
  for (const [user, panels] of Object.entries(expect)) {
    for (const lang of ['zh-CN', 'en']) {
      const width = user === 'technician' ? 390 : 1440;
      const page = await consolePage(user, lang, width);
      await page.goto(`${BASE_URL}/console`);
      for (const id of panels) assert.ok(await page.isVisible(id), `${user} (${lang}) home has ${id}`);
      const html = await page.content();
      assert.ok(!/home\.[a-z_]+|svc\.kpi\./.test(await page.textContent('main')), `${user} (${lang}): no raw keys`);
      assert.ok(html.includes('class="card panel"'));
      await noOverflow(page, `${user} home (${lang})`);
      await shot(page, `home-${user}-${width}-${lang}`);
      await page.context().close();
    }
  }
  // Head office sees figures by station name, the month's figures link to the station.
  const admin = await consolePage('admin');
  await admin.goto(`${BASE_URL}/console`);
  const href = await admin.getAttribute('#home-top ul.lines a', 'href');
  assert.match(href, /\/console\/kpis\?station=\d+/);
  assert.ok(!/^\d+$/.test((await admin.textContent('#home-top ul.lines a')).trim()), 'stations by name');
});

test('KPIs: the station by a searchable select, the network as the first choice (zh and en)', { timeout: 60_000 }, async () => {
  for (const lang of ['zh-CN', 'en']) {
    const page = await consolePage('admin', lang);
    await page.goto(`${BASE_URL}/console/kpis`);
    assert.equal(await page.locator('input[name=station]:not([type=hidden])').count(), 0, 'no typed station number');
    const select = page.locator('select[name=station][data-search]');
    assert.equal(await select.count(), 1);
    const opts = await select.locator('option').evaluateAll((os) => os.map((o) => [o.value, o.text]));
    await page.fill('input.select-filter', opts[1][1].split(' · ')[1]);
    await Promise.all([page.waitForNavigation(), page.click('#kpi-filter button[type=submit]')]);
    assert.ok(page.url().includes(`station=${opts[1][0]}`), page.url());
    // The station's dashboard, headed by its name; the network's is one choice away.
    assert.ok((await page.textContent('h1')).includes(opts[1][1].split(' · ')[0]), 'the station by name');
    assert.ok(await page.isVisible('#tile-ffv'));
    assert.equal(opts[0][0], '', 'all stations is the first choice');
    await shot(page, `console-kpis-1440-${lang}`);
    await page.context().close();
  }
});
