// PBS measured on the lab's Dynamo in the simulator, beside the WARS prediction from the
// latencies observed in the same run (src-main/pbs/measure.ts, sim-cluster.ts). Seeded: each
// figure below is one deterministic run, so a tolerance is a statement about that run, and
// every tolerance comes from the trial counts (no guessed slack).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { measureInSimulator, withOverrides } from '../../src-main/pbs/run-measure.ts';
import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';

/** Two-sided 99.9 % normal quantile: a difference past z standard errors is not sampling noise. */
const Z = 3.29;

async function measure(overrides: { r?: number; w?: number; delayMs?: number; jitterMs?: number }, seed = 5, trialsPerT = 200): Promise<PbsMeasurement> {
  const scenario = withOverrides(await resolveScenario('dynamo-pbs'), overrides);
  return measureInSimulator(scenario, seed, { trialsPerT, kSequences: 4 });
}

/**
 * The largest difference sampling alone explains at one grid point: z standard errors of the
 * difference of two independent shares, the measured one (its reads) and the predicted one
 * (its Monte Carlo trials), at the predicted probability.
 */
function tolerance(p: number, measuredTrials: number, predictedTrials: number): number {
  const variance = p * (1 - p);
  return Z * Math.sqrt(variance / measuredTrials + variance / predictedTrials);
}

