// Helpers shared by the CRDTs: checking outside input, canonical JSON, per-replica counters
// (the G-Counter payload, reused by the PN types and as vector clocks) and LWW stamps.
//
// Replica-keyed payloads are JSON objects (like VectorClock). Element-keyed payloads are
// sorted arrays instead: elements come from clients, and an object keyed by an element such
// as "__proto__" or "constructor" is a trap; a sorted array is canonical by construction.

import type { ProcessId, VectorClock } from '../../contract/clock.ts';
import type { Checked, Json, LatticeOrder } from './crdt.ts';

/** Longest set element, in UTF-16 code units. */
export const MAX_ELEMENT_LENGTH = 256;
/** Largest register value, as canonical JSON text. */
export const MAX_VALUE_JSON_LENGTH = 16_384;
/** Deepest nesting of a register value. */
export const MAX_VALUE_DEPTH = 32;
/** Largest single increment; keeps sums of many replicas far inside the safe integers. */
export const MAX_AMOUNT = 1_000_000_000;
/** Most distinct replicas one state may name. */
export const MAX_REPLICAS = 1_024;
/** Most elements (live or remembered) one set state may hold. */
export const MAX_ELEMENTS = 100_000;
/** Replica ids are short names such as `n1`, `c2`, `lab`. */
const REPLICA_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export function ok<T>(value: T): Checked<T> {
  return { ok: true, value };
}

export function fail<T>(error: string): Checked<T> {
  return { ok: false, error };
}

export function isRecord(raw: unknown): raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const prototype: unknown = Object.getPrototypeOf(raw);
  return prototype === Object.prototype || prototype === null;
}

/** Why `raw` is not an object with exactly the `required` keys (plus `optional` ones), or null. */
export function shapeError(raw: unknown, what: string, required: string[], optional: string[] = []): string | null {
  if (!isRecord(raw)) return `${what} must be an object, got ${describeValue(raw)}`;
  for (const key of required) if (!Object.hasOwn(raw, key)) return `${what} lacks "${key}"`;
  const known = new Set([...required, ...optional]);
  const extra = Object.keys(raw).find((key) => !known.has(key));
  return extra === undefined ? null : `${what} has an unknown field "${extra}"`;
}

export function describeValue(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  if (typeof raw === 'string') return `the string ${JSON.stringify(raw.slice(0, 40))}`;
  if (typeof raw === 'number') return `the number ${raw}`;
  return typeof raw;
}

export function replicaError(raw: unknown): string | null {
  if (typeof raw !== 'string' || !REPLICA_PATTERN.test(raw) || raw in Object.prototype) {
    return `a replica id must match ${REPLICA_PATTERN} (and not be an Object property name), got ${describeValue(raw)}`;
  }
  return null;
}

export function timestampError(raw: unknown): string | null {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    return `a timestamp must be a non-negative integer of milliseconds, got ${describeValue(raw)}`;
  }
  return null;
}

export function elementError(raw: unknown): string | null {
  if (typeof raw !== 'string') return `a set element must be a string, got ${describeValue(raw)}`;
  if (raw.length > MAX_ELEMENT_LENGTH) return `a set element may be at most ${MAX_ELEMENT_LENGTH} characters long`;
  return null;
}

/** The `amount` of an increment: a positive integer up to MAX_AMOUNT, 1 when absent. */
export function checkAmount(raw: unknown): Checked<number> {
  if (raw === undefined) return ok(1);
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1 || raw > MAX_AMOUNT) {
    return fail(`an amount must be an integer from 1 to ${MAX_AMOUNT}, got ${describeValue(raw)}`);
  }
  return ok(raw);
}

/** `raw` as JSON with every object's keys sorted, or why it is not JSON a register can hold. */
export function checkJson(raw: unknown): Checked<Json> {
  const checked = canonicalJson(raw, 0);
  if (!checked.ok) return checked;
  const length = JSON.stringify(checked.value).length;
  if (length > MAX_VALUE_JSON_LENGTH) return fail(`a value may be at most ${MAX_VALUE_JSON_LENGTH} characters of JSON, got ${length}`);
  return checked;
}

