// The console's lists as people use them (issue 17, findings 4, 11 and the list
// component): the appointments list, the technician's jobs, the pick-ups, head
// office's privacy requests and the audit search sort by a column heading (whitelisted,
// `aria-sort`, the order kept on page links), offer page sizes and numbered pages; the
// vehicle form finds the owner by phone tail, name or plate instead of a typed id; and
// at 390 px no console page scrolls sideways except inside a table's own scroll box.
// The vehicle form picks its station by typing part of the name (the searchable
// select), never a typed number; on a phone (390 px) the card layout hides the headings,
// so a "sort by" row offers the same orders, keyboard reachable, the current one marked.
// zh-CN and en; screenshots at 1440 and 390 px.
//
//   SERVER_LOG=/tmp/desk-demo.log BASE_URL=http://127.0.0.1:18104 node --test tests/browser/lists.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, click, newPage, noOverflow, randomVin, signInStaff, screenshot } from './helpers.mjs';
import { assertAccessible } from './axe.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page, name) => screenshot(page, `${SHOTS}lists-${name}.png`);
const LANGS = ['zh-CN', 'en'];

// [name, account, path, sortable key to click]
const LISTS = [
  ['appointments', 'advisor', '/console/appointments?view=list', 'plate'],
  ['jobs', 'technician', '/console/jobs', 'plate'],
  ['pickups', 'advisor', '/console/pickups', 'state'],
  ['privacy-requests', 'admin', '/console/privacy-requests', 'due'],
  ['audit', 'privacy', '/console/audit', 'action'],
];

/** The heading that sorts by `key` (its link carries `sort=key`). */
const heading = (page, key) => page.locator(`th:has(a.sort[href*="sort=${key}&"])`).first();

test('five lists sort by a heading, keep the order on page links, offer sizes (zh and en)', { timeout: 240_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of LANGS) {
      for (const [name, account, path, key] of LISTS) {
        const page = await newPage(browser, lang);
        await signInStaff(page, account, lang);
        const r = await page.goto(`${BASE_URL}${path}`);
        assert.equal(r.status(), 200, `${name} ${lang}`);
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        // Every heading says how the list is sorted; a sortable one is a link.
        const th = heading(page, key);
        assert.equal(await th.getAttribute('aria-sort'), 'none', `${name}: not sorted yet`);
        await click(page, `th a.sort[href*="sort=${key}&"]`);
        assert.match(page.url(), new RegExp(`sort=${key}&dir=asc`), `${name}: ascending`);
        assert.equal(await heading(page, key).getAttribute('aria-sort'), 'ascending', `${name} ${lang}`);
        await click(page, `th a.sort[href*="sort=${key}&"]`);
        assert.equal(await heading(page, key).getAttribute('aria-sort'), 'descending', `${name} ${lang}`);
        // Page sizes keep the order (and the list's filters).
        const fifty = page.locator('#page-sizes a[data-size="50"]');
        assert.equal(await fifty.count(), 1, `${name}: page sizes`);
        const href = await fifty.getAttribute('href');
        assert.match(href, new RegExp(`sort=${key}&dir=desc`), `${name}: the size link keeps the order`);
        await click(page, '#page-sizes a[data-size="50"]');
        assert.equal(await page.textContent('#page-sizes strong[aria-current]'), '50');
        assert.equal(await heading(page, key).getAttribute('aria-sort'), 'descending', `${name}: order kept`);
        assert.ok(!/\b(page|pk|book|svc|audit|privacy)\.[a-z_]+\b/.test(await page.textContent('main')), `${name}: no raw keys`);
        await shot(page, `${name}-${lang}-1440`);
        await page.setViewportSize({ width: 390, height: 844 });
        await noOverflow(page, `${name} at 390 (${lang})`);
        await shot(page, `${name}-${lang}-390`);
        await page.context().close();
      }
    }
  } finally {
    await browser.close();
  }
});

