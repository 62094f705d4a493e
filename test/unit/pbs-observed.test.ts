// PBS's observed legs (src-main/pbs/observed.ts), the local replica of the WARS model
// (wars.ts `localReplica`), the measurement's statistics and its request checks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { LegObserver, momentModel, observedModel, type TimedLeg } from '../../src-main/pbs/observed.ts';
import { predictStaleness, type LatencyMixture, type WarsModel } from '../../src-main/pbs/wars.ts';
import { wilsonInterval } from '../../src-main/pbs/measure.ts';
import { parsePbsMeasureRequest } from '../../src-main/pbs/run-measure.ts';

let seq = 0;
function event(node: string, kind: 'send' | 'receive' | 'invoke', msgId: string, msgType: string, labTimeMs: number, extra: Partial<TraceEvent> = {}): TraceEvent {
  seq += 1;
  return { node, seq, kind, lamport: seq, vclock: {}, nodeTimeMs: labTimeMs, labTimeMs, msgId, msgType, ...extra };
}

const send = (node: string, peer: string, msgId: string, msgType: string, atMs: number, request: string): TraceEvent =>
  event(node, 'send', msgId, msgType, atMs, { peer, detail: { payload: { request, key: 'k' } } });
const receive = (node: string, peer: string, msgId: string, msgType: string, atMs: number): TraceEvent => event(node, 'receive', msgId, msgType, atMs, { peer });

const constant = (ms: number): LatencyMixture => [{ weight: 1, kind: 'empirical', samplesMs: [ms] }];