function canonicalJson(raw: unknown, depth: number): Checked<Json> {
  if (depth > MAX_VALUE_DEPTH) return fail(`a value may nest at most ${MAX_VALUE_DEPTH} levels`);
  if (raw === null || typeof raw === 'boolean' || typeof raw === 'string') return ok(raw);
  if (typeof raw === 'number') return Number.isFinite(raw) ? ok(raw) : fail(`a value must be JSON; ${raw} is not`);
  if (Array.isArray(raw)) {
    const items: Json[] = [];
    for (const item of raw) {
      const checked = canonicalJson(item, depth + 1);
      if (!checked.ok) return checked;
      items.push(checked.value);
    }
    return ok(items);
  }
  if (!isRecord(raw)) return fail(`a value must be JSON; ${describeValue(raw)} is not`);
  const entries: [string, Json][] = [];
  for (const key of Object.keys(raw).sort()) {
    const checked = canonicalJson(raw[key], depth + 1);
    if (!checked.ok) return checked;
    entries.push([key, checked.value]);
  }
  // fromEntries defines own properties, so even a "__proto__" key stays data.
  return ok(Object.fromEntries(entries) as Json);
}

/** Code-unit order, the same on every platform (unlike localeCompare). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted, without duplicates. */
export function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareStrings);
}

/** The order of two states from "a ≤ b" and "b ≤ a". */
export function orderOf(aBelowB: boolean, bBelowA: boolean): LatticeOrder {
  if (aBelowB && bBelowA) return 'equal';
  if (aBelowB) return 'before';
  if (bBelowA) return 'after';
  return 'concurrent';
}

// ---- Per-replica counters: the G-Counter payload, PN halves, and vector clocks. ----------

/** One non-negative count per replica; a missing replica counts 0. */
export type Counts = Record<ProcessId, number>;

export function countOf(counts: Counts, replica: ProcessId): number {
  return Object.hasOwn(counts, replica) ? (counts[replica] ?? 0) : 0;
}

/** Sorted keys, zero entries dropped. */
export function canonicalCounts(counts: Counts): Counts {
  const entries = Object.entries(counts).filter(([, count]) => count > 0);
  return Object.fromEntries(entries.sort(([a], [b]) => compareStrings(a, b)));
}

export function addCount(counts: Counts, replica: ProcessId, amount: number): Counts {
  return canonicalCounts({ ...counts, [replica]: countOf(counts, replica) + amount });
}

/** The entrywise maximum (the G-Counter merge, and the vector clock merge). */
export function maxCounts(a: Counts, b: Counts): Counts {
  const merged: Counts = { ...a };
  for (const [replica, count] of Object.entries(b)) {
    if (count > countOf(merged, replica)) merged[replica] = count;
  }
  return canonicalCounts(merged);
}

/** Entrywise a ≤ b. */
export function countsBelow(a: Counts, b: Counts): boolean {
  return Object.entries(a).every(([replica, count]) => count <= countOf(b, replica));
}

export function sumCounts(counts: Counts): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** `raw` as canonical Counts, or why not. Also checks vector clocks. */
export function parseCounts(raw: unknown, what: string): Checked<Counts> {
  if (!isRecord(raw)) return fail(`${what} must be an object of counts by replica, got ${describeValue(raw)}`);
  const entries = Object.entries(raw);
  if (entries.length > MAX_REPLICAS) return fail(`${what} names more than ${MAX_REPLICAS} replicas`);
  for (const [replica, count] of entries) {
    const error = replicaError(replica);
    if (error !== null) return fail(`${what}: ${error}`);
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      return fail(`${what}: the count of ${replica} must be a non-negative integer, got ${describeValue(count)}`);
    }
  }
  return ok(canonicalCounts(raw as Counts));
}

/** A vector clock in canonical form (VectorClock is Counts by another name). */
export function canonicalClock(clock: VectorClock): VectorClock {
  return canonicalCounts(clock);
}

// ---- LWW stamps. --------------------------------------------------------------------------

/**
 * The "timestamp" of the paper's LWW types: the writer's physical clock, with the replica id
 * breaking ties, so that stamps of distinct replicas are never equal and the order is total.
 */
