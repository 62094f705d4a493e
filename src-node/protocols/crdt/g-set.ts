// G-Set: a grow-only set (Shapiro et al. 2011, §3.3.1, Specification 11; the book, §5:
// "Grow-only set (merge = union(items); payload = set; no removal)").
//
// Guarantees: an element added anywhere is eventually in the set everywhere, and stays.
// Payload: the sorted list of elements (strings).
// Merge: union.
// Anomaly: none in its own terms, but nothing can be removed — "if you will only ever add
// items to a set and never remove them, then a grow-only set works".

import type { Checked, StateCrdt } from './crdt.ts';
import {
  MAX_ELEMENTS, checkUpdate, fail, ok, orderOf, parseElements, parseSetUpdate, sortedUnique, type SetUpdate,
} from './support.ts';

export type GSetState = string[];
export type GSetUpdate = SetUpdate & { op: 'add' };

const parseUpdate = (raw: unknown) => parseSetUpdate(raw, ['add']) as Checked<GSetUpdate>;

function subset(a: GSetState, b: GSetState): boolean {
  const members = new Set(b);
  return a.every((element) => members.has(element));
}

export const G_SET: StateCrdt<GSetState, GSetUpdate, string[]> = {
  name: 'g-set',
  usesTimestamps: false,
  initial: () => [],
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    if (!checked.ok) return checked;
    if (state.length >= MAX_ELEMENTS && !state.includes(checked.value.element)) {
      return fail(`a g-set holds at most ${MAX_ELEMENTS} elements`);
    }
    return ok(sortedUnique([...state, checked.value.element]));
  },
  merge: (a, b) => sortedUnique([...a, ...b]),
  value: (state) => state,
  compare: (a, b) => orderOf(subset(a, b), subset(b, a)),
  canonical: (state) => sortedUnique(state),
  parseState: (raw) => parseElements(raw, 'a g-set state'),
  parseUpdate,
  describe: () => ({
    payload: 'the set of elements added',
    merge: 'union',
    anomaly: 'nothing can be removed',
  }),
};
