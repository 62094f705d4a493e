import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VectorClock } from '../../src-node/contract/clock.ts';
import { lamportReceive, lamportTick } from '../../src-node/protocols/clocks/lamport.ts';
import {
  compare,
  concurrent,
  happenedBefore,
  merge,
  receive,
  tick,
} from '../../src-node/protocols/clocks/vector-clock.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';

describe('Lamport clocks', () => {
  // Reference: book §3: "Whenever a process does work, increment the counter"
  it('a local or send event increments the counter', () => {
    assert.equal(lamportTick(0), 1);
    assert.equal(lamportTick(41), 42);
  });

  // Reference: book §3: "When a message is received, set the counter to max(local_counter, received_counter) + 1"
  it('a receive lifts the counter above both the local and the received stamp', () => {
    assert.equal(lamportReceive(3, 10), 11);
    assert.equal(lamportReceive(10, 3), 11);
    assert.equal(lamportReceive(5, 5), 6);
  });
});

describe('vector clocks: compare', () => {
  it('gives before, after, concurrent and equal', () => {
    assert.equal(compare({ a: 1 }, { a: 2 }), 'before');
    assert.equal(compare({ a: 2, b: 1 }, { a: 1, b: 1 }), 'after');
    assert.equal(compare({ a: 1, b: 0 }, { a: 0, b: 1 }), 'concurrent');
    assert.equal(compare({ a: 1, b: 2 }, { a: 1, b: 2 }), 'equal');
    assert.ok(happenedBefore({ a: 1 }, { a: 1, b: 1 }));
    assert.ok(concurrent({ a: 2 }, { b: 1 }));
  });

  it('counts a missing entry as 0', () => {
    assert.equal(compare({}, { a: 0 }), 'equal');
    assert.equal(compare({ a: 1 }, { a: 1, b: 0 }), 'equal');
    assert.equal(compare({ a: 1 }, { a: 1, b: 1 }), 'before');
    assert.equal(compare({ b: 1 }, {}), 'after');
  });
});

describe('vector clocks: merge and receive', () => {
  const samples: VectorClock[] = [{}, { a: 1 }, { a: 3, b: 1 }, { b: 2, c: 5 }, { a: 2, c: 1 }];

  it('merge is commutative, idempotent and associative, and takes the entrywise maximum', () => {
    for (const x of samples) {
      assert.equal(compare(merge(x, x), x), 'equal');
      for (const y of samples) {
        assert.equal(compare(merge(x, y), merge(y, x)), 'equal');
        assert.notEqual(compare(merge(x, y), x), 'before');
        for (const z of samples) assert.equal(compare(merge(merge(x, y), z), merge(x, merge(y, z))), 'equal');
      }
    }
    assert.deepEqual(merge({ a: 3, b: 1 }, { b: 2, c: 5 }), { a: 3, b: 2, c: 5 });
  });

  it('does not mutate its arguments', () => {
    const a = { a: 1 };
    const b = { b: 1 };
    merge(a, b);
    tick(a, 'a');
    receive(a, b, 'a');
    assert.deepEqual(a, { a: 1 });
    assert.deepEqual(b, { b: 1 });
  });

  // Reference: book §3: "When a message is received: update each element in the vector to be
  // max(local, received); increment the logical clock value representing the current node".
  it('receive is merge then tick', () => {
    for (const local of samples) {
      for (const received of samples) {
        assert.deepEqual(receive(local, received, 'a'), tick(merge(local, received), 'a'));
      }
    }
    assert.equal(compare({ a: 1 }, receive({ b: 1 }, { a: 1 }, 'b')), 'before');
  });
});

type Step = { kind: 'local' } | { kind: 'send'; target: number } | { kind: 'receive' };

interface History {
  clocks: VectorClock[];
  /** edges[i] lists the events that event i directly precedes. */
  edges: number[][];
}

const PROCESSES = ['p0', 'p1', 'p2'];
const HISTORY_EVENTS_MAX = 24;
const HISTORIES = 200;

function chooseStep(random: Random, inbox: number): Step {
  const roll = random.int(0, 2);
  if (roll === 2 && inbox > 0) return { kind: 'receive' };
  if (roll === 1) return { kind: 'send', target: random.int(0, PROCESSES.length - 1) };
  return { kind: 'local' };
}

/** A random run of 3 processes; every event gets its vector clock and its direct-precedence edges. */
function randomHistory(random: Random): History {
  const clocks: VectorClock[] = [];
  const edges: number[][] = [];
  const lastEvent: (number | null)[] = PROCESSES.map(() => null);
  const current: VectorClock[] = PROCESSES.map(() => ({}));
  const inboxes: { sendEvent: number; clock: VectorClock }[][] = PROCESSES.map(() => []);
  const count = random.int(2, HISTORY_EVENTS_MAX);
  for (let event = 0; event < count; event += 1) {
    const p = random.int(0, PROCESSES.length - 1);
    const self = PROCESSES[p]!;
    const step = chooseStep(random, inboxes[p]!.length);
    edges.push([]);
    const previous = lastEvent[p];
    if (previous !== null && previous !== undefined) edges[previous]!.push(event);
    if (step.kind === 'receive') {
      // Pick any pending message: the network may reorder.
      const index = random.int(0, inboxes[p]!.length - 1);
      const [message] = inboxes[p]!.splice(index, 1);
      edges[message!.sendEvent]!.push(event);
      current[p] = receive(current[p]!, message!.clock, self);
    } else {
      current[p] = tick(current[p]!, self);
      if (step.kind === 'send') inboxes[step.target]!.push({ sendEvent: event, clock: current[p]! });
    }
    clocks.push(current[p]!);
    lastEvent[p] = event;
  }
  return { clocks, edges };
}

/** Transitive closure of the direct-precedence edges (Lamport's happened-before). */
function reachability(edges: number[][]): boolean[][] {
  const reach = edges.map(() => edges.map(() => false));
  for (let from = edges.length - 1; from >= 0; from -= 1) {
    for (const to of edges[from]!) {
      reach[from]![to] = true;
      // Edges go forward in event order, so `to`'s row is already complete.
      reach[to]!.forEach((reachable, beyond) => {
        if (reachable) reach[from]![beyond] = true;
      });
    }
  }
  return reach;
}

describe('vector clocks: a property over random histories', () => {
  // Reference: book §3 (vector clocks); Mattern 1988: a → b exactly when VC(a) < VC(b), where →
  // is the transitive closure of process order and send → receive.
  it('happenedBefore matches the transitive closure of process order and message edges', () => {
    const random = createRandom(2024);
    for (let run = 0; run < HISTORIES; run += 1) {
      const history = randomHistory(random);
      const reach = reachability(history.edges);
      for (let a = 0; a < history.clocks.length; a += 1) {
        for (let b = 0; b < history.clocks.length; b += 1) {
          const clockA = history.clocks[a]!;
          const clockB = history.clocks[b]!;
          const expected = reach[a]![b]!;
          assert.equal(happenedBefore(clockA, clockB), expected, `run ${run}: events ${a} → ${b}`);
          if (a !== b) assert.notEqual(compare(clockA, clockB), 'equal', `run ${run}: distinct events ${a}, ${b}`);
          const neither = !reach[a]![b] && !reach[b]![a] && a !== b;
          assert.equal(concurrent(clockA, clockB), neither, `run ${run}: concurrency of ${a}, ${b}`);
        }
      }
    }
  });
});