describe('PBS measured in the simulator', () => {
  it('R = W = 1 with delayed links: reads right after a write are often stale, and WARS on the observed W, A, R, S predicts how often at every t', async () => {
    // Reference: Bailis et al. §6.1 validate WARS against measured Cassandra reads.
    const result = await measure({ r: 1, w: 1, delayMs: 5, jitterMs: 20 });
    const atZero = result.measured.curve[0]!;
    assert.equal(atZero.tMs, 0);
    assert.ok(atZero.pConsistent < 1, 'some reads at t = 0 miss the write');
    assert.ok(atZero.trials >= 190, `reads at t = 0: ${atZero.trials} (failed ${atZero.failed})`);
    assert.ok(result.measured.curve.length >= 6, 'a grid of t');
    result.measured.curve.forEach((point, index) => {
      const predicted = result.predicted.atGrid[index]!;
      assert.equal(predicted.tMs, point.tMs);
      const allowed = tolerance(predicted.pConsistent, point.trials, result.predicted.trials);
      assert.ok(Math.abs(point.pConsistent - predicted.pConsistent) <= allowed || (predicted.pConsistent === 1 && point.pConsistent === 1),
        `t = ${point.tMs} ms: measured ${point.pConsistent.toFixed(3)} (${point.trials} reads), predicted ${predicted.pConsistent.toFixed(3)}, allowed ±${allowed.toFixed(3)}`);
    });
    // The curve climbs with t and reaches 1: a read late enough always sees the write.
    assert.ok(result.measured.curve.at(-1)!.pConsistent === 1 && result.predicted.atGrid.at(-1)!.pConsistent === 1);
    assert.ok(result.legs.w.count > 1000 && result.legs.s.count > 1000, 'W, A, R, S observed from the trace');
    // Every counted trial is a moment of the prediction, timed from the trace; the simulator's
    // client sits next to the cluster and its sleeps are exact, so no read comes later than t after the commit.
    assert.equal(result.predicted.moments, result.measured.trials);
    assert.equal(result.legs.clientLag?.count, result.measured.trials);
    assert.ok(result.legs.clientLag !== undefined && result.legs.clientLag.maxMs < 1e-6, `client lag up to ${result.legs.clientLag?.maxMs} ms (only float rounding)`);
    assert.ok(result.kStaleness.reads > 0);
    assert.ok(result.kStaleness.rows[0]!.measured < 1, 'writes 5 ms apart on 5–25 ms links: some reads are a version behind');
  });

  it('a slower network moves the predicted and the measured t-visibility up together', async () => {
    const fast = await measure({ r: 1, w: 1, delayMs: 5, jitterMs: 20 });
    const slow = await measure({ r: 1, w: 1, delayMs: 40, jitterMs: 20 });
    assert.ok(slow.legs.w.p50Ms > fast.legs.w.p50Ms + 30, `observed W p50 ${fast.legs.w.p50Ms} → ${slow.legs.w.p50Ms} ms`);
    assert.ok(fast.measured.tVisibilityMs !== null && slow.measured.tVisibilityMs !== null);
    // 35 ms more on every link: the last write copy arrives about 35 ms later, in both curves.
    const predictedShift = slow.predicted.tVisibilityMs - fast.predicted.tVisibilityMs;
    const measuredShift = slow.measured.tVisibilityMs - fast.measured.tVisibilityMs;
    assert.ok(predictedShift > 20, `predicted t-visibility ${fast.predicted.tVisibilityMs.toFixed(1)} → ${slow.predicted.tVisibilityMs.toFixed(1)} ms`);
    assert.ok(measuredShift > 20, `measured t-visibility ${fast.measured.tVisibilityMs} → ${slow.measured.tVisibilityMs} ms`);
    // The measured value sits on the grid: it is the first grid t at or past the predicted one, give or take one grid step.
    for (const result of [fast, slow]) {
      const grid = result.measured.curve.map((point) => point.tMs);
      const step = grid[1]! - grid[0]!;
      assert.ok(Math.abs(result.measured.tVisibilityMs! - result.predicted.tVisibilityMs) <= 1.5 * step,
        `measured ${result.measured.tVisibilityMs} vs predicted ${result.predicted.tVisibilityMs.toFixed(2)} ms (grid step ${step} ms)`);
    }
  });

  it('R + W > N, no failures: every read is consistent at t = 0, measured and predicted', async () => {
    // Reference: Bailis et al. §2: strict quorums (R + W > N) always overlap.
    const result = await measure({ r: 2, w: 2, delayMs: 5, jitterMs: 20 });
    const atZero = result.measured.curve[0]!;
    assert.equal(atZero.tMs, 0);
    assert.equal(atZero.failed, 0);
    assert.equal(atZero.consistent, atZero.trials);
    assert.equal(result.predicted.pConsistentAtZero, 1);
    assert.equal(result.predicted.tVisibilityMs, 0);
    assert.equal(result.kStaleness.rows[0]!.bound, 1, 'the closed form is 1 for R + W > N');
  });

  it('the same seed gives the same measurement', async () => {
    const a = await measure({ delayMs: 10 }, 9, 20);
    const b = await measure({ delayMs: 10 }, 9, 20);
    assert.deepEqual(a, b);
  });

  it('`distlab pbs --measure --sim --json` prints predicted and measured curves; bad flags exit 2', () => {
    const run = spawnSync(process.execPath, ['bin/distlab.mjs', 'pbs', '--measure', '--sim', '--trials-per-t', '20', '--delay-ms', '10', '--seed', '2', '--json'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const parsed = JSON.parse(run.stdout) as PbsMeasurement & { network: { delayMs: number } };
    assert.equal(parsed.network.delayMs, 10);
    assert.equal(parsed.mode, 'sim');
    assert.equal(parsed.measured.curve.length, parsed.predicted.atGrid.length);
    assert.equal(parsed.measured.curve[0]!.trials + parsed.measured.curve[0]!.failed, 20);
    const bad = spawnSync(process.execPath, ['bin/distlab.mjs', 'pbs', '--measure', '--sim', '--w', '4'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /w must be an integer in \[1, 3\]/);
    const stray = spawnSync(process.execPath, ['bin/distlab.mjs', 'pbs', '--delay-ms', '5'], { encoding: 'utf8' });
    assert.equal(stray.status, 2);
    assert.match(stray.stderr, /--delay-ms goes with --measure/);
  });
});
