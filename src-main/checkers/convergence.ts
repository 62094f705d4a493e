// Convergence after quiescence: once writes stop and messages have been delivered, every
// replica holds the same state (the book §5, eventual consistency; §6, CRDTs converge by
// construction). Judged on the replicas' final states, key by key.
//
// With the history, each value a replica holds is also traced to the writes: a value that no
// write wrote, or that only a failed write wrote, contradicts the history — a worse bug than
// a replica lagging behind, because no amount of waiting fixes it. That trace fits register
// states (each value was written as is); for merged states (CRDTs: a counter's sum, a set's
// union) pass `values: 'merged'` to skip it.
//
// Pure code: no I/O.

import type { CheckVerdict, HistoryEntry } from '../../src-node/contract/history.ts';
import { canonicalValue, keyOf, toOperations } from './history.ts';
import { DEFAULT_REGISTER_FUNCTIONS, type RegisterFunctions } from './session/registers.ts';

/** One replica's final state: key → value. */
export type ReplicaState = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

/**
 * Whether a value was written, by the best outcome among the writes that wrote it to that
 * key: `ok`, `info`, `fail` (only failed writes wrote it), `never`; null when the key is
 * absent or no history was given.
 */
export type Written = 'ok' | 'info' | 'fail' | 'never' | null;

export interface ReplicaValue {
  replica: string;
  present: boolean;
  value: unknown;
  written: Written;
}

export interface DifferingKey {
  key: string;
  /** The replicas grouped by what they hold, the largest group first. */
  groups: { present: boolean; value: unknown; written: Written; replicas: string[] }[];
}

export interface ConvergenceCheck {
  /** invalid: replicas differ, or one holds a value the history contradicts; unknown: no replica; valid otherwise. */
  verdict: CheckVerdict;
  replicas: string[];
  /** Keys on which the replicas differ, sorted; at most MAX_DIFFERING_REPORTED. */
  differing: DifferingKey[];
  differingCount: number;
  /** For each replica, what it holds at each differing key (at most MAX_DIFFERING_REPORTED keys). */
  byReplica: Record<string, { key: string; present: boolean; value: unknown; written: Written }[]>;
  /** Values held (differing or not) that no write wrote, or that only failed writes wrote; with a history and register values. */
  unwritten: ReplicaValue[];
  summary: string;
}

export const MAX_DIFFERING_REPORTED = 100;

export interface ConvergenceInput {
  /** Replica id → its final state. */
  replicas: ReadonlyMap<string, ReplicaState> | Readonly<Record<string, ReplicaState>>;
  /** The client history, to trace each value held to the writes. */
  history?: readonly HistoryEntry[];
  functions?: RegisterFunctions;
  /** `written` (default): each value held was written as is. `merged`: states merge writes (CRDTs); values are not traced. */
  values?: 'written' | 'merged';
  /** Which replicas must hold a key (a partitioned store); absent: all of them. A key is compared only among its holders. */
  holders?: (key: string) => readonly string[];
  /**
   * The written values one held value stands for — Dynamo's `{siblings: [...]}` is several
   * concurrent writes, none of which wrote the list — each traced on its own; absent or empty:
   * the value itself.
   */
  versions?: (value: unknown) => readonly unknown[];
}

