// The Raft view end to end, through the browser shell with the real lab: five Raft node
// processes, the recorder, the web server and Chromium. A workshop's path: pick the Raft
// scenario, see one leader and everyone's term, write through the client panel and watch the
// entry enter the leader's log and the commit index advance on every node, compare-and-set
// and read it back, crash the leader from the Raft view and watch a new leader take over in
// a higher term (the space-time diagram's legend gets the new term's color), then open the
// run's trace as a recording and see the view rebuilt from its state notes.
// Screenshots land in test-results/e2e/raft-*.png for a human to look at.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { SHOTS, openLabPage, startBrowserLab } from './lab-browser.ts';

const shots = SHOTS;
const NODE_COUNT = 5;
const SCENARIO = 'raft-crashes';
/** The scenario's faults (crash n1, n2; restart them) are over by 4.5 s and its workload by 6.5 s. */
const SCENARIO_QUIET_AFTER_MS = 7_000;
const STEP_TIMEOUT_MS = 30_000;

interface RaftRowState {
  id: string;
  state: string;
  role: string;
  term: number;
  commit: number;
  last: number;
}

/** What the Raft view shows, one entry per row, read from its data attributes. */
function raftRows(page: Page): Promise<RaftRowState[]> {
  return page.$$eval('[data-raft-node]', (rows) => rows.map((row) => ({
    id: row.getAttribute('data-raft-node') ?? '',
    state: row.getAttribute('data-state') ?? '',
    role: row.getAttribute('data-role') ?? '',
    term: Number(row.getAttribute('data-term')),
    commit: Number(row.getAttribute('data-commit')),
    last: Number(row.getAttribute('data-last')),
  })));
}

/** Waits until the view shows one running leader whose term every running node shares; returns it. */
async function settledLeader(page: Page, what: string, accept: (leader: RaftRowState) => boolean = () => true): Promise<RaftRowState> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let last: RaftRowState[] = [];
  while (Date.now() < deadline) {
    last = await raftRows(page);
    const up = last.filter((row) => row.state === 'up');
    const leaders = up.filter((row) => row.role === 'leader');
    if (leaders.length === 1 && accept(leaders[0]!) && up.every((row) => row.term === leaders[0]!.term)) return leaders[0]!;
    await page.waitForTimeout(200);
  }
  assert.fail(`timed out waiting until ${what}; the view shows ${JSON.stringify(last)}`);
}

async function clientOp(page: Page, op: { f: 'put' | 'get' | 'cas'; key: string; value?: string; from?: string }): Promise<{ outcome: string; text: string }> {
  await page.selectOption('[data-field="client-op"]', op.f);
  await page.fill('[data-field="client-key"]', op.key);
  if (op.from !== undefined) await page.fill('[data-field="client-from"]', op.from);
  if (op.value !== undefined) await page.fill('[data-field="client-value"]', op.value);
  const before = await page.locator('[data-field="outcomes"] li[data-client="c99"]').count();
  await page.click('[data-action="client-send"]');
  await page.waitForFunction((count) => document.querySelectorAll('[data-field="outcomes"] li[data-client="c99"]').length > count, before);
  const newest = page.locator('[data-field="outcomes"] li[data-client="c99"]').first();
  return { outcome: (await newest.getAttribute('data-outcome')) ?? '', text: (await newest.textContent()) ?? '' };
}

