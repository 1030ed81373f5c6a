// Money end to end in Debian's headless Chromium (issue 22, "a browser test"), in
// zh-CN and en: the owner pays on the phone through the sandbox provider's checkout;
// the provider's notice then arrives twice more, late (the sandbox's "send the
// notice again" route, as WeChat Pay and Alipay retry), and the bill shows paid
// once; the cashier refunds one line on the console bill page; the reconciliation
// page shows the day's payment matched. Screenshots at 390 and 1440 px, axe on every
// page.
//
// Each run sets up its own delivered order through the JSON API (a new customer,
// car and walk-in order taken through every stage), so it changes no demo order
// other test files look at.
//
//   SERVER_LOG=/tmp/money-demo.log BASE_URL=http://127.0.0.1:18103 node --test tests/browser/billing.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, apiSession, click, digits, noOverflow, randomVin, signInStaff, screenshot } from './helpers.mjs';
import { assertAccessible } from './axe.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

/** Calls the API and reads the JSON answer, failing on an unexpected status. */
async function call(session, method, path, body, expect = [200, 201, 204]) {
  const r = await session(method, path, body);
  const text = await r.text();
  assert.ok(expect.includes(r.status), `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const REQUIRED = {
  reception: ['reception.walk_around', 'reception.odometer_fuel', 'reception.belongings', 'reception.covers', 'reception.concern'],
  diagnosis: ['diagnosis.concern_verified', 'diagnosis.dtc_read', 'diagnosis.cause_found'],
  delivery: ['delivery.work_explained', 'delivery.invoice_explained', 'delivery.old_parts', 'delivery.car_clean',
    'delivery.covers_removed', 'delivery.next_service'],
};

/** A new owner's car taken through every stage to the hand-over: a bill of two part lines and the owner link. */
async function deliveredOrder() {
  const advisor = await apiSession('advisor');
  const me = await call(advisor, 'GET', '/api/v1/me');
  const station = me.unit.id[0];
  const customer = (await call(advisor, 'POST', '/api/v1/customers', {
    name: '钱付款', phone: `139${digits(8)}`, station_id: station, channel: 'sms', consent_service: true, consent_marketing: false,
  })).id;
  const vehicle = (await call(advisor, 'POST', '/api/v1/vehicles', {
    vin: randomVin(), brand: '岚际', model: 'S5 轿车', model_year: 2025, plate: `京B${digits(5)}`,
    purchase_date: '2025-03-01', warranty_start: '2025-03-01', warranty_end: '2028-02-29',
    warranty_km: 100000, is_ev: false, owner_id: customer, station_id: station,
  })).id;
  const order = (await call(advisor, 'POST', '/api/v1/repair-orders', { station_id: station, vehicle_id: vehicle, concern: '保养，更换机油' })).id;
  const ro = `/api/v1/repair-orders/${order}`;
  const tick = async (codes) => { for (const code of codes) await call(advisor, 'POST', `${ro}/checkpoints`, { code }); };
  await tick(REQUIRED.reception);
  await call(advisor, 'POST', `${ro}/stages/reception/complete`);
  await call(advisor, 'POST', `${ro}/stages/diagnosis/start`);
  await tick(REQUIRED.diagnosis);
  const lines = [];
  for (const [code, hundredths, price] of [['OIL-FILTER', 100, 6800], ['OIL-5W30', 450, 8000]]) {
    const l = await call(advisor, 'POST', `${ro}/lines`, { kind: 'part', code, hundredths, unit_price_fen: price });
    lines.push(l.no ?? l.line_no ?? l);
  }
  for (const no of lines) {
    await call(advisor, 'POST', `${ro}/lines/${no}/approve`, { by: '钱付款', signature: '钱付款' });
  }
  await call(advisor, 'POST', `${ro}/stages/diagnosis/complete`);
  await call(advisor, 'POST', `${ro}/stages/repair/start`);
  for (const no of lines) await call(advisor, 'POST', `${ro}/lines/${no}/fit`);
  await call(advisor, 'POST', `${ro}/stages/repair/complete`);
  await call(advisor, 'POST', `${ro}/stages/quality_inspection/start`);
  await call(advisor, 'POST', `${ro}/applicable`, { codes: ['qi.work_complete'] });
  await tick(['qi.work_complete']);
  await call(advisor, 'POST', `${ro}/stages/quality_inspection/complete`);
  await call(advisor, 'POST', `${ro}/stages/delivery/start`);
  await tick(REQUIRED.delivery);
  await call(advisor, 'POST', `${ro}/stages/delivery/complete`);
  const link = await call(advisor, 'POST', `${ro}/owner-link`);
  return { advisor, order, token: link.token };
}

/** Today in Shanghai, `YYYY-MM-DD` (the reconciliation's calendar day). */
const shanghaiDay = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

async function shot(page, name) {
  for (const width of [390, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    if (width === 390) await noOverflow(page, name);
    await screenshot(page, `${SHOTS}billing-${name}-${width}.png`);
  }
}

for (const lang of ['zh-CN', 'en']) {
  test(`the owner pays once on the phone, the cashier refunds a line, the day reconciles (${lang})`, async () => {
    const { advisor, order, token } = await deliveredOrder();
    const browser = await chromium.launch(CHROMIUM);
    try {
      // 1. The owner, on the phone, pays through the sandbox provider's checkout.
      const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: lang === 'en' ? 'en-US' : 'zh-CN' });
      await ctx.addCookies([{ name: 'lang', value: lang, url: BASE_URL }]);
      const owner = await ctx.newPage();
      await owner.goto(`${BASE_URL}/owner/track/${token}`);
      await assertAccessible(owner, `track unpaid ${lang}`);
      await shot(owner, `track-unpaid-${lang}`);
      await owner.setViewportSize({ width: 390, height: 844 });
      await click(owner, '#pay-online');
      const checkout = new URL(owner.url());
      assert.match(checkout.pathname, /^\/sandbox-pay\/[0-9a-f]{32,}$/, owner.url());
      const paymentRef = checkout.pathname.split('/').pop();
      await assertAccessible(owner, `sandbox checkout ${lang}`);
      await shot(owner, `checkout-${lang}`);
      await owner.setViewportSize({ width: 390, height: 844 });
      await click(owner, 'button[value=pay]');
      assert.ok(owner.url().endsWith(`/owner/track/${token}`), owner.url());
      await owner.waitForSelector('#paid');

      // 2. The provider's notice arrives twice more, late: answered, changing nothing.
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`${BASE_URL}/sandbox-pay/${paymentRef}/notice`, { method: 'POST' });
        assert.equal(r.status, 200, await r.text());
      }
      const bill = await call(advisor, 'GET', `/api/v1/repair-orders/${order}/bill`);
      assert.equal(bill.bill.state, 'paid');
      assert.equal(bill.bill.paid_fen, bill.bill.gross_fen);
      assert.equal(bill.bill.refund_fen, 0, 'nothing paid twice');
      assert.deepEqual(bill.payments.map((p) => p.state), ['paid']);
      const ledger = await call(advisor, 'GET', `/api/v1/payment-notices?bill_id=${bill.bill.id}`);
      assert.deepEqual(ledger.notices.map((n) => n.verdict).sort(), ['applied', 'duplicate', 'duplicate']);
      await owner.reload();
      assert.equal(await owner.locator('#paid').count(), 1, 'the bill shows paid once');
      assert.equal(await owner.locator('#pay-online').count(), 0, 'no pay button on a paid bill');
      await assertAccessible(owner, `track paid ${lang}`);
      await shot(owner, `track-paid-${lang}`);

      // 3. The cashier refunds one line on the console bill page.
      const staff = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: lang })).newPage();
      await signInStaff(staff, 'advisor', lang);
      await staff.goto(`${BASE_URL}/console/orders/${order}/bill`);
      await assertAccessible(staff, `bill ${lang}`);
      const first = await staff.locator('#refund-form tr[data-line]').first().getAttribute('data-line');
      await staff.fill(`input[name="line_${first}"]`, '12.50');
      await staff.selectOption('select[name=method]', 'cash');
      await staff.fill('input[name=reason]', lang === 'en' ? 'Filter not needed' : '机滤未更换');
      await click(staff, '#refund-submit');
      await staff.waitForSelector('#bill-notice');
      await assertAccessible(staff, `bill refunded ${lang}`);
      await shot(staff, `bill-refunded-${lang}`);
      const after = await call(advisor, 'GET', `/api/v1/repair-orders/${order}/bill`);
      assert.equal(after.bill.refunded_fen, 1250);
      assert.equal(after.bill.paid_fen, bill.bill.paid_fen, 'a cash refund is credited, the payment stays');

      // 4. The reconciliation page shows the day's payment matched.
      const providerRef = bill.payments[0].provider_ref;
      assert.ok(providerRef, 'the provider named its transaction');
      await staff.setViewportSize({ width: 1440, height: 900 });
      await staff.goto(`${BASE_URL}/console/reconciliation?day=${shanghaiDay()}`);
      const row = staff.locator('#reconciliation tbody tr', { hasText: providerRef });
      assert.equal(await row.count(), 1, `${providerRef} on the reconciliation page`);
      assert.equal(await row.getAttribute('data-outcome'), 'matched');
      assert.equal(await staff.locator('#recon-all-matched').count(), 1, 'the day matched');
      await assertAccessible(staff, `reconciliation ${lang}`);
      await shot(staff, `reconciliation-${lang}`);
    } finally {
      await browser.close();
    }
  });
}
