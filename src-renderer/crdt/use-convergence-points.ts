// The convergence measurements of this session of the UI, across runs: the chart's series are
// cluster sizes, so a 3-node run measured after a 5-node one adds a second series instead of
// replacing the first. Kept in the page (module state), gone when the page reloads.

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
      measurements.value = [...measurements.value, measurement].slice(-CONVERGENCE_POINTS_MAX);
    },
    clear() {
      measurements.value = [];
    },
  };
}
