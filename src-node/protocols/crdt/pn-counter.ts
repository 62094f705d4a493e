// PN-Counter: a counter that goes up and down (Shapiro et al. 2011, §3.1.2, Specification 7;
// the book, §5: "Positive-negative counter (consists of two grow counters, one for increments
// and another for decrements)").
//
// Guarantees: the value is (increments made anywhere) − (decrements made anywhere): the
// book's "Debiting or crediting can be applied in any order, and the end result is the same",
// where a register written with the new balance would lose one of two concurrent credits.
// Payload: two G-Counters, `{ decrements, increments }`.
// Merge: each G-Counter merged on its own (entrywise maximum).
// Anomaly: no invariant over the value holds across replicas: two replicas that each see a
// balance of 10 can each debit 10, and the balance goes to −10. Keeping it ≥ 0 needs
// coordination (or escrow), which a CRDT does not do.

import type { Checked, StateCrdt } from './crdt.ts';
import {
  addCount, canonicalCounts, checkAmount, checkOp, checkUpdate, countsBelow, fail, isRecord, maxCounts,
  ok, orderOf, parseCounts, shapeError, sumCounts, type Counts,
} from './support.ts';

export interface PnCounterState {
  decrements: Counts;
  increments: Counts;
}

export interface PnCounterUpdate {
  op: 'increment' | 'decrement';
  /** A positive integer; 1 when absent. */
  amount?: number;
}

function parseUpdate(raw: unknown): Checked<PnCounterUpdate> {
  const checked = checkOp(raw, ['increment', 'decrement'], ['amount']);
  if (!checked.ok) return checked;
  const amount = checkAmount(checked.value.amount);
  if (!amount.ok) return amount;
  return ok({ op: checked.value.op as PnCounterUpdate['op'], amount: amount.value });
}

/** Also the per-element payload of the PN-Set. */
export function parsePnCounter(raw: unknown, what: string): Checked<PnCounterState> {
  const shape = shapeError(raw, what, ['decrements', 'increments']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? `${what} must be an object`);
  const decrements = parseCounts(raw.decrements, `${what}.decrements`);
  if (!decrements.ok) return decrements;
  const increments = parseCounts(raw.increments, `${what}.increments`);
  if (!increments.ok) return increments;
  return ok({ decrements: decrements.value, increments: increments.value });
}

export function pnValue(state: PnCounterState): number {
  return sumCounts(state.increments) - sumCounts(state.decrements);
}

export function pnMerge(a: PnCounterState, b: PnCounterState): PnCounterState {
  return { decrements: maxCounts(a.decrements, b.decrements), increments: maxCounts(a.increments, b.increments) };
}

export function pnBelow(a: PnCounterState, b: PnCounterState): boolean {
  return countsBelow(a.decrements, b.decrements) && countsBelow(a.increments, b.increments);
}

export function pnApply(state: PnCounterState, op: PnCounterUpdate['op'], replica: string, amount: number): PnCounterState {
  return op === 'increment'
    ? { decrements: state.decrements, increments: addCount(state.increments, replica, amount) }
    : { decrements: addCount(state.decrements, replica, amount), increments: state.increments };
}

export const PN_COUNTER: StateCrdt<PnCounterState, PnCounterUpdate, number> = {
  name: 'pn-counter',
  usesTimestamps: false,
  initial: () => ({ decrements: {}, increments: {} }),
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    if (!checked.ok) return checked;
    return ok(pnApply(state, checked.value.op, context.replica, checked.value.amount ?? 1));
  },
  merge: pnMerge,
  value: pnValue,
  compare: (a, b) => orderOf(pnBelow(a, b), pnBelow(b, a)),
  canonical: (state) => ({ decrements: canonicalCounts(state.decrements), increments: canonicalCounts(state.increments) }),
  parseState: (raw) => parsePnCounter(raw, 'a pn-counter state'),
  parseUpdate,
  describe: () => ({
    payload: 'two g-counters, increments and decrements; the value is their difference',
    merge: 'each g-counter by entrywise maximum',
    anomaly: 'no invariant on the value: concurrent decrements can take it below zero',
  }),
};
