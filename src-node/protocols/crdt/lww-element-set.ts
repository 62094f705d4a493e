// LWW-element-Set: a last-writer-wins set (Shapiro et al. 2011, §3.3.3, Specification 13; the
// book, §5: "Last write wins set (merge = max(ts); payload = set)").
//
// Guarantees: an element is in the set when its latest add has a greater stamp (timestamp,
// then replica id) than its latest remove; every replica agrees once it has seen both. Unlike
// the 2P-Set, an element can be removed and added again any number of times.
// Payload: one entry per element ever added, sorted by element: `{ added, element, removed }`,
// the greatest add and remove stamps seen (only the greatest matters, so the paper's sets of
// timestamped pairs shrink to one stamp each).
// Merge: per element, the greater add stamp and the greater remove stamp.
// Anomaly: the order of concurrent add and remove is decided by clocks: the operation of the
// replica whose clock runs ahead wins, even when it happened earlier in real time, and the
// other is silently lost. Remove entries are never collected.

import type { Checked, StateCrdt } from './crdt.ts';
import {
  MAX_ELEMENTS, checkUpdate, compareStamps, compareStrings, describeValue, elementError, fail, nextStamp, ok,
  orderOf, parseSetUpdate, parseStamp, shapeError, isRecord, type SetUpdate, type Stamp,
} from './support.ts';

export interface LwwEntry {
  added: Stamp | null;
  element: string;
  removed: Stamp | null;
}

export type LwwElementSetState = LwwEntry[];
export type LwwElementSetUpdate = SetUpdate;

const parseUpdate = (raw: unknown) => parseSetUpdate(raw, ['add', 'remove']);

function later(a: Stamp | null, b: Stamp | null): Stamp | null {
  if (a === null || b === null) return a ?? b;
  return compareStamps(a, b) >= 0 ? a : b;
}

function stampBelow(a: Stamp | null, b: Stamp | null): boolean {
  return a === null || (b !== null && compareStamps(a, b) <= 0);
}

/** Present when added after the last removal. On an exact tie, add wins (it cannot happen between replicas). */
function present(entry: LwwEntry): boolean {
  return entry.added !== null && (entry.removed === null || compareStamps(entry.added, entry.removed) >= 0);
}

const byElement = (a: LwwEntry, b: LwwEntry) => compareStrings(a.element, b.element);

function apply(state: LwwElementSetState, { op, element }: LwwElementSetUpdate, replica: string, timestampMs: number) {
  const current = state.find((entry) => entry.element === element);
  if (op === 'remove' && (current === undefined || !present(current))) {
    return fail<LwwElementSetState>(`${JSON.stringify(element)} is not in the set`);
  }
  if (current === undefined && state.length >= MAX_ELEMENTS) {
    return fail<LwwElementSetState>(`an lww-element-set remembers at most ${MAX_ELEMENTS} elements`);
  }
  const entry = current ?? { added: null, element, removed: null };
  const stamp = nextStamp(replica, timestampMs, later(entry.added, entry.removed));
  const next = op === 'add' ? { ...entry, added: stamp } : { ...entry, removed: stamp };
  return ok([...state.filter((other) => other.element !== element), next].sort(byElement));
}

function merge(a: LwwElementSetState, b: LwwElementSetState): LwwElementSetState {
  const merged = new Map(a.map((entry) => [entry.element, entry]));
  for (const entry of b) {
    const other = merged.get(entry.element);
    merged.set(entry.element, other === undefined ? entry : {
      added: later(entry.added, other.added), element: entry.element, removed: later(entry.removed, other.removed),
    });
  }
  return [...merged.values()].sort(byElement);
}

function below(a: LwwElementSetState, b: LwwElementSetState): boolean {
  const entries = new Map(b.map((entry) => [entry.element, entry]));
  return a.every((entry) => {
    const other = entries.get(entry.element);
    return other !== undefined && stampBelow(entry.added, other.added) && stampBelow(entry.removed, other.removed);
  });
}

function parseEntry(raw: unknown): Checked<LwwEntry> {
  const shape = shapeError(raw, 'an lww-element-set entry', ['added', 'element', 'removed']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'an lww-element-set entry must be an object');
  const error = elementError(raw.element);
  if (error !== null) return fail(error);
  const added = raw.added === null ? ok(null) : parseStamp(raw.added, 'an add stamp');
  if (!added.ok) return added;
  const removed = raw.removed === null ? ok(null) : parseStamp(raw.removed, 'a remove stamp');
  if (!removed.ok) return removed;
  if (added.value === null) return fail(`${JSON.stringify(raw.element)} has a remove stamp but was never added`);
  return ok({ added: added.value, element: raw.element as string, removed: removed.value });
}

function parseState(raw: unknown): Checked<LwwElementSetState> {
  if (!Array.isArray(raw)) return fail(`an lww-element-set state must be an array of entries, got ${describeValue(raw)}`);
  if (raw.length > MAX_ELEMENTS) return fail(`an lww-element-set state holds more than ${MAX_ELEMENTS} entries`);
  const entries: LwwEntry[] = [];
  for (const item of raw) {
    const entry = parseEntry(item);
    if (!entry.ok) return entry;
    entries.push(entry.value);
  }
  if (new Set(entries.map((entry) => entry.element)).size !== entries.length) {
    return fail('an lww-element-set state lists an element twice');
  }
  return ok(entries.sort(byElement));
}

export const LWW_ELEMENT_SET: StateCrdt<LwwElementSetState, LwwElementSetUpdate, string[]> = {
  name: 'lww-element-set',
  usesTimestamps: true,
  initial: () => [],
  update(state, update, context) {
    const checked = checkUpdate(update, context, true, parseUpdate);
    return checked.ok ? apply(state, checked.value, context.replica, context.timestampMs as number) : checked;
  },
  merge,
  value: (state) => state.filter(present).map((entry) => entry.element),
  compare: (a, b) => orderOf(below(a, b), below(b, a)),
  canonical: (state) => [...state].sort(byElement).map(({ added, element, removed }) => ({ added, element, removed })),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'per element, the stamps (timestamp, replica) of its latest add and latest remove',
    merge: 'per element, the greater add stamp and the greater remove stamp',
    anomaly: 'concurrent add and remove are ordered by clocks: a skewed clock decides, and the other operation is lost',
  }),
};
