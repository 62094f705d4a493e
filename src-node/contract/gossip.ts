// Gossip convergence measured on the live cluster beside the simulator's prediction
// (src-main/gossip/convergence.ts): what LabApi.measureConvergence takes and answers. Types and
// limits only: the renderer draws them, the lab computes them.

/** Bursts measured on the live cluster per request: each waits up to the window (6 s or 60 rounds). */
export const CONVERGENCE_RUNS_DEFAULT = 3;
export const CONVERGENCE_RUNS_MAX = 10;
/** Simulated runs behind the prediction (seeds 1…N). */
export const CONVERGENCE_SEEDS_DEFAULT = 20;
export const CONVERGENCE_SEEDS_MAX = 200;
/** Gossip rounds longer than this would make one measurement take minutes (the window is 60 rounds). */
export const CONVERGENCE_INTERVAL_MS_MAX = 1_000;

export interface ConvergenceRequest {
  /** Bursts on the live cluster (default CONVERGENCE_RUNS_DEFAULT). */
  runs?: number;
  /** Seeds of the simulator's prediction (default CONVERGENCE_SEEDS_DEFAULT). */
  seeds?: number;
}

/** Convergence times of several runs: nearest-rank p50 and p99 of those that converged within the window. */
export interface ConvergenceFigures {
  runs: number;
  /** Per run, last update applied → every replica's state equal, ms; null: not within the window (censored). */
  timesMs: (number | null)[];
  p50Ms: number | null;
  p99Ms: number | null;
  censored: number;
}

export interface ConvergenceMeasurement {
  /** The cluster as it was measured: its size and gossip parameters. */
  nodes: number;
  type: string;
  mode: 'push' | 'pull' | 'push-pull';
  fanout: number;
  intervalMs: number;
  /** The loss rate of the cluster's links (their mean, as the user set them with the link faults). */
  lossPct: number;
  /** The least and most lossy link: equal when every link drops alike. */
  lossRange: { minPct: number; maxPct: number };
  /** A run that has not converged this long after its burst began counts as censored. */
  windowMs: number;
  live: ConvergenceFigures;
  /** The simulator's bench on the same parameters (src-main/bench/gossip-bench.ts). */
  sim: ConvergenceFigures;
  /** The keys the bursts wrote, one per run. */
  keys: string[];
  /** Lab time when the measurement began. */
  atLabMs: number;
  /** What differs between the two, in sentences (other link faults the simulator does not model, …). */
  caveats: string[];
}
