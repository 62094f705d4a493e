// A node's status in its trace: a `state` event named `status` whose detail carries the
// CoreStatus (role, facts, data, the protocol view) as the node reported it. A recorded run
// (src-main/lab/trace-view.ts) shows each node's last one, so every protocol's panel can be
// rebuilt from the trace file alone.
//
// It is a `state` event, not a kind of its own, so that every reader of a trace (the
// recorder, exports, the log and the space-time diagram) shows it without a change; readers
// that count or interpret protocol notes skip it by name (`isStatusNote`). Hosts record one
// at most every STATUS_NOTE_INTERVAL_MS per node, less often when it is big (at most
// STATUS_NOTE_CHARS_PER_SECOND on average), always the newest and late rather than never, so
// a trace grows by a bounded amount per node and second; each is at most
// STATUS_NOTE_CHARS_MAX characters of status JSON.

import type { CoreStatus } from './core.ts';
import type { TraceEvent } from './trace.ts';

/** The `name` of a status event's detail; no protocol note may use it. */
export const STATUS_NOTE_NAME = 'status';
/** A node records its status at most this often (the newest one wins). */
export const STATUS_NOTE_INTERVAL_MS = 500;
/**
 * Characters of status notes a node adds to its trace per second, on average: a big status
 * is recorded less often than every STATUS_NOTE_INTERVAL_MS (a 3 kB Raft status every 0.5 s,
 * a 20 kB Dynamo one every 2.5 s).
 */
export const STATUS_NOTE_CHARS_PER_SECOND = 8 * 1024;
/**
 * Characters of status JSON one event may carry. The views are bounded by their `*_MAX`
 * constants (the largest, Dynamo's with its Merkle exchanges, measured some 25 kB in the
 * shipped scenarios); past the limit the data is left out, then the view.
 */
export const STATUS_NOTE_CHARS_MAX = 128 * 1024;
/**
 * Keys of `data` a status note carries. `data` is the node's whole replicated map (Raft's
 * grows with every key written): repeated in every note it would make most of a trace's
 * growth, and the client operations that built it are in the trace anyway. A larger map is
 * left out of the note (and said so); the views, which the panels draw, stay.
 */
export const STATUS_NOTE_DATA_KEYS_MAX = 64;

/** What a status event says besides its name. */
export interface StatusNoteDetail {
  name: typeof STATUS_NOTE_NAME;
  status: CoreStatus;
  /** Parts of the status left out to keep the event within STATUS_NOTE_CHARS_MAX, and the status's full size. */
  omitted?: { parts: ('data' | 'view')[]; chars: number };
  /** When the status was taken (lab time), where that is not the event's own time: a simulated node down at the run's end records the status it had when it crashed. */
  takenAtLabMs?: number;
}

/** True for a status event: not a protocol's note, so checks that count or read notes skip it. */
export function isStatusNote(event: Pick<TraceEvent, 'kind' | 'detail'>): boolean {
  return event.kind === 'state' && (event.detail as { name?: unknown } | null | undefined)?.name === STATUS_NOTE_NAME;
}

/**
 * The detail of a status event for `status`, whose JSON (`json`, already built by the host
 * to see whether the status changed) decides whether it fits whole: only a status that does
 * not is measured again.
 */
export function statusNoteDetail(status: CoreStatus, json: string): StatusNoteDetail {
  const { data, view, ...rest } = status;
  const dataFits = data === undefined || Object.keys(data).length <= STATUS_NOTE_DATA_KEYS_MAX;
  if (dataFits && json.length <= STATUS_NOTE_CHARS_MAX) return { name: STATUS_NOTE_NAME, status };
  const parts: ('data' | 'view')[] = [];
  let kept: CoreStatus = status;
  let chars = json.length;
  if (data !== undefined) {
    kept = view === undefined ? rest : { ...rest, view };
    parts.push('data');
    if (chars > STATUS_NOTE_CHARS_MAX) chars = JSON.stringify(kept).length;
  }
  if (view !== undefined && chars > STATUS_NOTE_CHARS_MAX) {
    kept = { role: rest.role, facts: rest.facts };
    parts.push('view');
  }
  return { name: STATUS_NOTE_NAME, status: kept, omitted: { parts, chars: json.length } };
}

/**
 * The status a status event carries, or null when the detail is not one. A trace is a file
 * anyone may hand over: the shape is checked as far as the lab relies on it (role, facts,
 * data, and a view that names its protocol); the panels read a view's fields as they are.
 */
export function statusFromNote(detail: unknown): CoreStatus | null {
  if (detail === null || typeof detail !== 'object') return null;
  const { name, status } = detail as { name?: unknown; status?: unknown };
  if (name !== STATUS_NOTE_NAME || status === null || typeof status !== 'object') return null;
  const { role, facts, data, view } = status as Record<string, unknown>;
  if (typeof role !== 'string' || !isPlainObject(facts)) return null;
  if (data !== undefined && !isPlainObject(data)) return null;
  if (view !== undefined && !(isPlainObject(view) && typeof view['protocol'] === 'string')) return null;
  return status as CoreStatus;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
