// The lattice laws of every CRDT in the registry, checked with fast-check on states reached by
// random runs (random updates at random replicas, random merges between them).
// Reference: the book, §5 "CRDTs": the operations "need to be: Associative (a+(b+c)=(a+b)+c),
// so that grouping doesn't matter; Commutative (a+b=b+a), so that order of application doesn't
// matter; Idempotent (a+a=a), so that duplication does not matter".
// Reference: Shapiro et al. 2011, §2.2: a state-based object converges when its states form a
// semilattice, merge computes the least upper bound, and "state is monotonically non-decreasing
// across updates".

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CRDT_TYPES, crdtByName, stateKey, type AnyCrdt, type LatticeOrder } from '../../src-node/protocols/crdt/index.ts';

const REPLICAS = ['n1', 'n2', 'n3', 'n4'];
const element = fc.constantFrom('a', 'b', 'c');
const amount = fc.integer({ min: 1, max: 5 });
const registerValue = fc.oneof(fc.constantFrom(null, 'x', 'y', true), fc.integer({ min: 0, max: 3 }), fc.constant({ b: 1, a: [2] }));
const setUpdate = fc.record({ op: fc.constantFrom('add', 'remove'), element });

/** An update generator for each type: small domains, so that operations collide. */
const UPDATES: Record<string, fc.Arbitrary<unknown>> = {
  'g-counter': fc.record({ op: fc.constant('increment'), amount }),
  'pn-counter': fc.record({ op: fc.constantFrom('increment', 'decrement'), amount }),
  'max-register': fc.record({ op: fc.constant('max'), value: fc.integer({ min: -3, max: 6 }) }),
  'lww-register': fc.record({ op: fc.constant('assign'), value: registerValue }),
  'mv-register': fc.record({ op: fc.constant('assign'), value: registerValue }),
  'g-set': fc.record({ op: fc.constant('add'), element }),
  '2p-set': setUpdate,
  'lww-element-set': setUpdate,
  'pn-set': setUpdate,
  'or-set': setUpdate,
};

type Step =
  | { kind: 'update'; replica: number; update: unknown; timestampMs: number }
  | { kind: 'merge'; source: number; target: number };

function stepArbitrary(update: fc.Arbitrary<unknown>, replicas: number): fc.Arbitrary<Step> {
  const replica = fc.nat({ max: replicas - 1 });
  return fc.oneof(
    // Clocks from a small range: ties, skew and writes "from the past" all happen.
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('update' as const), replica, update, timestampMs: fc.nat({ max: 20 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('merge' as const), source: replica, target: replica }) },
  );
}

/** Frozen, so that a function that mutates its argument throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Every state each replica passes through, in one run (so tags and stamps stay unique),
 * frozen so that any mutation of an argument fails the test.
 */
function run(crdt: AnyCrdt, steps: Step[], replicas: number): unknown[] {
  const states: unknown[] = Array.from({ length: replicas }, () => deepFreeze(crdt.initial()));
  const visited = [...states];
  for (const step of steps) {
    if (step.kind === 'merge') {
      states[step.target] = deepFreeze(crdt.merge(states[step.target], states[step.source]));
    } else {
      const context = { replica: REPLICAS[step.replica] as string, timestampMs: step.timestampMs };
      const result = crdt.update(states[step.replica], step.update, context);
      if (result.ok) states[step.replica] = deepFreeze(result.value);
    }
    visited.push(...states);
  }
  return visited;
}

/** Three states from one random run. */
function statesOf(crdt: AnyCrdt): fc.Arbitrary<[unknown, unknown, unknown]> {
  const steps = fc.array(stepArbitrary(UPDATES[crdt.name] as fc.Arbitrary<unknown>, 3), { maxLength: 30 });
  return fc.tuple(steps, fc.nat(), fc.nat(), fc.nat()).map(([run_, i, j, k]) => {
    const visited = run(crdt, run_, 3);
    const pick = (index: number) => visited[visited.length - 1 - (index % visited.length)];
    return [pick(i), pick(j), pick(k)];
  });
}

function assertSame(crdt: AnyCrdt, actual: unknown, expected: unknown, what: string): void {
  assert.equal(stateKey(actual), stateKey(expected), `${crdt.name}: ${what}`);
}

