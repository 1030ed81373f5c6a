// End-to-end test of the owner's rights (issue 21) in Debian's headless Chromium,
// driven by playwright-core, in Chinese and in English: an owner created for this run
// opens their data page (the complete export) and files a deletion request — one only
// for records under a legal hold is refused with the reason — head office sees it in
// the console queue and completes it; the owner sees the outcome, with what the law
// keeps and why.
//
// Run against a running demo server whose log goes to $SERVER_LOG:
//   SERVER_LOG=/tmp/server.log BASE_URL=http://127.0.0.1:18282 node --test tests/browser/privacy_rights.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { signInOwner, screenshot } from './helpers.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const PASSWORD = 'demo1234';

const shot = (page, name) => screenshot(page, `${SHOTS}privacy-rights-${name}.png`);
const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

// VIN check digit (ISO 3779), independent of the Rust implementation.
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const TRANSLIT = { A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8, J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9, S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9 };
function randomVin() {
  const raw = `LFVBA24B0PN${digits(6)}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const c = raw[i];
    sum += (c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : TRANSLIT[c]) * WEIGHTS[i];
  }
  const r = sum % 11;
  return raw.slice(0, 8) + (r === 10 ? 'X' : String(r)) + raw.slice(9);
}


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

const TEXT = {
  zh: { locale: 'zh-CN', title: '我的个人信息', hold: '依法必须保留', filed: '申请已提交', kept: '会计凭证', erased: '已删除或匿名化' },
  en: { locale: 'en-US', title: 'My personal data', hold: 'The law requires these records to be kept', filed: 'Your request was sent', kept: 'accounting records', erased: 'Deleted or anonymised' },
};

for (const lang of ['zh', 'en']) {
  const T = TEXT[lang];
  test(`owner exports their data and has it deleted; head office completes it (${lang})`, { timeout: 180_000 }, async () => {
    const admin = await apiSession('admin');
    const stations = await (await admin('GET', '/api/v1/stations')).json();
    const station = (stations.items ?? stations)[0].id;
    const phone = `137${digits(8)}`;
    const vin = randomVin();
    let r = await admin('POST', '/api/v1/customers', {
      name: lang === 'zh' ? '赵删除' : 'Zhao Delete', phone, station_id: station, channel: 'sms',
      consent_service: true, consent_marketing: false,
    });
    let body = await r.text();
    assert.equal(r.status, 201, body);
    const customer = JSON.parse(body).id;
    r = await admin('POST', '/api/v1/vehicles', {
      vin, brand: '大众', model: '朗逸', model_year: 2023, plate: `京C${digits(5)}`,
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
      // 1. The owner signs in on the phone and opens everything kept about them.
      const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: T.locale });
      const owner = await phoneCtx.newPage();
      // The language is a cookie set by the language link (/lang/<tag>).
      await owner.goto(`${BASE_URL}/lang/${lang === 'zh' ? 'zh-CN' : 'en'}?back=/owner/login`);
      await signInOwner(owner, phone);
      await click(owner, '#my-data');
      assert.match(await owner.textContent('h1'), new RegExp(T.title));
      assert.match(await owner.textContent('#section-customer'), new RegExp(phone.slice(-4)));
      assert.match(await owner.textContent('#section-vehicles'), new RegExp(vin));
      assert.ok(await owner.isVisible('#section-who_viewed'));
      assert.ok(await owner.isVisible('#section-bills'));
      await shot(owner, `${lang}-390-01-export`);
      const desk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: T.locale,
        storageState: await phoneCtx.storageState() });
      const wide = await desk.newPage();
      await wide.goto(`${BASE_URL}/owner/data`);
      await shot(wide, `${lang}-1440-01-export`);
      await desk.close();

      // 2. A deletion only of records the law keeps is refused, saying why.
      await owner.selectOption('#kind', 'deletion');
      await owner.check('input[name=scopes][value=bills]');
      await owner.check('input[name=scopes][value=repair_orders]');
      await owner.selectOption('#ground', 'service_ended');
      await click(owner, '#file-request');
      assert.match(await owner.textContent('#error'), new RegExp(T.hold));
      assert.equal(await owner.locator('#requests [data-request]').count(), 0);
      await shot(owner, `${lang}-390-02-legal-hold`);

      // 3. Contact details, messages and bills: filed (bills will be kept).
      await owner.check('input[name=scopes][value=contact]');
      await owner.check('input[name=scopes][value=messages]');
      await owner.uncheck('input[name=scopes][value=repair_orders]');
      await owner.selectOption('#ground', 'service_ended');
      await click(owner, '#file-request');
      assert.match(await owner.textContent('#notice'), new RegExp(T.filed));
      const card = owner.locator('#requests [data-request]').first();
      assert.equal(await card.getAttribute('data-state'), 'open');
      const id = await card.getAttribute('data-request');

      // 4. Head office completes it from the console queue.
      const ctx = await browser.newContext({ locale: T.locale, viewport: { width: 1440, height: 900 } });
      const ho = await ctx.newPage();
      await ho.goto(`${BASE_URL}/lang/${lang === 'zh' ? 'zh-CN' : 'en'}?back=/console/login`);
      await ho.goto(`${BASE_URL}/console/login`);
      await ho.fill('#username', 'admin');
      await ho.fill('#password', PASSWORD);
      await click(ho, 'button[type=submit]');
      await ho.goto(`${BASE_URL}/console/privacy-requests`);
      assert.ok(await ho.isVisible('nav.side a[href="/console/privacy-requests"]'), 'navigation links the queue');
      const item = ho.locator(`[data-request="${id}"]`);
      assert.equal(await item.getAttribute('data-state'), 'open');
      assert.ok(!(await item.textContent()).includes(phone), 'the queue shows the number masked');
      await shot(ho, `${lang}-1440-03-queue`);
      await item.locator('input.answer').fill(lang === 'zh' ? '已按您的要求处理' : 'Done as you asked');
      await Promise.all([ho.waitForNavigation(), item.locator('button.complete').click()]);
      assert.equal(await ho.locator(`[data-request="${id}"]`).getAttribute('data-state'), 'done');
      await ho.setViewportSize({ width: 390, height: 844 });
      await shot(ho, `${lang}-390-03-queue-done`);

      // 5. The owner, still signed in, sees the outcome: what was erased, what is kept and why.
      await owner.goto(`${BASE_URL}/owner/data`);
      const done = owner.locator(`#requests [data-request="${id}"]`);
      assert.equal(await done.getAttribute('data-state'), 'done');
      const outcome = await done.locator('ul.outcome').textContent();
      assert.match(outcome, new RegExp(T.erased));
      assert.match(outcome, new RegExp(T.kept));
      await shot(owner, `${lang}-390-04-outcome`);
      await ctx.close();
    } finally {
      await browser.close();
    }
  });
}
