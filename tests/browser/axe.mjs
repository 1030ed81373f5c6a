// Accessibility checks shared by the browser tests: runs axe-core (npm `axe-core`) in
// the page and fails on critical and serious violations (issue 17, finding 13).
//
//   import { assertAccessible } from './axe.mjs';
//   await assertAccessible(page, 'owner home zh');
//
// The script is evaluated through the DevTools protocol rather than added as a
// <script> tag, so the pages' Content-Security-Policy (no inline scripts) stays on.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The impacts that fail a page. */
export const BLOCKING = ['critical', 'serious'];

/** Runs axe-core on the page as it is now and returns its violations (every impact). */
export async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('') ?? ''}`),
    }));
  });
}

/** A readable list of violations, one node per line. */
export function describe(violations) {
  return violations
    .map((v) => `  [${v.impact}] ${v.id}: ${v.help}\n${v.nodes.slice(0, 8).map((n) => `      ${n}`).join('\n')}`)
    .join('\n');
}

/** Fails when the page has a critical or serious violation, naming each node. */
export async function assertAccessible(page, label) {
  const blocking = (await axeViolations(page)).filter((v) => BLOCKING.includes(v.impact));
  assert.equal(blocking.length, 0, `${label} (${page.url()}): axe-core found\n${describe(blocking)}`);
}
