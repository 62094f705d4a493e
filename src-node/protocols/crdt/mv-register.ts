// MV-Register: a multi-value register (Shapiro et al. 2011, §3.2.2, Specification 10; the
// book, §5: "Multi-valued -register (vector clocks; merge = take both)" — "the Dynamo strategy
// of retaining, exposing and reconciling concurrent changes").
//
// Guarantees: no write is lost silently. A write overwrites exactly the writes its replica had
// seen (those whose vector clocks are below its own); writes that have not seen each other
// are all kept, and a read returns every one of them.
// Payload: a list of `{ clock, value }`, no clock below another, sorted by their JSON. Empty
// until the first write.
// Merge: the union of both lists, less every pair whose clock is below another's.
// Anomaly: a read can return several values — concurrent writes surface as siblings that the
// application must reconcile (by writing again, having read them). The paper also notes that
// the same value written concurrently appears twice in the payload (once per clock).

import type { VectorClock } from '../../contract/clock.ts';
import { compare as compareClocks, tick } from '../clocks/vector-clock.ts';
import type { Checked, Json, StateCrdt } from './crdt.ts';
import {
  MAX_REPLICAS, canonicalClock, checkJson, checkOp, checkUpdate, compareStrings, describeValue, fail, maxCounts,
  ok, orderOf, parseCounts, shapeError, isRecord,
} from './support.ts';

export interface MvVersion {
  clock: VectorClock;
  value: Json;
}

export type MvRegisterState = MvVersion[];

export interface MvRegisterUpdate {
  op: 'assign';
  value: Json;
}

function parseUpdate(raw: unknown): Checked<MvRegisterUpdate> {
  const checked = checkOp(raw, ['assign'], ['value']);
  if (!checked.ok) return checked;
  if (!Object.hasOwn(checked.value, 'value')) return fail('an assign update lacks "value"');
  const value = checkJson(checked.value.value);
  return value.ok ? ok({ op: 'assign', value: value.value }) : value;
}

const versionKey = (version: MvVersion): string => JSON.stringify(version);

/** The versions that no other version supersedes, deduplicated and sorted. */
function maximal(versions: MvVersion[]): MvRegisterState {
  const unique = new Map(versions.map((version) => [versionKey(version), version]));
  const kept = [...unique.values()].filter(
    (version) => ![...unique.values()].some((other) => compareClocks(version.clock, other.clock) === 'before'),
  );
  return kept.sort((a, b) => compareStrings(versionKey(a), versionKey(b)));
}

/** a ≤ b: each version of a is in b or superseded by one of b. */
function below(a: MvRegisterState, b: MvRegisterState): boolean {
  const keys = new Set(b.map(versionKey));
  return a.every(
    (version) => keys.has(versionKey(version)) || b.some((other) => compareClocks(version.clock, other.clock) === 'before'),
  );
}

function parseState(raw: unknown): Checked<MvRegisterState> {
  if (!Array.isArray(raw)) return fail(`an mv-register state must be an array of versions, got ${describeValue(raw)}`);
  if (raw.length > MAX_REPLICAS) return fail(`an mv-register state holds more than ${MAX_REPLICAS} versions`);
  const versions: MvVersion[] = [];
  for (const item of raw) {
    const shape = shapeError(item, 'an mv-register version', ['clock', 'value']);
    if (shape !== null || !isRecord(item)) return fail(shape ?? 'an mv-register version must be an object');
    const clock = parseCounts(item.clock, 'an mv-register clock');
    if (!clock.ok) return clock;
    if (Object.keys(clock.value).length === 0) return fail('an mv-register version needs a non-zero clock');
    const value = checkJson(item.value);
    if (!value.ok) return value;
    versions.push({ clock: clock.value, value: value.value });
  }
  return ok(maximal(versions));
}

export const MV_REGISTER: StateCrdt<MvRegisterState, MvRegisterUpdate, Json[]> = {
  name: 'mv-register',
  usesTimestamps: false,
  initial: () => [],
  update(state, update, context) {
    const checked = checkUpdate(update, context, false, parseUpdate);
    if (!checked.ok) return checked;
    // The new clock dominates every version this replica has seen, so it supersedes them all.
    const seen = state.reduce<VectorClock>((clock, version) => maxCounts(clock, version.clock), {});
    return ok([{ clock: canonicalClock(tick(seen, context.replica)), value: checked.value.value }]);
  },
  merge: (a, b) => maximal([...a, ...b]),
  value: (state) => {
    const values = new Map(state.map((version) => [JSON.stringify(version.value), version.value]));
    return [...values.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, value]) => value);
  },
  compare: (a, b) => orderOf(below(a, b), below(b, a)),
  canonical: (state) => maximal(state.map((version) => ({ clock: canonicalClock(version.clock), value: version.value }))),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'the values of the latest concurrent writes, each with its vector clock',
    merge: 'union, dropping every version whose clock is below another',
    anomaly: 'a read may return several concurrent values that the application must reconcile',
  }),
};
