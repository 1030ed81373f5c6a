// Issue 10's remaining pieces as people use them (zh-CN and en; 1440 and 390 px):
// an agent attaches a photo to a complaint on its page (a forbidden type is refused
// beside the field) and opens it; the analysis names a part of the catalogue and the
// analysis by part drills down to the complaint; head office changes the goodwill
// approval limits in yuan (a bad amount refused beside its field); a new owner files
// a complaint on the phone and sends a recording with it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, apiSession, click, newOwner, newPage, noOverflow, signInOwner, signInStaff, screenshot } from './helpers.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page, name) => screenshot(page, `${SHOTS}complaint-files-${name}.png`);

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]);
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.from([36, 0, 0, 0]), Buffer.from('WAVEfmt '), Buffer.alloc(64, 1)]);
const T = {
  'zh-CN': { photo: '照片（JPEG）', type: '附件只能是照片（JPEG、PNG、WebP）或录音', part: 'BRAKE-PAD-F 前刹车片', yuan: '金额请按元填写', owner: '车主', audio: '录音（WAV）' },
  en: { photo: 'Photo (JPEG)', type: 'Attachments may only be photos (JPEG, PNG, WebP) or recordings', part: 'BRAKE-PAD-F Front brake pads', yuan: 'Type the amount in yuan', owner: 'The owner', audio: 'Recording (WAV)' },
};

let browser;
before(async () => { browser = await chromium.launch(CHROMIUM); });
after(async () => { await browser?.close(); });

async function analysing(api, lang) {
  const r = await api('POST', '/api/v1/complaints', {
    station_id: 1, channel: 'hotline', category: 'parts_quality', severity: 'normal',
    description: `刹车片异响，附照片 ${lang}`,
  });
  const body = await r.text();
  assert.equal(r.status, 201, body);
  const { id } = JSON.parse(body);
  for (const event of ['acknowledge', 'start_analysis']) {
    const a = await api('POST', `/api/v1/complaints/${id}/actions`, { event, note: '' });
    assert.equal(a.status, 200, await a.text());
  }
  return id;
}

