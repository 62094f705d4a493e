// The node's physical clock, with the skew and drift the lab injects (the book, §3: clocks
// of different machines disagree and drift apart).
//
//   nodeTimeMs = labTimeMs × (1 + driftPpm / 10⁶) + skewMs
//
// holds exactly while the faults do not change. When the drift changes at run time the
// clock is re-anchored where it stands, so it keeps running forward at the new rate
// instead of jumping; only lowering the skew moves it backward — that is the fault asked for.

import type { ClockFaults } from '../contract/faults.ts';

/** The lab's monotonic time in ms since the run began (same origin in every process). */
export function labClock(runStartEpochMs: number): () => number {
  // performance.timeOrigin + performance.now() is wall time at process start plus a monotonic
  // interval: it never steps back when NTP adjusts the wall clock during the run.
  const offset = performance.timeOrigin - runStartEpochMs;
  return () => offset + performance.now();
}

export class NodeClock {
  private anchorLabMs = 0;
  /** Node time without skew at `anchorLabMs`. */
  private anchorUnskewedMs = 0;
  private rate: number;
  private skewMs: number;

  constructor(
    readonly labNowMs: () => number,
    faults: ClockFaults,
  ) {
    this.rate = 1 + faults.driftPpm / 1e6;
    this.skewMs = faults.skewMs;
  }

  nowMs(): number {
    return this.unskewedAt(this.labNowMs()) + this.skewMs;
  }

  setFaults(faults: ClockFaults): void {
    const nextRate = 1 + faults.driftPpm / 1e6;
    if (nextRate !== this.rate) {
      const labMs = this.labNowMs();
      this.anchorUnskewedMs = this.unskewedAt(labMs);
      this.anchorLabMs = labMs;
      this.rate = nextRate;
    }
    this.skewMs = faults.skewMs;
  }

  private unskewedAt(labMs: number): number {
    return this.anchorUnskewedMs + (labMs - this.anchorLabMs) * this.rate;
  }
}
