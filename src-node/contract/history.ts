import type { ProcessId } from './clock.ts';

/**
 * One entry of a client history, Jepsen-style: every operation is an `invoke` followed by
 * at most one completion from the same process — `ok` (it happened, with this result),
 * `fail` (it certainly did not happen) or `info` (it may or may not have happened; it stays
 * open until the end of the history). A process has at most one operation outstanding.
 */
export interface HistoryEntry {
  /** Position in the history (0, 1, 2, …), the order events happened in. */
  index: number;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  process: ProcessId | number;
  /** The function: `read`, `write`, `cas`, `get`, `put`, `append`, … */
  f: string;
  /** The key, for multi-key models (the checker partitions by it). */
  key?: string;
  /** The argument on invoke; the result on ok (e.g. the value read). */
  value?: unknown;
  /** Lab time in ms (or nanoseconds in imported histories; only the order matters). */
  time?: number;
  /** Why an operation failed or is indeterminate, when known. */
  error?: string;
  /** The operation's id in the trace (the `msgId` of its client events), when it came from a lab run. */
  id?: string;
  /** The node the client asked, when it came from a lab run. */
  node?: string;
}

/** What a checker answers, and why. */
export type CheckVerdict = 'valid' | 'invalid' | 'unknown';
