// CRDTs replicated by gossip (src-node/protocols/crdt-gossip/core.ts): updates anywhere,
// including on both sides of a partition, and every gossip mode converges after healing.
// Reference: the book, §5 "CRDTs"; Shapiro et al. 2011.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrdtGossipCore, parseCrdtGossipParams } from '../../src-node/protocols/crdt-gossip/core.ts';
import { CRDT_VIEW_KEYS_MAX } from '../../src-node/contract/core.ts';
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

  it('an LWW write is stamped in whole milliseconds, even on a clock that reads fractions or runs below zero', () => {
    // The simulator's drifting clocks read fractions of a millisecond: every LWW write failed there.
    const cluster = new Cluster({ type: 'lww-register', mode: 'push-pull', fanout: 2, intervalMs: 100 });
    cluster.skewMs.set('n1', 0.375);
    cluster.skewMs.set('n2', -5_000.5);
    cluster.advance(20);
    assert.deepEqual(cluster.run('n1', { f: 'update', key: 'r', value: { op: 'assign', value: 'a' } }), { type: 'ok', value: 'a' });
    assert.deepEqual(cluster.run('n2', { f: 'update', key: 'r', value: { op: 'assign', value: 'b' } }), { type: 'ok', value: 'b' });
    cluster.advance(2_000);
    assert.deepEqual(cluster.values('r'), NODES.map(() => 'a'), 'n2\'s clock reads below zero: its write is stamped 0 and loses');
  });

  it('a naive (non-CRDT) type travels like a CRDT and never converges: concatenation depends on arrival order', () => {
    // Reference: the book, §5: "A will produce 'Hello World!', and B will produce 'World!Hello '".
    const cluster = new Cluster({ type: 'naive-concat', mode: 'push-pull', fanout: 1, intervalMs: 100 });
    for (const node of NODES) cluster.cut.add(node);
    cluster.run('n1', { f: 'update', key: 't', value: { op: 'append', text: 'Hello ' } });
    cluster.run('n2', { f: 'update', key: 't', value: { op: 'append', text: 'World' } });
    cluster.run('n3', { f: 'update', key: 't', value: { op: 'append', text: '!' } });
    cluster.cut.clear();
    cluster.advance(5_000);
    const values = cluster.values('t') as string[];
    assert.ok(values.every((value) => value.length === 'Hello World!'.length), 'every replica has every piece');
    assert.ok((values[0] as string).startsWith('Hello ') && (values[1] as string).startsWith('World') && (values[2] as string).startsWith('!'), values.join(' | '));
    assert.ok(new Set(values).size > 1, 'and they disagree, forever');
  });

  it('status carries a bounded CRDT view: each key\'s raw state and value, the type and whether it is a lattice', () => {
    const cluster = new Cluster({ type: 'g-counter', mode: 'push', fanout: 1, intervalMs: 100 });
    for (let index = 0; index < CRDT_VIEW_KEYS_MAX + 3; index += 1) cluster.run('n1', { f: 'update', key: `k${String(index).padStart(2, '0')}`, value: { op: 'increment' } });
    const view = cluster.cores.get('n1')!.status().view;
    assert.ok(view !== undefined && view.protocol === 'crdt-gossip');
    assert.equal(view.type, 'g-counter');
    assert.equal(view.lattice, true);
    assert.equal(view.keys.length, CRDT_VIEW_KEYS_MAX);
    assert.equal(view.keysStored, CRDT_VIEW_KEYS_MAX + 3);
    assert.deepEqual(view.keys[0], { key: 'k00', state: { n1: 1 }, stateChars: 8, value: 1 });
    const naive = new Cluster({ type: 'naive-concat' }).cores.get('n1')!.status().view;
    assert.equal(naive?.protocol === 'crdt-gossip' && naive.lattice, false);
  });

  it('a digest tells states apart that read alike (an OR-set\'s tags), and agrees once gossip has merged them', () => {
    // The lab's convergence measurement (src-main/gossip/convergence.ts) waits for equal digests, not equal reads.
    const cluster = new Cluster({ type: 'or-set', mode: 'push-pull', fanout: 1, intervalMs: 100 });
    const digest = (node: string, key = 'cart'): unknown => {
      const result = cluster.run(node, { f: 'digest', key });
      assert.equal(result.type, 'ok');
      return result.value;
    };
    cluster.cut.add('n2');
    cluster.run('n1', { f: 'update', key: 'cart', value: { op: 'add', element: 'milk' } });
    cluster.run('n2', { f: 'update', key: 'cart', value: { op: 'add', element: 'milk' } });
    assert.deepEqual([cluster.data('n1', 'cart'), cluster.data('n2', 'cart')], [['milk'], ['milk']], 'both read [milk]');
    assert.notEqual(digest('n1'), digest('n2'), 'the adds carry different tags');
    assert.equal(typeof digest('n3', 'never-written'), 'number', 'an unwritten key has the digest of the bottom state');
    cluster.cut.delete('n2');
    cluster.advance(5_000);
    assert.equal(new Set(NODES.map((node) => digest(node))).size, 1, 'one state everywhere after gossip');
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
