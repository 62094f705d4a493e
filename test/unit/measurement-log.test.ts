// Measurements made from the UI go into the run's trace as the lab's log events
// (src-main/lab/measurement-log.ts): the figures in words, the whole result in the detail.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convergenceMeasurementLog, pbsMeasurementLog } from '../../src-main/lab/measurement-log.ts';
import type { ConvergenceMeasurement } from '../../src-node/contract/gossip.ts';
import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';

describe('measurements in the trace', () => {
  it('says what PBS predicted beside what it measured', () => {
    const result = {
      mode: 'live', n: 3, r: 1, w: 1, fanout: 'all', nodes: 5, seed: 7, targetPct: 99.9,
      predicted: { atGrid: [], curve: [], tVisibilityMs: 65.4, pConsistentAtZero: 0.457, trials: 1000 },
      measured: { curve: [{ tMs: 0, pConsistent: 0.46, trials: 100, consistent: 46, failed: 0, low: 0.36, high: 0.56 }], tVisibilityMs: null, trials: 100 },
    } as unknown as PbsMeasurement;
    const log = pbsMeasurementLog(result);
    assert.equal(log.message, 'PBS measured (on the live nodes; N=3 R=1 W=1): 99.9 % t-visibility predicted 65 ms, measured not reached; consistent at t = 0 predicted 45.7 %, measured 46.0 % (100 reads)');
    assert.equal(log.detail['measurement'], 'pbs');
    assert.equal(log.detail['result'], result);
  });

  it('says how long gossip took to converge, live and simulated, and what did not converge', () => {
    const result = {
      nodes: 5, type: 'max-register', mode: 'push-pull', fanout: 1, intervalMs: 100, lossPct: 30, lossRange: { minPct: 30, maxPct: 30 }, windowMs: 5000,
      live: { runs: 3, timesMs: [171, 396, null], p50Ms: 171, p99Ms: 396, censored: 1 },
      sim: { runs: 30, timesMs: [], p50Ms: 222, p99Ms: 624, censored: 0 },
      keys: ['g1', 'g2', 'g3'], atLabMs: 1000, caveats: [],
    } as ConvergenceMeasurement;
    assert.equal(convergenceMeasurementLog(result).message,
      'Gossip convergence measured (5 nodes, push-pull, fan-out 1, every 100 ms, 30 % loss; 3 runs): p50 171 ms, p99 396 ms, 1 not converged within 5000 ms; the simulator predicts p50 222 ms, p99 624 ms');
  });
});
