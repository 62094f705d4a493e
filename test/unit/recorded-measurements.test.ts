// Measurements read back from a run's trace (src-renderer/lab/recorded-measurements.ts and the
// panels' shape checks): what the lab logged (src-main/lab/measurement-log.ts) comes back whole,
// newest last; a detail from a foreign or damaged trace that lacks the shape is skipped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convergenceMeasurementLog, pbsMeasurementLog } from '../../src-main/lab/measurement-log.ts';
import type { ConvergenceMeasurement } from '../../src-node/contract/gossip.ts';
import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { isConvergenceMeasurement } from '../../src-renderer/crdt/convergence-chart.ts';
import { measurementQuery, measurementsIn } from '../../src-renderer/lab/recorded-measurements.ts';
import { isPbsMeasurement } from '../../src-renderer/pbs/pbs-chart.ts';

const pbs = (seed: number): PbsMeasurement => ({
  mode: 'sim', n: 3, r: 1, w: 1, fanout: 'all', nodes: 5, seed, targetPct: 99.9,
  predicted: { atGrid: [{ tMs: 0, pConsistent: 0.45 }], curve: [{ tMs: 0, pConsistent: 0.45 }, { tMs: 10, pConsistent: 0.9 }], tVisibilityMs: 65, pConsistentAtZero: 0.45, trials: 1000 },
  measured: { curve: [{ tMs: 0, pConsistent: 0.46, trials: 100, consistent: 46, failed: 0, low: 0.36, high: 0.56 }], tVisibilityMs: null, trials: 100 },
  kStaleness: { reads: 10, behind: [8, 2], rows: [{ k: 1, measured: 0.8, low: 0.5, high: 0.9, bound: 0.6 }], sequences: 1, writesPerSequence: 5, writeIntervalMs: 10 },
  legs: {} as PbsMeasurement['legs'], caveats: ['a caveat'], elapsedLabMs: 100,
});

const convergence: ConvergenceMeasurement = {
  nodes: 5, type: 'max-register', mode: 'push-pull', fanout: 1, intervalMs: 100, lossPct: 30, lossRange: { minPct: 30, maxPct: 30 }, windowMs: 5000,
  live: { runs: 2, timesMs: [171, null], p50Ms: 171, p99Ms: 171, censored: 1 },
  sim: { runs: 3, timesMs: [200, 222, 300], p50Ms: 222, p99Ms: 300, censored: 0 },
  keys: ['g1', 'g2'], atLabMs: 1000, caveats: [],
};

let id = 0;
function labLog(detail: unknown, node = 'lab'): StoredEvent {
  id += 1;
  return { id, node, seq: id, kind: 'log', lamport: id, vclock: {}, nodeTimeMs: id, labTimeMs: id, detail };
}

describe('measurements read back from a trace', () => {
  it('asks for the lab\'s log events that name the measurement, as the lab writes it', () => {
    const query = measurementQuery('pbs');
    assert.deepEqual([query.nodes, query.kinds], [['lab'], ['log']]);
    assert.ok(JSON.stringify(pbsMeasurementLog(pbs(1)).detail).includes(query.text), 'the query text is in the JSON of what the lab logs');
    assert.ok(JSON.stringify(convergenceMeasurementLog(convergence).detail).includes(measurementQuery('gossip-convergence').text));
  });

  it('gives back each kind\'s results whole, oldest first, and skips what lacks the shape', () => {
    const events = [
      labLog({ message: 'x', ...pbsMeasurementLog(pbs(2)).detail }),
      labLog({ message: 'x', ...convergenceMeasurementLog(convergence).detail }),
      labLog({ message: 'x', measurement: 'pbs', result: { mode: 'sim', n: 3 } }),
      labLog({ message: 'x', measurement: 'pbs', result: { ...pbs(9), measured: { curve: [{ tMs: 0 }], tVisibilityMs: null } } }),
      labLog({ message: 'x', ...pbsMeasurementLog(pbs(7)).detail }, 'n1'),
      labLog(null),
      labLog({ message: 'x', ...pbsMeasurementLog(pbs(3)).detail }),
    ].reverse();
    assert.deepEqual(measurementsIn(events, 'pbs', isPbsMeasurement).map((result) => result.seed), [2, 3]);
    assert.deepEqual(measurementsIn(events, 'gossip-convergence', isConvergenceMeasurement), [convergence]);
  });

  it('checks a convergence measurement\'s figures', () => {
    assert.equal(isConvergenceMeasurement(convergence), true);
    assert.equal(isConvergenceMeasurement({ ...convergence, live: { ...convergence.live, timesMs: ['1'] } }), false);
    assert.equal(isConvergenceMeasurement({ ...convergence, keys: 'g1' }), false);
    assert.equal(isConvergenceMeasurement(null), false);
  });
});