test('evidence on the complaint page, the analysis by part, the goodwill limits', async () => {
  const api = await apiSession('agent');
  for (const lang of ['zh-CN', 'en']) {
    const t = T[lang];
    for (const width of [1440, 390]) {
      const tag = `${lang}-${width}`;
      const id = await analysing(api, lang);
      const page = await newPage(browser, lang, width);
      await signInStaff(page, 'agent', lang);
      const detail = `${BASE_URL}/console/complaints/${id}`;
      await page.goto(detail);
      // The limits are stated beside the field.
      assert.ok((await page.locator('#attachment-limits').innerText()).includes('10 MiB'));
      await page.setInputFiles('#attachment-file', { name: '刹车盘.jpg', mimeType: 'image/jpeg', buffer: JPEG });
      await click(page, 'button[data-form="attachment"]');
      assert.ok(page.url().endsWith('#attachments'), page.url());
      const row = page.locator('#attachments tr[data-attachment="刹车盘.jpg"]');
      assert.equal(await row.count(), 1);
      assert.ok((await row.innerText()).includes(t.photo), await row.innerText());
      const href = await row.locator('a').getAttribute('href');
      const file = await page.request.get(`${BASE_URL}${href}`);
      assert.equal(file.status(), 200);
      assert.equal(file.headers()['content-type'], 'image/jpeg');
      assert.ok(file.headers()['content-disposition'].startsWith('inline;'));
      // A forbidden type: refused beside the field, nothing added.
      await page.setInputFiles('#attachment-file', { name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') });
      await click(page, 'button[data-form="attachment"]');
      const err = page.locator('#attachment-err');
      assert.ok((await err.innerText()).includes(t.type), await err.innerText());
      assert.equal(await page.locator('#attachments tbody tr').count(), 1);
      if (width === 390) await noOverflow(page, 'complaint page with attachments');
      await page.locator('#attachments').scrollIntoViewIfNeeded();
      await shot(page, `attachments-${tag}`);

      // The analysis names a part; the analysis by part drills down to it.
      await page.goto(detail);
      await page.selectOption('#analyse-responsibility', 'parts');
      await page.fill('#analyse-cause', '供应商批次不良');
      await page.fill('#analyse-part_number', 'NO-SUCH-PART');
      await click(page, 'button[data-form="analyse"]');
      assert.ok(await page.locator('#analyse [data-field="part_number"]').count(), 'the unknown part beside its field');
      await page.fill('#analyse-part_number', 'brake-pad-f');
      await click(page, 'button[data-form="analyse"]');
      assert.ok((await page.locator('dl.kv').innerText()).includes('BRAKE-PAD-F'));
      await page.goto(`${BASE_URL}/console/complaints/analysis?by=part`);
      assert.ok((await page.content()).includes(t.part), 'the part by its catalogue name');
      await page.goto(`${BASE_URL}/console/complaints/analysis?by=part&key=BRAKE-PAD-F`);
      assert.equal(await page.locator(`#drill a[href="/console/complaints/${id}"]`).count(), 1);
      if (width === 390) await noOverflow(page, 'analysis by part');
      await shot(page, `analysis-part-${tag}`);
      await page.context().close();

      // Head office's goodwill limits, typed in yuan.
      const admin = await newPage(browser, lang, width);
      await signInStaff(admin, 'admin', lang);
      await admin.goto(`${BASE_URL}/console/complaints/goodwill-limits`);
      await admin.fill('#gw-station_manager_fen', '两千');
      await click(admin, 'button[data-form="goodwill-limits"]');
      const gwErr = admin.locator('#gw-station_manager_fen-err');
      assert.ok((await gwErr.innerText()).includes(t.yuan), await gwErr.innerText());
      if (width === 390) await noOverflow(admin, 'goodwill limits');
      await shot(admin, `goodwill-error-${tag}`);
      await admin.fill('#gw-station_manager_fen', '2000');
      await click(admin, 'button[data-form="goodwill-limits"]');
      assert.equal(await admin.locator('[data-field]').count(), 0, 'saved');
      assert.equal(await admin.locator('#gw-station_manager_fen').inputValue(), '2000');
      await shot(admin, `goodwill-${tag}`);
      await admin.context().close();
    }
  }
});

test('the owner sends a recording with their complaint on the phone', async () => {
  const { phone } = await newOwner(1);
  for (const lang of ['zh-CN', 'en']) {
    const page = await newPage(browser, lang, 390);
    await signInOwner(page, phone);
    await page.goto(`${BASE_URL}/lang/${lang}?back=/owner/complaints`);
    await page.goto(`${BASE_URL}/owner/complaints`);
    await page.selectOption('#own-category', 'parts_quality');
    await page.fill('#own-description', `刹车片异响 ${lang}`);
    await click(page, '#file button[type=submit]');
    const card = page.locator('.complaint').first();
    const id = (await card.getAttribute('id')).replace('complaint-', '');
    await page.setInputFiles(`#own-file-${id}`, { name: '异响录音.wav', mimeType: 'audio/wav', buffer: WAV });
    await click(page, `button[data-attach="${id}"]`);
    const item = page.locator(`#complaint-${id} li[data-attachment="异响录音.wav"]`);
    assert.equal(await item.count(), 1);
    const text = await item.innerText();
    assert.ok(text.includes(T[lang].audio) && text.includes(T[lang].owner), text);
    const file = await page.request.get(`${BASE_URL}${await item.locator('a').getAttribute('href')}`);
    assert.equal(file.status(), 200);
    assert.equal(file.headers()['content-type'], 'audio/wav');
    await noOverflow(page, 'owner complaint page');
    await shot(page, `owner-${lang}-390`);
    await page.context().close();
  }
});
