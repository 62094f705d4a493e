// PBS's observed legs (src-main/pbs/observed.ts), the local replica of the WARS model
// (wars.ts `localReplica`), the measurement's statistics and its request checks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { LegObserver, observedModel } from '../../src-main/pbs/observed.ts';
import { predictStaleness, type LatencyMixture, type WarsModel } from '../../src-main/pbs/wars.ts';
import { wilsonInterval } from '../../src-main/pbs/measure.ts';
import { parsePbsMeasureRequest } from '../../src-main/pbs/run-measure.ts';

let seq = 0;
function event(node: string, kind: 'send' | 'receive', msgId: string, msgType: string, labTimeMs: number, extra: Partial<TraceEvent> = {}): TraceEvent {
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
