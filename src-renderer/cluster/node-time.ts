// A node's own clock at a moment of the lab's: the lab injects skew and drift
// (src-node/contract/faults.ts), so a node runs at labTime × (1 + drift) + skew. Panels that
// show "how long ago" from a node's status (an election timer, a blocked participant) read the
// node's time at the snapshot with it. Exact while the clock faults did not change; after a
// drift change the node re-anchored its clock where it stood, which this does not know.

import type { ClockFaults } from '../../src-node/contract/faults.ts';

export function nodeTimeAt(clock: ClockFaults, labTimeMs: number): number {
  return labTimeMs * (1 + clock.driftPpm / 1e6) + clock.skewMs;
}
