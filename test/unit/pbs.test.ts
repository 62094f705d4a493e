// PBS's WARS Monte Carlo (src-main/pbs/wars.ts): closed-form cases, the strict-quorum
// guarantee, agreement with a brute-force read-at-t simulation, and bad input.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PBS_PROFILES, predictStaleness, type LatencyMixture, type WarsModel } from '../../src-main/pbs/wars.ts';
import { parsePbsArgs } from '../../src-main/cli/pbs-command.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { spawnSync } from 'node:child_process';

const constant = (ms: number): LatencyMixture => [{ weight: 1, kind: 'empirical', samplesMs: [ms] }];
const exponential = (lambda: number): LatencyMixture => [{ weight: 1, kind: 'exponential', lambda }];

function model(parts: Partial<WarsModel>): WarsModel {
  return { name: 'test', summary: 'test', w: constant(1), a: constant(1), r: constant(1), s: constant(1), remoteLegMs: 0, ...parts };
}

describe('PBS: WARS', () => {
  it('a write that reaches every replica before any read request is always visible', () => {
    const result = predictStaleness(model({ w: constant(1), a: constant(1), r: constant(1) }), { trials: 1_000, trialsPerT: 100 });
    assert.equal(result.pConsistentAtZero, 1);
    assert.equal(result.tVisibilityExactMs, 0);
    assert.equal(result.tVisibilityPaperMs, 0);
    assert.equal(result.writeLatencyP999Ms, 2);
    assert.equal(result.readLatencyP999Ms, 2);
  });

  it('one slow replica: a read that lands on it must wait for the write to arrive there', () => {
    // Replica writes arrive after 1 or 100 ms (half each); acks take 1 ms; W = 1 commits at 2 ms.
    // A read request takes 1 ms, so a read at t sees the write on a slow replica iff 100 ≤ 2 + t + 1.
    const w: LatencyMixture = [{ weight: 0.5, kind: 'empirical', samplesMs: [1] }, { weight: 0.5, kind: 'empirical', samplesMs: [100] }];
    const result = predictStaleness(model({ w }), { n: 1, r: 1, w: 1, trials: 20_000, trialsPerT: 0 });
    assert.equal(result.tVisibilityExactMs, 0, 'with N = 1 the only replica acked the write');
    const three = predictStaleness(model({ w }), { n: 3, r: 1, w: 1, trials: 40_000, trialsPerT: 0, targetPct: 99 });
    // P(the first responder is slow while some replica is fast) is well above 1%: t-visibility is 97 ms.
    assert.equal(three.tVisibilityExactMs, 97);
    const stale = three.curve.find((point) => point.tMs > 0 && point.tMs < 97)!;
    assert.ok(stale.pConsistent < 0.9 && stale.pConsistent > 0.5, `P(consistent) before 97 ms is ${stale.pConsistent}`);
  });

  it('R + W > N: every read overlaps the write quorum, at any latencies (the strict quorum guarantee)', () => {
    for (const [name, profile] of PBS_PROFILES) {
      for (const [n, r, w] of [[3, 2, 2], [3, 1, 3], [3, 3, 1], [5, 3, 3]] as const) {
        for (const readFanout of ['all', 'minimum'] as const) {
          const result = predictStaleness(profile, { n, r, w, trials: 5_000, trialsPerT: 0, readFanout });
          assert.equal(result.pConsistentAtZero, 1, `${name} N=${n} R=${r} W=${w} ${readFanout}`);
        }
      }
    }
  });

  it('agrees with a brute-force simulation of reads at fixed t', () => {
    // Exponential legs, N = 3, R = W = 1: simulate each read at t directly, event by event.
    const lambda = 0.5;
    const legs = model({ w: exponential(lambda), a: exponential(lambda), r: exponential(lambda), s: exponential(lambda) });
    const predicted = predictStaleness(legs, { n: 3, r: 1, w: 1, trials: 200_000, trialsPerT: 0, seed: 7 });
    const random = createRandom(99);
    const draw = (): number => -Math.log(1 - random.next()) / lambda;
    for (const tMs of [0, 1, 3]) {
      let consistent = 0;
      const trials = 100_000;
      for (let trial = 0; trial < trials; trial += 1) {
        const writes = [draw(), draw(), draw()];
        const commit = Math.min(...writes.map((arrival) => arrival + draw()));
        const reads = writes.map((arrival) => { const request = draw(); return { arrival, request, response: request + draw() }; });
        const first = reads.reduce((best, read) => (read.response < best.response ? read : best));
        if (first.arrival <= commit + tMs + first.request) consistent += 1;
      }
      const brute = consistent / trials;
      const point = predicted.curve.reduce((best, candidate) => (Math.abs(candidate.tMs - tMs) < Math.abs(best.tMs - tMs) ? candidate : best));
      // The curve's grid point may sit a little past t; allow that and the sampling noise.
      assert.ok(Math.abs(point.pConsistent - brute) < 0.02, `t=${tMs}: WARS ${point.pConsistent.toFixed(4)} (at ${point.tMs.toFixed(2)} ms) vs brute force ${brute.toFixed(4)}`);
    }
  });

  it('more replicas per read or per write never makes reads staler', () => {
    const ymmr = PBS_PROFILES.get('ymmr')!;
    const r1 = predictStaleness(ymmr, { n: 3, r: 1, w: 1, trials: 100_000, trialsPerT: 0 });
    const r2 = predictStaleness(ymmr, { n: 3, r: 2, w: 1, trials: 100_000, trialsPerT: 0 });
    assert.ok(r2.tVisibilityExactMs < r1.tVisibilityExactMs / 2, `R=2 ${r2.tVisibilityExactMs} vs R=1 ${r1.tVisibilityExactMs}`);
    assert.ok(r2.pConsistentAtZero > r1.pConsistentAtZero);
    assert.ok(r2.readLatencyP999Ms > r1.readLatencyP999Ms, 'waiting for more replicas costs read latency');
  });

  it('the WAN profile pays 75 ms per remote leg: write latency with W = 2 is at least 150 ms', () => {
    const result = predictStaleness(PBS_PROFILES.get('wan')!, { n: 3, r: 1, w: 2, trials: 20_000, trialsPerT: 0 });
    assert.ok(result.writeLatencyP50Ms >= 150, `p50 ${result.writeLatencyP50Ms}`);
  });

  it('the paper\'s grid estimator lands near the exact quantile (it reads first passage through noise, so a little low)', () => {
    const result = predictStaleness(PBS_PROFILES.get('lnkd-ssd')!, { n: 3, r: 1, w: 1, trials: 300_000, trialsPerT: 20_000 });
    assert.ok(result.tVisibilityPaperMs !== null);
    const ratio = result.tVisibilityPaperMs / result.tVisibilityExactMs;
    assert.ok(ratio > 0.7 && ratio < 1.15, `paper ${result.tVisibilityPaperMs} vs exact ${result.tVisibilityExactMs}`);
  });

  it('the same seed gives the same figures', () => {
    const a = predictStaleness(PBS_PROFILES.get('ymmr')!, { trials: 20_000, trialsPerT: 2_000, seed: 5 });
    const b = predictStaleness(PBS_PROFILES.get('ymmr')!, { trials: 20_000, trialsPerT: 2_000, seed: 5 });
    assert.deepEqual(a, b);
  });

  it('rejects bad input with a clear error', () => {
    assert.throws(() => predictStaleness(PBS_PROFILES.get('ymmr')!, { n: 3, r: 4 }), /r must be an integer in \[1, n\]/);
    assert.throws(() => predictStaleness(PBS_PROFILES.get('ymmr')!, { trials: 0 }), /trials/);
    assert.throws(() => predictStaleness(model({ w: [{ weight: 0.5, kind: 'exponential', lambda: 1 }] })), /weights of W must sum to 1/);
    assert.throws(() => predictStaleness(model({ a: [{ weight: 1, kind: 'pareto', xm: 0, alpha: 2 }] })), /invalid parameters/);
    assert.throws(() => parsePbsArgs(['--profile', 'nope']), /unknown profile 'nope'/);
    assert.throws(() => parsePbsArgs(['--n', '3.5']), /--n must be an integer/);
    assert.throws(() => parsePbsArgs(['--fanout', 'some']), /--fanout must be all or minimum/);
  });

  it('`distlab pbs --json` prints the figures the issue names, repeatable by seed; bad flags exit 2', () => {
    const args = ['bin/distlab.mjs', 'pbs', '--profile', 'ymmr', '--n', '3', '--r', '1', '--w', '1', '--trials', '20000', '--trials-per-t', '2000', '--seed', '3', '--json'];
    const first = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    const parsed = JSON.parse(first.stdout) as Record<string, unknown>;
    for (const key of ['tVisibilityExactMs', 'tVisibilityPaperMs', 'pConsistentAtZero', 'readLatencyP999Ms', 'writeLatencyP999Ms']) {
      assert.equal(typeof parsed[key], 'number', key);
    }
    const again = JSON.parse(spawnSync(process.execPath, args, { encoding: 'utf8' }).stdout) as Record<string, unknown>;
    assert.equal(again['tVisibilityExactMs'], parsed['tVisibilityExactMs']);
    const bad = spawnSync(process.execPath, ['bin/distlab.mjs', 'pbs', '--r', '9'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /r must be an integer in \[1, n\]/);
  });
});
