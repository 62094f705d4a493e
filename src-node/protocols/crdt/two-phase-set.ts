// 2P-Set: a two-phase set (Shapiro et al. 2011, §3.3.2, Specification 12; the book, §5:
// "Two-phase set (consists of two sets, one for adding, and another for removing; elements
// can be added once and removed once)").
//
// Guarantees: an element is in the set when some replica added it and none removed it; a
// removal is final everywhere, whatever the order in which replicas learn of it.
// Payload: `{ added, removed }`, two sorted lists (G-Sets); `removed` ⊆ `added` (the removed
// set holds the "tombstones").
// Merge: union of each.
// Anomaly: remove wins, forever: once removed, an element cannot be re-added. A replica that
// knows of the removal refuses the add; one that does not accepts it, and the add then
// vanishes when the removal arrives. Tombstones are never collected.

import type { Checked, StateCrdt } from './crdt.ts';
import {
  MAX_ELEMENTS, checkUpdate, fail, isRecord, ok, orderOf, parseElements, parseSetUpdate, shapeError, sortedUnique,
  type SetUpdate,
} from './support.ts';

export interface TwoPhaseSetState {
  added: string[];
  removed: string[];
}

export type TwoPhaseSetUpdate = SetUpdate;

const parseUpdate = (raw: unknown) => parseSetUpdate(raw, ['add', 'remove']);

function subset(a: string[], b: string[]): boolean {
  const members = new Set(b);
  return a.every((element) => members.has(element));
}

function apply(state: TwoPhaseSetState, { op, element }: TwoPhaseSetUpdate): Checked<TwoPhaseSetState> {
  const removed = state.removed.includes(element);
  if (op === 'add') {
    if (removed) return fail(`${JSON.stringify(element)} was removed, and a 2p-set element cannot be re-added`);
    if (state.added.length >= MAX_ELEMENTS) return fail(`a 2p-set remembers at most ${MAX_ELEMENTS} elements`);
    return ok({ added: sortedUnique([...state.added, element]), removed: state.removed });
  }
  // The paper's precondition lookup(e): only an element that is in the set can be removed.
  if (removed || !state.added.includes(element)) return fail(`${JSON.stringify(element)} is not in the set`);
  return ok({ added: state.added, removed: sortedUnique([...state.removed, element]) });
}

function parseState(raw: unknown): Checked<TwoPhaseSetState> {
  const shape = shapeError(raw, 'a 2p-set state', ['added', 'removed']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'a 2p-set state must be an object');
  const added = parseElements(raw.added, 'a 2p-set added');
  if (!added.ok) return added;
  const removed = parseElements(raw.removed, 'a 2p-set removed');
  if (!removed.ok) return removed;
  if (!subset(removed.value, added.value)) return fail('a 2p-set can only have removed elements that were added');
  return ok({ added: added.value, removed: removed.value });
}

export const TWO_PHASE_SET: StateCrdt<TwoPhaseSetState, TwoPhaseSetUpdate, string[]> = {
  name: '2p-set',
  usesTimestamps: false,
  initial: () => ({ added: [], removed: [] }),
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    return checked.ok ? apply(state, checked.value) : checked;
  },
  merge: (a, b) => ({ added: sortedUnique([...a.added, ...b.added]), removed: sortedUnique([...a.removed, ...b.removed]) }),
  value(state) {
    const removed = new Set(state.removed);
    return state.added.filter((element) => !removed.has(element));
  },
  compare: (a, b) => orderOf(
    subset(a.added, b.added) && subset(a.removed, b.removed),
    subset(b.added, a.added) && subset(b.removed, a.removed),
  ),
  canonical: (state) => ({ added: sortedUnique(state.added), removed: sortedUnique(state.removed) }),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'two g-sets: the elements added and the elements removed (tombstones)',
    merge: 'union of each',
    anomaly: 'remove wins forever: a removed element can never be re-added',
  }),
};