export interface Stamp {
  replica: ProcessId;
  timestampMs: number;
}

export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.timestampMs !== b.timestampMs) return a.timestampMs < b.timestampMs ? -1 : 1;
  return compareStrings(a.replica, b.replica);
}

/**
 * The stamp of a new write at `replica` whose clock reads `timestampMs`, given the greatest
 * stamp the replica has seen for this register or element. The paper assumes timestamps
 * "consistent with causal order"; a physical clock is not, so a write that would sort below
 * what its replica already saw is lifted just above it. This keeps every update an inflation
 * and a replica's own writes in order; writes that have not seen each other are still ordered
 * by raw clock readings, which is the anomaly the LWW types accept.
 */
export function nextStamp(replica: ProcessId, timestampMs: number, seen: Stamp | null): Stamp {
  const stamp = { replica, timestampMs };
  if (seen === null || compareStamps(stamp, seen) > 0) return stamp;
  return { replica, timestampMs: seen.timestampMs + 1 };
}

export function parseStamp(raw: unknown, what: string): Checked<Stamp> {
  const shape = shapeError(raw, what, ['replica', 'timestampMs']);
  if (shape !== null) return fail(shape);
  const record = raw as Record<string, unknown>;
  const error = replicaError(record.replica) ?? timestampError(record.timestampMs);
  if (error !== null) return fail(`${what}: ${error}`);
  return ok({ replica: record.replica as string, timestampMs: record.timestampMs as number });
}

/** Check the context of an update: a valid replica, and a timestamp when `needsTimestamp`. */
export function contextError(context: unknown, needsTimestamp: boolean): string | null {
  if (!isRecord(context)) return `the update context must be an object, got ${describeValue(context)}`;
  const replica = replicaError(context.replica);
  if (replica !== null) return replica;
  if (!needsTimestamp) return null;
  if (context.timestampMs === undefined) return 'this type orders writes by timestamp: the update context needs timestampMs';
  return timestampError(context.timestampMs);
}

/** Check an update `{ op, …fields }` whose op is one of `ops`; returns the record. */
export function checkOp(raw: unknown, ops: readonly string[], optional: string[] = []): Checked<Record<string, unknown>> {
  if (!isRecord(raw)) return fail(`an update must be an object, got ${describeValue(raw)}`);
  if (typeof raw.op !== 'string' || !ops.includes(raw.op)) {
    return fail(`an update's op must be one of ${ops.join(', ')}, got ${describeValue(raw.op)}`);
  }
  const extra = Object.keys(raw).find((key) => key !== 'op' && !optional.includes(key));
  if (extra !== undefined) return fail(`a ${raw.op} update has an unknown field "${extra}"`);
  return ok(raw);
}

/** `raw` as a sorted, duplicate-free list of elements, or why not. */
export function parseElements(raw: unknown, what: string): Checked<string[]> {
  if (!Array.isArray(raw)) return fail(`${what} must be an array of elements, got ${describeValue(raw)}`);
  if (raw.length > MAX_ELEMENTS) return fail(`${what} holds more than ${MAX_ELEMENTS} elements`);
  for (const element of raw) {
    const error = elementError(element);
    if (error !== null) return fail(`${what}: ${error}`);
  }
  return ok(sortedUnique(raw as string[]));
}

/** The update of a set type. */
export interface SetUpdate {
  op: 'add' | 'remove';
  element: string;
}

export function parseSetUpdate(raw: unknown, ops: readonly SetUpdate['op'][]): Checked<SetUpdate> {
  const checked = checkOp(raw, ops, ['element']);
  if (!checked.ok) return checked;
  const error = elementError(checked.value.element);
  if (error !== null) return fail(error);
  return ok({ op: checked.value.op as SetUpdate['op'], element: checked.value.element as string });
}

/**
 * The first step of every `update`: check the context, then the update itself. Types are
 * checked again at run time because updates come from clients over the wire.
 */
export function checkUpdate<Update>(
  raw: unknown,
  context: unknown,
  needsTimestamp: boolean,
  parse: (raw: unknown) => Checked<Update>,
): Checked<Update> {
  const error = contextError(context, needsTimestamp);
  return error === null ? parse(raw) : fail(error);
}
