// The lab's workload generators (src-main/workload/generators.ts), shared by the simulator and
// the real lab: the kv generator draws what the lab always drew (so every existing scenario
// replays), the cart client does Dynamo's read-modify-write, and the scenario schema accepts
// the workload kinds and refuses what cannot work, saying why.
// Reference: DeCandia et al., "Dynamo", SOSP 2007, §4.4 — "the add to cart operation can never
// be forgotten or rejected"; the client merges the siblings a read returns.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import {
  CART_ITEMS_MAX, cartItemsOf, createGenerator, firstDelayMs, mergeCarts, workloadIntervalMs, type WorkloadSpec,
} from '../../src-main/workload/generators.ts';
import { parseScenario } from '../../src-main/scenario/scenario.ts';

const KV: WorkloadSpec = { kind: 'kv', clients: 3, ratePerSec: 30, keys: 5, uniqueKeys: false, writeShare: 0.6, startMs: 0, timeoutMs: 1500 };
const CART: WorkloadSpec = { ...KV, kind: 'cart', keys: 2 };

/** The kv draws as the lab made them before there were generators (the simulator's SimClient.nextOp and LabRun.runWorkload). */
function legacyKvOps(spec: WorkloadSpec, client: string, random: Random, count: number): ClientOp[] {
  const ops: ClientOp[] = [];
  let written = 0;
  for (let index = 0; index < count; index += 1) {
    const write = random.next() < spec.writeShare;
    if (write) written += 1;
    const key = spec.uniqueKeys ? (write ? `k-${client}-${written}` : `k-${client}-${Math.max(1, written)}`) : `k${random.int(1, spec.keys)}`;
    ops.push(write ? { f: 'put', key, value: `${client}-${written}` } : { f: 'get', key });
  }
  return ops;
}

describe('kv generator', () => {
  it('draws exactly the operations the lab drew before (seeded; shared keys and unique keys)', () => {
    for (const uniqueKeys of [false, true]) {
      for (let seed = 1; seed <= 50; seed += 1) {
        const spec = { ...KV, uniqueKeys };
        const generator = createGenerator(spec, { client: 'c2', random: createRandom(seed) });
        const ops = Array.from({ length: 40 }, () => {
          const op = generator.next();
          generator.completed({ op, result: { type: 'ok' } });
          return op;
        });
        assert.deepEqual(ops, legacyKvOps(spec, 'c2', createRandom(seed), 40), `seed ${seed}, uniqueKeys ${uniqueKeys}`);
      }
    }
  });

  it('a workload without a kind is kv', () => {
    const { kind: _kind, ...withoutKind } = KV;
    const generator = createGenerator(withoutKind, { client: 'c1', random: createRandom(3) });
    assert.deepEqual(generator.next(), legacyKvOps(KV, 'c1', createRandom(3), 1)[0]);
  });

  it('paces all clients to ratePerSec together, and spreads their starts over one interval', () => {
    assert.equal(workloadIntervalMs({ clients: 3, ratePerSec: 30 }), 100);
    const random = createRandom(9);
    const expected = createRandom(9).next() * 100;
    assert.equal(firstDelayMs({ clients: 3, ratePerSec: 30 }, random), expected);
  });
});

