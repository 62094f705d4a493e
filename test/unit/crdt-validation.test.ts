// Outside input is checked: a bad update or a malformed state from the wire is refused with an
// error that says what is wrong, and nothing a client or a peer sends makes a CRDT throw.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CRDT_TYPES, crdtByName, type AnyCrdt } from '../../src-node/protocols/crdt/index.ts';

function refusal(crdt: AnyCrdt, update: unknown, context: unknown = { replica: 'n1', timestampMs: 1 }): string {
  const result = crdt.update(crdt.initial(), update, context as never);
  assert.equal(result.ok, false, `${crdt.name} accepted ${JSON.stringify(update)}`);
  return result.ok ? '' : result.error;
}

function stateRefusal(crdt: AnyCrdt, raw: unknown): string {
  const result = crdt.parseState(raw);
  assert.equal(result.ok, false, `${crdt.name} accepted the state ${JSON.stringify(raw)}`);
  return result.ok ? '' : result.error;
}

describe('bad updates are refused with a clear error', () => {
  it('every type: not an object, an unknown op, an unknown field, a bad replica', () => {
    for (const crdt of CRDT_TYPES.values()) {
      assert.match(refusal(crdt, 'add'), /an update must be an object, got the string "add"/);
      assert.match(refusal(crdt, { op: 'explode' }), /op must be one of/);
      assert.match(refusal(crdt, { op: crdt.name.includes('counter') ? 'increment' : crdt.name === 'max-register' ? 'max' : crdt.name.includes('register') ? 'assign' : 'add', element: 'x', value: 1, extra: 1 }), /unknown field "(extra|element|value)"/);
      for (const replica of ['', '__proto__', 'constructor', 42, 'has space']) {
        assert.match(refusal(crdt, {}, { replica, timestampMs: 1 }), /a replica id must match/);
      }
      assert.match(refusal(crdt, {}, null), /the update context must be an object/);
    }
  });

  it('counters: the amount is a positive integer up to a limit', () => {
    for (const name of ['g-counter', 'pn-counter']) {
      for (const amount of [0, -1, 1.5, '3', 1e12, Number.NaN]) {
        assert.match(refusal(crdtByName(name), { op: 'increment', amount }), /an amount must be an integer from 1 to 1000000000/);
      }
    }
  });

  it('registers: the value must be JSON; the LWW types need a timestamp', () => {
    for (const name of ['lww-register', 'mv-register']) {
      const crdt = crdtByName(name);
      assert.match(refusal(crdt, { op: 'assign' }), /lacks "value"/);
      assert.match(refusal(crdt, { op: 'assign', value: Number.POSITIVE_INFINITY }), /must be JSON/);
      assert.match(refusal(crdt, { op: 'assign', value: { when: new Date(0) } }), /must be JSON; object is not/);
      let deep: unknown = 1;
      for (let level = 0; level < 40; level++) deep = [deep];
      assert.match(refusal(crdt, { op: 'assign', value: deep }), /nest at most 32 levels/);
      assert.match(refusal(crdt, { op: 'assign', value: 'x'.repeat(20_000) }), /at most 16384 characters of JSON/);
    }
    for (const name of ['lww-register', 'lww-element-set']) {
      const update = name === 'lww-register' ? { op: 'assign', value: 1 } : { op: 'add', element: 'x' };
      assert.match(refusal(crdtByName(name), update, { replica: 'n1' }), /needs timestampMs/);
      assert.match(refusal(crdtByName(name), update, { replica: 'n1', timestampMs: -5 }), /non-negative integer of milliseconds/);
    }
  });

  it('sets: an element is a short string; remove needs an element that is in the set', () => {
    for (const crdt of [...CRDT_TYPES.values()].filter((type) => type.name.endsWith('set'))) {
      assert.match(refusal(crdt, { op: 'add', element: 7 }), /a set element must be a string, got the number 7/);
      assert.match(refusal(crdt, { op: 'add' }), /a set element must be a string, got undefined/);
      assert.match(refusal(crdt, { op: 'add', element: 'x'.repeat(300) }), /at most 256 characters/);
      if (crdt.name !== 'g-set') assert.match(refusal(crdt, { op: 'remove', element: 'x' }), /"x" is not in the set/);
    }
  });

  it('an element or a key named like an Object property is plain data', () => {
    for (const crdt of [...CRDT_TYPES.values()].filter((type) => type.name.endsWith('set'))) {
      let state = crdt.initial();
      for (const element of ['__proto__', 'constructor', 'toString']) {
        const result = crdt.update(state, { op: 'add', element }, { replica: 'n1', timestampMs: 1 });
        assert.ok(result.ok);
        state = result.value;
      }
      assert.deepEqual(crdt.value(state), ['__proto__', 'constructor', 'toString'], crdt.name);
      const parsed = crdt.parseState(JSON.parse(JSON.stringify(state)));
      assert.ok(parsed.ok && JSON.stringify(parsed.value) === JSON.stringify(state), crdt.name);
    }
    const register = crdtByName('mv-register');
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const written = register.update(register.initial(), { op: 'assign', value }, { replica: 'n1' });
    assert.ok(written.ok);
    assert.equal(JSON.stringify(register.value(written.value)), '[{"__proto__":{"polluted":true},"a":1}]');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('malformed states from the wire are refused', () => {
  it('names what is wrong', () => {
    assert.match(stateRefusal(crdtByName('g-counter'), { n1: -1 }), /the count of n1 must be a non-negative integer/);
    assert.match(stateRefusal(crdtByName('g-counter'), [1]), /must be an object of counts by replica, got an array/);
    assert.match(stateRefusal(crdtByName('pn-counter'), { increments: {} }), /lacks "decrements"/);
    assert.match(stateRefusal(crdtByName('lww-register'), { stamp: null, value: 3 }), /an unwritten lww-register holds null/);
    assert.match(stateRefusal(crdtByName('mv-register'), [{ clock: {}, value: 1 }]), /needs a non-zero clock/);
    assert.match(stateRefusal(crdtByName('2p-set'), { added: [], removed: ['x'] }), /only have removed elements that were added/);
    assert.match(
      stateRefusal(crdtByName('lww-element-set'), [{ added: null, element: 'x', removed: { replica: 'n1', timestampMs: 1 } }]),
      /never added/,
    );
    assert.match(stateRefusal(crdtByName('or-set'), { clock: { n1: 1 }, entries: [{ element: 'x', tags: [['n1', 2]] }] }), /beyond the state's clock/);
    assert.match(
      stateRefusal(crdtByName('or-set'), { clock: { n1: 1 }, entries: [{ element: 'x', tags: [['n1', 1]] }, { element: 'y', tags: [['n1', 1]] }] }),
      /uses a tag twice/,
    );
  });

  it('accepts a valid state in any key or element order and returns its canonical form', () => {
    const parsed = crdtByName('g-set').parseState(['b', 'a', 'b']);
    assert.deepEqual(parsed, { ok: true, value: ['a', 'b'] });
    const counter = crdtByName('g-counter').parseState({ n2: 1, n1: 0, n0: 2 });
    assert.equal(counter.ok && JSON.stringify(counter.value), '{"n0":2,"n2":1}');
  });
});

describe('nothing from outside makes a CRDT throw', () => {
  const anything = fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true, withDate: true });
  for (const crdt of CRDT_TYPES.values()) {
    it(`${crdt.name}: update, parseUpdate and parseState answer every input with a value`, () => {
      fc.assert(fc.property(anything, anything, (update, raw) => {
        const result = crdt.update(crdt.initial(), update, { replica: 'n1', timestampMs: 1 });
        assert.ok(result.ok || (typeof result.error === 'string' && result.error.length > 0));
        assert.equal(typeof crdt.parseUpdate(update).ok, 'boolean');
        const state = crdt.parseState(raw);
        if (state.ok) assert.equal(crdt.parseState(JSON.parse(JSON.stringify(state.value))).ok, true);
      }), { numRuns: 200 });
    });
  }
});

it('every type describes its payload, merge and anomaly', () => {
  for (const crdt of CRDT_TYPES.values()) {
    const { payload, merge, anomaly } = crdt.describe();
    assert.ok(payload.length > 10 && merge.length > 3 && anomaly.length > 10, crdt.name);
    assert.equal(crdt.usesTimestamps, crdt.name.startsWith('lww'), crdt.name);
  }
});
