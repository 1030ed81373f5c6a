// The product walked as new users walk it (issue 17, findings 1–14): each role signs in
// on a fresh small demo (advisor, technician, call-centre agent, station manager,
// regional manager, head office, privacy officer) and the owner on a 390 px phone;
// every page its navigation offers, and the first record each list links to, is
// opened in zh-CN at 1440 px and in en at 390 px and screenshotted. On every page:
//   - no raw translation key (`svc.event.rated`, `book.none`…) and no bare code
//     (`customer:1`, `role.provider #0`);
//   - the page's own words (headings, column heads, labels, buttons, tags, navigation)
//     in the page's language: no Chinese on an English page, no English words on a
//     Chinese one beyond the shared abbreviations (VIN, KPI, NPS…);
//   - nothing scrolls sideways at 390 px;
//   - the address bar never holds a POST-only URL (reloading it would answer 405).
// Every finding is listed together, so one run shows them all.
//
//   SERVER_LOG=/tmp/desk-server.log BASE_URL=http://127.0.0.1:8193 node --test tests/browser/walk.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BASE_URL, CHROMIUM, click, codeFor, moveClock, newOwner, newPage, signInStaff, screenshot } from './helpers.mjs';

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const LANGS = ['zh-CN', 'en'];
/** The staff pages are walked on a diagonal: in Chinese at the desk's 1440 px and in
 * English at a phone's 390 px. Each language is read on every page, and the narrow
 * width meets the longer words (English labels run wider than Chinese ones), so the
 * two other corners find nothing these do not, at half the time of the suite's
 * longest file. The owner's pages (a phone's) are walked at 390 px in both. */
const VIEWS = [['zh-CN', 1440], ['en', 390]];
const ROLES = ['advisor', 'technician', 'agent', 'manager', 'regional', 'admin', 'privacy'];

/** The prefixes of the translation keys (a key shown as text is a missing translation). */
const KEY = /\b(?:app|nav|svc|book|pk|privacy|audit|job|board|home|kpi|bill|payment|recon|complaint|gt[234]|survey|own|owner|consent|qa|cap|role|rule|field|status|error|errpage|page|sort|table|select|form|confirm|toast|notice|outbox|lookup|login|station|channel|unit|detail|section|refund|template|action|lang)\.[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\b/;
/** Ids shown where names belong. */
const BARE_ID = /\b(?:customer|vehicle|station|staff|provider):\d+\b|#0\b|(?:工单|预约|Repair order|Appointment)[:：]\s?\d+(?![\d\-:/.])/;
/** Abbreviations a Chinese page writes in Latin letters. */
const LATIN_OK = /^(?:VIN|KPI|NPS|CSI|SUV|API|PDF|CSV|XLSX|JSON|OK|ID|EV|SMS|WeChat|QR|PDCA|OEM|RO|BEV|PHEV|SOC|SOH|TOP|Excel)$/i;
/** Data beside the page's words: a person's name with the masked phone, the legal term
 * 三包 that the English pages keep in brackets after "Three guarantees". */
const DATA = /\d{3}\*{4}\d{4}|\(三包\)/;

/** The page's own words: the elements that are never data. */
async function chromeWords(page) {
  return page.evaluate(() => {
    const own = (el) => [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(' ');
    const sel = 'th, label, button, a.btn, .tag, nav.side a, .pager, .sort-bar-label, h2, legend, .empty, .alert, caption';
    return [...document.querySelectorAll(sel)]
      .filter((el) => el.offsetParent !== null || el.closest('nav'))
      .map((el) => ({ tag: el.tagName.toLowerCase(), text: own(el).replace(/\s+/g, ' ').trim() }))
      .filter((w) => w.text.length > 0);
  });
}

/** What a new user would trip on, on the page as it is now. */
async function findings(page, lang, width, what) {
  const out = [];
  // A `<code>` is a technical identifier shown as one on purpose (the job queue's keys).
  const text = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('code, script, style').forEach((c) => c.remove());
    copy.querySelectorAll('*').forEach((el) => el.append(' '));
    return copy.textContent;
  });
  const key = text.match(KEY);
  if (key) out.push(`${what}: raw key "${key[0]}"`);
  // Units after a number in the page's language ("1.00 h", "274 min" on a Chinese page).
  const unit = lang === 'zh-CN' && text.match(/\d\s?(?:min|h)\b/);
  if (unit) out.push(`${what}: an English unit on a Chinese page "${unit[0]}"`);
  const bare = text.match(BARE_ID);
  if (bare) out.push(`${what}: bare id "${bare[0]}"`);
  // A table cell that is nothing but a dotted code (`outbox.deliver`, `billing.query`).
  const codes = await page.$$eval('main td', (tds) => tds.map((td) => td.innerText.trim())
    .filter((t) => /^[a-z_]+(?:\.[a-z_]+)+$/.test(t)));
  if (codes.length) out.push(`${what}: a code where its label belongs "${codes[0]}"`);
  for (const w of await chromeWords(page)) {
    if (DATA.test(w.text)) continue;
    if (lang === 'en' && /[\u4e00-\u9fff]/.test(w.text.replace(/[\u4e00-\u9fff][A-Z0-9·]{4,7}/g, ''))) {
      out.push(`${what}: Chinese on an English page <${w.tag}> "${w.text.slice(0, 40)}"`);
    }
    if (lang === 'zh-CN') {
      const words = (w.text.match(/[A-Za-z]{3,}/g) ?? []).filter((x) => !LATIN_OK.test(x));
      if (words.length) out.push(`${what}: English on a Chinese page <${w.tag}> "${w.text.slice(0, 40)}"`);
    }
  }
  if (width === 390) {
    const { sw, cw } = await page.evaluate(() => ({
      sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
    }));
    if (sw > cw) out.push(`${what}: scrolls sideways (${sw} > ${cw})`);
    // A list (the shared data table) is one card per row on a phone: no column is
    // hidden past the edge of its box. (The KPI and quality-audit tables still scroll
    // inside their boxes: their areas' own work.)
    const theirs = /^\/console\/(kpis|quality-audits)/.test(new URL(page.url()).pathname);
    const cut = theirs ? [] : await page.$$eval('table.data-table', (ts) => ts
      .filter((t) => t.offsetParent !== null && t.scrollWidth > t.parentElement.clientWidth + 1)
      .map((t) => t.id || t.className));
    if (cut.length) out.push(`${what}: a list's columns are cut at 390 px (${cut[0]})`);
  }
  return out;
}

