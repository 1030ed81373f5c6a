// End-to-end tests of the console foundation (sign-in, language switch, vehicle
// form with VIN check) in Debian's headless Chromium, driven by playwright-core,
// plus a few plain-fetch checks of the HTTP API.
//
// Run against a running server:
//   BASE_URL=http://127.0.0.1:8080 node --test tests/browser/
// scripts/test-all.sh starts the servers (SQLite and PostgreSQL) and runs this.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { screenshot } from './helpers.mjs';

const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

const ADMIN = { username: 'admin', password: 'demo1234' };
const TEST_TIMEOUT = 90_000;

// ---------------------------------------------------------------------------
// VIN helpers (ISO 3779), independent of the Rust implementation.

const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
const TRANSLIT = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9,
};

function vinValue(c) {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
  const v = TRANSLIT[c];
  if (v === undefined) throw new Error(`character ${c} is not allowed in a VIN`);
  return v;
}

/** The check character (position 9) of a 17-character VIN. */
export function vinCheckDigit(vin) {
  assert.equal(vin.length, 17);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += vinValue(vin[i]) * WEIGHTS[i];
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}

/** A valid VIN of a Chinese maker with a random 6-digit serial. */
function randomValidVin() {
  const serial = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
  // positions 1-8: WMI LSV + VDS; 9: check digit; 10: model year (L = 2020); 11: plant.
  const raw = `LSVAM4BZ0LN${serial}`;
  const vin = raw.slice(0, 8) + vinCheckDigit(raw) + raw.slice(9);
  assert.equal(vinCheckDigit(vin), vin[8]);
  return vin;
}

/** The same VIN with a wrong check digit at position 9. */
function withWrongCheckDigit(vin) {
  const good = vin[8];
  const bad = good === '1' ? '2' : '1';
  const out = vin.slice(0, 8) + bad + vin.slice(9);
  assert.notEqual(vinCheckDigit(out), out[8]);
  return out;
}

function randomPlate() {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  const l = letters[Math.floor(Math.random() * letters.length)];
  const n = String(Math.floor(Math.random() * 100_000)).padStart(5, '0');
  return `京${l}${n}`;
}

test('VIN helper agrees with a known valid VIN', () => {
  // 1M8GDM9AXKP042788 is the classic ISO 3779 / NHTSA example.
  assert.equal(vinCheckDigit('1M8GDM9AXKP042788'), 'X');
  const v = randomValidVin();
  assert.match(v, /^[A-HJ-NPR-Z0-9]{17}$/);
});

// ---------------------------------------------------------------------------
// Browser tests.

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh page in its own context (own cookies), with short timeouts. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const page = await context.newPage();
  return { context, page };
}

async function signIn(page, { username, password } = ADMIN) {
  const resp = await page.goto(`${BASE_URL}/console/login`);
  assert.equal(resp.status(), 200, 'GET /console/login');
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/console', { timeout: 20_000 }),
    page.locator('button[type=submit]').click(),
  ]);
}

/** Fills a form field by name, whether it is an input, a textarea or a select. */
async function setField(page, name, value) {
  const el = page.locator(`form:has([name="vin"]) [name="${name}"]`);
  if (name === 'owner_id' && (await el.locator(`option[value="${value}"]`).count()) === 0) {
    // The owner is looked up (the demo owner by the last digits of 13800000000),
    // never typed as an id; the values typed so far come back with the answer.
    await page.locator('#f-owner_id-q').fill('0000');
    await Promise.all([page.waitForNavigation(), page.locator('#f-owner_id-find').click()]);
  }
  const tag = await el.evaluate((e) => e.tagName.toLowerCase());
  if (tag === 'select') await el.selectOption(String(value));
  else await el.fill(String(value));
}

async function htmlLang(page) {
  return page.locator('html').getAttribute('lang');
}

/** Submits the vehicle form and returns the response to the POST itself. */
async function submitVehicleForm(page) {
  const [resp] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/console/vehicles'),
      { timeout: 20_000 },
    ),
    // The vehicle form's own button: the header also holds a sign-out form.
    page.locator('form:has([name="vin"]) button[type=submit]:not([name=find])').click(),
  ]);
  await page.waitForLoadState('load');
  return resp;
}

function vehicleValues(vin) {
  return {
    vin,
    brand: '上汽大众',
    model: '朗逸',
    model_year: '2020',
    plate: randomPlate(),
    purchase_date: '2020-06-15',
    owner_id: '1',
    station_id: '1',
  };
}

