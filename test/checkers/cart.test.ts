// The shopping-cart check (src-main/checkers/cart.ts): an item carried by an acknowledged put
// is in every final view of its cart, siblings merged; a missing one is named with the client
// that added it and the puts that carried it.
// Reference: DeCandia et al., "Dynamo", SOSP 2007, §4.4 — "an add to cart operation is never
// lost … deleted items can resurface".

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { checkCarts, type CartOperation, type FinalCart } from '../../src-main/checkers/cart.ts';
import { mergeCarts } from '../../src-main/workload/generators.ts';

let clock = 0;
function put(client: string, key: string, items: string[], type: 'ok' | 'info' | 'fail' = 'ok', node = 'n1'): CartOperation {
  clock += 10;
  return { client, node, op: { f: 'put', key, value: items }, result: { type }, invokedAtMs: clock, completedAtMs: clock + 5, opId: `${client}:${clock}` };
}

const view = (key: string, source: string, ...siblings: unknown[]): FinalCart => ({ key, source, siblings });

describe('cart check', () => {
  it('passes when every acknowledged item is in the final cart, siblings merged', () => {
    const operations = [put('c1', 'cart-1', ['c1-1']), put('c2', 'cart-1', ['c2-1']), put('c1', 'cart-1', ['c1-1', 'c1-2'])];
    const result = checkCarts(operations, [view('cart-1', 'n1', ['c1-1', 'c1-2'], ['c2-1'])]);
    assert.equal(result.verdict, 'valid', result.summary);
    assert.equal(result.promised, 3);
    assert.match(result.summary, /all 3 item\(s\)/);
  });

  it('names a missing item: who added it, through which node, when, and which views lack it', () => {
    // LWW kept c1's cart: c2's concurrent write, acknowledged, is gone.
    const added = put('c2', 'cart-1', ['c2-1'], 'ok', 'n2');
    const operations = [put('c1', 'cart-1', ['c1-1']), added];
    const result = checkCarts(operations, [view('cart-1', 'n1', ['c1-1']), view('cart-1', 'n2', ['c1-1', 'c2-1'])]);
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.lostCount, 1);
    const [lost] = result.lost;
    assert.equal(lost?.item, 'c2-1');
    assert.deepEqual(lost?.addedBy, { opId: added.opId, client: 'c2', node: 'n2', invokedAtMs: added.invokedAtMs, completedAtMs: added.completedAtMs, outcome: 'ok' });
    assert.deepEqual(lost?.missingFrom, ['n1']);
    assert.match(result.summary, /1 of 2 item\(s\).*cart-1: c2-1 \(added by c2 via n2 in c2:\d+, acknowledged at \d+ ms; missing from n1\)/);
  });

  it('an item added in an indeterminate put is promised once an acknowledged put carried it, and named with both', () => {
    const maybe = put('c1', 'cart-1', ['c1-1'], 'info');
    const carrier = put('c2', 'cart-1', ['c1-1', 'c2-1'], 'ok');
    const result = checkCarts([maybe, carrier], [view('cart-1', 'n1', ['c2-1'])]);
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.lost[0]?.addedBy.opId, maybe.opId);
    assert.deepEqual(result.lost[0]?.carriedBy.map((entry) => entry.opId), [carrier.opId]);
    assert.match(result.summary, /added by c1 in c1:\d+ \(outcome unknown\), carried by acknowledged c2:\d+ of c2/);
  });

  it('promises nothing for puts that were never acknowledged, and ignores failed attempts', () => {
    const operations = [put('c1', 'cart-1', ['c1-1'], 'info'), put('c2', 'cart-1', ['c2-1'], 'fail'), put('c2', 'cart-1', ['c2-1'], 'ok')];
    const result = checkCarts(operations, [view('cart-1', 'n1', ['c2-1'])]);
    assert.equal(result.verdict, 'valid', result.summary);
    assert.equal(result.promised, 1);
    assert.equal(result.lost.length, 0);
    // The failed attempt did not add c2-1: the acknowledged retry did.
    const missing = checkCarts(operations, [view('cart-1', 'n1')]);
    assert.equal(missing.lost[0]?.addedBy.outcome, 'ok');
  });

  it('is unknown when a cart with promised items has no final view, and judges carts separately', () => {
    const operations = [put('c1', 'cart-1', ['c1-1']), put('c1', 'cart-2', ['c1-2'])];
    const result = checkCarts(operations, [view('cart-1', 'n1', ['c1-1'])]);
    assert.equal(result.verdict, 'unknown');
    assert.deepEqual(result.unread, ['cart-2']);
    const crossed = checkCarts(operations, [view('cart-1', 'n1', ['c1-2']), view('cart-2', 'n1', ['c1-1'])]);
    assert.deepEqual(crossed.lost.map((entry) => `${entry.key}:${entry.item}`), ['cart-1:c1-1', 'cart-2:c1-2'], 'an item in another cart is not in its own');
  });

  it('property: a store that merges loses nothing; one that drops random acknowledged carts loses exactly the items no surviving cart holds (seeded)', () => {
    for (let seed = 1; seed <= 100; seed += 1) {
      const random = createRandom(seed);
      clock = 0;
      const operations: CartOperation[] = [];
      const kept: string[][] = [];
      let latest: string[] = [];
      for (let index = 0; index < 40; index += 1) {
        const client = `c${random.int(1, 4)}`;
        // A client read some earlier cart (stale or not) and adds its item.
        const base = random.chance(70) ? latest : (kept[random.int(0, Math.max(0, kept.length - 1))] ?? []);
        const items = [...base, `${client}-${index}`].sort();
        const type = (['ok', 'ok', 'ok', 'info', 'fail'] as const)[random.int(0, 4)]!;
        operations.push(put(client, 'cart-1', items, type));
        if (type === 'fail' || (type === 'info' && random.chance(50))) continue;
        kept.push(items);
        latest = items;
      }
      const merging = checkCarts(operations, [view('cart-1', 'n1', ...kept)]);
      assert.equal(merging.verdict, 'valid', `seed ${seed}: ${merging.summary}`);
      const survivors = kept.filter(() => random.chance(40));
      const dropping = checkCarts(operations, [view('cart-1', 'n1', ...survivors)]);
      const held = new Set(mergeCarts(survivors));
      const promised = new Set(operations.filter((op) => op.result.type === 'ok').flatMap((op) => op.op.value as string[]));
      const expected = [...promised].filter((item) => !held.has(item)).sort();
      assert.deepEqual(dropping.lost.map((entry) => entry.item).sort(), expected, `seed ${seed}`);
    }
  });
});
