// How a trace event maps to a row of the `events` table and back. Pure: no SQLite here,
// so the mapping is unit-tested on its own and shared by the recorder and the exports.

import type { StoredEvent, TraceEvent, TraceKind } from '../../src-node/contract/trace.ts';

/** A row of `events` as SQLite returns it (vclock and detail still JSON text). */
export interface EventRow {
  id: number;
  node: string;
  seq: number;
  kind: string;
  lamport: number;
  vclock: string;
  node_time_ms: number;
  lab_time_ms: number;
  msg_id: string | null;
  peer: string | null;
  msg_type: string | null;
  detail: string | null;
}

/** The columns of `events` in the order of EVENT_INSERT_SQL's parameters. */
export const EVENT_COLUMNS =
  'node, seq, kind, lamport, vclock, node_time_ms, lab_time_ms, msg_id, peer, msg_type, detail';
export const EVENT_SELECT_COLUMNS = `id, ${EVENT_COLUMNS}`;
export const EVENT_INSERT_SQL = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export type EventRowValues = [
  string, number, string, number, string, number, number,
  string | null, string | null, string | null, string | null,
];

/**
 * Why an event cannot be stored, or null when it can. Only the fields the schema declares
 * NOT NULL are checked; a producer bug shows up as a rejected event, not a lost batch.
 */
export function eventProblem(event: unknown): string | null {
  if (typeof event !== 'object' || event === null) return 'not an object';
  const e = event as Partial<TraceEvent>;
  if (typeof e.node !== 'string' || e.node === '') return 'node is not a non-empty string';
  if (!Number.isSafeInteger(e.seq)) return `seq of ${e.node} is not an integer`;
  if (typeof e.kind !== 'string') return `kind of ${e.node}#${e.seq} is not a string`;
  if (!Number.isFinite(e.lamport)) return `lamport of ${e.node}#${e.seq} is not a number`;
  if (typeof e.vclock !== 'object' || e.vclock === null) return `vclock of ${e.node}#${e.seq} is not an object`;
  if (!Number.isFinite(e.nodeTimeMs) || !Number.isFinite(e.labTimeMs)) {
    return `nodeTimeMs/labTimeMs of ${e.node}#${e.seq} are not numbers`;
  }
  return null;
}

/** Bind values for EVENT_INSERT_SQL. `detail: undefined` is stored as NULL, `null` as JSON null. */
export function eventRowValues(event: TraceEvent): EventRowValues {
  return [
    event.node,
    event.seq,
    event.kind,
    event.lamport,
    JSON.stringify(event.vclock),
    event.nodeTimeMs,
    event.labTimeMs,
    event.msgId ?? null,
    event.peer ?? null,
    event.msgType ?? null,
    event.detail === undefined ? null : JSON.stringify(event.detail),
  ];
}

/** A row back as the contract's StoredEvent; absent optional columns stay absent. */
export function rowToStoredEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    id: row.id,
    node: row.node,
    seq: row.seq,
    kind: row.kind as TraceKind,
    lamport: row.lamport,
    vclock: JSON.parse(row.vclock) as StoredEvent['vclock'],
    nodeTimeMs: row.node_time_ms,
    labTimeMs: row.lab_time_ms,
  };
  if (row.msg_id !== null) event.msgId = row.msg_id;
  if (row.peer !== null) event.peer = row.peer;
  if (row.msg_type !== null) event.msgType = row.msg_type;
  if (row.detail !== null) event.detail = JSON.parse(row.detail) as unknown;
  return event;
}

/** Which kind of process an id names, by the lab's naming rule (`n1`…, `c1`…, `lab`). */
export function processKindOf(processId: string): 'node' | 'client' | 'lab' {
  if (processId === 'lab') return 'lab';
  if (/^c\d+$/.test(processId)) return 'client';
  return 'node';
}
