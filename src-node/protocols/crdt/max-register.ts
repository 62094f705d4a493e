// Max-Register: the largest integer ever proposed (the book, §5 "Disorderly programming":
// "assume that we are looking to find the largest value (e.g. MAX()) for a set of integers …
// both A and B will converge to 7"; its lattice is the book's "strictly increasing integer"
// drawn beside the set of subsets).
//
// Guarantees: every replica ends with the maximum of the values proposed anywhere, whatever
// the order, duplication or grouping of merges: max is associative, commutative and idempotent.
// Payload: one integer, or null before the first proposal (the bottom of the lattice).
// Merge: the larger one.
// Anomaly: it keeps only the maximum: a smaller proposal changes nothing and is not
// remembered, so it cannot count, sum or undo anything (use a counter for that).

import type { Checked, StateCrdt } from './crdt.ts';
import { MAX_AMOUNT, checkOp, checkUpdate, describeValue, fail, ok, orderOf } from './support.ts';

/** null: nothing proposed yet. */
export type MaxRegisterState = number | null;

export interface MaxRegisterUpdate {
  op: 'max';
  /** An integer in [−MAX_AMOUNT, MAX_AMOUNT]. */
  value: number;
}

function checkValue(raw: unknown, what: string): Checked<number> {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || Math.abs(raw) > MAX_AMOUNT) {
    return fail(`${what} must be an integer from ${-MAX_AMOUNT} to ${MAX_AMOUNT}, got ${describeValue(raw)}`);
  }
  return ok(raw);
}

function parseUpdate(raw: unknown): Checked<MaxRegisterUpdate> {
  const checked = checkOp(raw, ['max'], ['value']);
  if (!checked.ok) return checked;
  const value = checkValue(checked.value.value, 'the value of a max update');
  return value.ok ? ok({ op: 'max', value: value.value }) : value;
}

const larger = (a: MaxRegisterState, b: MaxRegisterState): MaxRegisterState => (a === null ? b : b === null ? a : Math.max(a, b));
const atMost = (a: MaxRegisterState, b: MaxRegisterState): boolean => a === null || (b !== null && a <= b);

export const MAX_REGISTER: StateCrdt<MaxRegisterState, MaxRegisterUpdate, number | null> = {
  name: 'max-register',
  usesTimestamps: false,
  initial: () => null,
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    return checked.ok ? ok(larger(state, checked.value.value)) : checked;
  },
  merge: larger,
  value: (state) => state,
  compare: (a, b) => orderOf(atMost(a, b), atMost(b, a)),
  canonical: (state) => state,
  parseState: (raw) => (raw === null ? ok(null) : checkValue(raw, 'a max-register state')),
  parseUpdate,
  describe: () => ({
    payload: 'one integer: the largest proposed so far (null before the first)',
    merge: 'the larger of the two',
    anomaly: 'it keeps only the maximum: smaller proposals leave no trace (it cannot count or sum)',
  }),
};
