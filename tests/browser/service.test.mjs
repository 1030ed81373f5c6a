// End-to-end test of the service loop in Debian's headless Chromium, driven by
// playwright-core: the owner books on the phone pages → the advisor receives the car
// and ticks the check-in checkpoints → diagnosis → estimate → the owner approves on
// the phone page (owner link) → the technician repairs → extra work found, blocked
// until the owner approves → inspection → delivery → the owner pays online through
// the sandbox provider and rates on the phone page → the KPIs page shows the order.
//
// Run against a running demo server whose log goes to $SERVER_LOG (the owner's
// one-time code is read from it):
//   SERVER_LOG=/tmp/svc_server.log BASE_URL=http://127.0.0.1:18181 node --test tests/browser/service.test.mjs

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
const OWNER_PHONE = '13800000000';

const shot = (page, name) => screenshot(page, `${SHOTS}service-${name}.png`);

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

/** Signs in through the JSON API and returns fetch helpers carrying the session. */
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

async function consoleLogin(browser, username) {
  const ctx = await browser.newContext({ locale: 'zh-CN' });
  const page = await ctx.newPage();
  await page.goto(`${BASE_URL}/console/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.ok(!page.url().includes('/console/login'), `${username} signed in`);
  return page;
}

/** Ticks every required, unticked checkpoint of `stage` on the order page, in the
 * stage's one form (stage codes of the checkpoints start with `prefix`). */
async function tickRequired(page, prefix) {
  const boxes = page.locator(`input[data-check^="${prefix}."][data-required]`);
  const n = await boxes.count();
  if (n === 0) return;
  for (let i = 0; i < n; i++) {
    const code = await boxes.nth(i).getAttribute('value');
    await boxes.nth(i).check();
    await page.fill(`input[name="note.${code}"]`, '已检查');
  }
  await Promise.all([page.waitForNavigation(), page.locator('[data-save-checks]').first().click()]);
}

async function click(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test('the whole service loop in a real browser', { timeout: 240_000 }, async () => {
  // Head office keeps the labour catalogue (the demo ships none yet).
  const admin = await apiSession('admin');
  for (const op of [
    { code: 'MAINT-10K', name_zh: '1万公里保养', name_en: '10,000 km service', standard_hundredths: 100 },
    { code: 'BRAKE-PAD', name_zh: '更换前刹车片', name_en: 'Replace front brake pads', standard_hundredths: 150, min_grade: 2 },
  ]) {
    const r = await admin('POST', '/api/v1/labour-operations', op);
    assert.equal(r.status, 201, await r.text());
  }

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // 1. The owner signs in with a one-time code and books.
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const owner = await phoneCtx.newPage();
    await signInOwner(owner, OWNER_PHONE);
    await owner.goto(`${BASE_URL}/owner/book`);
    const day = nextWorkday();
    // The nearest station (the vehicle's own) first, then the day's tab and the time.
    await click(owner, 'a.station');
    await click(owner, `.tabs a[data-day="${day}"]`);
    await click(owner, `a.slot[data-start="${day} 10:00"]`);
    await owner.fill('input[name=concern]', '做保养，刹车有异响');
    await shot(owner, '01-owner-book');
    await click(owner, '#book-form button[type=submit]');
    assert.match(owner.url(), /\/owner\/appointments/);
    assert.match(await owner.textContent('body'), /已预约/);
    await shot(owner, '02-owner-appointments');

    // 2. The advisor receives the car and completes the check-in checkpoints.
    const adv = await consoleLogin(browser, 'advisor');
    await adv.goto(`${BASE_URL}/console/appointments?day=${day}`);
    await shot(adv, '03-advisor-appointments');
    const receive = adv.locator('tr', { hasText: '做保养，刹车有异响' }).locator('button', { hasText: '接车开单' }).first();
    await Promise.all([adv.waitForNavigation(), receive.click()]);
    assert.match(adv.url(), /\/console\/orders\/\d+$/);
    const orderUrl = adv.url();
    const orderId = orderUrl.split('/').pop();
    // Completing reception before the checkpoints is refused by rule.
    await click(adv, '[data-stage-complete="reception"]');
    assert.match(await adv.textContent('.alert.error'), /必检项未完成/);
    await adv.goto(orderUrl);
    await tickRequired(adv, 'reception');
    await click(adv, '[data-stage-complete="reception"]');

    // 3. Diagnosis and the estimate.
    await click(adv, '[data-stage-start="diagnosis"]');
    await tickRequired(adv, 'diagnosis');
    // Diagnosis codes the concern (the three-guarantees counters group repairs by it).
    await adv.click('#classify-box > summary');
    await adv.fill('#classify input[name=concern_code]', 'P0300');
    await click(adv, '#classify-save');
    assert.equal(await adv.inputValue('#classify input[name=concern_code]'), 'P0300');
    assert.ok((await adv.textContent('dl.kv')).includes('P0300'), 'the order shows the code');
    await adv.selectOption('form:has(#add-line) select[name=kind]', 'labour');
    await adv.fill('form:has(#add-line) input[name=code]', 'MAINT-10K');
    await click(adv, '#add-line');
    await adv.selectOption('form:has(#add-line) select[name=kind]', 'part');
    await adv.fill('form:has(#add-line) input[name=code]', 'OIL-FILTER');
    await adv.fill('form:has(#add-line) input[name=unit_price_yuan]', '50');
    await click(adv, '#add-line');
    await click(adv, '#issue-link');
    const link = new URL(await adv.getAttribute('#owner-link', 'href')).pathname;
    assert.match(link, /^\/owner\/track\/[0-9a-f]{32,}/i);
    await shot(adv, '04-advisor-estimate');

    // 4. The owner approves on the phone page.
    await owner.goto(`${BASE_URL}${link}`);
    await shot(owner, '05-owner-estimate');
    await click(owner, '[data-approve="1"]');
    await click(owner, '[data-approve="2"]');
    assert.equal(await owner.locator('[data-approve]').count(), 0);

    // 5. Repair by the certified technician.
    await adv.goto(orderUrl);
    await click(adv, '[data-stage-complete="diagnosis"]');
    await click(adv, '[data-stage-start="repair"]');
    const assignTo = async (no) => {
      const form = adv.locator(`form:has([data-assign="${no}"])`);
      const value = await form.locator('option', { hasText: '(technician)' }).first().getAttribute('value');
      await form.locator('select').selectOption(value);
      await click(adv, `[data-assign="${no}"]`);
    };
    await assignTo(1);
    const tech = await consoleLogin(browser, 'technician');
    const workOn = async () => {
      await tech.goto(`${BASE_URL}/console/jobs`);
      await shot(tech, '06-technician-jobs');
      const row = tech.locator(`tr[data-id="${orderId}"]`).filter({ has: tech.locator('button') }).first();
      await Promise.all([tech.waitForNavigation(), row.locator('button', { hasText: '开工' }).click()]);
      const row2 = tech.locator(`tr[data-id="${orderId}"]`).filter({ has: tech.locator('button', { hasText: '完工' }) }).first();
      await Promise.all([tech.waitForNavigation(), row2.locator('button', { hasText: '完工' }).click()]);
    };
    await workOn();
    await adv.goto(orderUrl);
    await click(adv, '[data-work="fit-2"]');

    // 6. Extra work found: blocked until the owner approves.
    await adv.selectOption('form:has(#add-line) select[name=kind]', 'labour');
    await adv.fill('form:has(#add-line) input[name=code]', 'BRAKE-PAD');
    await click(adv, '#add-line');
    await click(adv, '[data-stage-complete="repair"]');
    assert.match(await adv.textContent('.alert.error'), /等待客户确认/);
    await shot(adv, '07-advisor-extra-blocked');
    await owner.goto(`${BASE_URL}${link}`);
    assert.ok(await owner.isVisible('#awaiting'));
    await shot(owner, '08-owner-extra-work');
    await click(owner, '[data-approve="3"]');
    await adv.goto(orderUrl);
    await assignTo(3);
    await workOn();
    await adv.goto(orderUrl);
    await tickRequired(adv, 'repair');
    await click(adv, '[data-stage-complete="repair"]');

    // 7. Inspection and delivery.
    await click(adv, '[data-stage-start="quality_inspection"]');
    await tickRequired(adv, 'qi');
    await click(adv, '[data-stage-complete="quality_inspection"]');
    await click(adv, '[data-stage-start="delivery"]');
    await tickRequired(adv, 'delivery');
    // Handing over is irreversible: the confirm dialog asks first.
    await adv.click('[data-stage-complete="delivery"]');
    await adv.waitForSelector('dialog.confirm[open]');
    await click(adv, 'dialog.confirm [data-confirm-ok]');
    assert.equal(await adv.locator('.alert.error').count(), 0);
    assert.match(await adv.textContent('#stage-delivery'), /已完成/);
    await shot(adv, '09-advisor-delivered');
    await owner.goto(`${BASE_URL}${link}`);
    assert.match(await owner.textContent('body'), /车辆已交付/);
    await shot(owner, '10-owner-delivered');

    // 8. The owner pays online through the sandbox provider and rates, on the phone.
    assert.ok(await owner.isVisible('#bill'), 'the electronic bill is shown');
    assert.match(await owner.textContent('#bill'), /增值税/);
    const total = (await owner.textContent('#bill-total')).trim();
    assert.match(total, /^¥[\d,]+\.\d{2}$/);
    await owner.locator('#pay-online').scrollIntoViewIfNeeded();
    await shot(owner, 'pay');
    await click(owner, '#pay-online');
    assert.match(owner.url(), /\/sandbox-pay\/[0-9a-f]{32,}/);
    assert.ok((await owner.textContent('body')).includes(total), 'the sandbox asks for the bill total');
    await click(owner, 'button[name=outcome][value=pay]');
    assert.equal(new URL(owner.url()).pathname, link, 'back on the owner page after paying');
    assert.ok(await owner.isVisible('#paid'), 'paid state shown');
    assert.equal(await owner.locator('#pay-online').count(), 0);
    // Zero stars is not a choice; five stars and a comment, once.
    await click(owner, '#rate-submit');
    assert.match(await owner.textContent('.alert.error'), /评分/);
    await owner.check('input[name=stars][value="5"]');
    await owner.fill('textarea[name=comment]', '师傅很专业，进度一目了然');
    await click(owner, '#rate-submit');
    assert.match(await owner.textContent('#rated'), /★★★★★/);
    assert.match(await owner.textContent('#rated'), /进度一目了然/);
    assert.equal(await owner.locator('#rate-form').count(), 0);
    await owner.locator('#rated').scrollIntoViewIfNeeded();
    await shot(owner, 'rated');

    // 9. The KPIs show the order.
    const mgr = await consoleLogin(browser, 'manager');
    await mgr.goto(`${BASE_URL}/console/kpis?station=1`);
    const mdt = await mgr.textContent('#tile-mdt');
    assert.match(mdt, /n = [1-9]/, `delivered this month: ${mdt}`);
    assert.ok(await mgr.isVisible('#kpi-trend'));
    await shot(mgr, '11-manager-kpis');
  } finally {
    await browser.close();
  }
});
