// Raft acceptance: every shipped Raft scenario of the workshop (resources/scenarios/raft-*.json)
// runs in the simulator over seeds, and every check it makes passes — the generic ones
// (durability, linearizability, Raft's invariants, convergence) and its own predictions
// (`events`, `leaders`, `log-size`, judged by src-main/checkers/trace-assertions.ts as a real
// run is). A failing seed prints the command that replays it. The Figure 8 scenarios run for
// minutes of simulated time and have their own file (raft-figure-8.test.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, resolveScenario, shippedScenarioNames, type Scenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { runSeed, runSeeds } from './raft-scenario-seeds.ts';

/** The acceptance scenarios this file runs (issue 4), in the order the book's Raft chapter meets them. */
export const RAFT_ACCEPTANCE_SCENARIOS = [
  'raft-initial-election', 'raft-reelection', 'raft-no-majority', 'raft-many-elections',
  'raft-basic-agreement', 'raft-follower-failure', 'raft-leader-failure', 'raft-follower-catch-up',
  'raft-leader-no-commit', 'raft-rejoin-overwrite', 'raft-fast-backup', 'raft-message-budget',
  'raft-restart-all', 'raft-restart-leader', 'raft-restart-follower', 'raft-crash-majorities',
  'raft-churn', 'raft-churn-unreliable',
  'raft-snapshot-log-size', 'raft-snapshot-install', 'raft-snapshot-follower-crash', 'raft-snapshot-all-crash', 'raft-snapshot-unreliable',
] as const;

/** Seeds per scenario: about 5 s of simulation per round of all of them on one core. */
const SEEDS = Array.from({ length: 10 }, (_, index) => index + 1);

const scenarios = new Map<string, Scenario>();
async function scenario(name: string): Promise<Scenario> {
  let found = scenarios.get(name);
  if (found === undefined) {
    found = await resolveScenario(name);
    scenarios.set(name, found);
  }
  return found;
}

type Note = { name?: string; fromIndex?: number; lastIndex?: number; entries?: unknown[] };
const noteOf = (detail: unknown): Note => (detail ?? {}) as Note;

describe('raft acceptance scenarios ship', () => {
  it('every one is a shipped, valid scenario with a title, a summary and a lesson', async () => {
    const shipped = shippedScenarioNames();
    for (const name of RAFT_ACCEPTANCE_SCENARIOS) {
      assert.ok(shipped.includes(name), `${name} ships in resources/scenarios/`);
      const loaded = await scenario(name);
      assert.equal(loaded.protocol.name, 'raft');
      assert.ok(loaded.title.startsWith('Raft: ') && loaded.summary.length > 50 && loaded.lesson.length > 200, `${name} explains itself`);
      assert.ok(loaded.checks.some((check) => check.kind === 'raft-invariants'), `${name} checks Raft's invariants`);
    }
  });
});

describe('raft acceptance scenarios in the simulator', () => {
  for (const name of RAFT_ACCEPTANCE_SCENARIOS) {
    it(`${name}: every check passes on seeds ${SEEDS[0]}–${SEEDS.at(-1)}`, async () => {
      const { failures } = runSeeds(await scenario(name), SEEDS);
      assert.equal(failures, '', `${name} failed:\n${failures}`);
    });
  }
});

