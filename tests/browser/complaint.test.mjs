// The complaint console pages (issue 10 §6): an agent's complaint shows in the queue
// with the station's name, translated labels and the time left; its page shows the
// timeline, and the "acknowledge" button moves it on (back to the page with a toast).
// zh-CN and en; screenshots at 1440 and 390 px.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, apiSession, click, newPage, signInStaff } from './helpers.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: `${SHOTS}complaint-${name}.png`, fullPage: true });
const LABELS = {
  'zh-CN': { category: '维修质量', urgent: '紧急', left: '剩余', acknowledged: '已确认', received: '受理投诉' },
  en: { category: 'Repair quality', urgent: 'Urgent', left: 'left', acknowledged: 'Acknowledged', received: 'Complaint received' },
};

let browser;
before(async () => { browser = await chromium.launch(CHROMIUM); });
after(async () => { await browser?.close(); });

test('the queue and the page of a complaint, and acknowledging it', async () => {
  const api = await apiSession('agent');
  for (const lang of ['zh-CN', 'en']) {
    for (const width of [1440, 390]) {
      const r = await api('POST', '/api/v1/complaints', {
        station_id: 1, channel: 'hotline', category: 'repair_quality', severity: 'urgent',
        urgent_reason: 'safety', description: `刹车异响 ${lang} ${width}`,
      });
      const body = await r.text();
      assert.equal(r.status, 201, body);
      const { id } = JSON.parse(body);
      const page = await newPage(browser, lang, width);
      await signInStaff(page, 'agent', lang);
      const t = LABELS[lang];
      const tag = `${lang}-${width}`;

      await page.goto(`${BASE_URL}/console/complaints?category=repair_quality&severity=urgent`);
      const row = page.locator(`#complaint-queue tr:has(a[href="/console/complaints/${id}"])`);
      assert.equal(await row.count(), 1, 'the new complaint is in the queue');
      const text = await row.innerText();
      for (const want of [t.category, t.urgent, t.left]) assert.ok(text.includes(want), `${want} in ${text}`);
      assert.ok(!/repair_quality|first_response/.test(text), `no raw codes: ${text}`);
      await shot(page, `queue-${tag}`);

      await page.goto(`${BASE_URL}/console/complaints/${id}`);
      assert.ok((await page.content()).includes(t.received), 'the timeline shows the intake');
      await click(page, 'button[data-event="acknowledge"]');
      assert.ok(page.url().endsWith(`/console/complaints/${id}`), page.url());
      const facts = await page.locator('dl.kv').innerText();
      assert.ok(facts.includes(t.acknowledged), facts);
      assert.equal(await page.locator('button[data-event="acknowledge"]').count(), 0);
      await shot(page, `detail-${tag}`);
      await page.context().close();
    }
  }
});
