// The Dynamo-style store in the lab: its shipped scenarios in the simulator (sloppy quorum
// with hinted handoff; read repair; Merkle anti-entropy after a partition; a stale read with
// R + W > N), each with a control run that turns the mechanism off and must then fail, and the
// placement-aware convergence both judges use: a key is compared only among the nodes of its
// preference list. Reference: DeCandia et al. 2007, §4.5–§4.7; the book, §5 "Amazon's Dynamo".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkConvergence } from '../../src-main/checkers/convergence.ts';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { sweep } from '../../src-main/sim/sweep.ts';
import { unsettledReason, type NodeEnd } from '../../src-main/sim/checks.ts';
import { DYNAMO } from '../../src-node/protocols/dynamo/index.ts';
import { simulate, type SimResult } from '../../src-main/sim/simulator.ts';
import { withoutFailed } from '../../src-main/sim/checks.ts';
import { checkLinearizability } from '../../src-main/checkers/linearizability/check.ts';
import { createLabKvModel } from '../../src-main/checkers/linearizability/models.ts';
import type { Scenario } from '../../src-main/scenario/scenario.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';

const SEEDS = Array.from({ length: 10 }, (_, index) => index + 1);

/** The scenario with some protocol parameters changed: the control run of a mechanism. */
function withParams(scenario: Scenario, params: Record<string, unknown>): Scenario {
  return { ...scenario, protocol: { ...scenario.protocol, params: { ...scenario.protocol.params, ...params } } };
}

function run(scenario: Scenario, seed: number): SimResult {
  return simulate(configFromScenario(scenario, seed), { trace: 'full' });
}

function failures(result: SimResult): string {
  return result.checks.filter((check) => !check.ok).map((check) => `${check.kind}: ${check.summary}`).join('; ');
}

type Note = { node: string; atMs: number; detail: Record<string, unknown> };
function notes(result: SimResult, name: string, fromMs = 0): Note[] {
  return result.trace.events
    .filter((event) => event.kind === 'state' && event.labTimeMs >= fromMs && (event.detail as { name?: unknown } | undefined)?.name === name)
    .map((event) => ({ node: event.node, atMs: event.labTimeMs, detail: event.detail as Record<string, unknown> }));
}


describe('dynamo in the lab', () => {
  it('dynamo-sloppy-quorum passes on 10 seeds: writes go to stand-ins with hints while owners are down, and come back', async () => {
    const scenario = await resolveScenario('dynamo-sloppy-quorum');
    const summary = sweep({ source: scenario.name, from: 1, count: 10, build: (seed) => configFromScenario(scenario, seed) });
    assert.equal(summary.passed, 10, summary.failed.map((outcome) => `seed ${outcome.seed}: ${outcome.failures.join('; ')}`).join('\n'));
  });

  it('a key is compared only among its replicas (the preference list), and a lagging replica is found', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const holdersOf = DYNAMO.holdersOf!(DYNAMO.parseParams({ n: 3 }), nodes);
    const key = 'cart';
    const [a, b, c] = holdersOf(key) as [string, string, string];
    const outsider = nodes.find((node) => !holdersOf(key).includes(node))!;
    const replicas = Object.fromEntries(nodes.map((node) => [node, holdersOf(key).includes(node) ? { [key]: 'milk' } : {}]));
    assert.equal(checkConvergence({ replicas, holders: holdersOf }).verdict, 'valid', 'the outsider need not hold the key');
    assert.equal(checkConvergence({ replicas }).verdict, 'invalid', 'without placement every node would have to hold it');
    const lagging = { ...replicas, [c]: {} };
    const result = checkConvergence({ replicas: lagging, holders: holdersOf });
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.differing[0]!.groups.map((group) => group.replicas.sort()), [[a, b].sort(), [c]]);
    const ends = (states: Record<string, Record<string, unknown>>): NodeEnd[] => nodes.map((id) => ({ id, state: 'up', paused: false, status: { role: 'replica', facts: {}, data: states[id] ?? {} } }));
    assert.equal(unsettledReason(ends(replicas), holdersOf), null);
    assert.match(unsettledReason(ends(lagging), holdersOf) ?? '', new RegExp(`replicas of ${key} differ`));
    assert.ok(outsider !== undefined);
  });
});