test('the audit search has numbered pages that keep the order and the filters', { timeout: 60_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    const page = await newPage(browser, 'zh-CN');
    await signInStaff(page, 'privacy', 'zh-CN');
    // More than a page of 20 rows: each download of the log is a row of its own.
    for (let i = 0; i < 21; i++) {
      const r = await page.request.get(`${BASE_URL}/console/audit/export?action=export`);
      assert.equal(r.status(), 200);
    }
    await page.goto(`${BASE_URL}/console/audit?sort=at&dir=desc`);
    const two = page.locator('nav.pager .page-numbers a[data-page="2"]');
    assert.equal(await two.count(), 1, await page.textContent('nav.pager'));
    assert.match(await two.getAttribute('href'), /sort=at&dir=desc/);
    await click(page, 'nav.pager .page-numbers a[data-page="2"]');
    assert.equal(await page.textContent('nav.pager strong[aria-current="page"]'), '2');
    assert.match(await page.textContent('nav.pager'), /第 2\//);
    // A filter stays on the page links.
    await page.goto(`${BASE_URL}/console/audit?action=view`);
    const next = page.locator('nav.pager a[rel="next"]');
    if (await next.count()) assert.match(await next.getAttribute('href'), /action=view/);
    const sortLink = await page.locator('th a.sort[href*="sort=at&"]').getAttribute('href');
    assert.match(sortLink, /action=view/, 'sorting keeps the filter');
    await page.context().close();
  } finally {
    await browser.close();
  }
});

test('the vehicle form finds the owner by phone tail, name or plate, never a typed id (zh and en)', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of LANGS) {
      const page = await newPage(browser, lang);
      await signInStaff(page, 'advisor', lang);
      await page.goto(`${BASE_URL}/console/vehicles/new`);
      const owner = page.locator('select#f-owner_id');
      assert.equal(await owner.count(), 1, 'the owner is a select');
      assert.equal(await page.locator('input[name=owner_id]').count(), 0, 'no typed owner id');
      // A search that finds nobody says so beside the field, nothing saved.
      await page.fill('#f-owner_id-q', '天外来客');
      await click(page, '#f-owner_id-find');
      assert.match(await page.textContent('.field-error[data-field="owner_id"]'),
        lang === 'en' ? /No owner found/ : /没有找到车主/);
      assert.match(page.url(), /\/console\/vehicles\/new$/);
      // The demo owner by the last four digits of the phone (13800000000).
      const vin = randomVin();
      await page.fill('[name=vin]', vin);
      await page.fill('#f-owner_id-q', '0000');
      // Enter in the search box finds (as the find button does).
      await Promise.all([page.waitForNavigation(), page.press('#f-owner_id-q', 'Enter')]);
      assert.equal(await page.inputValue('[name=vin]'), vin, 'the values typed are kept');
      assert.equal(await page.inputValue('#f-owner_id-q'), '0000', 'the search stays in its box');
      const options = await owner.locator('option').allTextContents();
      assert.ok(options.some((o) => /138\*{4}0000/.test(o)), `an owner with the masked phone: ${options}`);
      assert.ok(!options.some((o) => /13800000000/.test(o)), 'never the whole number');
      // Several owners may end in 0000: pick the demo owner by the masked phone.
      const value = await owner.locator('option', { hasText: /138\*{4}0000/ }).first().getAttribute('value');
      assert.match(value, /^\d+$/);
      await owner.selectOption(value);
      await shot(page, `vehicle-owner-${lang}-1440`);
      await page.setViewportSize({ width: 390, height: 844 });
      await noOverflow(page, `vehicle form at 390 (${lang})`);
      await shot(page, `vehicle-owner-${lang}-390`);
      await page.setViewportSize({ width: 1440, height: 900 });
      // Saved with the rest: the vehicle page names the owner.
      for (const [n, v] of [['brand', '星河'], ['model', 'S7'], ['model_year', '2024'],
        ['purchase_date', '2024-03-01']]) await page.fill(`[name=${n}]`, v);
      // Enter in any other field saves, never the owner search before it.
      await Promise.all([page.waitForNavigation(), page.press('[name=model]', 'Enter')]);
      assert.match(new URL(page.url()).pathname, /^\/console\/vehicles\/\d+$/, await page.textContent('main'));
      assert.match(await page.textContent('main'), /138\*{4}0000/);
      // The edit form shows the owner by name, chosen.
      await page.goto(`${page.url()}/edit`);
      assert.equal(await owner.inputValue(), value);
      assert.match(await owner.locator('option:checked').textContent(), /138\*{4}0000/);
      // From the customer's page: "add a vehicle" opens the form with them chosen.
      await page.goto(`${BASE_URL}/console/customers/${value}`);
      await click(page, `a[data-link="/console/vehicles/new?owner=${value}"]`);
      assert.equal(await owner.inputValue(), value, 'the customer is the owner');
      await page.goto(`${BASE_URL}/console/vehicles`);
      await page.goto(`${BASE_URL}/console/vehicles?q=${vin}`);
      await click(page, `a:text("${vin}")`);
      await page.goto(`${page.url()}/edit`);
      // By VIN: the owner of a car found by a fragment of its VIN.
      await page.fill('#f-owner_id-q', vin.slice(-6));
      await click(page, '#f-owner_id-find');
      assert.ok((await owner.locator('option').count()) >= 2, 'found by the VIN tail');
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('at 390 px no console list scrolls sideways, the complaint queue and job queue included', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  const pages = [
    ['agent', '/console/complaints'],
    ['admin', '/console/queue'],
    ['technician', '/console/jobs'],
    ['admin', '/console/customers'],
    ['admin', '/console/vehicles'],
    ['admin', '/console/staff'],
    ['privacy', '/console/audit'],
    ['advisor', '/console/appointments?view=list'],
  ];
  try {
    for (const lang of LANGS) {
      for (const [account, path] of pages) {
        const page = await newPage(browser, lang, 390);
        await signInStaff(page, account, lang);
        await page.goto(`${BASE_URL}${path}`);
        await noOverflow(page, `${path} at 390 (${lang})`);
        await shot(page, `390-${path.replace(/[^a-z]+/g, '-')}-${lang}`);
        await page.context().close();
      }
    }
  } finally {
    await browser.close();
  }
});

