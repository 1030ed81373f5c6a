// Temporary walk of the demo's three-guarantees stages (not committed).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { BASE_URL, CHROMIUM, newPage, noOverflow, signInStaff, screenshot } from './helpers.mjs';
import { axeViolations, BLOCKING, describe } from './axe.mjs';

const OUT = '/tmp/guarantee-shots/';
const log = readFileSync(process.env.SERVER_LOG, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const line = log.split('\n').find((l) => l.includes('demo three guarantees:')) ?? '';
console.log(line);
const num = (k) => { const m = line.match(new RegExp(`${k}: Some\\((\\d+)`)); return m ? Number(m[1]) : null; };
const req = line.match(/open_request: Some\(\((\d+), (\d+)\)\)/);
const cars = {
  courtesyOrder: num('courtesy_car_order'), oneShort: num('one_short'), right: num('right_arisen'),
  requestCar: req ? Number(req[1]) : null, request: req ? Number(req[2]) : null,
  excluded: num('excluded'), battery: num('battery_right'),
};
console.log(cars);
const browser = await chromium.launch(CHROMIUM);
const pages = [
  ['policy', 'admin', '/console/three-guarantees/policy'],
  ['policy-read', 'advisor', '/console/three-guarantees/policy'],
  ['promises', 'admin', '/console/three-guarantees/fade-promises'],
  ['order-courtesy', 'advisor', `/console/orders/${cars.courtesyOrder}`],
  ['board', 'advisor', '/console/board?station=1'],
  ['vehicle-one-short', 'advisor', `/console/vehicles/${cars.oneShort}`],
  ['vehicle-right', 'advisor', `/console/vehicles/${cars.right}`],
  ['vehicle-request', 'advisor', `/console/vehicles/${cars.requestCar}`],
  ['request', 'advisor', `/console/three-guarantees/requests/${cars.request}`],
  ['requests', 'advisor', '/console/three-guarantees/requests'],
  ['vehicle-excluded', 'advisor', `/console/vehicles/${cars.excluded}`],
  ['dossier-excluded', 'advisor', `/console/vehicles/${cars.excluded}/dossier`],
  ['vehicle-battery', 'advisor', `/console/vehicles/${cars.battery}`],
  ['dossier-battery', 'advisor', `/console/vehicles/${cars.battery}/dossier`],
  ['dossier-one-short', 'advisor', `/console/vehicles/${cars.oneShort}/dossier`],
];
const only = process.env.ONLY ? process.env.ONLY.split(',') : null;
for (const lang of ['zh-CN', 'en']) {
  for (const width of [1440, 390]) {
    const sessions = {};
    for (const [name, who, path] of pages) {
      if (only && !only.includes(name)) continue;
      if (!sessions[who]) { sessions[who] = await newPage(browser, lang, width); await signInStaff(sessions[who], who, lang); }
      const p = sessions[who];
      const r = await p.goto(`${BASE_URL}${path}`);
      const tag = `${name}-${lang}-${width}`;
      const main = await p.locator('main').innerText().catch(() => '');
      const raw = main.match(/\b(advisor|telematics|repair_order|art\d\d[\w()]*|part:\S+|gt\d\.\S+|battery_fade|battery_restore|replacement_or_refund|courtesy_car|no_promise|main_part:\S+|assembly:\S+|field\.\S+|rule\.\S+)\b/g);
      let over = '';
      try { await noOverflow(p, tag); } catch (e) { over = ' OVERFLOW'; }
      const blocking = (await axeViolations(p)).filter((v) => BLOCKING.includes(v.impact));
      console.log(`${tag}: ${r.status()}${over}${raw ? ` RAW ${[...new Set(raw)].join(' ')}` : ''}${blocking.length ? `\n AXE ${describe(blocking)}` : ''}`);
      await screenshot(p, `${OUT}${tag}.png`);
      if (name.startsWith('dossier') && width === 1440) {
        await p.emulateMedia({ media: 'print' });
        await screenshot(p, `${OUT}${tag}-print.png`);
        await p.emulateMedia({ media: 'screen' });
      }
    }
    for (const s of Object.values(sessions)) await s.context().close();
  }
}
await browser.close();
