// The Dynamo view end to end, through the browser shell with the real lab: five Dynamo node
// processes, the recorder, the web server and Chromium. A workshop's path: pick the sloppy
// quorum scenario, see the ring with five nodes and their tokens and the keys placed on it;
// let the scenario crash n2 and n3 and bring them back, and see the hints it made handed back;
// then crash a node from the Dynamo view, see the keys it replicates go sloppy, write one of
// them through the client panel and see the hint land on the stand-in, restart the node and
// see the hint handed back; look at a Merkle exchange's two trees; finally open the run's
// trace as a recording and see the ring rebuilt. Screenshots land in
// test-results/e2e/dynamo-*.png for a human to look at.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { SHOTS, openLabPage, startBrowserLab } from './lab-browser.ts';

const NODE_COUNT = 5;
const TOKENS_PER_NODE = 8;
const SCENARIO = 'dynamo-sloppy-quorum';
/** The scenario restarts n2 and n3 at 6 s and its workload ends at 8 s; hints go back within a few handoff rounds. */
const SCENARIO_QUIET_AFTER_MS = 9_500;
const STEP_TIMEOUT_MS = 30_000;
/** The node the test crashes itself. */
const VICTIM = 'n4';

async function clientPut(page: Page, key: string, value: string): Promise<{ outcome: string; text: string }> {
  await page.selectOption('[data-field="client-op"]', 'put');
  await page.fill('[data-field="client-key"]', key);
  await page.fill('[data-field="client-value"]', value);
  const before = await page.locator('[data-field="outcomes"] li[data-client="c99"]').count();
  await page.click('[data-action="client-send"]');
  await page.waitForFunction((count) => document.querySelectorAll('[data-field="outcomes"] li[data-client="c99"]').length > count, before);
  const newest = page.locator('[data-field="outcomes"] li[data-client="c99"]').first();
  return { outcome: (await newest.getAttribute('data-outcome')) ?? '', text: (await newest.textContent()) ?? '' };
}

/** Hints shown in the view: holder, owner, count. */
function hintRows(page: Page): Promise<{ holder: string; owner: string; count: number }[]> {
  return page.$$eval('[data-dynamo-hint]', (rows) => rows.map((row) => ({
    holder: row.getAttribute('data-dynamo-hint') ?? '', owner: row.getAttribute('data-owner') ?? '', count: Number(row.getAttribute('data-count')),
  })));
}

/** Scrolls the Dynamo view to the top of the window, just under the sticky header, for a screenshot. */
async function showView(page: Page): Promise<void> {
  await page.evaluate(() => {
    const panel = document.querySelector('[data-field="dynamo-view"]');
    const header = document.querySelector('.top-bar');
    if (panel !== null) window.scrollTo(0, panel.getBoundingClientRect().top + window.scrollY - (header?.getBoundingClientRect().height ?? 0) - 8);
  });
}

function handedOff(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-handed-off]', (items) => Object.fromEntries(items.map((item) => [item.getAttribute('data-handed-off'), Number(item.getAttribute('data-count'))])));
}