describe('console', { timeout: TEST_TIMEOUT }, () => {
  test('login page has the form and is Chinese by default', async () => {
    const { context, page } = await newPage();
    try {
      const resp = await page.goto(`${BASE_URL}/console/login`);
      assert.equal(resp.status(), 200);
      assert.equal(await htmlLang(page), 'zh-CN');
      assert.equal(await page.locator('input[name=username]').count(), 1, 'input[name=username]');
      assert.equal(await page.locator('input[name=password]').count(), 1, 'input[name=password]');
      assert.equal(await page.locator('input[name=password]').getAttribute('type'), 'password');
      assert.ok((await page.locator('button[type=submit]').count()) >= 1, 'button[type=submit]');
      await screenshot(page, `${SHOTS}login.png`);
    } finally {
      await context.close();
    }
  });

  test('a wrong password does not sign in', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${BASE_URL}/console/login`);
      await page.locator('input[name=username]').fill('admin');
      await page.locator('input[name=password]').fill('wrong-password');
      await page.locator('button[type=submit]').click();
      await page.waitForLoadState('load');
      assert.notEqual(new URL(page.url()).pathname, '/console', 'still not in the console');
      assert.equal(await page.locator('input[name=password]').count(), 1, 'the form is shown again');
    } finally {
      await context.close();
    }
  });

  test('admin signs in and sees name and role in the header', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page);
      assert.equal(new URL(page.url()).pathname, '/console');
      const user = page.locator('header .user');
      assert.equal(await user.count(), 1, 'header .user');
      const text = (await user.innerText()).trim();
      assert.ok(text.includes('系统管理员'), `header .user shows the role (系统管理员): ${JSON.stringify(text)}`);
      const rest = text.replace('系统管理员', '').replace(/[\s·|/()（）,，-]+/g, '');
      assert.ok(rest.length > 0, `header .user shows a name besides the role: ${JSON.stringify(text)}`);
    } finally {
      await context.close();
    }
  });

  test('language switch: zh-CN -> en -> zh-CN', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page);
      assert.equal(await htmlLang(page), 'zh-CN');
      const nav = page.locator('a[href="/console/vehicles"]').first();
      assert.match(await nav.innerText(), /车辆/);

      await page.locator('a[data-lang="en"]').first().click();
      await page.waitForSelector('html[lang="en"]', { state: 'attached' });
      assert.equal(await htmlLang(page), 'en');
      assert.match(await page.locator('a[href="/console/vehicles"]').first().innerText(), /Vehicles/);

      // The choice sticks across pages.
      await page.goto(`${BASE_URL}/console/vehicles/new`);
      assert.equal(await htmlLang(page), 'en');

      await page.locator('a[data-lang="zh-CN"]').first().click();
      await page.waitForSelector('html[lang="zh-CN"]', { state: 'attached' });
      assert.match(await page.locator('a[href="/console/vehicles"]').first().innerText(), /车辆/);
    } finally {
      await context.close();
    }
  });

  test('vehicle form rejects a wrong VIN check digit (422, field error, values kept), in Chinese and English', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page);
      const values = vehicleValues(withWrongCheckDigit(randomValidVin()));

      for (const lang of ['zh-CN', 'en']) {
        if (lang === 'en') {
          await page.goto(`${BASE_URL}/console`);
          await page.locator('a[data-lang="en"]').first().click();
          await page.waitForSelector('html[lang="en"]', { state: 'attached' });
        }
        const resp = await page.goto(`${BASE_URL}/console/vehicles/new`);
        assert.equal(resp.status(), 200, 'GET /console/vehicles/new');
        for (const [name, value] of Object.entries(values)) await setField(page, name, value);
        const post = await submitVehicleForm(page);
        assert.equal(post.status(), 422, `POST status with a bad VIN (${lang})`);
        assert.equal(await htmlLang(page), lang);

        const err = page.locator('.field-error[data-field="vin"]');
        assert.ok((await err.count()) >= 1, `.field-error[data-field="vin"] (${lang})`);
        const msg = await err.first().innerText();
        const word = lang === 'en' ? 'VIN' : '车架号';
        assert.ok(msg.includes(word), `VIN error mentions ${word}: ${JSON.stringify(msg)}`);

        for (const [name, value] of Object.entries(values)) {
          const got = await page.locator(`form:has([name="vin"]) [name="${name}"]`).inputValue();
          assert.equal(got, value, `field ${name} keeps its value (${lang})`);
        }
        if (lang === 'zh-CN') await screenshot(page, `${SHOTS}vin-error.png`);
      }
    } finally {
      await context.close();
    }
  });

  test('vehicle form saves a valid VIN and shows the vehicle', async () => {
    const { context, page } = await newPage();
    try {
      await signIn(page);
      const vin = randomValidVin();
      const resp = await page.goto(`${BASE_URL}/console/vehicles/new`);
      assert.equal(resp.status(), 200);
      for (const [name, value] of Object.entries(vehicleValues(vin))) await setField(page, name, value);
      const post = await submitVehicleForm(page);
      assert.ok([302, 303].includes(post.status()), `POST answers with a redirect, got ${post.status()}`);
      const path = new URL(page.url()).pathname;
      assert.match(path, /^\/console\/vehicles\/[^/]+$/, `redirected to the vehicle: ${path}`);
      assert.notEqual(path, '/console/vehicles/new');
      const h1 = await page.locator('h1').first().innerText();
      assert.ok(h1.includes(vin), `h1 contains the VIN ${vin}: ${JSON.stringify(h1)}`);
      await screenshot(page, `${SHOTS}vehicle-saved.png`);
    } finally {
      await context.close();
    }
  });
});

// ---------------------------------------------------------------------------
// API checks with plain fetch.

describe('api', { timeout: TEST_TIMEOUT }, () => {
  test('GET /healthz is 200', async () => {
    const r = await fetch(`${BASE_URL}/healthz`);
    assert.equal(r.status, 200);
  });

  test('GET /api/openapi.json is an OpenAPI document', async () => {
    const r = await fetch(`${BASE_URL}/api/openapi.json`);
    assert.equal(r.status, 200);
    const doc = await r.json();
    assert.equal(typeof doc.openapi, 'string', 'openapi field');
  });

  test('GET /api/v1/vehicles/by-vin/<bad> without credentials is a 401 problem', async () => {
    const bad = withWrongCheckDigit(randomValidVin());
    const r = await fetch(`${BASE_URL}/api/v1/vehicles/by-vin/${bad}`);
    assert.equal(r.status, 401);
    const ct = r.headers.get('content-type') ?? '';
    assert.ok(ct.startsWith('application/problem+json'), `content-type: ${ct}`);
    const body = await r.json();
    assert.equal(body.status ?? 401, 401);
  });
});
