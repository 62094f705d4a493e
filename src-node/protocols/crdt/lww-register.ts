// LWW-Register: a last-writer-wins register (Shapiro et al. 2011, §3.2.1, Specification 8;
// the book, §5: "Last Write Wins -register (timestamps or version numbers; merge = max(ts);
// payload = blob)").
//
// Guarantees: every replica ends with the value of the write with the greatest stamp
// (timestamp, then replica id), whatever the order of merges. A replica's own writes are
// ordered as it made them (see `nextStamp`).
// Payload: `{ stamp, value }`; `stamp` is null until the first write, and the value is null.
// Merge: keep the side with the greater stamp.
// Anomaly: "last" means the greatest clock reading, not the latest in real time: of two
// writes that have not seen each other, the one from the replica whose clock runs ahead wins,
// even when it was made earlier — a skewed clock makes an older write win — and the other
// write is silently lost. The book's register: "if writes are reordered, the one of the writes
// will overwrite the other".

import type { Checked, Json, StateCrdt } from './crdt.ts';
import {
  checkJson, checkOp, checkUpdate, compareStamps, compareStrings, fail, isRecord, nextStamp, ok, orderOf,
  parseStamp, shapeError, type Stamp,
} from './support.ts';

export interface LwwRegisterState {
  stamp: Stamp | null;
  value: Json;
}

export interface LwwRegisterUpdate {
  op: 'assign';
  value: Json;
}

function parseUpdate(raw: unknown): Checked<LwwRegisterUpdate> {
  const checked = checkOp(raw, ['assign'], ['value']);
  if (!checked.ok) return checked;
  if (!Object.hasOwn(checked.value, 'value')) return fail('an assign update lacks "value"');
  const value = checkJson(checked.value.value);
  return value.ok ? ok({ op: 'assign', value: value.value }) : value;
}

/**
 * Total order of register states. Equal stamps with different values arise only from a
 * replica that forgot its own writes (restarted without its state); the JSON of the value
 * then decides, so that merge stays commutative.
 */
function compareStates(a: LwwRegisterState, b: LwwRegisterState): number {
  if (a.stamp === null || b.stamp === null) return (a.stamp === null ? 0 : 1) - (b.stamp === null ? 0 : 1);
  return compareStamps(a.stamp, b.stamp) || compareStrings(JSON.stringify(a.value), JSON.stringify(b.value));
}

function parseState(raw: unknown): Checked<LwwRegisterState> {
  const shape = shapeError(raw, 'an lww-register state', ['stamp', 'value']);
  if (shape !== null || !isRecord(raw)) return fail(shape ?? 'an lww-register state must be an object');
  const value = checkJson(raw.value);
  if (!value.ok) return value;
  if (raw.stamp === null) {
    return value.value === null ? ok({ stamp: null, value: null }) : fail('an unwritten lww-register holds null');
  }
  const stamp = parseStamp(raw.stamp, 'an lww-register stamp');
  return stamp.ok ? ok({ stamp: stamp.value, value: value.value }) : stamp;
}

export const LWW_REGISTER: StateCrdt<LwwRegisterState, LwwRegisterUpdate, Json> = {
  name: 'lww-register',
  usesTimestamps: true,
  initial: () => ({ stamp: null, value: null }),
  update(state, update, context) {
    const checked = checkUpdate(update, context, true, parseUpdate);
    if (!checked.ok) return checked;
    const stamp = nextStamp(context.replica, context.timestampMs as number, state.stamp);
    return ok({ stamp, value: checked.value.value });
  },
  merge: (a, b) => (compareStates(a, b) >= 0 ? a : b),
  value: (state) => state.value,
  compare(a, b) {
    const order = compareStates(a, b);
    return orderOf(order <= 0, order >= 0);
  },
  canonical: (state) => ({
    stamp: state.stamp === null ? null : { replica: state.stamp.replica, timestampMs: state.stamp.timestampMs },
    value: state.value,
  }),
  parseState,
  parseUpdate,
  describe: () => ({
    payload: 'one value and the stamp (timestamp, replica) of the write that set it',
    merge: 'keep the greater stamp',
    anomaly: 'of two concurrent writes one is lost, and a replica whose clock runs ahead wins even with an older write',
  }),
};