/** The order that merge implies: a ≤ b exactly when merge(a, b) = b. */
function orderByMerge(crdt: AnyCrdt, a: unknown, b: unknown): LatticeOrder {
  const joined = stateKey(crdt.merge(a, b));
  const aBelow = joined === stateKey(b);
  const bBelow = joined === stateKey(a);
  return aBelow && bBelow ? 'equal' : aBelow ? 'before' : bBelow ? 'after' : 'concurrent';
}

/** Tuned so that the whole crdt suite stays near 5 s. */
const RUNS = 500;

it('every registered type has an update generator here', () => {
  assert.deepEqual([...CRDT_TYPES.keys()].sort(), Object.keys(UPDATES).sort());
  assert.throws(() => crdtByName('x-set'), /unknown CRDT "x-set"; known: g-counter/);
});

for (const crdt of CRDT_TYPES.values()) {
  describe(`${crdt.name}: lattice laws`, () => {
    const states = statesOf(crdt);
    const update = UPDATES[crdt.name] as fc.Arbitrary<unknown>;

    it('merge is commutative, associative and idempotent', () => {
      fc.assert(fc.property(states, ([a, b, c]) => {
        assertSame(crdt, crdt.merge(a, b), crdt.merge(b, a), 'a ⊔ b = b ⊔ a');
        assertSame(crdt, crdt.merge(crdt.merge(a, b), c), crdt.merge(a, crdt.merge(b, c)), '(a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)');
        assertSame(crdt, crdt.merge(a, a), a, 'a ⊔ a = a');
      }), { numRuns: RUNS });
    });

    it('merge is the least upper bound, and compare is the order it implies', () => {
      const atMost = (x: unknown, y: unknown) => ['before', 'equal'].includes(crdt.compare(x, y));
      fc.assert(fc.property(states, ([a, b, c]) => {
        const joined = crdt.merge(a, b);
        // Least: any c above both a and b is above a ⊔ b (c = (a ⊔ b) ⊔ c makes the premise hold).
        const upper = crdt.merge(joined, c);
        for (const bound of [c, upper]) {
          if (atMost(a, bound) && atMost(b, bound)) assert.ok(atMost(joined, bound), `${crdt.name}: a ⊔ b ≤ c`);
        }
        assert.ok(['before', 'equal'].includes(crdt.compare(a, joined)), `${crdt.name}: a ≤ a ⊔ b`);
        assert.ok(['before', 'equal'].includes(crdt.compare(b, joined)), `${crdt.name}: b ≤ a ⊔ b`);
        assert.equal(crdt.compare(a, b), orderByMerge(crdt, a, b), `${crdt.name}: compare agrees with merge`);
      }), { numRuns: RUNS });
    });

    it('every update is an inflation', () => {
      const replica = fc.constantFrom(...REPLICAS.slice(0, 3));
      fc.assert(fc.property(states, update, replica, fc.nat({ max: 20 }), ([state], change, replica_, timestampMs) => {
        const result = crdt.update(state, change, { replica: replica_, timestampMs });
        if (!result.ok) return; // a refused update leaves the state as it was
        assertSame(crdt, crdt.merge(state, result.value), result.value, 's ⊔ update(s) = update(s)');
        assert.ok(['before', 'equal'].includes(crdt.compare(state, result.value)), `${crdt.name}: s ≤ update(s)`);
      }), { numRuns: RUNS });
    });

    it('states are canonical JSON: they survive a round trip through text byte for byte', () => {
      fc.assert(fc.property(states, ([a, b]) => {
        const joined = crdt.merge(a, b);
        for (const state of [a, joined]) {
          const text = JSON.stringify(state);
          const parsed = crdt.parseState(JSON.parse(text));
          assert.ok(parsed.ok, `${crdt.name}: ${parsed.ok ? '' : parsed.error}`);
          assert.equal(JSON.stringify(parsed.value), text);
          assert.equal(stateKey(crdt.canonical(state)), text);
          assert.deepEqual(crdt.value(crdt.parseState(JSON.parse(text)).ok ? parsed.value : state), crdt.value(state));
        }
      }), { numRuns: RUNS });
    });
  });
}

