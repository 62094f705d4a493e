// The JSON-lines export: a first line `{"run": {...}}` with the run metadata, then one
// StoredEvent per line in row-id order. Lines are built from the stored JSON text of
// `vclock` and `detail` without parsing it again, so an export of a million events does
// not allocate a million objects. docs/trace-schema.md documents the format.

import type { EventRow } from './event-row.ts';

/** The first line: `{"run": {...}}` (no trailing newline). */
export function jsonlRunLine(run: Record<string, unknown>): string {
  return JSON.stringify({ run });
}

/**
 * One event as a JSON line, equal (after JSON.parse) to the StoredEvent of the row: the
 * same keys in the same order, optional keys left out when their column is NULL.
 */
export function jsonlEventLine(row: EventRow): string {
  let line =
    `{"id":${row.id},"node":${JSON.stringify(row.node)},"seq":${row.seq},` +
    `"kind":${JSON.stringify(row.kind)},"lamport":${row.lamport},"vclock":${row.vclock},` +
    `"nodeTimeMs":${jsonNumber(row.node_time_ms)},"labTimeMs":${jsonNumber(row.lab_time_ms)}`;
  if (row.msg_id !== null) line += `,"msgId":${JSON.stringify(row.msg_id)}`;
  if (row.peer !== null) line += `,"peer":${JSON.stringify(row.peer)}`;
  if (row.msg_type !== null) line += `,"msgType":${JSON.stringify(row.msg_type)}`;
  if (row.detail !== null) line += `,"detail":${row.detail}`;
  return `${line}}`;
}

/** JSON has no NaN or Infinity; the schema stores finite numbers, but stay valid JSON regardless. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