test('the Raft view follows a real Raft cluster', { timeout: 240_000 }, async (t: TestContext) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-e2e-raft-');
  const { page, problems } = await openLabPage(browser, { stepTimeoutMs: STEP_TIMEOUT_MS });

  await t.test('a run of another protocol has no Raft view and no term colors', async () => {
    await page.goto(server.url);
    await page.waitForFunction((count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count, NODE_COUNT);
    assert.notEqual((await lab.snapshot()).run?.protocol, 'raft');
    assert.equal(await page.locator('[data-field="raft-view"]').count(), 0);
    assert.equal(await page.locator('[data-field="term-legend"]').count(), 0);
  });

  let leader: RaftRowState;
  await t.test('picking the Raft scenario shows every node with its role and term, and one leader', async () => {
    await page.selectOption('[data-field="scenario"]', SCENARIO);
    await page.click('[data-action="start-scenario"]');
    await page.locator('[data-notice="info"]', { hasText: `Started scenario ${SCENARIO}` }).waitFor();
    await page.locator('[data-field="scenario-lesson"] summary').click(); // fold the lesson away: the view moves up
    await page.waitForFunction((count) => document.querySelectorAll('[data-raft-node]').length === count, NODE_COUNT);
    // Let the scenario's crashes, restarts and workload pass, so that what follows is the UI's doing.
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while ((await lab.snapshot()).labTimeMs < SCENARIO_QUIET_AFTER_MS) {
      assert.ok(Date.now() < deadline, 'the scenario runs');
      await page.waitForTimeout(250);
    }
    await page.waitForFunction((count) => document.querySelectorAll('[data-raft-node][data-state="up"]').length === count, NODE_COUNT);
    leader = await settledLeader(page, 'one leader and one term');
    assert.ok(leader.term >= 1, 'a term was elected');
    assert.equal((await page.textContent('[data-field="raft-headline"]'))?.trim(), `${leader.id} leads term ${leader.term}`);
    const terms = await page.$$eval('[data-raft-node] [data-field="term"]', (chips) => chips.map((chip) => chip.textContent?.trim()));
    assert.ok(terms.every((text) => /^term \d+$/.test(text ?? '')), `every row shows its term: ${terms.join(', ')}`);
    // Followers' election timers run; the leader's does not exist.
    assert.equal(await page.locator(`[data-raft-node="${leader.id}"] [data-field="election-timer"]`).count(), 0);
    assert.ok((await page.locator('[data-raft-node][data-role="follower"] [data-field="election-timer"]').count()) >= 1);
    // Under each follower, what the leader knows of its log.
    assert.ok((await page.locator('[data-raft-node][data-role="follower"] [data-field="replication"]').count()) >= 1);
    // The space-time diagram colors terms and lists them.
    await page.locator(`[data-field="term-legend"] [data-term="${leader.term}"]`).waitFor();
    await page.screenshot({ path: path.join(shots, 'raft-01-leader.png') });
  });

  await t.test('a write through the client panel enters the leader\'s log and commits on every node', async () => {
    const before = (await raftRows(page)).find((row) => row.id === leader.id)!;
    const written = await clientOp(page, { f: 'put', key: 'raft-e2e', value: 'v1' });
    assert.equal(written.outcome, 'ok', written.text);
    // The entry is in the leader's log strip, in the leader's term, committed. The reply can
    // reach the client panel before the leader's next status reaches the view (they travel
    // separately), so the view is waited for rather than read once.
    const cell = page.locator(`[data-raft-node="${leader.id}"] .cell[title*='put raft-e2e="v1"']`);
    await cell.and(page.locator('[data-committed="true"]')).waitFor();
    assert.equal(await cell.getAttribute('data-term'), String(leader.term));
    const index = Number(await cell.getAttribute('data-index'));
    assert.ok(index > before.last, `the log grew: entry ${index} after ${before.last}`);
    // The followers learn the commit index with the next AppendEntries: a majority of the
    // cluster shows it committed (all of them, unless a follower is cut off from the leader).
    await page.waitForFunction(({ at, majority }) => [...document.querySelectorAll('[data-raft-node][data-state="up"]')]
      .filter((row) => Number(row.getAttribute('data-commit')) >= at).length >= majority, { at: index, majority: Math.floor(NODE_COUNT / 2) + 1 });
    const after = (await raftRows(page)).find((row) => row.id === leader.id)!;
    assert.ok(after.commit > before.commit, `the commit index advanced: ${before.commit} → ${after.commit}`);
    await page.screenshot({ path: path.join(shots, 'raft-02-written.png') });
  });

  await t.test('compare-and-set and read go through the client panel and show their replies', async () => {
    const swapped = await clientOp(page, { f: 'cas', key: 'raft-e2e', from: 'v1', value: 'v2' });
    assert.equal(swapped.outcome, 'ok', swapped.text);
    assert.match(swapped.text, /cas raft-e2e "?v1"? → "?v2"?/);
    const refused = await clientOp(page, { f: 'cas', key: 'raft-e2e', from: 'v1', value: 'v3' });
    assert.equal(refused.outcome, 'fail', refused.text);
    assert.match(refused.text, /cas-mismatch \(holds "?v2"?\)/);
    const read = await clientOp(page, { f: 'get', key: 'raft-e2e' });
    assert.equal(read.outcome, 'ok', read.text);
    assert.match(read.text, /→ "?v2"?/);
    await page.locator(`[data-raft-node="${leader.id}"] .cell[title*='cas raft-e2e "v1"→"v2"']`).waitFor();
  });

  await t.test('crashing the leader from the Raft view brings a new leader in a higher term', async () => {
    const old = leader;
    await page.click(`[data-raft-node="${old.id}"] [data-raft-action="crash"]`);
    await page.locator(`[data-raft-node="${old.id}"][data-state="down"]`).waitFor();
    leader = await settledLeader(page, `a new leader after ${old.id} crashed`, (candidate) => candidate.id !== old.id && candidate.term > old.term);
    assert.equal((await page.textContent('[data-field="raft-headline"]'))?.trim(), `${leader.id} leads term ${leader.term}`);
    // The crashed node's row keeps what it last said, greyed: it still believes it leads the old term.
    const crashed = (await raftRows(page)).find((row) => row.id === old.id)!;
    assert.deepEqual([crashed.role, crashed.term], ['leader', old.term]);
    await page.locator(`[data-field="term-legend"] [data-term="${leader.term}"]`).waitFor();
    // The new leader commits an entry of its own term (its no-op) and goes on serving writes.
    const written = await clientOp(page, { f: 'put', key: 'raft-e2e', value: 'after-crash' });
    assert.equal(written.outcome, 'ok', written.text);
    const cell = page.locator(`[data-raft-node="${leader.id}"] .cell[title*='put raft-e2e="after-crash"']`);
    await cell.waitFor();
    assert.equal(await cell.getAttribute('data-term'), String(leader.term));
    await page.screenshot({ path: path.join(shots, 'raft-03-new-leader.png') });
    await page.locator('[aria-label="Space-time diagram"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'raft-04-diagram.png') });
  });

  await t.test('the run\'s trace, opened as a recording, shows each node\'s last recorded status', async () => {
    const tracePath = (await lab.snapshot()).tracePath;
    assert.ok(tracePath);
    await lab.openTrace(tracePath);
    await page.locator('[data-field="raft-note"]', { hasText: 'as it last reported itself in the recording' }).waitFor();
    await page.waitForFunction((count) => document.querySelectorAll('[data-raft-node]').length === count, NODE_COUNT);
    const rows = await raftRows(page);
    const recordedLeaders = rows.filter((row) => row.role === 'leader' && row.term === leader.term);
    assert.deepEqual(recordedLeaders.map((row) => row.id), [leader.id], 'the last leader, in its term');
    assert.equal(await page.locator('[data-field="election-timer"]').count(), 0, 'a trace keeps no timers');
    assert.equal(await page.locator('[data-raft-action]').count(), 0, 'nothing to crash in a recording');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, 'raft-05-recorded.png') });
  });

  await t.test('nothing went wrong in the page', () => {
    assert.deepEqual(problems, []);
  });
});