// ---- Convergence through a faulty network. ----------------------------------------------
// Reference: the book, §5: "you can have replicas communicate in any pattern and receive the
// updates in any order, and they will eventually agree on the end result as long as they all
// see the same information."

type NetworkEvent =
  | { kind: 'update'; replica: number; update: unknown; timestampMs: number }
  | { kind: 'send'; source: number; target: number }
  /** Deliver the in-flight message at `index` (modulo); `again` leaves it in flight, to be duplicated. */
  | { kind: 'deliver'; index: number; again: boolean }
  /** The replicas with `true` can talk only among themselves, the others likewise. */
  | { kind: 'partition'; sides: boolean[] };

interface Schedule {
  replicas: number;
  events: NetworkEvent[];
}

function scheduleOf(update: fc.Arbitrary<unknown>): fc.Arbitrary<Schedule> {
  return fc.integer({ min: 2, max: 4 }).chain((replicas) => {
    const replica = fc.nat({ max: replicas - 1 });
    const event: fc.Arbitrary<NetworkEvent> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('update' as const), replica, update, timestampMs: fc.nat({ max: 20 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('send' as const), source: replica, target: replica }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver' as const), index: fc.nat(), again: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), sides: fc.array(fc.boolean(), { minLength: replicas, maxLength: replicas }) }) },
    );
    return fc.record({ replicas: fc.constant(replicas), events: fc.array(event, { maxLength: 40 }) });
  });
}

interface Outcome {
  /** The replicas' states when the schedule ends, before the partition heals. */
  states: unknown[];
  /** The updates that were accepted, in the order they were made. */
  accepted: unknown[];
  /** The state right after each accepted update: what an op-shipping replica would send. */
  produced: unknown[];
}

function simulate(crdt: AnyCrdt, schedule: Schedule): Outcome {
  const states: unknown[] = Array.from({ length: schedule.replicas }, () => crdt.initial());
  let sides: boolean[] = Array.from({ length: schedule.replicas }, () => true);
  const inFlight: { source: number; target: number; state: unknown }[] = [];
  const accepted: unknown[] = [];
  const produced: unknown[] = [];
  for (const event of schedule.events) {
    if (event.kind === 'update') {
      const context = { replica: REPLICAS[event.replica] as string, timestampMs: event.timestampMs };
      const result = crdt.update(states[event.replica], event.update, context);
      if (!result.ok) continue;
      states[event.replica] = result.value;
      accepted.push(event.update);
      produced.push(result.value);
    } else if (event.kind === 'send') {
      inFlight.push({ source: event.source, target: event.target, state: states[event.source] });
    } else if (event.kind === 'deliver' && inFlight.length > 0) {
      const index = event.index % inFlight.length;
      const message = inFlight[index] as (typeof inFlight)[number];
      if (!event.again) inFlight.splice(index, 1);
      // A partition drops what crosses it (the message is lost even if delivered "again").
      if (sides[message.source] === sides[message.target]) {
        states[message.target] = crdt.merge(states[message.target], message.state);
      }
    } else if (event.kind === 'partition') {
      sides = event.sides;
    }
  }
  return { states, accepted, produced };
}

/** Heal, then anti-entropy: twice around the ring, each replica sending its state to the next. */
function exchange(crdt: AnyCrdt, before: unknown[]): unknown[] {
  const states = [...before];
  for (let round = 0; round < 2; round++) {
    for (let source = 0; source < states.length; source++) {
      const target = (source + 1) % states.length;
      states[target] = crdt.merge(states[target], states[source]);
    }
  }
  return states;
}

/** What the counters and the g-set must read once everyone has seen every accepted update. */
function expectedValue(crdt: AnyCrdt, accepted: unknown[]): unknown {
  const updates = accepted as { op: string; amount?: number; element?: string }[];
  if (crdt.name === 'g-counter' || crdt.name === 'pn-counter') {
    return updates.reduce((sum, { op, amount }) => sum + (op === 'increment' ? 1 : -1) * (amount ?? 1), 0);
  }
  if (crdt.name === 'max-register') {
    // Reference: the book, §5: "max(max(max(0, 3), 5), 7) = 7" in any order.
    return updates.length === 0 ? null : Math.max(...(accepted as { value: number }[]).map(({ value }) => value));
  }
  if (crdt.name === 'g-set') return [...new Set(updates.map(({ element }) => element))].sort();
  return undefined;
}