test('the vehicle form picks the station by typing part of its name (zh and en)', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of LANGS) {
      const page = await newPage(browser, lang);
      await signInStaff(page, 'admin', lang);
      await page.goto(`${BASE_URL}/console/vehicles/new`);
      const station = page.locator('select#f-station_id');
      assert.equal(await station.count(), 1, 'the station is a select');
      assert.equal(await page.locator('input[name=station_id]').count(), 0, 'no typed station number');
      // The stations by name · code · city, never a bare number.
      const texts = (await station.locator('option').allTextContents()).filter((t, i) => i > 0);
      assert.ok(texts.length >= 2, `stations offered: ${texts.length}`);
      assert.ok(texts.every((t) => / · /.test(t) && !/^\d+$/.test(t)), texts.slice(0, 5).join(' | '));
      // Type part of the name of a station further down the list.
      const wanted = texts[texts.length - 1];
      const name = wanted.split(' · ')[0];
      const part = name.slice(Math.max(0, name.length - 6));
      const filter = page.locator('#f-station_id').locator('xpath=preceding-sibling::input[@type="search"][1]');
      assert.equal(await filter.count(), 1, 'a filter box before the select');
      await filter.fill(part);
      const chosen = await station.locator('option:checked').textContent();
      assert.ok(chosen.includes(part), `typing "${part}" chose "${chosen}"`);
      const hidden = await station.locator('option').evaluateAll((os) => os.filter((o) => o.hidden).length);
      assert.ok(hidden > 0, 'the other stations are filtered out');
      await shot(page, `vehicle-station-${lang}-1440`);
      // Saved with the rest: the owner looked up, the vehicle page names the station.
      const vin = randomVin();
      for (const [n, v] of [['vin', vin], ['brand', '星河'], ['model', 'S7'], ['model_year', '2024'],
        ['purchase_date', '2024-03-01']]) await page.fill(`[name=${n}]`, v);
      // Not the owner of 138****0000: the service-loop test books with that owner's
      // first car, which a car at another station must not displace.
      await page.fill('#f-owner_id-q', '2683');
      await click(page, '#f-owner_id-find');
      assert.equal(await station.locator('option:checked').textContent(), chosen, 'the station is kept');
      const owner = page.locator('select#f-owner_id');
      await owner.selectOption(await owner.locator('option', { hasText: /130\*{4}2683/ }).first().getAttribute('value'));
      await page.setViewportSize({ width: 390, height: 844 });
      await noOverflow(page, `vehicle form at 390 (${lang})`);
      await shot(page, `vehicle-station-${lang}-390`);
      await page.setViewportSize({ width: 1440, height: 900 });
      await click(page, 'form:has([name=vin]) button[type=submit]:not([name=find])');
      assert.match(new URL(page.url()).pathname, /^\/console\/vehicles\/\d+$/, await page.textContent('main'));
      const main = await page.textContent('main');
      assert.ok(main.includes(name), `the vehicle page names the station ${name}`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

test('on a phone the card lists sort by a "sort by" row, the current order marked (zh and en)', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  // The plate column of the technician's jobs (cards at 390 px), as shown.
  const plates = (page) => page.$$eval('table.cards tbody tr', (rows) => rows.map((r) => r.cells[1]?.textContent.trim() ?? ''));
  try {
    for (const lang of LANGS) {
      const page = await newPage(browser, lang, 390);
      await signInStaff(page, 'technician', lang);
      await page.goto(`${BASE_URL}/console/jobs`);
      assert.ok(!(await page.locator('table.cards thead').isVisible()), 'the headings are hidden on a phone');
      const bar = page.locator('nav#sort-bar');
      assert.ok(await bar.isVisible(), 'the sort row is shown on a phone');
      assert.equal(await bar.getAttribute('aria-label'), lang === 'en' ? 'Sort by' : '排序');
      const before = await plates(page);
      assert.ok(before.length >= 2, `jobs to sort: ${before.length}`);
      // Keyboard: tab to the plate choice and press Enter.
      const choice = bar.locator('a[href*="sort=plate&"]');
      assert.equal(await choice.getAttribute('aria-current'), null, 'not the order yet');
      await choice.focus();
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')),
        await choice.getAttribute('href'), 'the choice takes the focus');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      assert.match(page.url(), /sort=plate&dir=asc/);
      const asc = await plates(page);
      assert.deepEqual(asc, [...asc].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'ascending by plate');
      assert.equal(await bar.locator('a[aria-current="true"]').count(), 1, 'one order marked');
      assert.match(await bar.locator('a[aria-current="true"]').getAttribute('href'), /sort=plate&dir=desc/,
        'the marked choice turns the order round');
      assert.match(await bar.locator('a[aria-current="true"]').textContent(), /▲/);
      await shot(page, `sort-bar-${lang}-390`);
      await assertAccessible(page, `jobs at 390 (${lang})`);
      await click(page, 'nav#sort-bar a[aria-current="true"]');
      const desc = await plates(page);
      const byPlate = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
      assert.deepEqual(desc, [...desc].sort(byPlate).reverse(), 'descending by plate');
      assert.ok(desc[0] >= asc[asc.length - 1], `the order changed: ${asc[0]}… then ${desc[0]}…`);
      assert.notDeepEqual(desc, asc, 'the order changed');
      assert.match(await bar.locator('a[aria-current="true"]').textContent(), /▼/);
      await noOverflow(page, `jobs sorted at 390 (${lang})`);
      // Where the headings show (1440 px), the row is not there twice.
      await page.setViewportSize({ width: 1440, height: 900 });
      assert.ok(!(await bar.isVisible()), 'the sort row is for the card layout only');
      await assertAccessible(page, `jobs at 1440 (${lang})`);
      await page.context().close();
    }
  } finally {
    await browser.close();
  }
});

