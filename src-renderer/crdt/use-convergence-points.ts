// The convergence measurements of this session of the UI, across runs: the chart's series are
// cluster sizes, so a 3-node run measured after a 5-node one adds a second series instead of
// replacing the first. Kept in the page (module state); the measurements a run's trace holds
// are added again when the page shows that run, and a measurement already kept (same run
// moment, same keys) is not added twice.

import { shallowRef, type ShallowRef } from 'vue';
import type { ConvergenceMeasurement } from '../../src-node/contract/gossip.ts';

/** Measurements kept: enough for every size × loss a person tries in one sitting. */
export const CONVERGENCE_POINTS_MAX = 60;

const measurements = shallowRef<ConvergenceMeasurement[]>([]);

export function useConvergencePoints(): {
  measurements: Readonly<ShallowRef<ConvergenceMeasurement[]>>;
  add(measurement: ConvergenceMeasurement): void;
  clear(): void;
} {
  return {
    measurements,
    add(measurement) {
      const id = measurementId(measurement);
      if (measurements.value.some((kept) => measurementId(kept) === id)) return;
      measurements.value = [...measurements.value, measurement].slice(-CONVERGENCE_POINTS_MAX);
    },
    clear() {
      measurements.value = [];
    },
  };
}

/** One measurement: the lab moment it began and the keys its bursts wrote. */
function measurementId(measurement: ConvergenceMeasurement): string {
  return `${measurement.atLabMs} ${measurement.keys.join(',')}`;
}
