// The IPC protocol between the lab (recorder-client.ts) and the recorder child process
// (recorder-main.ts), and the limits both sides share. Types only and constants: the
// client must stay free of native modules, so nothing here imports better-sqlite3.

import type { EventQuery } from '../../src-node/contract/lab-api.ts';
import type { RunMetadata, StoredEvent, TraceEvent } from '../../src-node/contract/trace.ts';

/** Append batches sent and not yet committed; beyond this the client coalesces. */
export const APPEND_IN_FLIGHT_MAX = 4;
/** Events per append message (one SQLite transaction each). */
export const APPEND_BATCH_MAX_EVENTS = 20_000;
/**
 * Events the client holds while the recorder is behind. Past this it drops new events and
 * counts them (`RecorderStats.dropped`, and `recorderDroppedEvents` in the run table):
 * a lab that outruns its disk for this long must not also run out of memory.
 */
export const APPEND_PENDING_MAX_EVENTS = 1_000_000;
/** Events read from SQLite per step of an export, between which appends are served. */
export const EXPORT_PAGE_EVENTS = 5_000;
/** How long close() waits for the child to commit, close and exit before it kills it. */
export const CLOSE_TIMEOUT_MS = 30_000;
/** How long startRecorder() waits for the child to open the trace. */
export const OPEN_TIMEOUT_MS = 15_000;

export type ProcessKind = 'node' | 'client' | 'lab';

/** What the lab tells the recorder about a process (undefined fields stay as they are). */
export interface NodeInfo {
  id: string;
  kind?: ProcessKind;
  /** `http://127.0.0.1:PORT` while it listens; null when it is down. */
  url?: string | null;
  restarts?: number;
  /** Lab time at which the lab saw it; widens first/last seen. */
  seenAtLabMs?: number;
}

/** A row of the `nodes` table. */
export interface NodeRecord {
  id: string;
  kind: ProcessKind;
  url: string | null;
  firstSeenLabMs: number | null;
  lastSeenLabMs: number | null;
  restarts: number;
}

/** The run table: RunMetadata's keys, `schema_version`, and anything set later. */
export type RunRecord = Partial<RunMetadata> & { schema_version?: number } & Record<string, unknown>;

/** The outcome of storing one batch. `problems` quotes the first few rejected events. */
export interface AppendOutcome {
  stored: number;
  rejected: number;
  problems: string[];
}
/** Rejected events quoted per batch; the rest are only counted. */
export const APPEND_PROBLEMS_QUOTED = 3;

export type ExportTextFormat = 'jsonl' | 'shiviz';

export interface ExportRequest {
  format: ExportTextFormat;
  path: string;
}

export interface ExportOutcome {
  bytes: number;
  events: number;
}

/** The request/response methods and their argument and result types. */
export interface RecorderCalls {
  upsertNode: { args: NodeInfo; result: void };
  setRunMeta: { args: Record<string, unknown>; result: void };
  run: { args: null; result: RunRecord };
  nodes: { args: null; result: NodeRecord[] };
  query: { args: EventQuery; result: StoredEvent[] };
  count: { args: null; result: number };
  copyTo: { args: { path: string }; result: number };
  exportTo: { args: ExportRequest; result: ExportOutcome };
  flush: { args: null; result: void };
  close: { args: { droppedEvents: number }; result: void };
}
export type RecorderMethod = keyof RecorderCalls;

export interface OpenRequest {
  tracePath: string;
  mode: 'create' | 'read';
  run?: RunMetadata;
}

/** Lab → recorder. */
export type ToRecorder =
  | { t: 'open'; request: OpenRequest }
  | { t: 'append'; batch: number; events: TraceEvent[] }
  | { t: 'call'; id: number; method: RecorderMethod; args: unknown };

/** Recorder → lab. */
export type FromRecorder =
  | { t: 'opened'; events: number }
  | { t: 'open-failed'; message: string }
  /** A batch was committed (`error` absent) or lost (`error` says why). */
  | { t: 'appended'; batch: number; stored: number; rejected: number; problems: string[]; error?: string }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; message: string };
