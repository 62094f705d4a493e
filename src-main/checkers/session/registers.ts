// The key-value register model that the session and durability checkers judge against:
// which operations are reads and writes, which write a read saw, and in what order a key's
// writes took effect (their version order).
//
// Each write's value is unique per key, so a value read names the write it came from; a read
// of null (or of nothing) saw the initial state, before any write. The version order is
// known only where there is evidence for it:
// - a replica's log (`ReplicaLog`): the system's own word for the order it applied writes;
// - otherwise real time: a write that completed `ok` before another was invoked took effect
//   first. This assumes the system orders writes that do not overlap in real time the way
//   their clients saw them, which a single-copy or primary-ordered store does but a
//   last-writer-wins store with skewed clocks may not; give logs to judge such a system.
// Writes that overlap in real time and that no log orders are of unknown order: a checker
// answers unknown for them instead of guessing.
//
// Pure code: no I/O.

import type { HistoryEntry } from '../../../src-node/contract/history.ts';
import {
  canonicalValue, describeOperation, keyOf, MalformedHistoryError, precedes, toOperations,
  type HistoryProblem, type Operation,
} from '../history.ts';

/** Which function names read a register and which write one. */
export interface RegisterFunctions {
  reads: readonly string[];
  writes: readonly string[];
}

/** Jepsen's names and the lab's (primary-backup's `get`/`put`). */
export const DEFAULT_REGISTER_FUNCTIONS: RegisterFunctions = { reads: ['read', 'get'], writes: ['write', 'put'] };

/** One replica's log: the writes it applied, all keys in one list, in the order it applied them. */
export interface ReplicaLog {
  /** Which replica, e.g. `n1`, or where the order comes from (`primary n2 at the end`). */
  replica: string;
  writes: readonly { key?: string; value: unknown }[];
}

export interface RegisterHistory {
  operations: Operation[];
  /** Every write, whatever its outcome, in invoke order. */
  writes: Operation[];
  /** Every read, whatever its outcome, in invoke order. */
  reads: Operation[];
  /** key → canonical value → the write that wrote it. */
  writeByValue: Map<string, Map<string, Operation>>;
  functions: RegisterFunctions;
}

/**
 * Pairs the history into operations and indexes its writes by value. Throws a
 * MalformedHistoryError when the history is not well formed, when a write has no value or
 * writes null (it could not be told from the initial state), or when two writes of one key
 * write the same value (a read would not name one write).
 */
export function registerHistory(history: readonly HistoryEntry[], functions: RegisterFunctions = DEFAULT_REGISTER_FUNCTIONS): RegisterHistory {
  const operations = toOperations(history);
  const isRead = new Set(functions.reads);
  const isWrite = new Set(functions.writes);
  const writes = operations.filter((operation) => isWrite.has(operation.f));
  const reads = operations.filter((operation) => isRead.has(operation.f));
  const writeByValue = new Map<string, Map<string, Operation>>();
  const problems: HistoryProblem[] = [];
  for (const write of writes) {
    if (write.argument === undefined || write.argument === null) {
      problems.push({ entry: write.index, message: `${describeOperation(write)} writes no value (or null); a write's value must name it uniquely` });
      continue;
    }
    const values = writeByValue.get(keyOf(write)) ?? new Map<string, Operation>();
    writeByValue.set(keyOf(write), values);
    const value = canonicalValue(write.argument);
    const earlier = values.get(value);
    if (earlier) {
      problems.push({ entry: write.index, message: `${describeOperation(write)} writes the value that op ${earlier.index} already wrote to this key; each write's value must be unique per key` });
      continue;
    }
    values.set(value, write);
  }
  if (problems.length > 0) throw new MalformedHistoryError(problems);
  return { operations, writes, reads, writeByValue, functions };
}

export function isOkRead(registers: RegisterHistory, operation: Operation): boolean {
  return operation.type === 'ok' && registers.functions.reads.includes(operation.f);
}

export function isWrite(registers: RegisterHistory, operation: Operation): boolean {
  return registers.functions.writes.includes(operation.f);
}

/** What a read saw: the initial state, a write, or a value that no write in the history wrote. */
export type ReadSource =
  | { kind: 'initial' }
  | { kind: 'write'; write: Operation }
  | { kind: 'unwritten'; value: unknown };

