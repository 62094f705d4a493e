// PBS measured beside predicted (src-main/pbs/): what LabApi.measurePbs takes and answers.
// Types only: the renderer draws them, the lab computes them.

/** One point of a curve: the probability that a read t ms after the write's commit is consistent. */
export interface PbsCurvePoint {
  tMs: number;
  pConsistent: number;
}

export interface PbsMeasuredPoint extends PbsCurvePoint {
  /** Reads counted at this t (trials whose write and read were both `ok`). */
  trials: number;
  consistent: number;
  /** Trials whose write or read did not complete `ok` (not counted in `trials`). */
  failed: number;
  /** 95 % Wilson interval of pConsistent. */
  low: number;
  high: number;
}

export interface PbsKStalenessRow {
  k: number;
  /** Share of reads that returned one of the last k acknowledged versions. */
  measured: number;
  low: number;
  high: number;
  /** The paper's closed form 1 − (C(N−W, R) / C(N, R))^k: a write that never spreads past its W replicas. */
  bound: number;
}

export interface PbsLegSummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface PbsMeasurement {
  /** Where it was measured: the simulator (seeded) or the live run's node processes. */
  mode: 'sim' | 'live';
  n: number;
  r: number;
  w: number;
  fanout: 'all' | 'minimum';
  nodes: number;
  seed: number;
  targetPct: number;
  predicted: {
    /** P(consistent) at the measured grid's t. */
    atGrid: PbsCurvePoint[];
    /** The whole predicted curve, for a chart. */
    curve: PbsCurvePoint[];
    tVisibilityMs: number;
    pConsistentAtZero: number;
    trials: number;
    /** Moments of the run the prediction drew its legs from (one per timed trial; 0: the run-wide distributions). */
    moments?: number;
    /** The same prediction with t counted from the commit at the coordinator (the paper's t): no client lag. */
    fromCommit?: { tVisibilityMs: number; pConsistentAtZero: number };
  };
  measured: {
    curve: PbsMeasuredPoint[];
    /** The first grid t from which every measured point reaches targetPct; null if none does. */
    tVisibilityMs: number | null;
    trials: number;
  };
  kStaleness: {
    reads: number;
    /** Reads by versions behind: index 0 = saw the latest acknowledged version. */
    behind: number[];
    rows: PbsKStalenessRow[];
    sequences: number;
    writesPerSequence: number;
    writeIntervalMs: number;
  };
  /** The observed one-way latencies the prediction used (W, A, R, S). */
  legs: {
    w: PbsLegSummary; a: PbsLegSummary; r: PbsLegSummary; s: PbsLegSummary;
    /** Per trial, how much later than t after the commit its read reached its coordinator: the client's legs and delays. */
    clientLag?: PbsLegSummary;
  };
  /** Where the model's assumptions and the experiment differ. */
  caveats: string[];
  elapsedLabMs: number;
}

export interface PbsMeasureRequest {
  /** 'sim': the current run's scenario in the simulator (seconds); 'live': on the running nodes (tens of seconds). */
  mode: 'sim' | 'live';
  /** Reads per grid point (default 200 in the simulator, 100 live). */
  trialsPerT?: number;
  /** The simulator's seed, and the experiment's draws (default: the scenario's seed). */
  seed?: number;
}