/** Are all replicas equal, key by key, and (with a history) does each hold only written values? */
export function checkConvergence(input: ConvergenceInput): ConvergenceCheck {
  const replicas = entries(input.replicas).sort(([a], [b]) => a.localeCompare(b));
  const states = replicas.map(([replica, state]) => ({ replica, state: new Map(entries(state)) }));
  const trace = input.history && input.values !== 'merged' ? writtenIndex(input.history, input.functions ?? DEFAULT_REGISTER_FUNCTIONS) : null;
  const writtenOf = (key: string, present: boolean, value: unknown): Written => {
    if (!present || trace === null) return null;
    const held = input.versions?.(value) ?? [];
    // A value that stands for several writes is only as written as the least written of them.
    return leastWritten((held.length > 0 ? held : [value]).map((version) => trace.get(key)?.get(canonicalValue(version)) ?? 'never'));
  };
  const keys = [...new Set(states.flatMap(({ state }) => [...state.keys()]))].sort();
  const differing: DifferingKey[] = [];
  const unwritten: ReplicaValue[] = [];
  let differingCount = 0;
  for (const key of keys) {
    const groups = new Map<string, DifferingKey['groups'][number]>();
    const holders = input.holders?.(key);
    for (const { replica, state } of states) {
      if (holders !== undefined && !holders.includes(replica)) continue;
      const present = state.has(key);
      const value = state.get(key);
      const written = writtenOf(key, present, value);
      if (written === 'never' || written === 'fail') unwritten.push({ replica, present, value, written });
      const identity = present ? canonicalValue(value) : 'absent';
      const group = groups.get(identity) ?? { present, value, written, replicas: [] };
      group.replicas.push(replica);
      groups.set(identity, group);
    }
    if (groups.size <= 1) continue;
    differingCount += 1;
    if (differing.length < MAX_DIFFERING_REPORTED) {
      differing.push({ key, groups: [...groups.values()].sort((a, b) => b.replicas.length - a.replicas.length) });
    }
  }
  const byReplica: ConvergenceCheck['byReplica'] = {};
  for (const { replica, state } of states) {
    byReplica[replica] = differing.map(({ key }) => ({
      key, present: state.has(key), value: state.get(key), written: writtenOf(key, state.has(key), state.get(key)),
    }));
  }
  const names = states.map(({ replica }) => replica);
  const verdict: CheckVerdict = names.length === 0 ? 'unknown' : differingCount > 0 || unwritten.length > 0 ? 'invalid' : 'valid';
  return { verdict, replicas: names, differing, differingCount, byReplica, unwritten, summary: summarize(names, differing, differingCount, unwritten) };
}

function summarize(names: string[], differing: DifferingKey[], differingCount: number, unwritten: ReplicaValue[]): string {
  if (names.length === 0) return 'no replica state to compare';
  const parts: string[] = [];
  if (differingCount > 0) {
    const first = differing[0] as DifferingKey;
    const shown = first.groups.map((group) => `${group.replicas.join('+')} ${group.present ? canonicalValue(group.value) : '(absent)'}`).join(' vs ');
    parts.push(`replicas differ on ${differingCount} key(s); first, ${first.key}: ${shown}`);
  }
  if (unwritten.length > 0) {
    const first = unwritten[0] as ReplicaValue;
    parts.push(`${unwritten.length} value(s) held that no acknowledged or pending write wrote; first: ${first.replica} holds ${canonicalValue(first.value)}${first.written === 'fail' ? ' (written only by a failed write)' : ' (never written)'}`);
  }
  return parts.length > 0 ? parts.join('; ') : `${names.length} replica(s) hold the same state`;
}

const WRITTEN_RANK: Record<'never' | 'fail' | 'info' | 'ok', number> = { never: 0, fail: 1, info: 2, ok: 3 };

function leastWritten(outcomes: readonly Written[]): Written {
  return outcomes.reduce<Written>((least, outcome) => (least === null || (outcome !== null && WRITTEN_RANK[outcome] < WRITTEN_RANK[least]) ? outcome : least), null);
}

function entries<T>(map: ReadonlyMap<string, T> | Readonly<Record<string, T>>): [string, T][] {
  return map instanceof Map ? [...(map as ReadonlyMap<string, T>).entries()] : Object.entries(map as Record<string, T>);
}

/** key → canonical value → the best outcome among the writes that wrote it. */
function writtenIndex(history: readonly HistoryEntry[], functions: RegisterFunctions): Map<string, Map<string, Written>> {
  const rank: Record<'ok' | 'info' | 'fail', number> = { ok: 3, info: 2, fail: 1 };
  const index = new Map<string, Map<string, Written>>();
  for (const operation of toOperations(history)) {
    if (!functions.writes.includes(operation.f)) continue;
    const values = index.get(keyOf(operation)) ?? new Map<string, Written>();
    index.set(keyOf(operation), values);
    const value = canonicalValue(operation.argument);
    const known = values.get(value);
    if (known === undefined || known === null || known === 'never' || rank[operation.type] > rank[known]) values.set(value, operation.type);
  }
  return index;
}