describe('PBS: observed W, A, R, S', () => {
  it('takes W and R from send to receive, A and S from the request\'s arrival to the answer\'s, in any event order', () => {
    const observer = new LegObserver().observeAll([
      // A write from n1 to n2: sent at 10, arrives at 13; n2 fsyncs, acks at 15, the ack arrives at 19.
      send('n1', 'n2', 'n1:1', 'write', 10, 'r1'),
      receive('n2', 'n1', 'n1:1', 'write', 13),
      // The ack's receive is reported before its send (two processes, two event streams).
      receive('n1', 'n2', 'n2:1', 'write-ack', 19),
      send('n2', 'n1', 'n2:1', 'write-ack', 15, 'r1'),
      // A read from n3 to n2 and its reply; a duplicated reply counts once.
      send('n3', 'n2', 'n3:1', 'read', 30, 'r2'),
      receive('n2', 'n3', 'n3:1', 'read', 32),
      send('n2', 'n3', 'n2:2', 'read-reply', 32, 'r2'),
      receive('n3', 'n2', 'n2:2', 'read-reply', 35),
      receive('n3', 'n2', 'n2:2', 'read-reply', 36),
      // Other messages, and a receive whose send was never reported (a killed node), are ignored.
      send('n1', 'n2', 'n1:2', 'gossip', 40, 'x'),
      receive('n2', 'n1', 'n1:2', 'gossip', 41),
      receive('n2', 'n4', 'n4:9', 'write', 50),
    ]);
    assert.deepEqual(observer.samples, { w: [3], a: [6], r: [2], s: [3] });
  });

  it('the observed model keeps the samples and says how often the coordinator is a replica', () => {
    const model = observedModel({ w: [1, 2], a: [3], r: [4], s: [5] }, { n: 3, nodes: 5 });
    assert.deepEqual(model.localReplica, { writeProbability: 1, readProbability: 0.6 });
    assert.deepEqual(model.w, [{ weight: 1, kind: 'empirical', samplesMs: [1, 2] }]);
    assert.throws(() => observedModel({ w: [], a: [3], r: [4], s: [5] }, { n: 3, nodes: 5 }), /no W latency was observed/);
    assert.throws(() => observedModel({ w: [1], a: [3], r: [4], s: [5] }, { n: 6, nodes: 5 }), /N ≤ nodes/);
  });

  it('a local replica has no legs: with the read always through a replica, R = 1 sees a slow write only on the write\'s own coordinator', () => {
    // N = 3, W = 1: the write commits at its coordinator at 0; its copies reach the others after 10 ms.
    // The read's coordinator is a replica (its own answer is instant and first): consistent at t = 0 iff it is the write's coordinator, 1 in 3.
    const base: WarsModel = { name: 'local', summary: 'test', w: constant(10), a: constant(1), r: constant(1), s: constant(1), remoteLegMs: 0 };
    const result = predictStaleness({ ...base, localReplica: { writeProbability: 1, readProbability: 1 } }, { n: 3, r: 1, w: 1, trials: 60_000, trialsPerT: 0, curveAtMs: [9.99, 10] });
    assert.ok(Math.abs(result.pConsistentAtZero - 1 / 3) < 0.01, `P(consistent at 0) = ${result.pConsistentAtZero}`);
    assert.equal(result.tVisibilityExactMs, 10);
    assert.deepEqual(result.curve.filter((point) => point.tMs === 9.99 || point.tMs === 10).map((point) => point.pConsistent > 0.99), [false, true], 'the requested points are on the curve, exactly');
    assert.throws(() => predictStaleness({ ...base, localReplica: { writeProbability: 2, readProbability: 0 } }), /localReplica probabilities/);
  });

  it('times each trial from the trace: the write\'s commit at its coordinator and the read\'s arrival at its own, in any event order', () => {
    const invoke = (client: string, requestId: string, f: 'put' | 'get', atMs: number): TraceEvent =>
      event(client, 'invoke', requestId, f, atMs, { peer: 'n1', detail: { op: { f, key: 'pbs-t-1-0', ...(f === 'put' ? { value: 'v' } : {}) } } });
    const observer = new LegObserver().observeAll([
      // The put reaches n1 at 11 and commits there at 14 (the ack leaves); the client sees it at 17.
      event('n1', 'receive', 'c91:1', 'client-request', 11, { peer: 'c91', detail: { requestId: 'c91:1' } }),
      event('n1', 'send', 'n1:7', 'client-reply', 14, { peer: 'c91', detail: { requestId: 'c91:1', result: { type: 'ok' } } }),
      invoke('c91', 'c91:1', 'put', 10),
      // t = 5 after the ok, the get leaves at 22 and reaches n4 at 26: 12 ms after the commit, a client lag of 7.
      invoke('c91', 'c91:2', 'get', 22),
      event('n4', 'receive', 'c91:2', 'client-request', 26, { peer: 'c91', detail: { requestId: 'c91:2' } }),
      // A second get of the key does not move the trial's read.
      invoke('c91', 'c91:3', 'get', 40),
      event('n2', 'receive', 'c91:3', 'client-request', 41, { peer: 'c91', detail: { requestId: 'c91:3' } }),
      // A put whose commit the trace lost: not timed.
      event('c92', 'invoke', 'c92:1', 'put', 50, { peer: 'n2', detail: { op: { f: 'put', key: 'pbs-t-1-1', value: 'w' } } }),
      event('c92', 'invoke', 'c92:2', 'get', 60, { peer: 'n2', detail: { op: { f: 'get', key: 'pbs-t-1-1' } } }),
      event('n2', 'receive', 'c92:2', 'client-request', 61, { peer: 'c92', detail: { requestId: 'c92:2' } }),
    ]);
    assert.deepEqual(observer.trialTimes('pbs-t-1-0'), { commitAtMs: 14, readAtMs: 26 });
    assert.equal(observer.trialTimes('pbs-t-1-1'), null);
    assert.equal(observer.trialTimes('pbs-t-1-2'), null);
  });

  it('keeps each leg with when it began and its key: W and R at the request\'s send, A and S at its arrival', () => {
    const observer = new LegObserver().observeAll([
      event('n1', 'send', 'n1:1', 'write', 10, { peer: 'n2', detail: { payload: { request: 'r1', key: 'pbs-t-1-0' } } }),
      receive('n2', 'n1', 'n1:1', 'write', 13),
      event('n2', 'send', 'n2:1', 'write-ack', 15, { peer: 'n1', detail: { payload: { request: 'r1', key: 'pbs-t-1-0' } } }),
      receive('n1', 'n2', 'n2:1', 'write-ack', 19),
    ]);
    assert.deepEqual(observer.timed.w, [{ atMs: 10, ms: 3, key: 'pbs-t-1-0' }]);
    assert.deepEqual(observer.timed.a, [{ atMs: 13, ms: 6, key: 'pbs-t-1-0' }]);
  });

  it('a stall delays the write and the read to a replica together, so it does not make the read stale: one moment per trial, not the run-wide legs', () => {
    // N = 2, W = 1, R = 1; the write commits at its coordinator (replica 0) and the read goes
    // through another node to both replicas. Half the run every message takes 10 ms; in the
    // other half the machine is stalled and every message takes 110 ms. Within a moment W = R,
    // so the write reaches replica 1 no later than a read sent at the commit: every read at
    // t = 0 is consistent. Drawn from the run-wide legs, the other replica gets W = 110 and R = 10
    // (1/4) and answers first (11/16, ties to the lower index): stale in 11/64 of the trials.
    const timed: Record<'w' | 'a' | 'r' | 's', TimedLeg[]> = { w: [], a: [], r: [], s: [] };
    for (let index = 0; index < 50; index += 1) {
      for (const leg of ['w', 'a', 'r', 's'] as const) {
        timed[leg].push({ atMs: index * 10, ms: 10, key: 'other' });
        timed[leg].push({ atMs: 5_000 + index * 10, ms: 110, key: 'other' });
      }
    }
    const trials = [{ key: 'pbs-t-1-0', commitAtMs: 250, clientLagMs: 0 }, { key: 'pbs-t-1-1', commitAtMs: 5_250, clientLagMs: 0 }];
    const options = { n: 2, r: 1, w: 1, trials: 40_000, trialsPerT: 0 };
    const runWide = observedModel({ w: timed.w.map((leg) => leg.ms), a: timed.a.map((leg) => leg.ms), r: timed.r.map((leg) => leg.ms), s: timed.s.map((leg) => leg.ms) }, { n: 2, nodes: 3 });
    const byMoment = momentModel(timed, trials, { n: 2, nodes: 3 });
    const readsThroughOthers = { writeProbability: 1, readProbability: 0 };
    const independent = predictStaleness({ ...runWide, localReplica: readsThroughOthers }, options);
    const together = predictStaleness({ ...byMoment, localReplica: readsThroughOthers }, options);
    assert.ok(Math.abs(independent.pConsistentAtZero - 53 / 64) < 0.01, `run-wide legs: P(consistent at 0) = ${independent.pConsistentAtZero}`);
    assert.equal(together.pConsistentAtZero, 1);
    assert.equal(together.tVisibilityExactMs, 0);
  });

  it('a moment holds the legs around its trial\'s commit, widened until there are enough, never the trial\'s own; its client lag adds to t', () => {
    const timed: Record<'w' | 'a' | 'r' | 's', TimedLeg[]> = { w: [], a: [], r: [], s: [] };
    for (const leg of ['w', 'a', 'r', 's'] as const) {
      // The trial's own legs sit at its commit and would say "100 ms"; the others say 10 ms.
      timed[leg].push({ atMs: 1_000, ms: 100, key: 'pbs-t-1-0' }, { atMs: 1_001, ms: 100, key: 'pbs-t-1-0' });
      for (let index = 0; index < 4; index += 1) timed[leg].push({ atMs: 900 + index * 60, ms: 10, key: 'other' });
      timed[leg].push({ atMs: 3_000, ms: 10, key: 'other' });
    }
    const model = momentModel(timed, [{ key: 'pbs-t-1-0', commitAtMs: 1_000, clientLagMs: 0 }], { n: 3, nodes: 3, halfWindowMs: 100, samplesMin: 4 });
    const moment = model.moments!.moments[0]!;
    const samples = model.moments!.samples.w;
    const [from, to] = moment.slices.w;
    // ±100 ms holds 2 others (at 960 and 1020); ±200 ms all 4 others; the one at 3000 stays out.
    assert.deepEqual(Array.from(samples.ms.slice(from, to)).sort((a, b) => a - b), [10, 10, 10, 10, 100, 100]);
    assert.deepEqual(Array.from(samples.owner.slice(from, to)).filter((owner) => owner === moment.owner).length, 2);
    // Every read is through a replica (N = nodes), the write's copies take 10 ms: consistent at 0 only through the writer, 1 in 3 — never "100 ms".
    const plain = predictStaleness(model, { n: 3, r: 1, w: 1, trials: 30_000, trialsPerT: 0 });
    assert.ok(Math.abs(plain.pConsistentAtZero - 1 / 3) < 0.01, `P(consistent at 0) = ${plain.pConsistentAtZero}`);
    assert.equal(plain.tVisibilityExactMs, 10);
    // A read that reaches its coordinator 10 ms later than t after the commit sees the write at t = 0.
    const lagged = momentModel(timed, [{ key: 'pbs-t-1-0', commitAtMs: 1_000, clientLagMs: 10 }], { n: 3, nodes: 3, halfWindowMs: 100, samplesMin: 4 });
    assert.equal(predictStaleness(lagged, { n: 3, r: 1, w: 1, trials: 30_000, trialsPerT: 0 }).pConsistentAtZero, 1);
    assert.throws(() => momentModel(timed, [{ key: 'pbs-t-1-0', commitAtMs: 1_000, clientLagMs: -1 }], { n: 3, nodes: 3 }), /client lag ≥ 0/);
    assert.throws(() => predictStaleness({ ...model, moments: { ...model.moments!, moments: [{ ...moment, slices: { ...moment.slices, r: [0, 99] } }] } }), /slice \[0, 99\) is out of range/);
  });

  it('Wilson intervals hold the share and stay in [0, 1]', () => {
    const all = wilsonInterval(200, 200);
    assert.ok(all.high === 1 && all.low > 0.98 && all.low < 0.99, JSON.stringify(all));
    const half = wilsonInterval(50, 100);
    assert.ok(Math.abs(half.low - 0.404) < 0.002 && Math.abs(half.high - 0.596) < 0.002, JSON.stringify(half));
    assert.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 });
  });

  it('a LabApi measurement request is checked with a sentence', () => {
    assert.deepEqual(parsePbsMeasureRequest({ mode: 'sim', trialsPerT: 50 }), { mode: 'sim', trialsPerT: 50 });
    assert.throws(() => parsePbsMeasureRequest({ mode: 'fast' }), /mode must be 'sim' or 'live'/);
    assert.throws(() => parsePbsMeasureRequest({ mode: 'live', trialsPerT: 0 }), /trialsPerT must be an integer/);
    assert.throws(() => parsePbsMeasureRequest({ mode: 'sim', n: 3 }), /not n/);
    assert.throws(() => parsePbsMeasureRequest('sim'), /an object like/);
  });
});
