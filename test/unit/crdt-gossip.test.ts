// CRDTs replicated by gossip (src-node/protocols/crdt-gossip/core.ts): updates anywhere,
// including on both sides of a partition, and every gossip mode converges after healing.
// Reference: the book, §5 "CRDTs"; Shapiro et al. 2011.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrdtGossipCore, parseCrdtGossipParams } from '../../src-node/protocols/crdt-gossip/core.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

class Cluster extends CoreCluster<CrdtGossipCore> {
  constructor(params: Record<string, unknown>, seed = 1) {
    super(NODES, (context) => new CrdtGossipCore(context), params, seed);
  }

  values(key: string): unknown[] {
    return NODES.filter((node) => this.cores.has(node)).map((node) => this.data(node, key));
  }
}

describe('crdt-gossip', () => {
  for (const mode of ['push', 'pull', 'push-pull'] as const) {
    it(`${mode}: a pn-counter updated on both sides of a partition converges to the sum after healing`, () => {
      const cluster = new Cluster({ type: 'pn-counter', mode, fanout: 1, intervalMs: 100 });
      cluster.cut.add('n1');
      assert.equal(cluster.run('n1', { f: 'update', key: 'credit', value: { op: 'increment', amount: 5 } }).type, 'ok', 'a cut-off replica still takes updates');
      cluster.run('n2', { f: 'update', key: 'credit', value: { op: 'decrement', amount: 2 } });
      cluster.run('n3', { f: 'update', key: 'credit', value: { op: 'increment', amount: 1 } });
      cluster.advance(2_000);
      assert.equal(cluster.data('n1', 'credit'), 5, 'n1 is cut off: it has only its own update');
      cluster.cut.delete('n1');
      cluster.advance(5_000);
      assert.deepEqual(cluster.values('credit'), [4, 4, 4, 4, 4]);
    });
  }

  it('an OR-set resolves a concurrent add and remove as add-wins on every replica', () => {
    const cluster = new Cluster({ type: 'or-set', mode: 'push-pull', fanout: 2, intervalMs: 100 });
    cluster.run('n1', { f: 'update', key: 'cart', value: { op: 'add', element: 'milk' } });
    cluster.advance(2_000);
    cluster.cut.add('n2');
    cluster.run('n2', { f: 'update', key: 'cart', value: { op: 'remove', element: 'milk' } });
    cluster.run('n3', { f: 'update', key: 'cart', value: { op: 'add', element: 'milk' } });
    cluster.cut.delete('n2');
    cluster.advance(3_000);
    assert.deepEqual(cluster.values('cart'), NODES.map(() => ['milk']));
  });

  it('a crashed replica restarts from its persisted state and catches up by gossip', () => {
    const cluster = new Cluster({ type: 'g-counter', mode: 'push-pull', fanout: 1, intervalMs: 100 });
    cluster.run('n1', { f: 'update', key: 'hits', value: { op: 'increment' } });
    cluster.crash('n1');
    cluster.start('n1');
    assert.equal(cluster.data('n1', 'hits'), 1);
    cluster.run('n2', { f: 'update', key: 'hits', value: { op: 'increment', amount: 2 } });
    cluster.advance(3_000);
    assert.deepEqual(cluster.values('hits'), [3, 3, 3, 3, 3]);
  });

  it('refuses bad updates, bad params and malformed gossip without changing state', () => {
    const cluster = new Cluster({ type: 'g-counter' });
    assert.equal(cluster.run('n1', { f: 'update', key: 'k', value: { op: 'decrement' } }).type, 'fail');
    assert.equal(cluster.run('n1', { f: 'put', key: 'k', value: 1 }).type, 'fail');
    cluster.send('n2', 'n1', 'state', { entries: [['k', { n2: -1 }]], reply: false });
    cluster.send('n2', 'n1', 'state', { entries: 'nope' });
    assert.equal(cluster.notes.filter((note) => note.name === 'malformed-message').length, 2);
    assert.equal(cluster.data('n1', 'k'), undefined);
    assert.throws(() => parseCrdtGossipParams({ type: 'nope' }), /type must be one of/);
    assert.throws(() => parseCrdtGossipParams({ fanout: 0 }), /fanout/);
    assert.throws(() => parseCrdtGossipParams({ extra: 1 }), /unknown param/);
  });
});
