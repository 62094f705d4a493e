// The CALM view end to end, through the browser shell with the real lab: three calm node
// processes on links that duplicate, reorder and delay, the recorder, the web server and
// Chromium. Pick the destructive cart: the program shows its point of order in the margin and
// the three nodes' facts side by side once the clients are done; then the sealed vote count:
// the count waits for the seals, then every node reports one number, the same everywhere.
// Screenshots land in test-results/e2e/calm-*.png for a human to look at.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { SHOTS, openLabPage, startBrowserLab } from './lab-browser.ts';

const NODE_COUNT = 3;
/** The calm scenarios' clients describe, give their inputs and seal within about 1.5 s; reads go on until 3 s. */
const WORKLOAD_DONE_MS = 3_500;
const STEP_TIMEOUT_MS = 30_000;

async function startScenario(page: Page, name: string): Promise<void> {
  await page.selectOption('[data-field="scenario"]', name);
  await page.click('[data-action="start-scenario"]');
  await page.locator('[data-notice="info"]', { hasText: `Started scenario ${name}` }).waitFor();
  await page.waitForFunction((count) => document.querySelectorAll('[data-calm-node]').length === count, NODE_COUNT);
}

async function waitForLabTime(lab: { snapshot(): Promise<{ labTimeMs: number }> }, page: Page, atMs: number): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while ((await lab.snapshot()).labTimeMs < atMs) {
    assert.ok(Date.now() < deadline, 'the scenario runs');
    await page.waitForTimeout(250);
  }
}

test('the CALM view shows the program\'s points of order and the nodes\' facts side by side', { timeout: 240_000 }, async (t: TestContext) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-e2e-calm-');
  const { page, problems } = await openLabPage(browser, { stepTimeoutMs: STEP_TIMEOUT_MS, viewport: { width: 1280, height: 900 } });

  await t.test('a run of another protocol has no CALM view', async () => {
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelectorAll('[data-node-card][data-state="up"]').length > 0);
    assert.equal(await page.locator('[data-field="calm-view"]').count(), 0);
  });

  await t.test('the destructive cart: the deletion is the point of order, and the facts line up node by node', async () => {
    await startScenario(page, 'calm-cart-destructive');
    await page.locator('[data-field="scenario-lesson"] summary').click();
    await waitForLabTime(lab, page, WORKLOAD_DONE_MS);
    assert.equal(await page.getAttribute('[data-field="calm-listing"] [data-line="10"]', 'data-mark'), 'point-of-order');
    assert.equal(await page.getAttribute('[data-field="calm-listing"] [data-line="9"]', 'data-mark'), 'monotone');
    assert.match((await page.textContent('[data-field="calm-headline"]')) ?? '', /cart-destructive · not confluent · no coordination/);
    // Every node reports its cart, and the verdict says whether they agree; a differing fact is marked on the node that holds it.
    await page.waitForFunction((count) => document.querySelectorAll('[data-calm-row="cart"] [data-calm-cell]').length === count, NODE_COUNT);
    const differing = Number(await page.getAttribute('[data-field="calm-verdict"]', 'data-differing'));
    const marked = await page.locator('[data-calm-row] .fact[data-differs="true"]').count();
    assert.equal(differing > 0, marked > 0 || (await page.locator('[data-calm-row][data-differs="true"]').count()) > 0, 'the verdict and the marks tell the same story');
    await page.locator('[data-field="calm-view"]').screenshot({ path: path.join(SHOTS, 'calm-01-cart-destructive.png') });
  });

  await t.test('the sealed vote count waits for the seals, then reports one count, the same on every node', async () => {
    await startScenario(page, 'calm-vote-count-sealed');
    assert.match((await page.textContent('[data-field="calm-headline"]')) ?? '', /vote-count · not confluent · coordinated \(sealing\)/);
    await waitForLabTime(lab, page, WORKLOAD_DONE_MS);
    await page.waitForFunction((count) => [...document.querySelectorAll('[data-calm-row="reported"] [data-calm-cell]')]
      .filter((cell) => cell.querySelectorAll('.fact').length === 1).length === count, NODE_COUNT);
    const reported = await page.$$eval('[data-calm-row="reported"] [data-calm-cell] .fact', (chips) => chips.map((chip) => chip.textContent?.trim()));
    assert.equal(new Set(reported).size, 1, `one count everywhere: ${reported.join(' ')}`);
    assert.equal(await page.getAttribute('[data-calm-row="reported"]', 'data-differs'), 'false');
    assert.equal(await page.locator('[data-field="calm-waiting"]').count(), 0, 'nothing waits any more');
    assert.match((await page.textContent('[data-field="calm-listing"] [data-line="9"]')) ?? '', /sealed, ran/);
    await page.locator('[data-field="calm-view"]').screenshot({ path: path.join(SHOTS, 'calm-02-vote-count-sealed.png') });
    await page.screenshot({ path: path.join(SHOTS, 'calm-03-page.png') });
  });

  await t.test('nothing went wrong in the page', () => {
    assert.deepEqual(problems, []);
  });
});