/** The pages a role's navigation offers, and the first record each list links to. */
async function pagesOf(page) {
  const nav = await page.$$eval('nav.side a[href^="/console"]', (as) => as.map((a) => a.getAttribute('href')));
  const out = new Set(['/console', ...nav]);
  for (const href of nav) {
    await page.goto(`${BASE_URL}${href}`);
    const first = await page.$$eval('main table tbody a[href^="/console/"], main .board a[href^="/console/"]',
      (as) => as.map((a) => a.getAttribute('href')).find((h) => /\/\d+$/.test(h)));
    if (first) out.add(first);
  }
  return [...out];
}

test('every page of every role, zh at 1440 px and en at 390 px: no raw keys, one language, no sideways scroll', { timeout: 900_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  const found = [];
  try {
    for (const role of ROLES) {
      const probe = await newPage(browser, 'zh-CN');
      await signInStaff(probe, role, 'zh-CN');
      const paths = await pagesOf(probe);
      await probe.context().close();
      for (const [lang, width] of VIEWS) {
        const page = await newPage(browser, lang, width);
        await signInStaff(page, role, lang);
        for (const path of paths) {
          const r = await page.goto(`${BASE_URL}${path}`);
          const what = `${role} ${path} ${lang} ${width}`;
          if (r.status() >= 400) found.push(`${what}: answers ${r.status()}`);
          found.push(...await findings(page, lang, width, what));
          await screenshot(page, `${SHOTS}walk-${role}-${path.replace(/[^a-z0-9]+/g, '-')}-${lang}-${width}.png`);
        }
        await page.context().close();
      }
    }
  } finally {
    await browser.close();
  }
  assert.deepEqual(found, [], `what a new user trips on:\n${found.join('\n')}`);
});