// The four lists that used to be plain tables (pick-ups, privacy requests, audit search,
// the appointments' list view) are on the shared table component: on a phone each row
// is a card whose cells carry their headings, the "sort by" row replaces the hidden
// heading row, the pager stays, an empty list says so; the day and week boards (a
// calendar, not a table) offer the same "sort by" row at every width, leading to the
// week's list in that order.
const CARD_LISTS = [
  ['pickups', 'advisor', '/console/pickups', '#pickups'],
  ['privacy-requests', 'admin', '/console/privacy-requests', '#privacy-requests'],
  ['audit', 'privacy', '/console/audit', '#audit-rows'],
  ['appointments', 'advisor', '/console/appointments?view=list', '#appointment-list'],
];

test('on a phone the four lists are cards with a sort-by row, labelled cells and a pager (zh and en)', { timeout: 240_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of LANGS) {
      for (const [name, account, path, table] of CARD_LISTS) {
        const page = await newPage(browser, lang, 390);
        await signInStaff(page, account, lang);
        await page.goto(`${BASE_URL}${path}`);
        assert.equal(await page.locator(`${table}.cards`).count(), 1, `${name}: the shared card table`);
        assert.equal(await page.$eval(`${table} thead`, (el) => getComputedStyle(el).display), 'none',
          `${name}: the heading row gives way to cards`);
        const bar = page.locator('#sort-bar');
        assert.ok(await bar.isVisible(), `${name} ${lang}: the sort-by row shows on a phone`);
        const choices = bar.locator('a.sort-choice');
        assert.ok((await choices.count()) >= 2, `${name}: sort choices`);
        const labels = await page.$$eval(`${table} tbody td[data-label]`, (tds) => tds.map((td) => td.dataset.label));
        assert.ok(labels.every((l) => l.length > 0 && !/^[a-z_]+\.[a-z_.]+$/.test(l)), `${name}: cells labelled ${labels.slice(0, 6)}`);
        const rows = await page.locator(`${table} tbody tr`).count();
        if (rows === 0) {
          assert.ok(await page.locator('.card .empty').isVisible(), `${name}: an empty list says so`);
        }
        assert.equal(await page.locator('nav.pager #page-sizes').count(), 1, `${name}: the pager`);
        await noOverflow(page, `${name} cards at 390 (${lang})`);
        await assertAccessible(page, `${name} cards at 390 ${lang}`);
        await shot(page, `cards-${name}-${lang}-390`);
        // A choice of the row sorts the list and is marked as the current order.
        const key = (await choices.nth(1).getAttribute('href')).match(/sort=([a-z_]+)/)[1];
        await click(page, `#sort-bar a.sort-choice[href*="sort=${key}&"]`);
        assert.match(page.url(), new RegExp(`sort=${key}&dir=asc`));
        assert.equal(await page.locator(`#sort-bar a.sort-choice[href*="sort=${key}&"]`).getAttribute('aria-current'), 'true');
        await page.setViewportSize({ width: 1440, height: 900 });
        assert.ok(!(await bar.isVisible()), `${name}: the headings sort on a wide screen`);
        await assertAccessible(page, `${name} at 1440 ${lang}`);
        await shot(page, `cards-${name}-${lang}-1440`);
        await page.context().close();
      }
    }
  } finally {
    await browser.close();
  }
});

