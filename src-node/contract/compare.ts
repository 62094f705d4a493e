// The book's comparison table measured (src-main/compare/compare.ts): what
// LabApi.compareProtocols takes and answers. Types only: the renderer draws them, the lab
// computes them.

export interface CompareRequest {
  /** A shipped scenario or a scenario file, with a workload; its protocol is replaced by each variant's. */
  scenario: string;
  /** Seeds 1 … seeds, each run on every variant. */
  seeds: number;
}

/** Seeds one comparison may run per variant (each is two full simulations). */
export const COMPARE_SEEDS_MAX = 200;

export interface CompareRow {
  variant: string;
  label: string;
  bookMessages: string;
  /** Node-to-node messages per completed operation, idle traffic taken out (mean over seeds). */
  messagesPerOp: number;
  /** The same before taking idle traffic out. */
  messagesPerOpRaw: number;
  /** Node-to-node messages per second with no clients (heartbeats and the like). */
  idleMessagesPerSec: number;
  /** Latency of the operations that succeeded, over every seed. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Share of operations that succeeded, over the whole run. */
  availability: number;
  /** Share of operations invoked while the fault lasted that succeeded; null when no fault hit a node. */
  availabilityDuringFault: number | null;
  operations: { total: number; ok: number; fail: number; info: number };
  /** Seeds whose checker found acknowledged writes missing, a history that is not linearizable, or no convergence. */
  violations: { durability: number; linearizability: number; convergence: number };
  /** Acknowledged writes lost, over every seed. */
  lostWrites: number;
  /** Replay commands of the seeds with a violation (at most a few). */
  examples: string[];
  seeds: number;
}

export interface CompareReport {
  scenario: string;
  seeds: number[];
  rows: CompareRow[];
}
