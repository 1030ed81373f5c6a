// The traction battery's capacity-fade promise (三包, issue 19 "EV") on the pages:
// head office sets a new model's promise on the settings page (a share typed with two
// decimals is refused beside its field first); a station advisor records a battery
// check below it from the EV's vehicle page; the vehicle page shows the check's verdict
// and the right it raised (a free repair or replacement of the traction battery, the
// certificate's promise, with the check as evidence), and the dossier shows it too.
// The owner's phone page of the EV shows the promise, the check with its verdict and
// the right. Then the pages again in zh and en at 1440 and 390 px, with screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  BASE_URL, CHROMIUM, apiSession, click, digits, newPage, noOverflow, randomVin, signInOwner, signInStaff, screenshot,
} from './helpers.mjs';
import { assertAccessible } from './axe.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page, name) => screenshot(page, `${SHOTS}battery-${name}.png`);
const LABELS = {
  'zh-CN': { right: '动力蓄电池免费修理或更换', promise: '三包凭证承诺', broken: '低于承诺', raised: '由此产生三包权利', ownRaised: '您有权免费修理或更换动力蓄电池' },
  en: { right: 'Battery repaired or replaced free', promise: "Certificate's promise", broken: 'Below the promise', raised: 'right arose', ownRaised: 'you are entitled to a free repair or replacement' },
};

let browser;
before(async () => { browser = await chromium.launch(CHROMIUM); });
after(async () => { await browser?.close(); });

