// OR-Set: the observed-remove set (Shapiro et al. 2011, §3.3.5, Specification 15; the book,
// §5: "Observed-remove set"), in the compact form of Bieniusa, Zawirski, Preguiça, Shapiro,
// Baquero, Balegas and Duarte, "An optimized conflict-free replicated set" (2012): a version
// vector stands for the paper's tombstones.
//
// Guarantees: a remove removes exactly the adds its replica had observed. Each add is tagged
// with a unique tag — (replica, counter), the replica's next entry in its version vector, no
// randomness — and a remove retires the tags it saw, so an add concurrent with a remove has a
// tag the remove did not see, and survives. Elements can be added and removed any number of
// times, with the result a user would expect whenever operations are not concurrent.
// Payload: `{ clock, entries }`. `clock` is a version vector: the tags (r, 1…clock[r]) are
// every tag this replica knows of. `entries` lists, sorted by element, the live tags of each
// element in the set; a known tag that is in no entry has been removed. An add also retires
// the tags of that element it observed, so an element keeps at most one tag per replica.
// Merge: union of the clocks; a tag stays live if both sides have it live, or if one side has
// it live and the other has never heard of it (it is not under the other's clock).
// Anomaly: add wins: an add concurrent with a remove of the same element survives it, so a
// remove is not final — the element comes back after a partition heals, although the replica
// that removed it saw it go. (The 2P-Set and LWW-element-Set resolve the same schedule the
// other way.)

import type { ProcessId, VectorClock } from '../../contract/clock.ts';
import type { Checked, StateCrdt } from './crdt.ts';
import {
  MAX_ELEMENTS, MAX_REPLICAS, addCount, canonicalCounts, checkUpdate, compareStrings, countOf, countsBelow,
  describeValue, elementError, fail, isRecord, maxCounts, ok, orderOf, parseCounts, parseSetUpdate, replicaError,
  shapeError, type SetUpdate,
} from './support.ts';

/** A unique tag: the replica that added, and its counter at that add. */
export type Tag = [ProcessId, number];

export interface OrSetEntry {
  element: string;
  /** The live tags of the element, sorted; never empty. */
  tags: Tag[];
}

export interface OrSetState {
  clock: VectorClock;
  entries: OrSetEntry[];
}

export type OrSetUpdate = SetUpdate;

const parseUpdate = (raw: unknown) => parseSetUpdate(raw, ['add', 'remove']);
const byElement = (a: OrSetEntry, b: OrSetEntry) => compareStrings(a.element, b.element);
const tagKey = (tag: Tag) => `${tag[0]} ${tag[1]}`;
const byTag = (a: Tag, b: Tag) => compareStrings(a[0], b[0]) || a[1] - b[1];

/** True when a replica with this clock knows of the tag (live or removed). */
function covered(tag: Tag, clock: VectorClock): boolean {
  return tag[1] <= countOf(clock, tag[0]);
}

function apply(state: OrSetState, { op, element }: OrSetUpdate, replica: ProcessId): Checked<OrSetState> {
  const others = state.entries.filter((entry) => entry.element !== element);
  if (op === 'remove') {
    // The paper's precondition lookup(e): a replica removes only the adds it observed.
    if (others.length === state.entries.length) return fail(`${JSON.stringify(element)} is not in the set`);
    return ok({ clock: state.clock, entries: others });
  }
  if (others.length === state.entries.length && others.length >= MAX_ELEMENTS) {
    return fail(`an or-set holds at most ${MAX_ELEMENTS} elements`);
  }
  const clock = addCount(state.clock, replica, 1);
  const tag: Tag = [replica, countOf(clock, replica)];
  return ok({ clock, entries: [...others, { element, tags: [tag] }].sort(byElement) });
}

function liveTags(state: OrSetState): Map<string, OrSetEntry> {
  return new Map(state.entries.map((entry) => [entry.element, entry]));
}

function merge(a: OrSetState, b: OrSetState): OrSetState {
  const entriesA = liveTags(a);
  const entriesB = liveTags(b);
  const entries: OrSetEntry[] = [];
  for (const element of new Set([...entriesA.keys(), ...entriesB.keys()])) {
    const tagsA = entriesA.get(element)?.tags ?? [];
    const tagsB = entriesB.get(element)?.tags ?? [];
    const keysA = new Set(tagsA.map(tagKey));
    const keysB = new Set(tagsB.map(tagKey));
    const tags = [
      ...tagsA.filter((tag) => keysB.has(tagKey(tag)) || !covered(tag, b.clock)),
      ...tagsB.filter((tag) => !keysA.has(tagKey(tag)) && !covered(tag, a.clock)),
    ];
    if (tags.length > 0) entries.push({ element, tags: tags.sort(byTag) });
  }
  return { clock: maxCounts(a.clock, b.clock), entries: entries.sort(byElement) };
}

