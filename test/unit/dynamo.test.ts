// The Dynamo-style store's core (src-node/protocols/dynamo/), driven by a small in-process
// network: messages queue until delivered, timers fire as the test advances time, a node can
// be cut off (everything to and from it dropped) or crashed (its volatile state gone, its
// persisted writes replayed on recovery). Reference: DeCandia et al. 2007, §4.4–§4.8.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DynamoCore } from '../../src-node/protocols/dynamo/index.ts';
import { CoreCluster } from '../support/core-cluster.ts';
import { createRing, preferenceList, walk } from '../../src-node/protocols/dynamo/ring.ts';
import { covers, joinContext, reconcile, pruneContext, emptyContext, type Version } from '../../src-node/protocols/dynamo/versions.ts';

class Cluster extends CoreCluster<DynamoCore> {
  constructor(ids: string[], params: Record<string, unknown>) {
    super(ids, (context) => new DynamoCore(context), params);
  }
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const QUIET = { antiEntropyIntervalMs: 0 };

/** A node in `key`'s preference list (the coordinator of its writes). */
function ownerOf(key: string, params: Record<string, unknown> = {}): { list: string[]; ring: ReturnType<typeof createRing> } {
  const ring = createRing(NODES, Number(params['tokensPerNode'] ?? 8));
  return { list: preferenceList(ring, key, 3), ring };
}

describe('dynamo: partial quorums', () => {
  it('a write acknowledged by W replicas is read back with R', () => {
    const cluster = new Cluster(NODES, QUIET);
    const [coordinator] = ownerOf('cart').list;
    assert.equal(cluster.run(coordinator!, { f: 'put', key: 'cart', value: 'milk' }).type, 'ok');
    const outsider = NODES.find((node) => !ownerOf('cart').list.includes(node))!;
    const read = cluster.run(outsider, { f: 'get', key: 'cart' });
    assert.equal(read.type, 'ok');
    assert.equal(read.value, 'milk');
    for (const replica of ownerOf('cart').list) assert.equal(cluster.data(replica, 'cart'), 'milk');
    assert.equal(cluster.data(outsider, 'cart'), undefined, 'only the N replicas store the key');
  });

  it('a write sent to a node outside the preference list is redirected to a replica', () => {
    const cluster = new Cluster(NODES, QUIET);
    const outsider = NODES.find((node) => !ownerOf('k').list.includes(node))!;
    const result = cluster.run(outsider, { f: 'put', key: 'k', value: 1 });
    assert.equal(result.type, 'fail');
    assert.equal(result.redirect, ownerOf('k').list[0]);
  });

  it('W = 3 fails to be acknowledged when a replica is cut off and sloppy quorum is off: info, not ok', () => {
    const cluster = new Cluster(NODES, { ...QUIET, sloppyQuorum: false, w: 3 });
    const [coordinator, , third] = ownerOf('k').list;
    cluster.cut.add(third!);
    const result = cluster.run(coordinator!, { f: 'put', key: 'k', value: 1 });
    assert.equal(result.type, 'info');
    assert.match(result.error ?? '', /2 of W = 3/);
  });

  it('rejects bad requests with a clear error', () => {
    const cluster = new Cluster(NODES, QUIET);
    assert.match(cluster.run('n1', { f: 'cas', key: 'k' }).error ?? '', /get and put/);
    assert.match(cluster.run('n1', { f: 'get', key: '' }).error ?? '', /a key is a string/);
    assert.match(cluster.run('n1', { f: 'get', key: 'k', quorum: { r: 4 } }).error ?? '', /R must be an integer in \[1, N = 3\]/);
    const [coordinator] = ownerOf('k').list;
    assert.match(cluster.run(coordinator!, { f: 'put', key: 'k', value: 1, context: { vector: 'x' } }).error ?? '', /bad context/);
  });
});

describe('dynamo: conflicts', () => {
  it('two writes through one coordinator with the same context stay siblings (dotted version vectors), and a write with the merged context resolves them', () => {
    const cluster = new Cluster(NODES, QUIET);
    const [coordinator] = ownerOf('cart').list;
    cluster.run(coordinator!, { f: 'put', key: 'cart', value: ['milk'] });
    const read = cluster.run(coordinator!, { f: 'get', key: 'cart' });
    cluster.run(coordinator!, { f: 'put', key: 'cart', value: ['milk', 'eggs'], context: read.context });
    cluster.run(coordinator!, { f: 'put', key: 'cart', value: ['milk', 'bread'], context: read.context });
    const conflicted = cluster.run(coordinator!, { f: 'get', key: 'cart' });
    assert.deepEqual(new Set((conflicted.siblings as string[][]).map((items) => items.join('+'))), new Set(['milk+eggs', 'milk+bread']));
    // The client merges (a shopping cart: union) and writes back with the merged context.
    cluster.run(coordinator!, { f: 'put', key: 'cart', value: ['milk', 'eggs', 'bread'], context: conflicted.context });
    const resolved = cluster.run(coordinator!, { f: 'get', key: 'cart' });
    assert.deepEqual(resolved.siblings, [['milk', 'eggs', 'bread']]);
  });

  it('last writer wins: with n2\'s clock 5 s behind, its later write loses to an earlier one', () => {
    const key = 'balance';
    const { list } = ownerOf(key);
    const [first, second] = list as [string, string];
    const cluster = new Cluster(NODES, { ...QUIET, conflictPolicy: 'lww' });
    cluster.skewMs.set(second, -5_000);
    cluster.run(first, { f: 'put', key, value: 'early' });
    cluster.advance(1_000);
    cluster.run(second, { f: 'put', key, value: 'late' });
    const read = cluster.run(first, { f: 'get', key, quorum: { r: 3 } });
    assert.equal(read.value, 'early', 'the write made later, on a slow clock, is lost');
    assert.ok(cluster.notes.some((note) => note.name === 'lww-discarded'), 'the loss is traced');
  });

  it('pruning a context makes false siblings, never a silently lost write', () => {
    const stamp = (node: string, ms: number): Version['stamp'] => ({ node, ms });
    const v1: Version = { value: 'a', dot: { node: 'n1', counter: 1 }, context: emptyContext(), stamp: stamp('n1', 1) };
    const v2: Version = { value: 'b', dot: { node: 'n2', counter: 1 }, context: joinContext([v1]), stamp: stamp('n2', 2) };
    const v3: Version = { value: 'c', dot: { node: 'n3', counter: 1 }, context: joinContext([v2]), stamp: stamp('n3', 3) };
    assert.deepEqual(reconcile('vector-clock', [v1, v2], [v3]).map((version) => version.value), ['c']);
    // A replica that still holds only v1 meets v3: with v3's context pruned to its newest entry
    // (n2), nothing says v3 saw v1, so v1 comes back as a sibling. Nothing is lost.
    assert.deepEqual(reconcile('vector-clock', [v1], [v3]).map((version) => version.value), ['c']);
    const pruned: Version = { ...v3, context: pruneContext(v3.context, 1).context };
    assert.deepEqual(Object.keys(pruned.context.vector), ['n2']);
    const kept = reconcile('vector-clock', [v1], [pruned]).map((version) => version.value);
    assert.deepEqual(kept, ['a', 'c'], 'a false sibling');
  });
});

describe('dynamo: repair', () => {
  it('sloppy quorum: with a replica cut off, the write lands on the next node with a hint, which hands it back when the owner returns', () => {
    const key = 'cart';
    const { list, ring } = ownerOf(key);
    const [coordinator, , down] = list as [string, string, string];
    const standIn = walk(ring, key)[3]!;
    const cluster = new Cluster(NODES, QUIET);
    cluster.cut.add(down);
    cluster.advance(2_000); // gossip: the others stop hearing from it
    assert.equal(cluster.run(coordinator, { f: 'put', key, value: 'v', quorum: { w: 3 } }).type, 'ok');
    assert.ok(cluster.notes.some((note) => note.node === standIn && note.name === 'hint-stored' && note.detail?.['owner'] === down));
    assert.equal(cluster.data(down, key), undefined);
    cluster.cut.delete(down);
    cluster.advance(3_000);
    assert.equal(cluster.data(down, key), 'v', 'the hint was handed off');
    assert.equal(cluster.cores.get(standIn)!.status().facts['hints'], 0, 'and dropped by the stand-in');
  });

  it('read repair brings a replica that missed a write up to date', () => {
    const key = 'k';
    const [coordinator, second, third] = ownerOf(key).list as [string, string, string];
    const cluster = new Cluster(NODES, { ...QUIET, sloppyQuorum: false });
    cluster.cut.add(third);
    cluster.run(coordinator, { f: 'put', key, value: 'new' });
    cluster.cut.delete(third);
    cluster.advance(2_000);
    assert.equal(cluster.data(third, key), undefined);
    const read = cluster.run(second, { f: 'get', key, quorum: { r: 3 } });
    assert.equal(read.value, 'new');
    cluster.deliverAll();
    assert.equal(cluster.data(third, key), 'new');
    assert.ok(cluster.notes.some((note) => note.name === 'read-repair' && note.detail?.['replica'] === third));
  });

  it('Merkle anti-entropy converges replicas that diverged while read repair and hints were off', () => {
    const params = { sloppyQuorum: false, readRepair: false, antiEntropyIntervalMs: 300, merkleDepth: 4 };
    const cluster = new Cluster(NODES, params);
    const keys = Array.from({ length: 40 }, (_, index) => `key${index}`);
    const lagging = 'n3';
    cluster.cut.add(lagging);
    for (const key of keys) {
      const [coordinator] = ownerOf(key).list.filter((node) => node !== lagging);
      cluster.run(coordinator!, { f: 'put', key, value: key.toUpperCase(), quorum: { w: 1 } });
    }
    cluster.cut.delete(lagging);
    cluster.advance(15_000);
    for (const key of keys) {
      for (const replica of ownerOf(key).list) assert.equal(cluster.data(replica, key), key.toUpperCase(), `${key} on ${replica}`);
    }
    assert.ok(cluster.notes.some((note) => note.name === 'anti-entropy' && note.detail?.['inSync'] === false));
  });

  it('a crashed replica recovers its versions and hints from stable storage', () => {
    const key = 'k';
    const [coordinator] = ownerOf(key).list as [string];
    const cluster = new Cluster(NODES, QUIET);
    cluster.run(coordinator, { f: 'put', key, value: 'durable' });
    cluster.crash(coordinator);
    cluster.start(coordinator);
    assert.equal(cluster.data(coordinator, key), 'durable');
    // Its next write of the key gets a new dot (the minted counter was persisted): no sibling collision.
    const read = cluster.run(coordinator, { f: 'get', key });
    cluster.run(coordinator, { f: 'put', key, value: 'next', context: read.context });
    assert.deepEqual(cluster.run(coordinator, { f: 'get', key, quorum: { r: 3 } }).siblings, ['next']);
  });

  it('a malformed message is traced and dropped', () => {
    const cluster = new Cluster(NODES, QUIET);
    cluster.send('n2', 'n1', 'write', { request: 'x', key: 'k', versions: [{ value: 1 }], hintFor: null });
    cluster.send('n2', 'n1', 'gossip', { heartbeats: { n2: 5 }, reply: false });
    assert.equal(cluster.notes.filter((note) => note.name === 'malformed-message').length, 2);
    assert.equal(cluster.data('n1', 'k'), undefined);
  });
});

describe('dynamo: dotted version vectors', () => {
  // A random history: each write is made by one of three coordinators with the context of a
  // random subset of the versions before it (what some read returned).
  const history = fc.array(fc.record({ coordinator: fc.constantFrom('n1', 'n2', 'n3'), read: fc.array(fc.nat(), { maxLength: 4 }) }), { minLength: 1, maxLength: 12 }).map((steps) => {
    const versions: Version[] = [];
    const minted = new Map<string, number>();
    steps.forEach((step, index) => {
      const seen = versions.length === 0 ? [] : [...new Set(step.read.map((pick) => versions[pick % versions.length]!))];
      const counter = (minted.get(step.coordinator) ?? 0) + 1;
      minted.set(step.coordinator, counter);
      versions.push({ value: index, dot: { node: step.coordinator, counter }, context: joinContext(reconcile('vector-clock', [], seen)), stamp: { node: step.coordinator, ms: index } });
    });
    return versions;
  });

  it('replicas that receive the same versions in any order, duplicated, end equal, and keep every version no other supersedes', () => {
    fc.assert(fc.property(history, fc.array(fc.nat()), (versions, shuffle) => {
      const order = [...versions, ...versions.slice(0, 2)].map((version, index) => ({ version, rank: shuffle[index] ?? index })).sort((a, b) => a.rank - b.rank).map(({ version }) => version);
      const forward = versions.reduce<Version[]>((state, version) => reconcile('vector-clock', state, [version]), []);
      const shuffled = order.reduce<Version[]>((state, version) => reconcile('vector-clock', state, [version]), []);
      assert.deepEqual(shuffled, forward);
      const frontier = versions.filter((version) => !versions.some((other) => other !== version && covers(other, version.dot)));
      assert.deepEqual(new Set(forward.map((version) => version.value)), new Set(frontier.map((version) => version.value)));
    }));
  });
});
