// The desk as people use it on the small demo (issue 17, leftovers): the first look
// is a working day (appointments today across the day, orders in every stage, some
// overrun, delivered orders with bills and ratings); the top bar and the lists name
// stations and regions instead of numbers; the capacity page is linked for those who
// publish it; the owner reschedules by picking a free slot; the technician's jobs and
// the pick-up pages work on a 390 px phone; pages load in under 300 ms.
// zh-CN and en; screenshots at 1440 and 390 px.
//
// Run against a freshly built small demo whose log goes to $SERVER_LOG:
//   SERVER_LOG=/tmp/desk_server.log BASE_URL=http://127.0.0.1:18484 node --test tests/browser/desk.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  BASE_URL, CHROMIUM, click, loadMs, newOwner, newPage, noOverflow, signInOwner, signInStaff,
  tapTargets, screenshot,
} from './helpers.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page, name) => screenshot(page, `${SHOTS}desk-${name}.png`);
const LANGS = ['zh-CN', 'en'];

let browser;
before(async () => { browser = await chromium.launch(CHROMIUM); });
after(async () => { await browser?.close(); });

test('the small demo shows a working day on the board, the home and the appointments', async () => {
  for (const lang of LANGS) {
    for (const width of [1440, 390]) {
      const page = await newPage(browser, lang, width);
      await signInStaff(page, 'advisor', lang);
      const tag = `${lang}-${width}`;

      await page.goto(`${BASE_URL}/console/board`);
      const counts = await page.$$eval('.board-col', (cols) => cols.map((c) => ({
        stage: c.dataset.stage, cards: c.querySelectorAll('.board-card').length,
      })));
      const busy = counts.filter((c) => c.cards > 0);
      assert.ok(busy.length >= 4, `orders in at least four stages: ${JSON.stringify(counts)}`);
      assert.ok(await page.locator('.board-card.overrun').count() >= 1, 'an overrun on the board');
      await shot(page, `board-${tag}`);

      await page.goto(`${BASE_URL}/console`);
      const today = await page.locator('#home-today li').count();
      assert.ok(today >= 1, 'today\'s appointments on the advisor\'s home');
      await shot(page, `home-${tag}`);

      await page.goto(`${BASE_URL}/console/appointments`);
      const appts = await page.locator('tr.appt').count();
      assert.ok(appts >= 5, `several appointments today, found ${appts}`);
      await shot(page, `appointments-${tag}`);
      await page.context().close();
    }
  }
});

test('delivered orders of the past days have bills, paid and unpaid, and ratings', async () => {
  // The working day is made first in a fresh demo: orders 1–6 are the past days'
  // deliveries (1, 2, 4 and 5 paid; 3 and 6 owed).
  const page = await newPage(browser, 'zh-CN', 1440);
  await signInStaff(page, 'advisor', 'zh-CN');
  const states = [];
  for (const id of [1, 2, 3, 4, 5, 6]) {
    await page.goto(`${BASE_URL}/console/orders/${id}/bill`);
    const facts = await page.textContent('#bill-facts');
    states.push(facts.includes('已付清') ? 'paid' : facts.includes('未付清') ? 'unpaid' : '?');
  }
  assert.deepEqual(states, ['paid', 'paid', 'unpaid', 'paid', 'paid', 'unpaid']);
  await shot(page, 'bill-unpaid-zh-CN-1440');
  await page.goto(`${BASE_URL}/console/orders/1`);
  assert.ok((await page.textContent('main')).includes('★') || (await page.textContent('main')).includes('评价'),
    'the delivered order shows its rating');
  await page.context().close();
});

