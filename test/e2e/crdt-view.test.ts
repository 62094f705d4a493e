// The CRDT view end to end, through the browser shell with the real lab: three crdt-gossip node
// processes running crdt-add-remove-or-set (an OR-set shopping list; c2 adds milk at n2 while n1,
// cut off, removes it). While the partition holds the replicas read differently; the merge of
// n1 and n2 shows, element by element, that n2's add carries a tag n1's remove never saw; after
// the heal every replica reads [milk] and sits on one state of the lattice.
// Screenshots land in test-results/e2e/crdt-*.png for a human to look at.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { SHOTS, startBrowserLab } from './lab-browser.ts';

const SCENARIO = 'crdt-add-remove-or-set';
const STEP_TIMEOUT_MS = 30_000;

test('the CRDT view: replicas, a merge step by step, the lattice', { timeout: 180_000 }, async (t) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-crdt-view-');
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  await page.goto(server.url);
  await page.selectOption('[data-field="scenario"]', SCENARIO);
  await page.click('[data-action="start-scenario"]');
  await page.locator('[data-notice="info"]', { hasText: `Started scenario ${SCENARIO}` }).waitFor();
  await page.locator('[data-field="scenario-lesson"] summary').click();
  await page.locator('[data-field="crdt-view"]').waitFor();

  const waitLabTime = async (ms: number): Promise<void> => {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while ((await lab.snapshot()).labTimeMs < ms) {
      assert.ok(Date.now() < deadline, `the scenario reaches ${ms} ms`);
      await page.waitForTimeout(200);
    }
  };

  await t.test('during the partition: n1 removed milk, n2 and n3 still hold it (with n2\'s new tag)', async () => {
    await waitLabTime(6_300);
    await page.waitForFunction(() => document.querySelectorAll('[data-field="crdt-replicas"] [data-replica]').length === 3);
    const reads = await page.$$eval('[data-field="crdt-replicas"] [data-replica]', (rows) => rows.map((row) => [row.getAttribute('data-replica'), row.querySelector('.value')?.textContent]));
    assert.equal(reads.find(([node]) => node === 'n2')?.[1], '["milk"]', JSON.stringify(reads));
    await page.selectOption('[data-field="crdt-left"]', 'n1');
    await page.selectOption('[data-field="crdt-right"]', 'n2');
    const milk = page.locator('[data-field="crdt-merge"] tr', { hasText: 'milk' });
    await milk.first().waitFor();
    assert.ok(await page.locator('[data-field="crdt-hasse"]').count() === 1, 'the lattice of {milk} is drawn');
    await page.locator('[data-field="crdt-view"]').screenshot({ path: path.join(SHOTS, 'crdt-partitioned.png') });
  });

  await t.test('after the heal: every replica reads [milk], all on one state of the lattice', async () => {
    await waitLabTime(9_000);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-field="crdt-replicas"] [data-replica] .value')].every((cell) => cell.textContent === '["milk"]'), undefined, { timeout: STEP_TIMEOUT_MS });
    const marked = await page.$$eval('[data-field="crdt-hasse"] [data-state]', (nodes) => nodes.map((node) => [node.getAttribute('data-state'), node.querySelectorAll('circle').length]));
    assert.deepEqual(marked, [['[]', 0], ['["milk"]', 3]]);
    await page.locator('[data-field="crdt-view"]').screenshot({ path: path.join(SHOTS, 'crdt-healed.png') });
  });
});