const WORKSHOP = ['dynamo-read-repair', 'dynamo-merkle-anti-entropy', 'dynamo-sloppy-stale-read'] as const;

describe('dynamo workshop scenarios', () => {
  it('ship with a title, a summary and a lesson that predicts the outcome', async () => {
    for (const name of WORKSHOP) {
      const scenario = await resolveScenario(name);
      assert.equal(scenario.protocol.name, 'dynamo');
      assert.ok(scenario.title.startsWith('Dynamo: ') && scenario.summary.length > 100 && scenario.lesson.startsWith('Predict it before you press play.'), name);
      assert.ok(scenario.checks.some((check) => check.kind === 'convergence' && check.expect === 'pass'), `${name} requires convergence`);
      assert.ok(scenario.checks.some((check) => check.kind === 'events'), `${name} checks the mechanism's notes`);
    }
  });

  it('dynamo-read-repair: on 10 seeds reads after n3 returns repair it, and every check passes', async () => {
    const scenario = await resolveScenario('dynamo-read-repair');
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      assert.ok(result.ok, `seed ${seed}: ${failures(result)}`);
      const repairs = notes(result, 'read-repair', 5000);
      assert.ok(repairs.some((note) => note.detail['replica'] === 'n3'), `seed ${seed}: a read repaired n3`);
      assert.equal(notes(result, 'anti-entropy').length + notes(result, 'merkle-synced').length, 0, 'no anti-entropy ran');
    }
  });

  it('dynamo-read-repair: with read repair off the same runs never converge (nothing else repairs n3)', async () => {
    const scenario = withParams(await resolveScenario('dynamo-read-repair'), { readRepair: false });
    for (const seed of SEEDS.slice(0, 5)) {
      const result = simulate(configFromScenario(scenario, seed));
      const liveness = result.checks.find((check) => check.kind === 'liveness')!;
      assert.equal(liveness.verdict, 'fail', `seed ${seed}: ${liveness.summary}`);
      assert.match(liveness.summary, /n3/);
    }
  });

  it('dynamo-merkle-anti-entropy: on 10 seeds the exchanges ship keys in proportion to the divergent ones, not to the keys the pair shares', async () => {
    const scenario = await resolveScenario('dynamo-merkle-anti-entropy');
    const healMs = scenario.schedule.find((step) => step.fault.kind === 'heal')!.atMs;
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      assert.ok(result.ok, `seed ${seed}: ${failures(result)}`);
      const synced = notes(result, 'merkle-synced', healMs);
      const received = synced.reduce((sum, note) => sum + Number(note.detail['received']), 0);
      const repaired = synced.reduce((sum, note) => sum + Number(note.detail['repaired']), 0);
      const differing = notes(result, 'anti-entropy', healMs).filter((note) => note.detail['inSync'] === false);
      const shared = differing.reduce((sum, note) => sum + Number(note.detail['sharedKeys']), 0);
      const written = new Set(result.history.filter((entry) => entry.f === 'put').map((entry) => entry.key)).size;
      const detail = `seed ${seed}: ${received} keys shipped, ${repaired} repaired, ${shared} shared by the pairs whose trees differed, ${written} keys written`;
      assert.ok(repaired > 0, `${detail}: the partition left divergent keys and Merkle sync repaired them`);
      // Each exchange ships the keys of the differing leaves, both ways: a small multiple of
      // the divergent keys, and a small share of what the pairs replicate together.
      assert.ok(received <= 4 * repaired, `${detail}: shipped keys are bounded by the divergent ones`);
      assert.ok(received * 4 <= shared, `${detail}: far fewer than the keys the pairs share`);
      assert.ok(written > 10 * repaired, `${detail}: most keys never diverged`);
    }
  });

  it('dynamo-merkle-anti-entropy: with anti-entropy off the replicas stay apart (Merkle sync is what converges them)', async () => {
    const scenario = withParams(await resolveScenario('dynamo-merkle-anti-entropy'), { antiEntropyIntervalMs: 0 });
    for (const seed of SEEDS.slice(0, 3)) {
      const liveness = simulate(configFromScenario(scenario, seed)).checks.find((check) => check.kind === 'liveness')!;
      assert.equal(liveness.verdict, 'fail', `seed ${seed}: ${liveness.summary}`);
    }
  });

  it('dynamo-sloppy-stale-read: on 10 seeds, with R + W > N, reads on the far side of the partition return values older than acknowledged writes', async () => {
    const scenario = await resolveScenario('dynamo-sloppy-stale-read');
    const { params } = scenario.protocol;
    assert.ok(Number(params['r']) + Number(params['w']) > Number(params['n']), 'R + W > N');
    const cutMs = scenario.schedule[0]!.atMs;
    const healMs = scenario.schedule.find((step) => step.fault.kind === 'heal')!.atMs;
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      assert.ok(result.ok, `seed ${seed}: ${failures(result)}`);
      const history = withoutFailed(result.history);
      const linearizability = checkLinearizability(history, { model: createLabKvModel() });
      assert.equal(linearizability.verdict, 'invalid', `seed ${seed}: ${linearizability.reason}`);
      const at = history[linearizability.failing!.window.toIndex]!.time ?? Number.NaN;
      assert.ok(at > cutMs && at < healMs, `seed ${seed}: the first violation (at ${Math.round(at)} ms) is during the partition`);
      const stale = staleReads(history).filter((read) => read.atMs > cutMs && read.atMs < healMs);
      assert.ok(stale.length > 0, `seed ${seed}: a read during the partition returned a value older than an acknowledged write`);
    }
  });

  it('dynamo-sloppy-stale-read: the same faults with a strict quorum give a linearizable history (the stale reads are the sloppy quorum\'s)', async () => {
    const scenario = withParams(await resolveScenario('dynamo-sloppy-stale-read'), { sloppyQuorum: false });
    for (const seed of SEEDS) {
      const result = simulate(configFromScenario(scenario, seed));
      const history = withoutFailed(result.history);
      assert.equal(checkLinearizability(history, { model: createLabKvModel() }).verdict, 'valid', `seed ${seed}`);
      assert.deepEqual(staleReads(history), [], `seed ${seed}`);
    }
  });
});

