// The anomalies each CRDT accepts, as explicit runs. Each test quotes the sentence of the book
// (Distributed systems for fun and profit, §5) or names the section of Shapiro et al. 2011
// that it illustrates. "Someone using CRDTs must use the right data type to avoid anomalies."

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  G_COUNTER, G_SET, LWW_ELEMENT_SET, LWW_REGISTER, MV_REGISTER, OR_SET, PN_COUNTER, PN_SET, TWO_PHASE_SET,
  type StateCrdt,
} from '../../src-node/protocols/crdt/index.ts';

/** Apply an update that must be accepted. */
function apply<S>(crdt: StateCrdt<S, unknown, unknown>, state: S, replica: string, update: unknown, timestampMs?: number): S {
  const result = crdt.update(state, update, { replica, timestampMs });
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

/** Apply an update that must be refused; returns the error. */
function refuse<S>(crdt: StateCrdt<S, unknown, unknown>, state: S, replica: string, update: unknown, timestampMs?: number): string {
  const result = crdt.update(state, update, { replica, timestampMs });
  assert.equal(result.ok, false, `${crdt.name}: ${JSON.stringify(update)} should be refused`);
  return result.ok ? '' : result.error;
}

const add = (element: string) => ({ op: 'add', element });
const remove = (element: string) => ({ op: 'remove', element });
const assign = (value: unknown) => ({ op: 'assign', value });

type SetCrdt = StateCrdt<unknown, unknown, string[]>;

/** Both directions of merge, which must agree (they are the laws at work). */
function exchanged<S>(crdt: StateCrdt<S, unknown, unknown>, a: S, b: S): S {
  const joined = crdt.merge(a, b);
  assert.deepEqual(crdt.merge(b, a), joined);
  return joined;
}

describe('2P-Set: a removed element cannot be re-added', () => {
  // Reference: book §5: "Two-phase set (consists of two sets, one for adding, and another for
  // removing; elements can be added once and removed once)"
  const set = TWO_PHASE_SET as SetCrdt;

  it('the replica that removed it refuses the re-add', () => {
    let n1 = apply(set, set.initial(), 'n1', add('x'));
    n1 = apply(set, n1, 'n1', remove('x'));
    assert.match(refuse(set, n1, 'n1', add('x')), /"x" was removed, and a 2p-set element cannot be re-added/);
    assert.deepEqual(set.value(n1), []);
  });

  it('a replica that has not heard of the removal accepts the add, which vanishes when the removal arrives', () => {
    let n1 = apply(set, set.initial(), 'n1', add('x'));
    n1 = apply(set, n1, 'n1', remove('x'));
    const n2 = apply(set, set.initial(), 'n2', add('x'));
    assert.deepEqual(set.value(n2), ['x']);
    assert.deepEqual(set.value(exchanged(set, n1, n2)), []);
  });
});

describe('LWW: a skewed clock makes an older write win', () => {
  // Reference: book §5: "a last-write-wins register uses timestamps or some equivalent and
  // simply converges to the largest timestamp value"; "Last Write Wins -register (timestamps or
  // version numbers; merge = max(ts); payload = blob)"
  const HOUR_MS = 3_600_000;

  it('register: n1, an hour fast, writes first; n2 writes a minute later; n1\'s older write wins everywhere', () => {
    const register = LWW_REGISTER as StateCrdt<unknown, unknown, unknown>;
    const realTimeOfFirstMs = 0;
    const realTimeOfSecondMs = 60_000;
    const n1 = apply(register, register.initial(), 'n1', assign('older'), realTimeOfFirstMs + HOUR_MS);
    const n2 = apply(register, register.initial(), 'n2', assign('newer'), realTimeOfSecondMs);
    assert.equal(register.value(exchanged(register, n1, n2)), 'older');
  });

  it('register: a replica whose clock steps back still orders its own writes', () => {
    const register = LWW_REGISTER as StateCrdt<unknown, unknown, unknown>;
    let n1 = apply(register, register.initial(), 'n1', assign('first'), 5_000);
    n1 = apply(register, n1, 'n1', assign('second'), 1_000); // NTP stepped the clock back
    assert.equal(register.value(n1), 'second');
    assert.deepEqual((n1 as { stamp: unknown }).stamp, { replica: 'n1', timestampMs: 5_001 });
  });

  it('element set: a remove from a fast clock beats a later add', () => {
    const set = LWW_ELEMENT_SET as SetCrdt;
    const both = apply(set, set.initial(), 'n1', add('x'), 1_000);
    const n1 = apply(set, both, 'n1', remove('x'), 1_000 + HOUR_MS); // made at real time ~1 s
    const n2 = apply(set, both, 'n2', add('x'), 30_000); // made at real time 30 s
    assert.deepEqual(set.value(exchanged(set, n1, n2)), []);
  });
});

describe('add/remove conflicts: OR-Set, 2P-Set and LWW-element-Set resolve one schedule three ways', () => {
  // Reference: book §5: "if we also allow items to be removed from a set, then we need some way
  // to resolve conflicting operations, such as add(A) and remove(A). [...] This resolution has
  // to be specified in a manner that is order-independent, and there are several different
  // choices with different tradeoffs."
  //
  // The schedule: n1 adds x at t=1; n2 learns of it; then, concurrently, n1 removes x (its
  // clock reads 5) and n2 adds x again (its clock reads `n2ClockMs`); then they exchange.
  function schedule(set: SetCrdt, n2ClockMs: number): string[] {
    const shared = apply(set, set.initial(), 'n1', add('x'), 1);
    const n1 = apply(set, shared, 'n1', remove('x'), 5);
    const n2 = apply(set, shared, 'n2', add('x'), n2ClockMs);
    return set.value(exchanged(set, n1, n2));
  }

  it('OR-Set: add wins — the concurrent add has a tag the remove never observed', () => {
    // Reference: Shapiro et al. 2011, §3.3.5: remove retires only the observed (unique) tags.
    assert.deepEqual(schedule(OR_SET as SetCrdt, 3), ['x']);
    assert.deepEqual(schedule(OR_SET as SetCrdt, 7), ['x']);
  });

  it('2P-Set: remove wins — the removal is final', () => {
    assert.deepEqual(schedule(TWO_PHASE_SET as SetCrdt, 3), []);
    assert.deepEqual(schedule(TWO_PHASE_SET as SetCrdt, 7), []);
  });

  it('LWW-element-Set: the clocks decide — remove wins at n2=3, add wins at n2=7', () => {
    assert.deepEqual(schedule(LWW_ELEMENT_SET as SetCrdt, 3), []);
    assert.deepEqual(schedule(LWW_ELEMENT_SET as SetCrdt, 7), ['x']);
  });

  it('without concurrency, all three do what a user expects: removed stays removed', () => {
    for (const set of [OR_SET, TWO_PHASE_SET, LWW_ELEMENT_SET] as SetCrdt[]) {
      const n1 = apply(set, apply(set, set.initial(), 'n1', add('x'), 1), 'n1', remove('x'), 2);
      assert.deepEqual(set.value(exchanged(set, n1, set.initial())), [], set.name);
    }
  });

  it('OR-Set: an element can be removed and re-added, unlike in the 2P-Set', () => {
    const set = OR_SET as SetCrdt;
    let n1 = apply(set, set.initial(), 'n1', add('x'));
    n1 = apply(set, n1, 'n1', remove('x'));
    n1 = apply(set, n1, 'n1', add('x'));
    assert.deepEqual(set.value(n1), ['x']);
  });
});

describe('MV-Register: concurrent writes are both kept and exposed', () => {
  // Reference: book §5: "Multi-valued -register (vector clocks; merge = take both)" and "a
  // multi-valued register corresponds to the Dynamo strategy of retaining, exposing and
  // reconciling concurrent changes"
  const register = MV_REGISTER as StateCrdt<unknown, unknown, unknown[]>;

  it('two concurrent writes: a read returns both; a write that saw both replaces them', () => {
    const n1 = apply(register, register.initial(), 'n1', assign('blue'));
    const n2 = apply(register, register.initial(), 'n2', assign('green'));
    const both = exchanged(register, n1, n2);
    assert.deepEqual(register.value(both), ['blue', 'green']);
    const reconciled = apply(register, both, 'n1', assign('teal'));
    assert.deepEqual(register.value(reconciled), ['teal']);
    assert.deepEqual(register.value(register.merge(reconciled, n2)), ['teal'], 'the old sibling stays superseded');
  });

  it('where the LWW-register silently keeps one of the same two writes', () => {
    const lww = LWW_REGISTER as StateCrdt<unknown, unknown, unknown>;
    const n1 = apply(lww, lww.initial(), 'n1', assign('blue'), 10);
    const n2 = apply(lww, lww.initial(), 'n2', assign('green'), 10);
    assert.equal(lww.value(exchanged(lww, n1, n2)), 'green'); // equal clocks: the replica id decides
  });

  it('a write after a merge supersedes; a write before it does not', () => {
    const n1 = apply(register, register.initial(), 'n1', assign(1));
    const n2 = apply(register, register.merge(register.initial(), n1), 'n2', assign(2));
    assert.deepEqual(register.value(exchanged(register, n1, n2)), [2]);
  });
});

describe('credit and debit: a PN-Counter keeps every credit, a read/write register loses one', () => {
  // Reference: book §5: "Debiting or crediting can be applied in any order, and the end result
  // is the same: 100 + credit(10) + credit(20) = 130 and 100 + credit(20) + credit(10) = 130.
  // However, writing a fixed value cannot be done in any order: [...] 100 + write(130) +
  // write(110) = 110"
  it('PN-Counter: two concurrent credits on a balance of 100 give 130, in either order', () => {
    const counter = PN_COUNTER as StateCrdt<unknown, unknown, number>;
    const opened = apply(counter, counter.initial(), 'n1', { op: 'increment', amount: 100 });
    const n1 = apply(counter, opened, 'n1', { op: 'increment', amount: 10 });
    const n2 = apply(counter, opened, 'n2', { op: 'increment', amount: 20 });
    assert.equal(counter.value(counter.merge(n1, n2)), 130);
    assert.equal(counter.value(counter.merge(n2, n1)), 130);
    const debited = apply(counter, counter.merge(n1, n2), 'n2', { op: 'decrement', amount: 30 });
    assert.equal(counter.value(counter.merge(n1, debited)), 100);
  });

  it('register: each replica reads 100 and writes its new balance; one credit is lost', () => {
    const register = LWW_REGISTER as StateCrdt<unknown, unknown, number>;
    const opened = apply(register, register.initial(), 'n1', assign(100), 1);
    const n1 = apply(register, opened, 'n1', assign(register.value(opened) + 10), 2);
    const n2 = apply(register, opened, 'n2', assign(register.value(opened) + 20), 3);
    assert.equal(register.value(exchanged(register, n1, n2)), 120, 'the credit of 10 is gone');
  });

  it('PN-Counter: no invariant on the value — concurrent debits overdraw', () => {
    // Reference: Shapiro et al. 2011, §3.1: a counter CRDT keeps no invariant such as value ≥ 0.
    const counter = PN_COUNTER as StateCrdt<unknown, unknown, number>;
    const opened = apply(counter, counter.initial(), 'n1', { op: 'increment', amount: 10 });
    const n1 = apply(counter, opened, 'n1', { op: 'decrement', amount: 10 });
    const n2 = apply(counter, opened, 'n2', { op: 'decrement', amount: 10 });
    assert.equal(counter.value(n1), 0);
    assert.equal(counter.value(counter.merge(n1, n2)), -10);
  });
});

describe('PN-Set: counts go negative, and "remove then add" can leave the element out', () => {
  // Reference: book §5: "Positive-negative set (consists of one PN-counter per set item)";
  // Shapiro et al. 2011, §3.3.4 on its counter going negative.
  it('two concurrent removes take x to −1; a later add brings it only to 0: absent', () => {
    const set = PN_SET as SetCrdt;
    const shared = apply(set, set.initial(), 'n1', add('x'));
    const n1 = apply(set, shared, 'n1', remove('x'));
    const n2 = apply(set, shared, 'n2', remove('x'));
    const both = exchanged(set, n1, n2);
    const readded = apply(set, both, 'n1', add('x'));
    assert.deepEqual(set.value(readded), [], 'the last operation was an add, yet x is absent');
    assert.deepEqual(set.value(apply(set, readded, 'n1', add('x'))), ['x'], 'a second add brings it back');
  });

  it('the OR-Set, on the same schedule, has x after the add', () => {
    const set = OR_SET as SetCrdt;
    const shared = apply(set, set.initial(), 'n1', add('x'));
    const both = exchanged(set, apply(set, shared, 'n1', remove('x')), apply(set, shared, 'n2', remove('x')));
    assert.deepEqual(set.value(apply(set, both, 'n1', add('x'))), ['x']);
  });
});

describe('grow-only types refuse what they cannot do', () => {
  // Reference: book §5: "if you will only ever add items to a set and never remove them, then a
  // grow-only set works"
  it('no remove from a G-Set, no decrement of a G-Counter', () => {
    const set = G_SET as SetCrdt;
    assert.match(refuse(set, apply(set, set.initial(), 'n1', add('x')), 'n1', remove('x')), /op must be one of add/);
    const counter = G_COUNTER as StateCrdt<unknown, unknown, number>;
    assert.match(refuse(counter, counter.initial(), 'n1', { op: 'decrement' }), /op must be one of increment/);
  });
});