test('a new owner on a phone: sign-in, home, booking and messages, zh and en', { timeout: 240_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  const found = [];
  // Every file asks sign-in codes from this one address, and its hourly allowance
  // (issue 22, finding 9) is spent by the files before this one: the demo clock moves
  // past the hour first, and back at the end.
  await moveClock(61);
  try {
    for (const lang of LANGS) {
      // Asking for a code leaves the phone on the sign-in page, never on the POST-only
      // `/owner/code` (reloading that answered 405), the number kept in its box.
      const fresh = await newOwner();
      const ask = await newPage(browser, lang, 390);
      await ask.goto(`${BASE_URL}/owner/login`);
      await ask.fill('#phone', fresh.phone);
      await click(ask, 'form[action="/owner/code"] button');
      const url = new URL(ask.url());
      assert.equal(`${url.pathname}${url.search}`, '/owner/login?sent=1', 'post–redirect–get');
      assert.equal(await ask.inputValue('#phone'), fresh.phone);
      assert.equal((await ask.reload()).status(), 200, 'reloading the page is harmless');
      // The code just asked for signs this owner in: the walk asks for no other code,
      // since every code asked for the demo owner counts toward its number's hourly
      // allowance, which the other test files use up.
      await new Promise((res) => setTimeout(res, 300));
      await ask.fill('#code', codeFor(fresh.phone));
      await click(ask, 'form[action="/owner/login"] button');
      assert.ok(ask.url().endsWith('/owner'), `the new owner signed in: ${ask.url()}`);
      const page = ask;
      await page.goto(`${BASE_URL}/lang/${lang}?back=/owner`);
      const links = await page.$$eval('main a[href^="/owner"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
      for (const path of ['/owner', ...links].slice(0, 12)) {
        const r = await page.goto(`${BASE_URL}${path}`);
        const what = `owner ${path} ${lang} 390`;
        if (r.status() >= 400) found.push(`${what}: answers ${r.status()}`);
        found.push(...await findings(page, lang, 390, what));
        await screenshot(page, `${SHOTS}walk-owner-${path.replace(/[^a-z0-9]+/g, '-').slice(0, 40)}-${lang}-390.png`);
      }
      await page.context().close();
    }
  } finally {
    await browser.close();
    await moveClock('reset');
  }
  assert.deepEqual(found, [], `what an owner trips on:\n${found.join('\n')}`);
});

test('every home starts the work: search, book, the customer\'s cars; durations in words (zh and en)', { timeout: 180_000 }, async () => {
  const browser = await chromium.launch(CHROMIUM);
  try {
    for (const lang of LANGS) {
      // The hotline's home is no longer "welcome + role": a caller is found by the
      // phone's last digits from the home itself.
      const agent = await newPage(browser, lang);
      await signInStaff(agent, 'agent', lang);
      await agent.goto(`${BASE_URL}/console`);
      assert.equal(await agent.locator('#home-start #home-q').count(), 1, 'a search box on the agent home');
      assert.ok(await agent.locator('#home-start a[href="/console/appointments/new"]').count(), 'book from home');
      await agent.fill('#home-q', '0000');
      await click(agent, '#find-customer');
      assert.match(agent.url(), /\/console\/customers\?q=0000/);
      assert.match(await agent.textContent('main'), /138\*{4}0000/, 'the caller found by the phone tail');
      await agent.goto(`${BASE_URL}/console`);
      await agent.fill('#home-q', 'A0000');
      await click(agent, '#find-vehicle');
      assert.match(agent.url(), /\/console\/vehicles\?q=A0000/);
      // The facts line uses the page's colon.
      await agent.goto(`${BASE_URL}/console`);
      const facts = await agent.textContent('main p.muted');
      assert.ok(lang === 'en' ? !facts.includes('：') : facts.includes('：'), `colon of ${lang}: ${facts}`);
      await agent.context().close();
      // The privacy officer's home leads to the audit log.
      const privacy = await newPage(browser, lang);
      await signInStaff(privacy, 'privacy', lang);
      await privacy.goto(`${BASE_URL}/console`);
      assert.equal(await privacy.locator('#home-start a[href="/console/audit"]').count(), 1);
      await privacy.context().close();
      // Overruns read in hours and days of the page's language, not "7330 min".
      const manager = await newPage(browser, lang);
      await signInStaff(manager, 'manager', lang);
      await manager.goto(`${BASE_URL}/console`);
      const overruns = await manager.textContent('#home-overruns');
      assert.ok(!/\d{4,} min/.test(overruns), overruns);
      if (lang === 'zh-CN') assert.ok(!/\bmin\b/.test(overruns) && /分钟|小时|天/.test(overruns), overruns);
      await manager.goto(`${BASE_URL}/console/board`);
      const board = await manager.textContent('main');
      assert.ok(!/\d{4,} min/.test(board) && (lang === 'en' || !/\bmin\b/.test(board)), 'board durations');
      // A customer's cars open, and book, from the customer's page.
      await manager.goto(`${BASE_URL}/console/customers?q=0000`);
      await click(manager, 'main table tbody tr:first-child a');
      const car = manager.locator('main a.btn[href^="/console/vehicles/"]:not([href*="new"])').first();
      assert.equal(await car.count(), 1, 'the car is a link');
      assert.ok(await manager.locator('main a.btn[href^="/console/appointments/new?vehicle="]').count(), 'book for the car');
      await click(manager, 'main a.btn[href^="/console/appointments/new?vehicle="]');
      assert.equal((await manager.locator('h1').count()), 1);
      await manager.context().close();
      // The job queue names its kinds and queues.
      const admin = await newPage(browser, lang);
      await signInStaff(admin, 'admin', lang);
      await admin.goto(`${BASE_URL}/console/queue`);
      const kinds = await admin.$$eval('#job-counts tbody td:nth-child(2)', (tds) => tds.map((td) => td.textContent.trim()));
      assert.ok(kinds.length > 0 && kinds.every((k) => !/^[a-z_]+\.[a-z_]+$/.test(k)), `kinds by name: ${kinds}`);
      await admin.context().close();
    }
  } finally {
    await browser.close();
  }
});