/** The source of an ok read's value (null or no value: the initial state). */
export function sourceOf(registers: RegisterHistory, read: Operation): ReadSource {
  if (read.result === undefined || read.result === null) return { kind: 'initial' };
  const write = registers.writeByValue.get(keyOf(read))?.get(canonicalValue(read.result));
  return write ? { kind: 'write', write } : { kind: 'unwritten', value: read.result };
}

export function writeOf(registers: RegisterHistory, key: string | undefined, value: unknown): Operation | undefined {
  return registers.writeByValue.get(key ?? '')?.get(canonicalValue(value));
}

export type VersionOrder = 'before' | 'after' | 'same' | 'unknown';

/** The version order of two writes of one key, and the evidence for it, in a sentence. */
export interface Ordered {
  order: VersionOrder;
  because: string;
}

/** Where each write sits in each replica's log. */
export interface LogIndex {
  logs: readonly ReplicaLog[];
  /** One map per log: write → position in that log. */
  positions: Map<Operation, number>[];
  /** Log entries that name no write of the history: `replica: key=value`. */
  unmatched: string[];
}

export function indexLogs(registers: RegisterHistory, logs: readonly ReplicaLog[]): LogIndex {
  const unmatched: string[] = [];
  const positions = logs.map((log) => {
    const position = new Map<Operation, number>();
    log.writes.forEach((entry, at) => {
      const write = writeOf(registers, entry.key, entry.value);
      if (write === undefined) unmatched.push(`${log.replica}: ${entry.key ?? ''}=${canonicalValue(entry.value)}`);
      else if (!position.has(write)) position.set(write, at);
    });
    return position;
  });
  return { logs, positions, unmatched };
}

/**
 * The version order of writes `a` and `b` of one key: from the logs that hold both (all
 * must agree, else unknown), or, when no log holds both, from real time (see the top of
 * this file); unknown when they overlap. Cheap: checkers call it for many pairs, and
 * explainOrder only for the pairs they report.
 */
export function orderOf(a: Operation, b: Operation, logs: LogIndex | null): VersionOrder {
  if (a === b) return 'same';
  if (logs) {
    let first = false;
    let second = false;
    for (const position of logs.positions) {
      const positionA = position.get(a);
      const positionB = position.get(b);
      if (positionA === undefined || positionB === undefined) continue;
      if (positionA < positionB) first = true;
      else second = true;
    }
    if (first || second) return first && second ? 'unknown' : first ? 'before' : 'after';
  }
  return precedes(a, b) ? 'before' : precedes(b, a) ? 'after' : 'unknown';
}

/** The evidence for orderOf(a, b, logs), in a sentence. */
export function explainOrder(a: Operation, b: Operation, logs: LogIndex | null): string {
  if (a === b) return `op ${a.index} is op ${b.index}`;
  const fromLogs = logs ? explainInLogs(a, b, logs) : null;
  if (fromLogs) return fromLogs;
  if (precedes(a, b)) return `op ${a.index} completed (entry ${a.completeIndex}) before op ${b.index} was invoked`;
  if (precedes(b, a)) return `op ${b.index} completed (entry ${b.completeIndex}) before op ${a.index} was invoked`;
  return `ops ${a.index} and ${b.index} overlap in real time${logs ? ' and no log holds both' : ''}, so their order is unknown`;
}

/** orderOf and explainOrder together. */
export function compareWrites(a: Operation, b: Operation, logs: LogIndex | null): Ordered {
  return { order: orderOf(a, b, logs), because: explainOrder(a, b, logs) };
}

function explainInLogs(a: Operation, b: Operation, logs: LogIndex): string | null {
  const first: string[] = [];
  const second: string[] = [];
  logs.positions.forEach((position, at) => {
    const positionA = position.get(a);
    const positionB = position.get(b);
    if (positionA === undefined || positionB === undefined) return;
    (positionA < positionB ? first : second).push((logs.logs[at] as ReplicaLog).replica);
  });
  if (first.length > 0 && second.length > 0) {
    return `the logs disagree on ops ${a.index} and ${b.index}: ${first.join(', ')} applied ${a.index} first, ${second.join(', ')} applied ${b.index} first`;
  }
  if (first.length > 0) return `${first.join(', ')} applied op ${a.index} before op ${b.index}`;
  if (second.length > 0) return `${second.join(', ')} applied op ${b.index} before op ${a.index}`;
  return null;
}
