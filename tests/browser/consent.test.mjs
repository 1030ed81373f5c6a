// End-to-end test of the consent ledger (issue 21) in Debian's headless Chromium,
// driven by playwright-core: an owner signs in on the phone page and withdraws
// marketing consent (a confirm step) → a station manager starts a campaign for the
// station → the delivery asks the ledger at send time and holds the owner's message
// back → the customer's console page shows it suppressed and the change with its
// source → the privacy officer finds the change in the audit log and downloads it.
// Pages are checked and photographed in Chinese and in English, at 390 and 1440 px.
//
// The owner is a customer created for this run (own mobile number), so the sign-in
// code read from the server log is this test's own.
//
// Run against a running demo server whose log goes to $SERVER_LOG:
//   SERVER_LOG=/tmp/consent_server.log BASE_URL=http://127.0.0.1:18391 node --test tests/browser/consent.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { signInOwner, screenshot } from './helpers.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const PASSWORD = 'demo1234';

const shot = (page, name) => screenshot(page, `${SHOTS}consent-${name}.png`);
const digits = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));


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

async function consoleLogin(ctx, username) {
  const page = await ctx.newPage();
  await page.goto(`${BASE_URL}/console/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await click(page, 'button[type=submit]');
  return page;
}

async function switchTo(page, tag) {
  const u = new URL(page.url());
  await page.goto(`${BASE_URL}/lang/${tag}?back=${encodeURIComponent(u.pathname + u.search)}`);
}

test('an owner withdraws marketing consent; a campaign then skips them; the audit shows it', { timeout: 180_000 }, async () => {
  // A customer of the advisor's station who agreed to marketing at the desk.
  const advisorApi = await apiSession('advisor');
  const me = await (await advisorApi('GET', '/api/v1/me')).json();
  const station = me.unit.id[0];
  const phone = `137${digits(8)}`;
  let r = await advisorApi('POST', '/api/v1/customers', {
    name: '赵授权', phone, station_id: station, channel: 'sms',
    consent_service: true, consent_marketing: true,
  });
  let body = await r.text();
  assert.equal(r.status, 201, body);
  const customer = JSON.parse(body).id;
  let consent = await (await advisorApi('GET', `/api/v1/customers/${customer}/consent`)).json();
  assert.equal(consent.purposes.find((p) => p.purpose === 'marketing').granted, true);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // 1. The owner signs in on the phone and opens the privacy page.
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    const owner = await phoneCtx.newPage();
    await signInOwner(owner, phone);
    await click(owner, '#my-privacy');
    const marketing = owner.locator('.consent[data-purpose="marketing"]');
    assert.equal(await marketing.getAttribute('data-granted'), 'true');
    assert.match(await marketing.textContent(), /营销推广.*已同意/s);
    assert.match(await marketing.textContent(), /前台/, 'how it was given');
    await shot(owner, '01-owner-zh-390');

    // 2. Withdraw marketing: open the toggle, read the question, confirm.
    await owner.click('summary[data-toggle="marketing"]');
    assert.match(await marketing.textContent(), /确认撤回“营销推广”/);
    await click(owner, 'button[data-confirm="marketing"]');
    assert.match(owner.url(), /\/owner\/privacy\?saved=1$/);
    assert.match(await owner.textContent('[role=status]'), /已记录/);
    assert.equal(await marketing.getAttribute('data-granted'), 'false');
    assert.match(await marketing.textContent(), /已撤回/);
    assert.match(await marketing.textContent(), /车主手机页/);
    assert.equal(
      await owner.locator('.consent[data-purpose="service_contact"]').getAttribute('data-granted'), 'true',
      'the other purposes are untouched');
    await shot(owner, '02-owner-withdrawn-zh-390');
    await switchTo(owner, 'en');
    assert.match(await marketing.textContent(), /Marketing.*Withdrawn/s);
    assert.match(await marketing.textContent(), /Owner's phone page/);
    await shot(owner, '03-owner-withdrawn-en-390');

    // 3. A station manager starts a campaign for the station.
    const manager = await apiSession('manager');
    r = await manager('POST', '/api/v1/campaigns', { station_id: station, message: '冬季保养八折' });
    body = await r.text();
    assert.equal(r.status, 202, body);

    // 4. The customer's console page: the message held back for marketing, the
    //    change with its source in the history.
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const adv = await consoleLogin(ctx, 'advisor');
    let text = '';
    for (let i = 0; i < 60; i++) {
      await adv.goto(`${BASE_URL}/console/customers/${customer}`);
      text = await adv.textContent('main');
      if (text.includes('未发送：客户未同意“营销推广”')) break;
      await sleep(500);
    }
    assert.match(text, /未发送：客户未同意“营销推广”/, 'the campaign skipped the owner');
    const history = adv.locator('.card', { hasText: '授权记录' });
    assert.match(await history.textContent(), /营销推广\s*已撤回\s*车主手机页/);
    assert.match(await history.textContent(), /营销推广\s*已同意\s*前台/, 'the earlier entry is kept');
    assert.ok(await adv.isVisible('#consent-form select[name=source]'), 'staff can record a change');
    await shot(adv, '04-console-customer-zh-1440');
    // A change without a source is refused by name (the browser's own check aside).
    await adv.evaluate(() => document.querySelector('#consent-form select[name=source]').removeAttribute('required'));
    await adv.selectOption('#consent-form select[name=purpose]', 'marketing');
    await adv.selectOption('#consent-form select[name=granted]', 'yes');
    await click(adv, '#consent-form button[type=submit]');
    assert.match(await adv.textContent('.alert.error'), /请选择授权来源/);
    consent = await (await advisorApi('GET', `/api/v1/customers/${customer}/consent`)).json();
    assert.equal(consent.purposes.find((p) => p.purpose === 'marketing').granted, false, 'nothing changed');
    await adv.goto(`${BASE_URL}/console/customers/${customer}`);
    await switchTo(adv, 'en');
    assert.match(await adv.textContent('main'), /Not sent: no consent to Marketing/);
    await shot(adv, '05-console-customer-en-1440');

    // 5. The privacy officer finds the change in the audit log, with its source.
    const officerCtx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const officer = await consoleLogin(officerCtx, 'privacy');
    assert.ok(await officer.isVisible('nav.side a[href="/console/audit"]'), 'the audit page is in the navigation');
    assert.ok(!(await officer.isVisible('nav.side a[href="/console/customers"]')), 'no customer records');
    await officer.goto(`${BASE_URL}/console/audit?action=consent&customer_id=${customer}`);
    const rows = officer.locator('#audit-rows tbody tr');
    assert.equal(await rows.count(), 1, await officer.textContent('main'));
    // Names, not ids: the actor by name and type, the field as a label.
    assert.match(await rows.first().textContent(), /车主.*授权变更.*客户.*营销推广.*withdrawn: owner_phone/s);
    await shot(officer, '06-audit-zh-1440');
    const [download] = await Promise.all([officer.waitForEvent('download'), officer.click('#audit-export')]);
    const csv = readFileSync(await download.path(), 'utf8');
    // The download keeps the ids and adds the names.
    assert.match(csv, /owner,\d+,[^,]+,consent,customer,\d+,[^,]+,marketing,withdrawn: owner_phone/);
    await switchTo(officer, 'en');
    assert.match(await rows.first().textContent(), /Owner.*Consent changed/s);
    await shot(officer, '07-audit-en-1440');
    await officer.setViewportSize({ width: 390, height: 844 });
    await shot(officer, '08-audit-en-390');
    // The download itself is in the log.
    await officer.goto(`${BASE_URL}/console/audit?action=export`);
    assert.match(await officer.textContent('#audit-rows'), /审计日志|Audit log/);
  } finally {
    await browser.close();
  }
});
