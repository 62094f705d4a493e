// Helpers every history checker shares: pairing each invoke with its completion into an
// operation, the per-process (session) order, the real-time order of operations, and a
// well-formedness check that says exactly which entry is wrong and why.
//
// A history is Jepsen's (src-node/contract/history.ts): each operation is an `invoke`
// followed by at most one completion from the same process, `ok`, `fail` or `info`. Order
// is the order of the entries (their `index`), never their `time`: times come from clocks,
// indexes from the one observer that wrote the history down.
//
// Pure code: no I/O.

import type { HistoryEntry } from '../../src-node/contract/history.ts';

export type OperationType = 'ok' | 'fail' | 'info';
export type ProcessName = HistoryEntry['process'];

/** One operation of a history: an invoke and its completion, paired. */
export interface Operation {
  /** The invoke's index in the history: how reports name the operation. */
  index: number;
  process: ProcessName;
  f: string;
  key?: string;
  /**
   * `ok` and `fail` as completed. `info` when completed `info` or never completed: the
   * operation may or may not have taken effect, at any time after its invoke, so it stays
   * open (concurrent with every later operation) until the end of the history.
   */
  type: OperationType;
  /** The invoke's value: what was asked (the value to write). */
  argument?: unknown;
  /** The completion's value when `ok`: what happened (the value read). */
  result?: unknown;
  invokeIndex: number;
  /** The completion's index; null when the history ends with the operation outstanding. */
  completeIndex: number | null;
  invokeTime?: number;
  completeTime?: number;
  error?: string;
}

/** One thing wrong with a history, at the entry where it shows. */
export interface HistoryProblem {
  /** The entry's `index`; its position in the array (0-based) when it has no usable index. */
  entry: number;
  message: string;
}