for (const crdt of CRDT_TYPES.values()) {
  describe(`${crdt.name}: convergence`, () => {
    const update = UPDATES[crdt.name] as fc.Arbitrary<unknown>;

    it('replicas end equal after any schedule of partitions, losses, reorderings and duplicates, once they exchange', () => {
      fc.assert(fc.property(scheduleOf(update), (schedule) => {
        const outcome = simulate(crdt, schedule);
        const healed = exchange(crdt, outcome.states);
        const everything = outcome.states.reduce((joined, state) => crdt.merge(joined, state), crdt.initial());
        for (const state of healed) assertSame(crdt, state, everything, 'every replica holds the join of all states');
        const expected = expectedValue(crdt, outcome.accepted);
        if (expected !== undefined) assert.deepEqual(crdt.value(healed[0]), expected, `${crdt.name}: no update lost`);
      }), { numRuns: RUNS });
    });

    it('states received in any order, with duplicates, give the same result', () => {
      const arbitrary = scheduleOf(update).chain((schedule) => {
        const { produced } = simulate(crdt, schedule);
        const indices = produced.map((_, index) => index);
        const order = fc.shuffledSubarray(indices, { minLength: indices.length, maxLength: indices.length });
        const duplicates = fc.array(fc.constantFrom(...indices, -1), { maxLength: 5 });
        return fc.tuple(fc.constant(produced), order, order, duplicates);
      });
      fc.assert(fc.property(arbitrary, ([produced, first, second, duplicates]) => {
        const deliver = (order: number[]) => order.reduce<unknown>((state, index) => crdt.merge(state, produced[index]), crdt.initial());
        const withDuplicates = [...second, ...duplicates.filter((index) => index >= 0)];
        assertSame(crdt, deliver(first), deliver(withDuplicates), 'the order and duplication of deliveries do not matter');
      }), { numRuns: RUNS });
    });
  });
}

// ---- The laws have teeth: broken merges fail them. ------------------------------------------

describe('the law checks catch broken merges', () => {
  const broken = (base: AnyCrdt, merge: AnyCrdt['merge']): AnyCrdt => ({ ...base, merge, compare: base.compare });

  it('a g-counter that adds slots instead of taking their maximum is not idempotent', () => {
    const adding = broken(crdtByName('g-counter'), (a: Record<string, number>, b: Record<string, number>) => {
      const sum: Record<string, number> = { ...a };
      for (const [replica, count] of Object.entries(b)) sum[replica] = (sum[replica] ?? 0) + count;
      return Object.fromEntries(Object.entries(sum).sort());
    });
    const result = fc.check(fc.property(statesOf(adding), ([a]) => stateKey(adding.merge(a, a)) === stateKey(a)), { numRuns: RUNS });
    assert.ok(result.failed);
  });

  it('an or-set whose merge unions live tags (forgetting removals) loses its removes', () => {
    const orSet = crdtByName('or-set');
    type OrState = { clock: Record<string, number>; entries: { element: string; tags: [string, number][] }[] };
    const unioning = broken(orSet, (a: OrState, b: OrState) => {
      const live = [...a.entries, ...b.entries].reduce((map, entry) => map.set(entry.element, [...(map.get(entry.element) ?? []), ...entry.tags]), new Map<string, [string, number][]>());
      const entries = [...live].map(([element, tags]) => ({ element, tags: [...new Map(tags.map((tag) => [tag.join(' '), tag])).values()] }));
      return orSet.canonical({ clock: orSet.merge({ clock: a.clock, entries: [] }, { clock: b.clock, entries: [] }).clock, entries });
    });
    const update = UPDATES['or-set'] as fc.Arbitrary<unknown>;
    const result = fc.check(fc.property(statesOf(unioning), update, ([state], change) => {
      const next = unioning.update(state, change, { replica: 'n1' });
      return !next.ok || stateKey(unioning.merge(state, next.value)) === stateKey(next.value);
    }), { numRuns: RUNS });
    assert.ok(result.failed);
  });
});