test('the day and week boards offer the sort-by row, leading to the list in that order; empty lists say so', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of LANGS) {
      for (const width of [1440, 390]) {
        for (const view of ['day', 'week']) {
          const page = await newPage(browser, lang, width);
          await signInStaff(page, 'advisor', lang);
          await page.goto(`${BASE_URL}/console/appointments?view=${view}`);
          const bar = page.locator('.sort-always #sort-bar');
          assert.ok(await bar.isVisible(), `${view} ${width} ${lang}: the sort-by row`);
          await noOverflow(page, `${view} board at ${width} (${lang})`);
          await assertAccessible(page, `${view} board ${width} ${lang}`);
          await shot(page, `board-${view}-${lang}-${width}`);
          await click(page, '.sort-always a.sort-choice[href*="sort=plate&"]');
          assert.match(page.url(), /view=list/);
          assert.match(page.url(), /sort=plate&dir=asc/);
          assert.equal(await page.locator('th:has(a.sort[href*="sort=plate&"])').getAttribute('aria-sort'), 'ascending');
          await page.context().close();
        }
      }
      // An empty list: the pick-ups of a day long ago, the audit of a day to come.
      const page = await newPage(browser, lang);
      await signInStaff(page, 'advisor', lang);
      await page.goto(`${BASE_URL}/console/pickups?day=2001-01-01`);
      assert.equal(await page.locator('#pickups tbody tr').count(), 0);
      const empty = (await page.textContent('#empty')).trim();
      assert.ok(empty.length > 0 && !/\b(svc|pk)\.[a-z_]+/.test(empty), `pick-ups empty: ${empty}`);
      await page.context().close();
      const audit = await newPage(browser, lang);
      await signInStaff(audit, 'privacy', lang);
      await audit.goto(`${BASE_URL}/console/audit?from=2099-01-01&to=2099-01-02`);
      assert.match(await audit.textContent('#empty'), lang === 'en' ? /[A-Za-z]/ : /[\u4e00-\u9fff]/);
      await audit.context().close();
    }
  } finally {
    await browser.close();
  }
});
