// The KPI dashboards in Debian's headless Chromium (issue 11, item 9): head office's
// network dashboard shows the tiles with trend arrows, the 12-month trend line, the
// map of stations as points and the best/worst rankings, in zh and en at 1440 and
// 390 px, with no blocking axe finding and no sideways scrolling; a station's tile
// drills down to the orders behind its figure; the report and the exports answer.
//
//   BASE_URL=http://127.0.0.1:18181 node --test tests/browser/kpi.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, newPage, noOverflow, signInStaff, click, screenshot } from './helpers.mjs';
import { assertAccessible } from './axe.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

/** This month in Shanghai, YYYY-MM. */
const thisMonth = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);

test('the network dashboard: tiles, trend, map, ranking (zh/en, 1440/390), axe clean', { timeout: 180_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of ['zh-CN', 'en']) {
      for (const width of [1440, 390]) {
        const page = await newPage(browser, lang, width);
        await signInStaff(page, 'admin', lang);
        await page.goto(`${BASE_URL}/console/kpis`);
        assert.ok(await page.isVisible('#kpi-tiles'));
        assert.equal(await page.locator('.kpi-tile').count(), 13, 'one tile per KPI of the catalogue');
        // A KPI without a data source shows "—" with its note, never 0.
        assert.match(await page.textContent('#tile-parts_fill'), /—/);
        assert.ok(await page.isVisible('#kpi-trend'));
        assert.equal(await page.locator('#kpi-trend polyline, #kpi-trend circle').count() > 0, true, 'the trend has points');
        assert.ok(await page.isVisible('#kpi-map'));
        assert.ok(await page.locator('#kpi-map circle').count() >= 1, 'stations as points');
        assert.equal(await page.locator('#kpi-map path').count(), 0, 'no outlines drawn');
        assert.ok(await page.getAttribute('#kpi-map', 'aria-label'));
        assert.ok(await page.isVisible('#kpi-ranking'));
        const main = await page.textContent('main');
        assert.ok(!/kpi\.[a-z_.]+|svc\.kpi/.test(main), `${lang}: no raw keys`);
        await noOverflow(page, `kpis ${lang} ${width}`);
        await assertAccessible(page, `kpis ${lang} ${width}`);
        await screenshot(page, `${SHOTS}kpi-network-${width}-${lang}.png`);
        await page.context().close();
      }
    }
  } finally {
    await browser.close();
  }
});

test('a station tile drills down to its orders; report and exports answer', { timeout: 120_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    const page = await newPage(browser, 'zh-CN', 1440);
    await signInStaff(page, 'manager', 'zh-CN');
    await page.goto(`${BASE_URL}/console/kpis?period=${thisMonth()}`);
    const link = page.locator('#tile-mdt a');
    assert.equal(await link.count(), 1, 'the repair-time figure links to its orders');
    await click(page, '#tile-mdt a');
    assert.match(page.url(), /\/console\/kpis\/orders\?station=\d+&month=\d{4}-\d{2}/);
    const rows = page.locator('#kpi-cases tbody tr');
    assert.ok(await rows.count() >= 1, 'the orders behind the figure');
    await assertAccessible(page, 'kpi orders');
    await screenshot(page, `${SHOTS}kpi-drill-1440-zh-CN.png`);
    await click(page, '#kpi-back');
    await page.goto(`${BASE_URL}/console/kpis/report?period=${thisMonth()}`);
    assert.equal(await page.locator('#kpi-report-table tbody tr').count(), 13);
    await screenshot(page, `${SHOTS}kpi-report-1440-zh-CN.png`);
    for (const ext of ['csv', 'xlsx']) {
      const r = await page.request.get(`${BASE_URL}/console/kpis/export.${ext}?period=${thisMonth()}`);
      assert.equal(r.status(), 200, ext);
      assert.match(r.headers()['content-disposition'], new RegExp(`kpi-${thisMonth()}\\.${ext}`));
    }
    // A malformed period is refused naming the field, nothing shown as a figure.
    await page.goto(`${BASE_URL}/console/kpis?period=2026-13`);
    assert.equal(await page.locator('.kpi-tile').count(), 0);
  } finally {
    await browser.close();
  }
});
