// The PBS panel end to end, through the browser shell with the real lab: the dynamo-pbs
// scenario on five Dynamo node processes, a measurement in the simulator from the panel (the
// curve chart with its measured points and the k-staleness bars), a measurement on the live
// nodes through LabApi (the real-process path: lab clients, the run's trace, its observed
// legs), the measurement read back from the run's trace after a reload, and a bad request
// refused with a sentence. Screenshots: test-results/e2e/pbs-*.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';
import { SHOTS, openLabPage, startBrowserLab } from './lab-browser.ts';

const NODE_COUNT = 5;
const STEP_TIMEOUT_MS = 60_000;

test('the PBS panel draws predicted and measured staleness of a Dynamo run', { timeout: 300_000 }, async (t: TestContext) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-e2e-pbs-');
  const { page, problems } = await openLabPage(browser, { stepTimeoutMs: STEP_TIMEOUT_MS, viewport: { width: 1280, height: 1000 } });

  await t.test('a run of another protocol has no PBS panel; the dynamo-pbs scenario has one', async () => {
    await page.goto(server.url);
    await page.waitForFunction((count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count, NODE_COUNT);
    assert.equal(await page.locator('[data-action="pbs-measure-sim"]').count(), 0);
    await assert.rejects(lab.measurePbs({ mode: 'sim' }), /PBS measures Dynamo/);
    await lab.startScenario('dynamo-pbs');
    await page.waitForFunction((count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count, NODE_COUNT);
    await page.locator('[data-action="pbs-measure-sim"]').waitFor();
  });

  await t.test('measuring in the simulator draws both curves, the 99.9 % line and the k-staleness bars', async () => {
    await page.click('[data-action="pbs-measure-sim"]');
    await page.locator('[data-field="pbs-curve"]').waitFor();
    const points = await page.locator('[data-field="pbs-curve"] .measured-point').count();
    assert.equal(points, 8, 'the default grid: t = 0 and 7 more');
    assert.equal(await page.locator('[data-field="pbs-curve"] .predicted-line').count(), 1);
    assert.equal(await page.locator('[data-field="pbs-curve"] .target').count(), 1);
    assert.equal(await page.locator('[data-field="pbs-k-staleness"] .bar.measured').count(), 5);
    assert.match((await page.locator('[data-field="pbs-summary"]').textContent()) ?? '', /t-visibility at 99.9 %: predicted \d/);
    await page.locator('.pbs-panel').scrollIntoViewIfNeeded();
    await page.locator('.pbs-panel').screenshot({ path: path.join(SHOTS, 'pbs-01-panel.png') });
    await page.screenshot({ path: path.join(SHOTS, 'pbs-02-page.png'), fullPage: true });
  });

  await t.test('the measurement is in the run\'s trace: after a reload the panel shows it again', async () => {
    const query = { nodes: ['lab' as const], kinds: ['log' as const], text: '"measurement":"pbs"' };
    for (let attempt = 0; (await lab.events(query)).length === 0; attempt += 1) {
      assert.ok(attempt < 100, 'the measurement reaches the trace');
      await page.waitForTimeout(100);
    }
    await page.reload();
    await page.locator('[data-field="pbs-curve"]').waitFor();
    assert.match((await page.locator('[data-field="pbs-summary"]').textContent()) ?? '', /^\s*from this run's trace · simulator, seed \d+/);
    assert.equal(await page.locator('[data-field="pbs-curve"] .measured-point').count(), 8);
  });

  await t.test('measuring on the live nodes uses the lab\'s clients and the run\'s trace; a bad request gets a sentence', async () => {
    const result: PbsMeasurement = await lab.measurePbs({ mode: 'live', trialsPerT: 20 });
    assert.equal(result.mode, 'live');
    assert.ok(result.legs.w.count > 0 && result.legs.a.count > 0 && result.legs.r.count > 0 && result.legs.s.count > 0, JSON.stringify(result.legs));
    // The scenario's network adds 5–25 ms to every link: one-way W cannot be faster than 5 ms.
    assert.ok(result.legs.w.p50Ms >= 5, `W p50 ${result.legs.w.p50Ms} ms`);
    const atZero = result.measured.curve[0]!;
    assert.equal(atZero.trials + atZero.failed, 20);
    assert.ok(atZero.pConsistent < 1, `R = W = 1 over delayed links: some reads at t = 0 are stale (${atZero.consistent}/${atZero.trials})`);
    await assert.rejects(lab.measurePbs({ mode: 'fast' } as never), /mode must be 'sim' or 'live'/);
    assert.deepEqual(problems, []);
  });
});
