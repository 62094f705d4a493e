// G-Counter: a grow-only counter (Shapiro et al. 2011, §3.1.1, Specification 6; the book, §5:
// "Grow-only counter (merge = max(values); payload = single integer)").
//
// Guarantees: the value is the number of increments made anywhere, whatever the order,
// duplication or grouping of merges — each replica counts its own increments in its own slot,
// so no two replicas ever write the same number.
// Payload: one non-negative count per replica (`{ n1: 3, n2: 1 }`), zero slots omitted.
// Merge: the entrywise maximum (a replica's slot only grows, so the larger one is newer).
// Anomaly: none in its own terms, but it can only grow: there is no decrement, and the state
// grows with the number of replicas that ever incremented it.

import type { StateCrdt } from './crdt.ts';
import {
  addCount, canonicalCounts, checkAmount, checkOp, checkUpdate, countsBelow, maxCounts, ok, orderOf, parseCounts,
  sumCounts, type Counts,
} from './support.ts';

export type GCounterState = Counts;

export interface GCounterUpdate {
  op: 'increment';
  /** A positive integer; 1 when absent. */
  amount?: number;
}

function parseUpdate(raw: unknown) {
  const checked = checkOp(raw, ['increment'], ['amount']);
  if (!checked.ok) return checked;
  const amount = checkAmount(checked.value.amount);
  return amount.ok ? ok<GCounterUpdate>({ op: 'increment', amount: amount.value }) : amount;
}

export const G_COUNTER: StateCrdt<GCounterState, GCounterUpdate, number> = {
  name: 'g-counter',
  usesTimestamps: false,
  initial: () => ({}),
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    if (!checked.ok) return checked;
    return ok(addCount(state, context.replica, checked.value.amount ?? 1));
  },
  merge: (a, b) => maxCounts(a, b),
  value: (state) => sumCounts(state),
  compare: (a, b) => orderOf(countsBelow(a, b), countsBelow(b, a)),
  canonical: (state) => canonicalCounts(state),
  parseState: (raw) => parseCounts(raw, 'a g-counter state'),
  parseUpdate,
  describe: () => ({
    payload: 'one count per replica; the value is their sum',
    merge: 'entrywise maximum',
    anomaly: 'it only grows: there is no decrement (use a pn-counter)',
  }),
};