test('the Dynamo view follows a real Dynamo cluster', { timeout: 240_000 }, async (t: TestContext) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-e2e-dynamo-');
  const { page, problems } = await openLabPage(browser, { stepTimeoutMs: STEP_TIMEOUT_MS });

  await t.test('a run of another protocol has no Dynamo view', async () => {
    await page.goto(server.url);
    await page.waitForFunction((count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count, NODE_COUNT);
    assert.notEqual((await lab.snapshot()).run?.protocol, 'dynamo');
    assert.equal(await page.locator('[data-field="dynamo-view"]').count(), 0);
  });

  await t.test('picking the Dynamo scenario shows the ring: five nodes, their tokens, and the keys placed', async () => {
    await page.selectOption('[data-field="scenario"]', SCENARIO);
    await page.click('[data-action="start-scenario"]');
    await page.locator('[data-notice="info"]', { hasText: `Started scenario ${SCENARIO}` }).waitFor();
    await page.locator('[data-field="scenario-lesson"] summary').click(); // fold the lesson away: the view moves up
    await page.waitForFunction((count) => document.querySelectorAll('[data-dynamo-node]').length === count, NODE_COUNT);
    assert.equal((await page.textContent('[data-field="dynamo-headline"]'))?.trim(), `N=3 R=2 W=2 · ${TOKENS_PER_NODE} tokens per node`);
    await page.waitForFunction((count) => document.querySelectorAll('[data-dynamo-token]').length === count, NODE_COUNT * TOKENS_PER_NODE);
    for (let index = 1; index <= NODE_COUNT; index += 1) {
      assert.equal(await page.locator(`[data-dynamo-token="n${index}"]`).count(), TOKENS_PER_NODE, `n${index}'s tokens`);
    }
    await page.waitForFunction(() => document.querySelectorAll('[data-dynamo-key]').length >= 5);
    // Every key's preference list: three distinct nodes.
    const lists = await page.$$eval('[data-dynamo-key]', (dots) => dots.map((dot) => dot.getAttribute('data-preference') ?? ''));
    assert.ok(lists.every((list) => new Set(list.split(',')).size === 3), lists.join(' | '));
    // Dispatched, not clicked: a dot may sit under the sticky header after scrolling; what is tested is the view's answer.
    await page.locator('[data-dynamo-key]').first().dispatchEvent('click');
    await page.locator('[data-field="dynamo-focus"] .member').first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'dynamo-01-ring.png') });
    await page.locator('[data-dynamo-key].pinned').dispatchEvent('click'); // unpinned again
  });

  await t.test('the scenario\'s crashes of n2 and n3 leave hints on stand-ins, handed back after the restart', async () => {
    const deadline = Date.now() + STEP_TIMEOUT_MS * 2;
    let sawHints = false;
    // The view is polled while the scenario runs: hints for n2 or n3 appear between 3.5 s and 6 s.
    while ((await lab.snapshot()).labTimeMs < SCENARIO_QUIET_AFTER_MS) {
      assert.ok(Date.now() < deadline, 'the scenario runs');
      const hints = await hintRows(page);
      if (!sawHints && hints.some((row) => row.owner === 'n2' || row.owner === 'n3')) {
        sawHints = true;
        await showView(page);
        await page.screenshot({ path: path.join(SHOTS, 'dynamo-02-scenario-hints.png') });
      }
      await page.waitForTimeout(150);
    }
    await page.waitForFunction((count) => document.querySelectorAll('[data-dynamo-node][data-state="up"][data-up="true"]').length === count, NODE_COUNT);
    await page.waitForFunction(() => document.querySelectorAll('[data-dynamo-hint]').length === 0);
    const back = await handedOff(page);
    assert.ok(Object.values(back).reduce((sum, count) => sum + count, 0) >= 1, `hints were handed back: ${JSON.stringify(back)}`);
    t.diagnostic(`hints for n2/n3 seen while polling: ${sawHints}; handed back: ${JSON.stringify(back)}`);
  });

  let key = '';
  let standIn = '';
  await t.test(`crashing ${VICTIM} from the view makes its keys sloppy, and a write leaves a hint on the stand-in`, async () => {
    const before = await handedOff(page);
    await page.click(`[data-dynamo-node="${VICTIM}"] [data-dynamo-action="crash"]`);
    await page.locator(`[data-dynamo-node="${VICTIM}"][data-state="down"]`).waitFor();
    // Gossip notices after gossipFailAfterMs (1.5 s): then the viewpoint's keys with it in their list go sloppy.
    await page.locator(`[data-dynamo-node="${VICTIM}"][data-up="false"]`).waitFor();
    await page.waitForFunction((victim) => {
      const dots = [...document.querySelectorAll('[data-dynamo-key]')];
      const listed = dots.filter((dot) => (dot.getAttribute('data-preference') ?? '').split(',').includes(victim));
      return listed.length > 0 && listed.some((dot) => dot.getAttribute('data-sloppy') === 'true');
    }, VICTIM);
    const sloppy = await page.$$eval('[data-dynamo-key][data-sloppy="true"]', (dots) => dots.map((dot) => ({
      key: dot.getAttribute('data-dynamo-key') ?? '', unreachable: dot.getAttribute('data-unreachable') ?? '', standIns: dot.getAttribute('data-stand-ins') ?? '',
    })));
    assert.ok(sloppy.every((entry) => entry.unreachable === VICTIM), `only ${VICTIM} is down: ${JSON.stringify(sloppy)}`);
    const chosen = sloppy[0]!;
    key = chosen.key;
    const [node, owner] = chosen.standIns.split('>');
    assert.equal(owner, VICTIM);
    standIn = node!;
    const written = await clientPut(page, key, 'while-down');
    assert.equal(written.outcome, 'ok', written.text);
    const hint = page.locator(`[data-dynamo-hint="${standIn}"][data-owner="${VICTIM}"]`);
    await hint.waitFor();
    assert.ok(((await hint.textContent()) ?? '').includes(key), `${standIn} names ${key} among its hints for ${VICTIM}`);
    assert.equal(await page.locator(`[data-dynamo-node="${standIn}"]`).getAttribute('data-hints'), String(Number(await hint.getAttribute('data-count'))));
    t.diagnostic(`key ${key}: stand-in ${standIn} for ${VICTIM}; handed back before: ${JSON.stringify(before)}`);
    await page.locator(`[data-dynamo-key="${key}"]`).dispatchEvent('click');
    await page.locator('[data-field="focus-stand-ins"]').waitFor();
    await showView(page);
    await page.screenshot({ path: path.join(SHOTS, 'dynamo-03-sloppy.png') });
  });

  await t.test(`restarting ${VICTIM} hands the hint back: the stand-in holds none for it, and no key is sloppy`, async () => {
    const before = (await handedOff(page))[standIn] ?? 0;
    await page.click(`[data-dynamo-node="${VICTIM}"] [data-dynamo-action="restart"]`);
    await page.locator(`[data-dynamo-node="${VICTIM}"][data-state="up"][data-up="true"]`).waitFor();
    await page.locator(`[data-dynamo-hint][data-owner="${VICTIM}"]`).waitFor({ state: 'detached' });
    await page.waitForFunction(({ node, count }) => Number(document.querySelector(`[data-handed-off="${node}"]`)?.getAttribute('data-count') ?? 0) > count, { node: standIn, count: before });
    assert.equal(await page.locator('[data-dynamo-key][data-sloppy="true"]').count(), 0);
    await showView(page);
    await page.screenshot({ path: path.join(SHOTS, 'dynamo-04-handed-back.png') });
  });

  await t.test('the Merkle panel shows an exchange: both trees, what was compared', async () => {
    const summary = page.locator('[data-field="merkle-summary"]');
    await summary.waitFor();
    assert.equal(await page.locator('[data-merkle-side]').count(), 2);
    const state = await summary.getAttribute('data-state');
    assert.ok(['in-sync', 'converged', 'synced', 'comparing'].includes(state ?? ''), `state ${state}`);
    // The root is compared in every exchange that got an answer; below an equal parent nothing is.
    await page.waitForFunction(() => document.querySelectorAll('[data-merkle-side] .cell[data-level="0"][data-status="skipped"]').length === 0);
    // Read in one go: the panel follows the newest exchange, and a new one may come in between two reads.
    const shown = await page.evaluate(() => ({
      differing: Number(document.querySelector('[data-field="merkle-summary"]')?.getAttribute('data-differing')),
      red: [...document.querySelectorAll('[data-merkle-side]')].map((side) => side.querySelectorAll('.cell[data-status="differs"]').length),
    }));
    if (shown.differing > 0) assert.ok(shown.red.every((count) => count === shown.differing), `the ${shown.differing} differing hashes are red in both trees: ${JSON.stringify(shown.red)}`);
    t.diagnostic(`shown exchange: ${(await summary.textContent())?.replace(/\s+/g, ' ').trim()}`);
    await page.locator('[data-field="dynamo-merkle"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'dynamo-05-merkle.png') });
  });

  await t.test('the run\'s trace, opened as a recording, shows the ring and what each node last reported holding', async () => {
    const tracePath = (await lab.snapshot()).tracePath;
    assert.ok(tracePath);
    await lab.openTrace(tracePath);
    await page.locator('[data-field="dynamo-note"]', { hasText: 'as it last reported itself in the recording' }).waitFor();
    await page.waitForFunction((count) => document.querySelectorAll('[data-dynamo-token]').length === count, NODE_COUNT * TOKENS_PER_NODE);
    // The keys written above, from the nodes' recorded statuses (a recording without them showed none).
    await page.locator('[data-dynamo-key]').first().waitFor();
    assert.equal(await page.locator('[data-dynamo-action]').count(), 0, 'nothing to crash in a recording');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'dynamo-06-recorded.png') });
  });

  await t.test('nothing went wrong in the page', () => {
    assert.deepEqual(problems, []);
  });
});
