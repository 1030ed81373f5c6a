#!/usr/bin/env node
// Measures how long every console page type takes to answer on a running demo
// server (issue 17: under 300 ms on the small demo). Signs in as the demo accounts
// whose work covers the page types, finds one record of each kind from the lists,
// GETs every page once to warm it and once measured, and prints the pages slowest
// first. Exit status 1 when one is over the limit.
//
//   BASE_URL=http://127.0.0.1:8080 node scripts/page-times.mjs [limit_ms=300]
//
// The time is the server's answer as a client sees it (request sent → body read),
// without the browser's rendering.

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
const PASSWORD = process.env.DEMO_PASSWORD ?? 'demo1234';
const LIMIT = Number(process.argv[2] ?? 300);

async function signIn(username) {
  const form = await fetch(`${BASE}/console/login`);
  const cookies = new Map();
  const keep = (r) => {
    for (const c of r.headers.getSetCookie?.() ?? []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  keep(form);
  const csrf = (await form.text()).match(/name="csrf" value="([^"]*)"/)?.[1] ?? '';
  const jar = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const r = await fetch(`${BASE}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar() },
    body: new URLSearchParams({ csrf, username, password: PASSWORD }),
  });
  keep(r);
  if (r.status >= 400) throw new Error(`sign-in as ${username}: ${r.status}`);
  return async (path) => {
    const t = performance.now();
    const res = await fetch(`${BASE}${path}`, { headers: { cookie: jar() }, redirect: 'manual' });
    const body = await res.text();
    return { ms: performance.now() - t, status: res.status, body };
  };
}

/** The first link of `pattern` (a RegExp with one group: the id) on `path`. */
async function firstId(get, path, pattern) {
  const { body } = await get(path);
  return body.match(pattern)?.[1];
}

const who = {
  admin: await signIn('admin'),
  advisor: await signIn('advisor'),
  manager: await signIn('manager'),
  technician: await signIn('technician'),
  privacy: await signIn('privacy'),
};
const order = await firstId(who.advisor, '/console/board', /\/console\/orders\/(\d+)/);
// A delivered order has a bill: the first order id (the demo's past days) whose bill answers.
let billed;
for (let id = 1; id <= 20 && !billed; id++) {
  if ((await who.advisor(`/console/orders/${id}/bill`)).status === 200) billed = id;
}
const customer = await firstId(who.advisor, '/console/customers', /\/console\/customers\/(\d+)/);
const vehicle = await firstId(who.advisor, '/console/vehicles', /\/console\/vehicles\/(\d+)/);
const appointment = await firstId(who.advisor, '/console/appointments', /\/console\/appointments\/(\d+)/);
const pickup = await firstId(who.advisor, '/console/pickups', /\/console\/pickups\/(\d+)/);
const staff = await firstId(who.admin, '/console/staff', /\/console\/staff\/(\d+)/);
const station = await firstId(who.admin, '/console/stations', /\/console\/stations\/(\d+)/);
const complaint = await firstId(who.admin, '/console/complaints', /\/console\/complaints\/(\d+)/);

const pages = [
  ['advisor', '/console'],
  ['technician', '/console'],
  ['admin', '/console'],
  ['advisor', '/console/board'],
  ['advisor', '/console/appointments'],
  ['advisor', '/console/appointments?view=week'],
  ['advisor', '/console/appointments?view=list&sort=plate&dir=desc'],
  ['advisor', '/console/appointments/new'],
  appointment && ['advisor', `/console/appointments/${appointment}`],
  ['advisor', '/console/customers'],
  ['advisor', '/console/customers?sort=name&dir=asc&size=100'],
  customer && ['advisor', `/console/customers/${customer}`],
  ['advisor', '/console/vehicles'],
  ['advisor', '/console/vehicles?sort=plate&dir=desc&size=100'],
  vehicle && ['advisor', `/console/vehicles/${vehicle}`],
  order && ['advisor', `/console/orders/${order}`],
  billed && ['advisor', `/console/orders/${billed}/bill`],
  ['technician', '/console/jobs'],
  ['advisor', '/console/pickups'],
  pickup && ['advisor', `/console/pickups/${pickup}`],
  ['manager', '/console/kpis'],
  ['admin', '/console/staff'],
  staff && ['admin', `/console/staff/${staff}`],
  ['admin', '/console/stations'],
  station && ['admin', `/console/stations/${station}`],
  ['admin', '/console/queue'],
  ['admin', '/console/complaints'],
  complaint && ['admin', `/console/complaints/${complaint}`],
  ['admin', '/console/payment-notices'],
  ['admin', '/console/reconciliation'],
  ['admin', '/console/privacy-requests'],
  ['privacy', '/console/audit'],
  ['privacy', '/console/audit?sort=action&dir=asc&size=100'],
].filter(Boolean);

const rows = [];
for (const [user, path] of pages) {
  await who[user](path); // warm
  const { ms, status } = await who[user](path);
  rows.push({ user, path, status, ms: Math.round(ms * 10) / 10 });
}
rows.sort((a, b) => b.ms - a.ms);
for (const r of rows) console.log(`${String(r.ms).padStart(7)} ms  ${r.status}  ${r.user.padEnd(10)} ${r.path}`);
const over = rows.filter((r) => r.ms >= LIMIT);
console.log(`slowest: ${rows[0].path} as ${rows[0].user}, ${rows[0].ms} ms; ${rows.length} page types; ${over.length} at or over ${LIMIT} ms`);
process.exit(over.length ? 1 : 0);