describe('cart generator', () => {
  it('reads a cart, then writes the union of the siblings it read plus one item of its own, with the read\'s context', () => {
    const generator = createGenerator(CART, { client: 'c1', random: createRandom(1) });
    const read = generator.next();
    assert.equal(read.f, 'get');
    assert.match(read.key ?? '', /^cart-[12]$/);
    const context = { vector: { n1: 2 }, dots: [{ node: 'n3', counter: 1 }], touchedMs: { n1: 10, n3: 12 } };
    generator.completed({ op: read, result: { type: 'ok', value: ['c2-1'], siblings: [['c2-1', 'c3-1'], ['c2-1', 'c4-2']], context } });
    const write = generator.next();
    assert.deepEqual(write, { f: 'put', key: read.key, value: ['c1-1', 'c2-1', 'c3-1', 'c4-2'], context });
    generator.completed({ op: write, result: { type: 'ok' } });
    assert.equal(generator.next().f, 'get', 'after a write, the next cycle reads afresh');
  });

  it('a read that failed or timed out is read again; a write of any outcome is followed by a read; items are never reused', () => {
    const generator = createGenerator({ ...CART, keys: 1 }, { client: 'c7', random: createRandom(5) });
    const items = new Set<string>();
    const outcomes = ['fail', 'info', 'ok'] as const;
    for (let round = 0; round < 30; round += 1) {
      const read = generator.next();
      assert.deepEqual(read, { f: 'get', key: 'cart-1' });
      const readOutcome = outcomes[round % 3]!;
      generator.completed({ op: read, result: readOutcome === 'ok' ? { type: 'ok', value: null, siblings: [] } : { type: readOutcome } });
      if (readOutcome !== 'ok') continue;
      const write = generator.next();
      assert.equal(write.f, 'put');
      const [item] = write.value as string[];
      assert.ok(item !== undefined && !items.has(item), `a new item each time (${item})`);
      items.add(item);
      generator.completed({ op: write, result: { type: outcomes[round % 2]! } });
    }
    assert.deepEqual([...items].sort(), Array.from({ length: 10 }, (_, index) => `c7-${index + 1}`).sort());
  });

  it('without a context in the reply (a store that keeps one value) the write carries none, and merges the value', () => {
    const generator = createGenerator({ ...CART, keys: 1 }, { client: 'c1', random: createRandom(2) });
    const read = generator.next();
    generator.completed({ op: read, result: { type: 'ok', value: ['c2-1'] } });
    assert.deepEqual(generator.next(), { f: 'put', key: 'cart-1', value: ['c1-1', 'c2-1'] });
  });

  it('merges carts as sets; a value that is not a list of items contributes nothing', () => {
    assert.deepEqual(mergeCarts([['b', 'a'], ['a', 'c'], null, 'junk', { items: ['x'] }, [1, 'd']]), ['a', 'b', 'c', 'd']);
    assert.deepEqual(cartItemsOf({ value: ['x'], siblings: [] }), ['x']);
    assert.deepEqual(cartItemsOf({ value: ['x'], siblings: [['y'], ['z']] }), ['y', 'z'], 'siblings, when a read has them, are the cart');
    assert.deepEqual(cartItemsOf({ value: null }), []);
  });
});

describe('workload in the scenario schema', () => {
  const base = { name: 'w', title: 't', summary: 's', protocol: { name: 'dynamo' } };

  it('kind defaults to kv; cart is accepted with a cart check', () => {
    assert.equal(parseScenario({ ...base, workload: { durationMs: 1000 } }).workload?.kind, 'kv');
    const cart = parseScenario({ ...base, workload: { kind: 'cart', keys: 1, durationMs: 5000 }, checks: [{ kind: 'cart' }] });
    assert.equal(cart.workload?.kind, 'cart');
    assert.deepEqual(cart.checks, [{ kind: 'cart', expect: 'pass' }]);
  });

  it('refuses an unknown kind, a cart check without a cart workload, uniqueKeys on carts, and carts that would outgrow their bound', () => {
    assert.throws(() => parseScenario({ ...base, workload: { kind: 'bank', durationMs: 1000 } }), /workload\.kind/);
    assert.throws(() => parseScenario({ ...base, workload: { durationMs: 1000 }, checks: [{ kind: 'cart' }] }), /checks\.0: a cart check needs a cart workload/);
    assert.throws(() => parseScenario({ ...base, checks: [{ kind: 'cart' }] }), /checks\.0: a cart check needs a cart workload/);
    assert.throws(() => parseScenario({ ...base, workload: { kind: 'cart', uniqueKeys: true, durationMs: 1000 } }), /workload\.uniqueKeys: a cart workload writes carts/);
    const tooMany = { kind: 'cart', keys: 1, ratePerSec: 1000, durationMs: (CART_ITEMS_MAX / 500) * 1000 + 10_000 };
    assert.throws(() => parseScenario({ ...base, workload: tooMany }), new RegExp(`more than ${CART_ITEMS_MAX} items to each of 1 cart`));
    assert.doesNotThrow(() => parseScenario({ ...base, workload: { ...tooMany, keys: 10 } }), 'more carts share the items');
  });
});
