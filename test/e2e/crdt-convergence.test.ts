// "Measure convergence" end to end, through the browser shell with the real lab: five
// crdt-gossip node processes running crdt-gossip-loss (30 % loss on every link, set by the
// scenario's network as link faults). One press of the button measures the live cluster and
// runs the simulator on the same parameters; a point appears on the chart for 5 nodes at 30 %
// loss, with the prediction beside it and a row in the table; with the links healed, a second
// press adds the 0 % point to the same series. No timing thresholds.
// The screenshot lands in test-results/e2e/crdt-convergence.png for a human to look at.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { SHOTS, startBrowserLab } from './lab-browser.ts';

const SCENARIO = 'crdt-gossip-loss';
const MEASURE_TIMEOUT_MS = 90_000;

test('the CRDT panel measures convergence on the live cluster and charts it beside the simulator', { timeout: 240_000 }, async (t) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-crdt-convergence-');
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  await page.goto(server.url);
  await page.selectOption('[data-field="scenario"]', SCENARIO);
  await page.click('[data-action="start-scenario"]');
  await page.locator('[data-notice="info"]', { hasText: `Started scenario ${SCENARIO}` }).waitFor();
  await page.locator('[data-field="crdt-view"]').waitFor();
  // The scenario's network is applied as link faults when it starts playing.
  const deadline = Date.now() + 30_000;
  while (!(await lab.snapshot()).links.every((link) => link.faults.lossPct === 30)) {
    assert.ok(Date.now() < deadline, 'the scenario sets 30 % loss on every link');
    await page.waitForTimeout(200);
  }

  const button = page.locator('[data-action="measure-convergence"]');
  assert.equal(await page.locator('[data-field="convergence-chart"]').count(), 0, 'no chart before the first measurement');
  await button.click();
  await page.locator('[data-field="convergence-chart"] [data-point]').first().waitFor({ timeout: MEASURE_TIMEOUT_MS });

  const series = await page.$$eval('[data-field="convergence-chart"] [data-series]', (groups) => groups.map((group) => [group.getAttribute('data-series'), group.querySelectorAll('[data-point]').length, group.querySelectorAll('.sim-point').length]));
  assert.deepEqual(series, [['5', 1, 1]], 'one series (5 nodes) with one live point and its prediction');
  const summary = await page.locator('[data-field="convergence-summary"]').textContent();
  assert.match(summary ?? '', /5 nodes, 30 % loss, push-pull/);
  assert.match(summary ?? '', /live p50 .* 3 runs.*simulator p50 .* 20 seeds/s);
  const rows = await page.$$eval('[data-field="convergence-table"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())));
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]!.slice(0, 3), ['5', '30 %', 'push-pull, fanout 1, 100 ms']);

  // The links healed (as the link panel would set them): a second point of the same series, at 0 %.
  const ids = (await lab.snapshot()).nodes.map((node) => node.id);
  for (const source of ids) for (const target of ids) if (source !== target) await lab.fault({ kind: 'link', source, target, faults: { lossPct: 0 } });
  await page.waitForFunction(() => !(document.querySelector('[data-action="measure-convergence"]') as HTMLButtonElement | null)?.disabled);
  await button.click();
  await page.waitForFunction(() => document.querySelectorAll('[data-field="convergence-chart"] [data-point]').length === 2, undefined, { timeout: MEASURE_TIMEOUT_MS });
  assert.match(await page.locator('[data-field="convergence-summary"]').textContent() ?? '', /5 nodes, 0 % loss/);
  assert.equal(await page.locator('[data-field="convergence-chart"] [data-series]').count(), 1, 'still one series: one cluster size');
  await page.locator('[data-field="convergence"]').screenshot({ path: path.join(SHOTS, 'crdt-convergence.png') });
});