/**
 * Reads that began after some write W was acknowledged and returned a value whose write had
 * completed before W began (or nothing): stale by real time alone, whatever the order of
 * concurrent operations. A strict quorum with R + W > N never gives one.
 */
function staleReads(history: readonly HistoryEntry[]): { atMs: number; value: unknown; missed: unknown }[] {
  type Op = { f: string; key: string; value: unknown; invokedMs: number; completedMs: number; ok: boolean };
  const open = new Map<string, { f: string; key: string; value: unknown; time: number }>();
  const ops: Op[] = [];
  for (const entry of history) {
    if (entry.type === 'invoke') { open.set(String(entry.process), { f: entry.f, key: entry.key!, value: entry.value, time: entry.time ?? Number.NaN }); continue; }
    const invoke = open.get(String(entry.process));
    if (invoke === undefined) continue;
    open.delete(String(entry.process));
    ops.push({ f: invoke.f, key: invoke.key, value: invoke.f === 'get' ? entry.value : invoke.value, invokedMs: invoke.time, completedMs: entry.time ?? Number.NaN, ok: entry.type === 'ok' });
  }
  const writes = ops.filter((op) => op.f === 'put');
  const stale: { atMs: number; value: unknown; missed: unknown }[] = [];
  for (const read of ops.filter((op) => op.f === 'get' && op.ok)) {
    const source = writes.find((write) => write.key === read.key && write.value === read.value);
    const sourceDoneMs = read.value === null || read.value === undefined ? Number.NEGATIVE_INFINITY : source?.completedMs;
    if (sourceDoneMs === undefined) continue;
    const missed = writes.find((write) => write.ok && write.key === read.key && write.completedMs < read.invokedMs && write.invokedMs > sourceDoneMs);
    if (missed !== undefined) stale.push({ atMs: read.invokedMs, value: read.value, missed: missed.value });
  }
  return stale;
}
