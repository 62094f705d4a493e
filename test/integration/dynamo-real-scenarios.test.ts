// The Dynamo workshop's repair and consistency scenarios on real processes, as `distlab run`
// and the UI's scenario picker play them (the simulator covers them over seeds in
// test/sim/dynamo.test.ts): read repair alone brings a returning replica up to date — and
// without it the replicas stay apart; after a partition, Merkle exchanges ship the differing
// keys only; a sloppy quorum with R + W > N serves stale reads. Every fact asserted here is
// read from the run's trace (notes, faults, client operations), stamped with lab time.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveScenario, type Scenario } from '../../src-main/scenario/scenario.ts';
import { runScenario, type ScenarioReport } from '../../src-main/lab/run-scenario.ts';
import { describeReport, traceEvents, notesNamed } from '../support/scenario-runs.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-dynamo-real-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

function verdictOf(report: ScenarioReport, kind: string): string | undefined {
  return report.checks.find((check) => check.kind === kind)?.verdict;
}

function withParams(scenario: Scenario, params: Record<string, unknown>): Scenario {
  return { ...scenario, protocol: { ...scenario.protocol, params: { ...scenario.protocol.params, ...params } } };
}

/** When the lab applied the first fault of this kind (on this node), in lab time. */
function faultAt(events: readonly StoredEvent[], kind: string, node?: string): number {
  const fault = events.find((event) => {
    const request = (event.detail as { request?: { kind?: string; node?: string } } | undefined)?.request;
    return event.kind === 'fault' && request?.kind === kind && (node === undefined || request.node === node);
  });
  assert.ok(fault, `the trace has the ${kind}${node ? ` of ${node}` : ''}`);
  return fault.labTimeMs;
}

interface Operation { id: string; client: string; f: string; value: unknown; invokedMs: number; completedMs: number; type: string }

/** The clients' operations from the trace: each invoke with its completion. */
function operations(events: readonly StoredEvent[]): Operation[] {
  const invoked = new Map<string, StoredEvent>();
  const done: Operation[] = [];
  for (const event of events) {
    if (event.msgId === undefined) continue;
    if (event.kind === 'invoke') { invoked.set(event.msgId, event); continue; }
    const invoke = invoked.get(event.msgId);
    if (invoke === undefined || !['ok', 'fail', 'info'].includes(event.kind)) continue;
    const { op, result } = event.detail as { op: { f: string; value?: unknown }; result: { value?: unknown } };
    done.push({ id: event.msgId, client: event.node, f: op.f, value: op.f === 'get' ? result.value ?? null : op.value, invokedMs: invoke.labTimeMs, completedMs: event.labTimeMs, type: event.kind });
  }
  return done;
}

/**
 * Reads (of the one key) that began after a write W was acknowledged and returned a value
 * whose write had completed before W began, or nothing: stale by real time alone, whatever
 * order concurrent operations take. A strict quorum with R + W > N never gives one.
 */
function staleReads(ops: readonly Operation[]): { read: Operation; missed: Operation }[] {
  const writes = ops.filter((op) => op.f === 'put' && op.type !== 'fail');
  const stale: { read: Operation; missed: Operation }[] = [];
  for (const read of ops.filter((op) => op.f === 'get' && op.type === 'ok')) {
    const sourceDoneMs = read.value === null ? Number.NEGATIVE_INFINITY : writes.find((write) => write.value === read.value)?.completedMs;
    if (sourceDoneMs === undefined) continue;
    const missed = writes.find((write) => write.type === 'ok' && write.completedMs < read.invokedMs && write.invokedMs > sourceDoneMs);
    if (missed !== undefined) stale.push({ read, missed });
  }
  return stale;
}