test('the top bar and the lists name the station and the region', async () => {
  for (const lang of LANGS) {
    const page = await newPage(browser, lang, 1440);
    await signInStaff(page, 'advisor', lang);
    await page.goto(`${BASE_URL}/console`);
    const bar = await page.textContent('header .user');
    assert.ok(!/#\s*\d+/.test(bar), `top bar without a number: ${bar}`);
    assert.ok(/服务站|Service|Station|station/i.test(bar) || bar.split('·').length === 3, bar);
    await page.goto(`${BASE_URL}/console/customers`);
    const stationCells = await page.$$eval('table tbody tr', (rows) => rows.map((r) => r.cells[3]?.textContent.trim()));
    assert.ok(stationCells.length > 0, 'customers listed');
    for (const c of stationCells) assert.ok(!/^\d+$/.test(c), `a station name, not ${c}`);
    await shot(page, `customers-${lang}`);
    await page.context().close();

    const admin = await newPage(browser, lang, 1440);
    await signInStaff(admin, 'admin', lang);
    await admin.goto(`${BASE_URL}/console/stations`);
    const regions = await admin.$$eval('table tbody tr', (rows) => rows.map((r) => r.cells[3]?.textContent.trim()));
    assert.ok(regions.length > 0);
    for (const c of regions) assert.ok(!/^\d+$/.test(c), `a region name, not ${c}`);
    await admin.goto(`${BASE_URL}/console/staff`);
    const staffUnits = await admin.$$eval('table tbody tr', (rows) => rows.map((r) => [r.cells[3]?.textContent.trim(), r.cells[4]?.textContent.trim()]));
    for (const [st, rg] of staffUnits) {
      assert.ok(!/^\d+$/.test(st) && !/^\d+$/.test(rg), `names, not ${st} / ${rg}`);
    }
    await admin.context().close();
  }
});

test('the capacity page is linked from the station and the day view for those who publish it', async () => {
  const page = await newPage(browser, 'zh-CN', 1440);
  await signInStaff(page, 'manager', 'zh-CN');
  await page.goto(`${BASE_URL}/console/appointments`);
  const href = await page.getAttribute('#capacity-link', 'href');
  assert.match(href, /^\/console\/stations\/\d+\/capacity$/);
  await page.goto(`${BASE_URL}/console/stations/1`);
  assert.equal(await page.locator('a[data-link="/console/stations/1/capacity"]').count(), 1);
  const history = await page.textContent('main');
  assert.ok(!history.includes('capacity_published'), 'station history events translated');
  await click(page, 'a[data-link="/console/stations/1/capacity"]');
  assert.ok(page.url().endsWith('/console/stations/1/capacity'));
  await page.context().close();

  const tech = await newPage(browser, 'zh-CN', 1440);
  await signInStaff(tech, 'technician', 'zh-CN');
  await tech.goto(`${BASE_URL}/console/appointments`);
  assert.equal(await tech.locator('#capacity-link').count(), 0, 'no link for who cannot publish');
  await tech.context().close();
});

test('the owner reschedules by picking a free slot, never by typing a time', async () => {
  for (const lang of LANGS) {
    const owner = await newPage(browser, lang, 390);
    await owner.context().addCookies([{ name: 'as_lang', value: lang, url: BASE_URL }]);
    // An owner of their own: the demo owner's sign-in codes are shared by other files.
    const { phone } = await newOwner(1);
    await signInOwner(owner, phone);
    // A booking of the demo owner to move.
    await owner.goto(`${BASE_URL}/owner/book`);
    const station = owner.locator('#stations a.station').first();
    if (await station.count()) await click(owner, '#stations a.station >> nth=0');
    await click(owner, '.slot-buttons.best a.slot >> nth=0');
    await click(owner, '#book-form button[type=submit]');
    assert.match(owner.url(), /\/owner\/appointments/);
    assert.equal(await owner.locator('input[name=start]:not([type=hidden])').count(), 0, 'no free-text time');
    const link = owner.locator('a[data-reschedule]').last();
    const id = await link.getAttribute('data-reschedule');
    await owner.goto(`${BASE_URL}/owner/appointments/${id}/reschedule`);
    await noOverflow(owner, `reschedule ${lang}`);
    assert.ok(await owner.locator('a.slot').count() >= 2, 'free slots offered');
    await shot(owner, `reschedule-${lang}-390`);
    const target = await owner.getAttribute('.slot-buttons[role=tabpanel] a.slot >> nth=-1', 'data-start');
    await click(owner, '.slot-buttons[role=tabpanel] a.slot >> nth=-1');
    assert.equal(await owner.textContent('#chosen-start') !== '', true);
    await click(owner, '#reschedule-form button[type=submit]');
    assert.match(owner.url(), /rescheduled=1/);
    const list = await owner.textContent('main');
    assert.ok(list.includes(target.slice(5)), `moved to ${target}: ${list}`);
    await owner.context().close();
  }
  const wide = await newPage(browser, 'zh-CN', 1440);
  const { phone } = await newOwner(1);
  await signInOwner(wide, phone);
  await wide.goto(`${BASE_URL}/owner/book`);
  if (await wide.locator('#stations a.station').count()) await click(wide, '#stations a.station >> nth=0');
  await click(wide, '.slot-buttons.best a.slot >> nth=0');
  await click(wide, '#book-form button[type=submit]');
  await wide.goto(`${BASE_URL}/owner/appointments`);
  const id = await wide.getAttribute('a[data-reschedule] >> nth=0', 'data-reschedule');
  await wide.goto(`${BASE_URL}/owner/appointments/${id}/reschedule`);
  await shot(wide, 'reschedule-zh-CN-1440');
  await wide.context().close();
});

test('the technician\'s jobs and the pick-up pages work on a phone', async () => {
  for (const lang of LANGS) {
    const page = await newPage(browser, lang, 390);
    await signInStaff(page, 'technician', lang);
    await page.goto(`${BASE_URL}/console/jobs`);
    await noOverflow(page, `jobs ${lang}`);
    await tapTargets(page, `jobs ${lang}`);
    assert.ok(await page.locator('main table tbody tr, main .job').count() >= 1, 'the technician has jobs today');
    await shot(page, `jobs-${lang}-390`);
    await page.context().close();

    const adv = await newPage(browser, lang, 390);
    await signInStaff(adv, 'advisor', lang);
    await adv.goto(`${BASE_URL}/console/pickups`);
    await noOverflow(adv, `pickups ${lang}`);
    await tapTargets(adv, `pickups ${lang}`);
    await shot(adv, `pickups-${lang}-390`);
    await adv.context().close();
  }
});

// The 300 ms target is a speed figure, measured by the benchmark command
// `scripts/page-times.mjs` (which exits 1 over the limit), not asserted here: a test
// must not fail because the machine is busy. Here every page must answer 200 with its
// main landmark, and the times are printed for the log.
test('pages of the small demo load, with their times printed (target: scripts/page-times.mjs)', async () => {
  const page = await newPage(browser, 'zh-CN', 1440);
  await signInStaff(page, 'advisor', 'zh-CN');
  const figures = [];
  // The advisor's pages (staff and stations are head office's: page-times.mjs signs
  // in as each role and times every page type).
  for (const path of ['/console', '/console/board', '/console/appointments', '/console/customers',
    '/console/vehicles', '/console/appointments/new']) {
    await page.goto(`${BASE_URL}${path}`); // warm
    const res = await page.goto(`${BASE_URL}${path}`);
    assert.equal(res?.status(), 200, `${path} answered ${res?.status()}`);
    assert.ok(await page.locator('main').count(), `${path} has no main landmark`);
    figures.push([path, Math.round(await loadMs(page))]);
  }
  console.log(`page loads (ms, target < 300 on a quiet machine): ${JSON.stringify(figures)}`);
  await page.context().close();
});