test('head office sets a promise, a station records a check below it, the vehicle page shows the right', async () => {
  // A new EV model, so the page's row and the promise are this test's own.
  const model = `EV${digits(5)}`;
  const admin = await apiSession('admin');
  const phone = `139${digits(8)}`;
  let r = await admin('POST', '/api/v1/customers', {
    name: '周电池', phone, station_id: 1, channel: 'sms', consent_service: true, consent_marketing: false,
  });
  assert.equal(r.status, 201, 'the owner');
  const owner = (await r.json()).id;
  r = await admin('POST', '/api/v1/vehicles', {
    vin: randomVin(), brand: '岚际', model, model_year: 2025, plate: `京D${digits(5)}`,
    purchase_date: '2025-06-01', warranty_km: 150000, is_ev: true, owner_id: owner, station_id: 1,
  });
  const body = await r.text();
  assert.equal(r.status, 201, body);
  const car = JSON.parse(body).id;
  const t = LABELS['zh-CN'];

  // Head office sets the promise on the settings page.
  const hq = await newPage(browser, 'zh-CN', 1440);
  await signInStaff(hq, 'admin', 'zh-CN');
  await hq.goto(`${BASE_URL}/console/three-guarantees/fade-promises`);
  const row = hq.locator(`tr[data-model="${model}"]`);
  assert.equal(await row.count(), 1, 'the new EV model is listed');
  await click(hq, `tr[data-model="${model}"] a`);
  assert.equal(await hq.inputValue('#fp-model'), model, 'the form is for the model');
  await hq.fill('#fp-share', '70.25');
  await hq.fill('#fp-years', '8');
  await hq.fill('#fp-km', '150000');
  await click(hq, '#promise-save');
  assert.equal(await hq.locator('[data-field="min_share_percent"]').count(), 1, 'the share is refused beside its field');
  await shot(hq, 'promise-error-zh-CN-1440');
  await hq.fill('#fp-share', '70');
  await click(hq, '#promise-save');
  assert.ok((await row.innerText()).includes('≥ 70.0 %'), await row.innerText());
  await shot(hq, 'promises-zh-CN-1440');
  await hq.context().close();

  // A station advisor records a check at 65.5 % from the vehicle page.
  const page = await newPage(browser, 'zh-CN', 1440);
  await signInStaff(page, 'advisor', 'zh-CN');
  await page.goto(`${BASE_URL}/console/vehicles/${car}`);
  assert.ok(!(await page.locator('main').innerText()).includes(t.right), 'no right before the check');
  await click(page, `a[href="/console/vehicles/${car}/three-guarantees/battery-checks/new"]`);
  await page.fill('#bc-share', '65.5');
  await shot(page, 'check-form-zh-CN-1440');
  await click(page, '#check-save');
  assert.ok(page.url().endsWith(`/console/vehicles/${car}`), page.url());
  const text = await page.locator('main').innerText();
  for (const want of [t.right, t.promise, t.broken, t.raised, '65.5 %', '70.0 %']) {
    assert.ok(text.includes(want), `the vehicle page shows ${want}`);
  }
  await shot(page, 'vehicle-right-zh-CN-1440');
  await page.goto(`${BASE_URL}/console/vehicles/${car}/dossier`);
  assert.ok((await page.locator('main').innerText()).includes(t.right), 'the dossier shows the right');
  await page.context().close();

  // Every page again, zh and en, 1440 and 390 px.
  for (const lang of ['zh-CN', 'en']) {
    for (const width of [1440, 390]) {
      const tag = `${lang}-${width}`;
      const l = LABELS[lang];
      const p = await newPage(browser, lang, width);
      await signInStaff(p, 'admin', lang);
      await p.goto(`${BASE_URL}/console/three-guarantees/fade-promises?model=${model}`);
      if (width === 390) await noOverflow(p, `promises ${tag}`);
      await shot(p, `promises-${tag}`);
      await p.goto(`${BASE_URL}/console/vehicles/${car}`);
      const main = await p.locator('main').innerText();
      assert.ok(main.includes(l.right) && main.includes(l.broken), `the right ${tag}`);
      assert.ok(!/battery_fade|battery_restore|gt[234]\./.test(main), `no raw codes ${tag}`);
      if (width === 390) await noOverflow(p, `vehicle ${tag}`);
      await shot(p, `vehicle-${tag}`);
      await p.goto(`${BASE_URL}/console/vehicles/${car}/three-guarantees/battery-checks/new`);
      if (width === 390) await noOverflow(p, `check form ${tag}`);
      await shot(p, `check-form-${tag}`);
      await p.goto(`${BASE_URL}/console/vehicles/${car}/dossier`);
      await shot(p, `dossier-${tag}`);
      await p.context().close();
    }
  }

  // The owner's phone page of the EV: the promise, the check and the right.
  for (const lang of ['zh-CN', 'en']) {
    for (const width of [390, 1440]) {
      const tag = `${lang}-${width}`;
      const l = LABELS[lang];
      const ctx = await browser.newContext({ viewport: { width, height: 844 }, locale: lang === 'en' ? 'en-US' : 'zh-CN' });
      ctx.setDefaultTimeout(15_000);
      await ctx.addCookies([{ name: 'as_lang', value: lang, url: BASE_URL }]);
      const p = await ctx.newPage();
      await signInOwner(p, phone);
      await p.goto(`${BASE_URL}/owner/vehicles/${car}/three-guarantees`);
      const battery = await p.locator('#gt-battery').innerText();
      for (const want of ['65.5 %', '70.0 %', l.ownRaised]) {
        assert.ok(battery.includes(want), `the owner's battery section shows ${want} ${tag}: ${battery}`);
      }
      assert.equal(await p.locator('.gt-check[data-verdict="broken"]').count(), 1, `the broken check ${tag}`);
      const rights = await p.locator('main').innerText();
      assert.ok(rights.includes(l.right) && rights.includes(l.promise), `the right ${tag}`);
      assert.ok(!/battery_fade|battery_restore|no_promise|gt\d\./.test(rights), `no raw codes ${tag}`);
      if (width === 390) await noOverflow(p, `owner battery ${tag}`);
      await assertAccessible(p, `owner battery ${tag}`);
      await shot(p, `owner-${tag}`);
      await ctx.close();
    }
  }
});
