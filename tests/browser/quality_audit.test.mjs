// Quality audits as their users work them (issue 11): the auditor starts a mystery-shopper
// visit, fills the checklist on the page and submits it; the failed checkpoint becomes a
// corrective action the station manager closes with evidence; the auditor verifies it.
// zh-CN and en, 1440 and 390 px, axe clean; screenshots in screenshots/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, click, newPage, noOverflow, signInStaff, screenshot } from './helpers.mjs';
import { assertAccessible } from './axe.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page, name) => screenshot(page, `${SHOTS}quality-audit-${name}.png`);

test('an audit from the checklist to a verified corrective action, zh and en', { timeout: 240_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    // The demo's audits are listed by station name, with their compliance rate.
    const auditor = await newPage(browser, 'zh-CN', 1440);
    await signInStaff(auditor, 'auditor', 'zh-CN');
    await auditor.goto(`${BASE_URL}/console/quality-audits`);
    const list = await auditor.textContent('main');
    assert.match(list, /神秘客户/);
    assert.match(list, /\d+\.\d%/, 'a compliance rate');
    assert.doesNotMatch(list, /qa\.|mystery_shopper/, 'no raw keys or codes');
    await assertAccessible(auditor, 'audit list zh');
    await shot(auditor, 'list-zh-1440');

    // Start a visit of the first station and fill it: all pass but the walk-around (R03).
    await auditor.selectOption('#sel-station_id', '1');
    await auditor.selectOption('#sel-kind', 'mystery_shopper');
    await click(auditor, 'form[action="/console/quality-audits"] button[type=submit]');
    assert.match(auditor.url(), /\/console\/quality-audits\/\d+$/);
    const visitUrl = auditor.url();
    await assertAccessible(auditor, 'audit form zh');
    await shot(auditor, 'form-zh-1440');
    const codes = await auditor.$$eval('fieldset.audit-item', (fs) => fs.map((f) => f.id.slice(3)));
    assert.equal(codes.length, 68, '56 service and 12 facility checkpoints');
    for (const code of codes) await auditor.check(`input[name="v_${code}"][value="${code === 'R03' ? 'fail' : 'pass'}"]`);
    await auditor.fill('input[name="f_R03"]', '未与客户一起环车检查');
    await auditor.click('#audit-submit');
    await Promise.all([auditor.waitForNavigation(), auditor.click('dialog [data-confirm-ok]')]);
    const scored = await auditor.textContent('main');
    assert.match(scored, /98\.5%/, '67 of 68 passed');
    assert.match(scored, /未与客户一起环车检查/);
    await shot(auditor, 'scored-zh-1440');
    const actionHref = await auditor.getAttribute('#audit-failures a', 'href');

    // The station manager finds it among the station's actions and closes it with evidence.
    const manager = await newPage(browser, 'zh-CN', 390);
    await signInStaff(manager, 'manager', 'zh-CN');
    await manager.goto(`${BASE_URL}${actionHref}`);
    await noOverflow(manager, 'corrective action at 390 px');
    await manager.fill('#step-record_cause textarea[name=text]', '新员工未培训环车检查');
    await click(manager, '#step-record_cause button[type=submit]');
    await manager.fill('#step-close_with_evidence textarea[name=text]', '全员复训并每日抽查');
    await manager.fill('#step-close_with_evidence textarea[name=evidence]', '培训签到表与抽查记录');
    await click(manager, '#step-close_with_evidence button[type=submit]');
    assert.match(await manager.textContent('main'), /待验证/);
    assert.equal(await manager.locator('#step-verify').count(), 0, 'the station cannot verify itself');
    await assertAccessible(manager, 'corrective action zh 390');
    await shot(manager, 'action-zh-390');

    // The auditor verifies; the history names every step and who took it.
    await auditor.goto(`${BASE_URL}${actionHref}`);
    await auditor.fill('#step-verify textarea[name=text]', '复查三单，均已环车检查');
    await click(auditor, '#step-verify button[type=submit]');
    const done = await auditor.textContent('main');
    for (const word of ['已验证', '生成整改', '原因分析', '完成整改', '验证通过']) assert.ok(done.includes(word), word);

    // The same pages in English, on a phone.
    const en = await newPage(browser, 'en', 390);
    await signInStaff(en, 'auditor', 'en');
    for (const [path, name] of [['/console/quality-audits', 'list'], [new URL(visitUrl).pathname, 'scored'], ['/console/corrective-actions', 'actions'], ['/console/depot-ratings', 'depots']]) {
      await en.goto(`${BASE_URL}${path}`);
      const body = await en.textContent('main');
      assert.doesNotMatch(body, /qa\.|quality_audit\./, `${name}: no raw keys`);
      await noOverflow(en, `${name} en 390`);
      await assertAccessible(en, `${name} en 390`);
      await shot(en, `${name}-en-390`);
    }
    await en.goto(`${BASE_URL}/console/corrective-actions?state=verified`);
    assert.match(await en.textContent('main'), /Verified/);
  } finally {
    await browser.close();
  }
});
