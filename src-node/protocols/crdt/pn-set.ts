// PN-Set: a set with a PN-Counter per element (Shapiro et al. 2011, §3.3.4; the book, §5:
// "Positive-negative set (consists of one PN-counter per set item)").
//
// Guarantees: every replica agrees on each element's count — (adds made anywhere) − (removes
// made anywhere) — and the element is in the set when its count is positive. Adds and removes
// commute, so an element can come and go any number of times.
// Payload: one entry per element ever touched, sorted by element: `{ decrements, element,
// increments }`, the two G-Counters of its PN-Counter.
// Merge: per element, the PN-Counter merge (entrywise maximum of each half).
// Anomaly: a count can go negative. Two replicas that each see the element once and each
// remove it leave the count at −1; a later add brings it to 0, and the element stays absent
// although the last operation anyone made was an add ("remove then add" may leave it out).
// The paper notes the fix of adding "as much as needed" is not satisfactory either.

import type { Checked, StateCrdt } from './crdt.ts';
import { parsePnCounter, pnApply, pnBelow, pnMerge, pnValue, type PnCounterState } from './pn-counter.ts';
import {
  MAX_ELEMENTS, canonicalCounts, checkUpdate, compareStrings, describeValue, elementError, fail, isRecord, ok, orderOf,
  parseSetUpdate, type SetUpdate,
} from './support.ts';

export interface PnSetEntry extends PnCounterState {
  element: string;
}

export type PnSetState = PnSetEntry[];
export type PnSetUpdate = SetUpdate;

const parseUpdate = (raw: unknown) => parseSetUpdate(raw, ['add', 'remove']);
const byElement = (a: PnSetEntry, b: PnSetEntry) => compareStrings(a.element, b.element);
const EMPTY: PnCounterState = { decrements: {}, increments: {} };

function entry(element: string, counter: PnCounterState): PnSetEntry {
  return { decrements: counter.decrements, element, increments: counter.increments };
}

/** An entry with both counters empty is the same state as no entry: canonical forms drop it. */
function touched(item: PnSetEntry): boolean {
  return Object.keys(item.decrements).length > 0 || Object.keys(item.increments).length > 0;
}

function apply(state: PnSetState, { op, element }: PnSetUpdate, replica: string): Checked<PnSetState> {
  const current = state.find((other) => other.element === element);
  // As for the other sets, a replica removes only what it sees (count > 0); the count still
  // goes negative when replicas remove the same element concurrently.
  if (op === 'remove' && (current === undefined || pnValue(current) <= 0)) {
    return fail(`${JSON.stringify(element)} is not in the set`);
  }
  if (current === undefined && state.length >= MAX_ELEMENTS) return fail(`a pn-set remembers at most ${MAX_ELEMENTS} elements`);
  const counter = pnApply(current ?? EMPTY, op === 'add' ? 'increment' : 'decrement', replica, 1);
  return ok([...state.filter((other) => other.element !== element), entry(element, counter)].sort(byElement));
}

function merge(a: PnSetState, b: PnSetState): PnSetState {
  const merged = new Map(a.map((item) => [item.element, item]));
  for (const item of b) {
    const other = merged.get(item.element);
    merged.set(item.element, other === undefined ? item : entry(item.element, pnMerge(item, other)));
  }
  return [...merged.values()].sort(byElement);
}

function below(a: PnSetState, b: PnSetState): boolean {
  const entries = new Map(b.map((item) => [item.element, item]));
  return a.every((item) => pnBelow(item, entries.get(item.element) ?? EMPTY));
}

function parseState(raw: unknown): Checked<PnSetState> {
  if (!Array.isArray(raw)) return fail(`a pn-set state must be an array of entries, got ${describeValue(raw)}`);
  if (raw.length > MAX_ELEMENTS) return fail(`a pn-set state holds more than ${MAX_ELEMENTS} entries`);
  const entries: PnSetEntry[] = [];
  for (const item of raw) {
    if (!isRecord(item)) return fail(`a pn-set entry must be an object, got ${describeValue(item)}`);
    const error = elementError(item.element);
    if (error !== null) return fail(error);
    const { element, ...counter } = item;
    const parsed = parsePnCounter(counter, `the counter of ${JSON.stringify(element)}`);
    if (!parsed.ok) return parsed;
    entries.push(entry(element as string, parsed.value));
  }
  if (new Set(entries.map((item) => item.element)).size !== entries.length) return fail('a pn-set state lists an element twice');
  return ok(entries.filter(touched).sort(byElement));
}

export const PN_SET: StateCrdt<PnSetState, PnSetUpdate, string[]> = {
  name: 'pn-set',
  usesTimestamps: false,
  initial: () => [],
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    return checked.ok ? apply(state, checked.value, context.replica) : checked;
  },
  merge,
  value: (state) => state.filter((item) => pnValue(item) > 0).map((item) => item.element),
  compare: (a, b) => orderOf(below(a, b), below(b, a)),
  canonical: (state) => [...state].sort(byElement).map((item) => entry(item.element, {
    decrements: canonicalCounts(item.decrements), increments: canonicalCounts(item.increments),
  })).filter(touched),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'a pn-counter per element; the element is in the set while its count is positive',
    merge: 'per element, the pn-counter merge',
    anomaly: 'concurrent removes drive a count negative, so a later add can leave the element absent',
  }),
};