/** A history that is not well formed: its `problems` say where and why. */
export class MalformedHistoryError extends Error {
  constructor(readonly problems: readonly HistoryProblem[]) {
    const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).map((problem) => `  - ${problem.message}`);
    const more = problems.length > MAX_PROBLEMS_IN_MESSAGE ? [`  … and ${problems.length - MAX_PROBLEMS_IN_MESSAGE} more`] : [];
    super([`malformed history (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ...shown, ...more].join('\n'));
    this.name = 'MalformedHistoryError';
  }
}

export const MAX_PROBLEMS_IN_MESSAGE = 10;
/** Validation stops collecting after this many problems: a broken file need not list them all. */
export const MAX_PROBLEMS = 1_000;

const TYPES = new Set(['invoke', 'ok', 'fail', 'info']);

/**
 * Every way `history` is not well formed, in history order (empty when it is):
 * - each entry is an object with an integer `index` ≥ 0 larger than the previous entry's,
 *   a `type` of invoke/ok/fail/info, a `process` (string or finite number), a non-empty
 *   function name `f`, a string `key` if any, a finite `time` if any;
 * - a process invokes only when it has no operation outstanding (one at a time);
 * - a completion follows an invoke from the same process, with the same `f` and, when it
 *   names one, the same `key`; its `time`, when both have one, is not before the invoke's.
 * A process may invoke again after an `info` completion (the lab's clients do; Jepsen would
 * use a new process): the indeterminate operation itself stays open.
 */
export function validateHistory(history: readonly HistoryEntry[]): HistoryProblem[] {
  const problems: HistoryProblem[] = [];
  if (!Array.isArray(history)) return [{ entry: 0, message: 'a history is an array of entries' }];
  const outstanding = new Map<ProcessName, HistoryEntry>();
  let previousIndex = -1;
  for (let position = 0; position < history.length && problems.length < MAX_PROBLEMS; position += 1) {
    const entry = history[position] as HistoryEntry;
    const shape = shapeProblem(entry, previousIndex);
    if (shape !== null) {
      problems.push({ entry: position, message: `entry at position ${position}: ${shape}` });
      continue;
    }
    previousIndex = entry.index;
    const open = outstanding.get(entry.process);
    const problem = entry.type === 'invoke' ? invokeProblem(entry, open) : completionProblem(entry, open);
    if (problem !== null) problems.push({ entry: entry.index, message: `entry ${entry.index} (${describe(entry)}): ${problem}` });
    if (entry.type === 'invoke') outstanding.set(entry.process, entry);
    else outstanding.delete(entry.process);
  }
  return problems;
}

function shapeProblem(entry: HistoryEntry, previousIndex: number): string | null {
  if (typeof entry !== 'object' || entry === null) return 'not an object';
  if (!Number.isInteger(entry.index) || entry.index < 0) return `index must be an integer ≥ 0, got ${show(entry.index)}`;
  if (entry.index <= previousIndex) return `index ${entry.index} does not come after the previous entry's index ${previousIndex}; entries are listed in the order they happened`;
  if (!TYPES.has(entry.type)) return `type must be invoke, ok, fail or info, got ${show(entry.type)}`;
  const processOk = typeof entry.process === 'string' || (typeof entry.process === 'number' && Number.isFinite(entry.process));
  if (!processOk) return `process must be a string or a finite number, got ${show(entry.process)}`;
  if (typeof entry.f !== 'string' || entry.f.length === 0) return `f (the function) must be a non-empty string, got ${show(entry.f)}`;
  if (entry.key !== undefined && typeof entry.key !== 'string') return `key must be a string when present, got ${show(entry.key)}`;
  if (entry.time !== undefined && (typeof entry.time !== 'number' || !Number.isFinite(entry.time))) return `time must be a finite number when present, got ${show(entry.time)}`;
  return null;
}

function invokeProblem(entry: HistoryEntry, open: HistoryEntry | undefined): string | null {
  if (open === undefined) return null;
  return `process ${String(entry.process)} invokes while its ${open.f} invoked at entry ${open.index} is still outstanding; a process runs one operation at a time`;
}

function completionProblem(entry: HistoryEntry, open: HistoryEntry | undefined): string | null {
  if (open === undefined) return `process ${String(entry.process)} has no operation outstanding; a completion must follow an invoke from the same process`;
  if (entry.f !== open.f) return `completes a ${show(entry.f)} but process ${String(entry.process)} invoked a ${show(open.f)} at entry ${open.index}`;
  if (entry.key !== undefined && entry.key !== open.key) return `completes key ${show(entry.key)} but the invoke at entry ${open.index} was on key ${show(open.key)}`;
  if (entry.time !== undefined && open.time !== undefined && entry.time < open.time) return `completes at time ${entry.time}, before its invoke at entry ${open.index} (time ${open.time})`;
  return null;
}

/**
 * Pairs invokes with completions into operations, in invoke order. Throws a
 * MalformedHistoryError listing every problem (see validateHistory) when the history is
 * not well formed: a checker judging a malformed history would judge nonsense.
 */
export function toOperations(history: readonly HistoryEntry[]): Operation[] {
  const problems = validateHistory(history);
  if (problems.length > 0) throw new MalformedHistoryError(problems);
  const operations: Operation[] = [];
  const outstanding = new Map<ProcessName, Operation>();
  for (const entry of history) {
    if (entry.type === 'invoke') {
      const operation: Operation = {
        index: entry.index, process: entry.process, f: entry.f, type: 'info',
        invokeIndex: entry.index, completeIndex: null,
        ...(entry.key !== undefined ? { key: entry.key } : {}),
        ...(entry.value !== undefined ? { argument: entry.value } : {}),
        ...(entry.time !== undefined ? { invokeTime: entry.time } : {}),
      };
      operations.push(operation);
      outstanding.set(entry.process, operation);
      continue;
    }
    const operation = outstanding.get(entry.process) as Operation;
    outstanding.delete(entry.process);
    operation.type = entry.type;
    operation.completeIndex = entry.index;
    if (entry.type === 'ok' && entry.value !== undefined) operation.result = entry.value;
    if (entry.time !== undefined) operation.completeTime = entry.time;
    if (entry.error !== undefined) operation.error = entry.error;
  }
  return operations;
}

/**
 * Real-time order: `a` completed `ok` before `b` was invoked, so `a` took effect before `b`
 * began. Operations that are not `ok` precede nothing: a failed one never took effect, an
 * indeterminate one may take effect at any later time.
 */
export function precedes(a: Operation, b: Operation): boolean {
  return a.type === 'ok' && a.completeIndex !== null && a.completeIndex < b.invokeIndex;
}

/** Each process's operations in the order it ran them (its session), processes in first-seen order. */
export function byProcess(operations: readonly Operation[]): Map<ProcessName, Operation[]> {
  const sessions = new Map<ProcessName, Operation[]>();
  for (const operation of [...operations].sort((a, b) => a.invokeIndex - b.invokeIndex)) {
    const session = sessions.get(operation.process);
    if (session) session.push(operation);
    else sessions.set(operation.process, [operation]);
  }
  return sessions;
}

/**
 * The register an operation is on. Operations without a key are on one register, named
 * by the empty string (single-register histories, e.g. Jepsen's cas-register).
 */
export function keyOf(operation: { key?: string }): string {
  return operation.key ?? '';
}

/**
 * A value as a string that is equal for equal values: JSON with object keys sorted at every
 * level, so `{a: 1, b: 2}` and `{b: 2, a: 1}` are the same value. `undefined` is `undefined`.
 */
export function canonicalValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(inner).sort()) sorted[name] = (inner as Record<string, unknown>)[name];
    return sorted;
  });
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalValue(a) === canonicalValue(b);
}

/** An operation in a sentence: `process 2 write x=5`, `process c1 read x`. */
export function describeOperation(operation: Operation): string {
  const key = operation.key !== undefined ? ` ${operation.key}` : '';
  const argument = operation.argument !== undefined ? `${key ? '=' : ' '}${canonicalValue(operation.argument)}` : '';
  return `${operation.type} ${operation.f}${key}${argument} by process ${String(operation.process)} (op ${operation.index})`;
}

function describe(entry: HistoryEntry): string {
  return `process ${String(entry.process)}, ${entry.type} ${entry.f}${entry.key !== undefined ? ` ${entry.key}` : ''}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : canonicalValue(value);
}