describe('dynamo repair and consistency scenarios on a real cluster', () => {
  test('dynamo-read-repair: reads after n3 returns find it stale and repair it; every key\'s replicas agree with no anti-entropy', { timeout: 90_000 }, async () => {
    const tracePath = path.join(dataRoot, 'read-repair.sqlite');
    const report = await runScenario(await resolveScenario('dynamo-read-repair'), { dataRoot: path.join(dataRoot, 'read-repair'), tracePath });
    assert.ok(report.ok, describeReport(report));
    assert.equal(verdictOf(report, 'convergence'), 'pass', describeReport(report));
    const events = await traceEvents(tracePath, ['state', 'fault']);
    const restartMs = faultAt(events, 'restart', 'n3');
    const repairs = notesNamed(events, 'read-repair').filter((note) => note.labTimeMs > restartMs);
    assert.ok(repairs.some((note) => note.detail['replica'] === 'n3'), `a read after n3's return repaired n3: ${JSON.stringify(repairs)}`);
    assert.equal(notesNamed(events, 'anti-entropy').length + notesNamed(events, 'merkle-synced').length, 0, 'no anti-entropy ran');
  });

  test('dynamo-read-repair with readRepair off: the same run does not converge (nothing else repairs n3)', { timeout: 90_000 }, async () => {
    const scenario = withParams(await resolveScenario('dynamo-read-repair'), { readRepair: false });
    const report = await runScenario(scenario, { dataRoot: path.join(dataRoot, 'no-read-repair') });
    const convergence = report.checks.find((check) => check.kind === 'convergence');
    assert.equal(convergence?.verdict, 'fail', describeReport(report));
    // What stays apart is n3's copy: every differing key has n3 in a group of its own.
    const differing = convergence.details as { key: string; groups: { replicas: string[] }[] }[];
    assert.ok(differing.length > 0);
    for (const { key, groups } of differing) {
      assert.ok(groups.some((group) => group.replicas.length === 1 && group.replicas[0] === 'n3'), `${key}: n3 is the one behind (${JSON.stringify(groups)})`);
    }
    assert.equal(verdictOf(report, 'durability'), 'pass', describeReport(report));
  });

  test('dynamo-merkle-anti-entropy: after the heal, exchanges ship the keys of the differing leaves, far fewer than the pairs share', { timeout: 90_000 }, async () => {
    const tracePath = path.join(dataRoot, 'merkle.sqlite');
    const report = await runScenario(await resolveScenario('dynamo-merkle-anti-entropy'), { dataRoot: path.join(dataRoot, 'merkle'), tracePath });
    assert.ok(report.ok, describeReport(report));
    const events = await traceEvents(tracePath, ['state', 'fault']);
    const healMs = faultAt(events, 'heal');
    const synced = notesNamed(events, 'merkle-synced').filter((note) => note.labTimeMs > healMs);
    const received = synced.reduce((sum, note) => sum + Number(note.detail['received']), 0);
    const repaired = synced.reduce((sum, note) => sum + Number(note.detail['repaired']), 0);
    const differing = notesNamed(events, 'anti-entropy').filter((note) => note.labTimeMs > healMs && note.detail['inSync'] === false);
    const shared = differing.reduce((sum, note) => sum + Number(note.detail['sharedKeys']), 0);
    const detail = `${received} keys shipped, ${repaired} repaired, ${shared} shared by the ${differing.length} pairs whose trees differed`;
    assert.ok(repaired > 0, `${detail}: the partition left divergent keys and Merkle sync repaired them`);
    // The same bounds as the simulator's test: the keys shipped are a small multiple of the
    // divergent ones (both ways, leaves hold a few keys) and a small share of the shared ones.
    assert.ok(received <= 4 * repaired, `${detail}: shipped keys are bounded by the divergent ones`);
    assert.ok(received * 4 <= shared, `${detail}: far fewer than the keys the pairs share`);
    assert.ok(notesNamed(events, 'anti-entropy').some((note) => note.labTimeMs > healMs && note.detail['inSync'] === true), 'pairs whose trees agree end the exchange at the root');
  });

  test('dynamo-sloppy-stale-read: during the partition both sides meet their quorums and a read misses an acknowledged write (not linearizable)', { timeout: 90_000 }, async () => {
    const tracePath = path.join(dataRoot, 'sloppy.sqlite');
    const report = await runScenario(await resolveScenario('dynamo-sloppy-stale-read'), { dataRoot: path.join(dataRoot, 'sloppy'), tracePath });
    assert.ok(report.ok, describeReport(report));
    assert.equal(verdictOf(report, 'linearizability'), 'fail', describeReport(report));
    const events = await traceEvents(tracePath, ['state', 'fault', 'invoke', 'ok', 'fail', 'info']);
    const cutMs = faultAt(events, 'partition');
    const healMs = faultAt(events, 'heal');
    // With a four-second cut and a one-second gossip verdict, both sides serve for about three
    // seconds; every real run so far had dozens of stale reads in it, never none.
    const stale = staleReads(operations(events)).filter(({ read }) => read.invokedMs > cutMs && read.completedMs < healMs);
    assert.ok(stale.length > 0, 'a read during the partition returned a value older than an acknowledged write');
    const hinted = notesNamed(events, 'hint-stored').filter((note) => note.labTimeMs > cutMs && note.labTimeMs < healMs);
    assert.ok(hinted.every((note) => ['n2', 'n5'].includes(note.node)), `only the stand-ins n2 and n5 hold hints: ${[...new Set(hinted.map((note) => note.node))].join(', ')}`);
    assert.equal(verdictOf(report, 'durability'), 'pass', describeReport(report));
  });
});