describe('what the scenarios claim, read from the trace', () => {
  it('fast backup: n1 loses over 50 uncommitted entries, the majority commits over 50 others, and the back-up takes a few rejections, not one per entry', async () => {
    const { result } = runSeed(await scenario('raft-fast-backup'), 1, { trace: 'full' });
    assert.ok(result.ok, result.checks.filter((check) => !check.ok).map((check) => check.summary).join('\n'));
    const events = result.trace.events;
    const truncated = events.filter((event) => event.node === 'n1' && event.kind === 'state' && noteOf(event.detail).name === 'log-truncated' && event.labTimeMs >= 8000);
    const overwritten = truncated.reduce((sum, event) => sum + noteOf(event.detail).lastIndex! - noteOf(event.detail).fromIndex! + 1, 0);
    assert.ok(overwritten >= 50, `n1's uncommitted suffix was ${overwritten} entries`);
    const committed = events
      .filter((event) => event.node === 'n3' && event.kind === 'state' && noteOf(event.detail).name === 'commit' && event.labTimeMs >= 4000 && event.labTimeMs < 8000)
      .reduce((sum, event) => sum + (noteOf(event.detail).entries?.length ?? 0), 0);
    assert.ok(committed >= 50, `the majority committed ${committed} entries while n1 was cut off`);
    const rejections = events.filter((event) => (event.node === 'n1' || event.node === 'n2') && event.kind === 'send' && event.msgType === 'append-entries-reply'
      && event.labTimeMs >= 8000 && (event.detail as { payload?: { success?: boolean } } | undefined)?.payload?.success === false).length;
    assert.ok(rejections > 0 && rejections < 25, `n1 and n2 rejected ${rejections} AppendEntries after the heal for ${overwritten}+ conflicting entries`);
  });

  // Found by raft-fast-backup (seeds 16 and 35 of 1–150): while the leader backed n1 up, every
  // rejection of an append it had pipelined before the first rejection (a stale one) made it
  // send the same batch again — seed 35 sent 8 identical batches and carried 872 entries to
  // repair ~80. The leader now probes one append at a time after a rejection and ignores the
  // others (etcd-raft's probe state, Progress.MaybeDecrTo). Replay: npx distlab sim raft-fast-backup --seed 35
  it('fast backup: a stale rejection does not send a batch already sent again', async () => {
    const { result } = runSeed(await scenario('raft-fast-backup'), 35, { trace: 'full' });
    const sent = new Set<string>();
    const resent: string[] = [];
    for (const event of result.trace.events) {
      if (event.kind !== 'send' || event.msgType !== 'append-entries' || event.labTimeMs < 8000) continue;
      const payload = (event.detail as { payload?: { term: number; prevLogIndex: number; entries: unknown[]; leaderCommit: number } } | undefined)?.payload;
      if (payload === undefined || payload.entries.length === 0) continue;
      const key = `${event.node}>${event.peer} term ${payload.term} after ${payload.prevLogIndex}: ${payload.entries.length} entries, commit ${payload.leaderCommit}`;
      if (sent.has(key)) resent.push(`${event.labTimeMs} ms ${key}`);
      sent.add(key);
    }
    assert.deepEqual(resent, []);
  });

  it('message budget: the counts the lesson computes are what the run sends', async () => {
    const { result } = runSeed(await scenario('raft-message-budget'), 1);
    const counts = result.checks.filter((check) => check.kind === 'events').map((check) => (check.details[0] as { count: number }).count);
    const [election, appends, replies, preVotes, votes] = counts;
    assert.ok(election! >= 4 * 4 && election! <= 192, `election and first heartbeats: ${election}`);
    assert.ok(appends! >= 158 && appends! <= 164, `40 heartbeat rounds of 4 AppendEntries: ${appends}`);
    assert.equal(replies, appends, 'one reply per AppendEntries');
    assert.deepEqual([preVotes, votes], [0, 0]);
  });

  it('snapshot install: the follower installs the snapshot the leader sent it, then catches up', async () => {
    const { result } = runSeed(await scenario('raft-snapshot-install'), 1, { trace: 'full' });
    assert.ok(result.ok);
    const sent = result.trace.events.find((event) => event.node === 'n1' && event.kind === 'send' && event.msgType === 'install-snapshot' && event.peer === 'n3' && event.labTimeMs >= 7000);
    assert.ok(sent !== undefined, 'n1 sends n3 its snapshot after the heal');
    const index = (sent.detail as { payload?: { snapshot?: { index?: number } } } | undefined)?.payload?.snapshot?.index;
    const installed = result.trace.events.find((event) => event.node === 'n3' && event.kind === 'state' && noteOf(event.detail).name === 'snapshot-installed' && event.labTimeMs >= 7000);
    assert.ok(installed !== undefined, 'n3 installs a snapshot after the heal');
    assert.equal((installed.detail as { index?: number }).index, index, 'the one n1 sent');
    const commits = result.trace.events.filter((event) => event.node === 'n3' && event.kind === 'state' && noteOf(event.detail).name === 'commit' && event.labTimeMs > installed.labTimeMs);
    assert.ok(commits.length > 0, 'n3 commits the entries after the snapshot');
    const sizes = result.checks.find((check) => check.kind === 'log-size')!;
    assert.equal(sizes.verdict, 'pass', sizes.summary);
  });
});

describe('the simulator judges scenario checks as a real run does', () => {
  it('a prediction that does not hold fails the run, and expect: fail turns it around', async () => {
    const base = await scenario('raft-initial-election');
    const wrong = { kind: 'leaders', atMs: 1000, count: 2, label: 'two leaders (wrong)' };
    const failing = parseScenario({ ...base, checks: [...base.checks, wrong] });
    const result = simulate(configFromScenario(failing, 1));
    const check = result.checks.find((candidate) => candidate.summary.startsWith('two leaders (wrong)'))!;
    assert.equal(check.verdict, 'fail');
    assert.equal(result.ok, false);
    const expected = parseScenario({ ...base, checks: [...base.checks, { ...wrong, expect: 'fail' }] });
    assert.equal(simulate(configFromScenario(expected, 1)).ok, true);
  });

  it('log-size reads the nodes at the end: a bound below what compaction keeps fails', async () => {
    const base = await scenario('raft-snapshot-log-size');
    const tight = parseScenario({ ...base, checks: [{ kind: 'log-size', maxEntries: 0 }] });
    const check = simulate(configFromScenario(tight, 1)).checks.find((candidate) => candidate.kind === 'log-size')!;
    assert.equal(check.verdict, 'fail', check.summary);
    const none = parseScenario({ ...base, protocol: { name: 'raft', params: { snapshotThresholdEntries: 0 } }, checks: [{ kind: 'log-size', maxEntries: 20 }] });
    assert.equal(simulate(configFromScenario(none, 1)).checks.find((candidate) => candidate.kind === 'log-size')!.verdict, 'fail', 'without snapshots the log grows');
  });

  it('the light trace of a sweep and the full trace of a replay give the same verdicts', async () => {
    const config = configFromScenario(await scenario('raft-leader-no-commit'), 3);
    const light = simulate(config);
    const full = simulate(config, { trace: 'full' });
    // The invariant monitor reads AppendEntries payloads only in a full trace; its summary says so.
    const verdicts = (checks: typeof light.checks) => checks.map((check) => [check.kind, check.verdict, check.kind === 'raft-invariants' ? '' : check.summary]);
    assert.deepEqual(verdicts(light.checks), verdicts(full.checks));
    assert.ok(light.checks.filter((check) => check.kind === 'events' || check.kind === 'leaders').length >= 7);
  });
});