/** a ≤ b: b knows every tag a knows, and every tag live in b that a knows is live in a too. */
function below(a: OrSetState, b: OrSetState): boolean {
  if (!countsBelow(a.clock, b.clock)) return false;
  const liveInA = new Set(a.entries.flatMap((entry) => entry.tags.map(tagKey)));
  return b.entries.every((entry) => entry.tags.every((tag) => !covered(tag, a.clock) || liveInA.has(tagKey(tag))));
}

function parseTag(raw: unknown, clock: VectorClock): Checked<Tag> {
  if (!Array.isArray(raw) || raw.length !== 2) return fail(`an or-set tag must be [replica, counter], got ${describeValue(raw)}`);
  const [replica, counter] = raw as unknown[];
  const error = replicaError(replica);
  if (error !== null) return fail(`an or-set tag: ${error}`);
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1) {
    return fail(`an or-set tag's counter must be a positive integer, got ${describeValue(counter)}`);
  }
  const tag: Tag = [replica as string, counter];
  return covered(tag, clock) ? ok(tag) : fail(`the or-set tag ${JSON.stringify(tag)} is beyond the state's clock`);
}

function parseEntry(raw: unknown, clock: VectorClock): Checked<OrSetEntry> {
  const shape = shapeError(raw, 'an or-set entry', ['element', 'tags']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'an or-set entry must be an object');
  const error = elementError(raw.element);
  if (error !== null) return fail(error);
  if (!Array.isArray(raw.tags) || raw.tags.length === 0 || raw.tags.length > MAX_REPLICAS) {
    return fail(`the tags of an or-set entry must be a list of 1 to ${MAX_REPLICAS} tags`);
  }
  const tags: Tag[] = [];
  for (const item of raw.tags) {
    const tag = parseTag(item, clock);
    if (!tag.ok) return tag;
    tags.push(tag.value);
  }
  return ok({ element: raw.element as string, tags: tags.sort(byTag) });
}

function parseState(raw: unknown): Checked<OrSetState> {
  const shape = shapeError(raw, 'an or-set state', ['clock', 'entries']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'an or-set state must be an object');
  const clock = parseCounts(raw.clock, 'an or-set clock');
  if (!clock.ok) return clock;
  if (!Array.isArray(raw.entries) || raw.entries.length > MAX_ELEMENTS) {
    return fail(`the entries of an or-set state must be a list of at most ${MAX_ELEMENTS} entries`);
  }
  const entries: OrSetEntry[] = [];
  for (const item of raw.entries) {
    const entry = parseEntry(item, clock.value);
    if (!entry.ok) return entry;
    entries.push(entry.value);
  }
  if (new Set(entries.map((entry) => entry.element)).size !== entries.length) return fail('an or-set state lists an element twice');
  const tags = entries.flatMap((entry) => entry.tags.map(tagKey));
  if (new Set(tags).size !== tags.length) return fail('an or-set state uses a tag twice: tags are unique');
  return ok({ clock: clock.value, entries: entries.sort(byElement) });
}

export const OR_SET: StateCrdt<OrSetState, OrSetUpdate, string[]> = {
  name: 'or-set',
  usesTimestamps: false,
  initial: () => ({ clock: {}, entries: [] }),
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    return checked.ok ? apply(state, checked.value, context.replica) : checked;
  },
  merge,
  value: (state) => state.entries.map((entry) => entry.element),
  compare: (a, b) => orderOf(below(a, b), below(b, a)),
  canonical: (state) => ({
    clock: canonicalCounts(state.clock),
    entries: state.entries
      .filter((entry) => entry.tags.length > 0)
      .map((entry) => ({ element: entry.element, tags: [...entry.tags].sort(byTag) }))
      .sort(byElement),
  }),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'a version vector of known tags (replica, counter) and the live tags of each element',
    merge: 'union of the vectors; a tag stays live unless one side knows it and has removed it',
    anomaly: 'add wins: an add concurrent with a remove survives it, so a removed element can come back',
  }),
};
