// Read repair judged against every answer, and what vector-clock pruning costs, measured
// (src-node/protocols/dynamo/core.ts, versions.ts). Reference: DeCandia et al. 2007, §4.4
// ("vector clocks … truncation scheme"), §4.5 (read repair after reads); the book, §5.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DynamoCore } from '../../src-node/protocols/dynamo/index.ts';
import { createRing, preferenceList, replicaPeers } from '../../src-node/protocols/dynamo/ring.ts';
import { contextCovers, joinContext, pruneContext, reconcile, type Version } from '../../src-node/protocols/dynamo/versions.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const cluster = (params: Record<string, unknown>): CoreCluster<DynamoCore> => new CoreCluster(NODES, (context) => new DynamoCore(context), { antiEntropyIntervalMs: 0, sloppyQuorum: false, ...params });
const replicasOf = (key: string): [string, string, string] => preferenceList(createRing(NODES, 8), key, 3) as [string, string, string];
const dots = (versions: readonly Version[]): string[] => versions.map((version) => `${version.dot.node}:${version.dot.counter}`).sort();

describe('dynamo: read repair', () => {
  it('a slower replica that holds a newer version is not "repaired" with less; its version reaches the others', () => {
    const key = 'basket';
    const [first, second, third] = replicasOf(key);
    const lab = cluster({});
    // Only `third` holds the write: the other two are cut off while it is made (W = 1).
    lab.cut.add(first).add(second);
    assert.equal(lab.run(third, { f: 'put', key, value: 'new', quorum: { w: 1 } }).type, 'ok');
    lab.cut.clear();
    lab.advance(2_000);
    // `first` reads with R = 2: its own answer and `second`'s come first, both empty.
    const read = lab.run(first, { f: 'get', key, quorum: { r: 2 } });
    assert.equal(read.value, null, 'the fastest two replicas had nothing: a stale read, as Dynamo allows');
    lab.deliverAll();
    const repairs = lab.notes.filter((note) => note.name === 'read-repair');
    assert.deepEqual(repairs.map((note) => note.detail?.['replica']).sort(), [first, second].sort(), 'the two behind are repaired, not the one ahead');
    for (const replica of [first, second, third]) assert.equal(lab.data(replica, key), 'new', replica);
  });

  it('a coordinator outside the preference list repairs the replicas and keeps nothing itself', () => {
    const key = 'basket';
    const replicas = replicasOf(key);
    const outsider = NODES.find((node) => !replicas.includes(node))!;
    const lab = cluster({});
    lab.cut.add(replicas[0]).add(replicas[1]);
    lab.run(replicas[2], { f: 'put', key, value: 'v', quorum: { w: 1 } });
    lab.cut.clear();
    lab.advance(2_000);
    lab.run(outsider, { f: 'get', key, quorum: { r: 3 } });
    lab.deliverAll();
    for (const replica of replicas) assert.equal(lab.data(replica, key), 'v', replica);
    assert.equal(lab.data(outsider, key), undefined);
  });
});

describe('dynamo: anti-entropy partners', () => {
  it('a node\'s replica peers are exactly the nodes it shares some key\'s preference list with (property)', () => {
    const nodeSet = fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 8 }).map((ids) => ids.map((id) => `n${id}`));
    fc.assert(fc.property(nodeSet, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), (nodes, tokens, n) => {
      const ring = createRing(nodes, tokens);
      const node = nodes[0]!;
      const peers = replicaPeers(ring, node, n);
      // Keys land in every arc: enough sampled keys meet every (node, peer) pair of some list.
      const met = new Set<string>();
      for (let index = 0; index < 3000; index += 1) {
        const list = preferenceList(ring, `key${index}`, n);
        if (list.includes(node)) for (const other of list) if (other !== node) met.add(other);
      }
      for (const other of met) assert.ok(peers.includes(other), `${other} shares a key with ${node}`);
      assert.ok(!peers.includes(node));
      if (n >= nodes.length) assert.deepEqual(peers, nodes.filter((other) => other !== node).sort(), 'N ≥ nodes: everyone');
      if (n === 1) assert.deepEqual(peers, [], 'N = 1: no replica shares anything');
    }), { numRuns: 60 });
  });
});

describe('dynamo: what context pruning costs', () => {
  /** A history of writes: each by one of `nodes`, with the context of a random subset of the earlier versions. */
  const histories = fc.array(fc.record({ node: fc.integer({ min: 1, max: 6 }), saw: fc.array(fc.nat(), { maxLength: 4 }) }), { minLength: 1, maxLength: 14 });

  it('pruning never drops a write: it only turns superseded versions into false siblings (property)', () => {
    fc.assert(fc.property(histories, fc.integer({ min: 1, max: 3 }), (writes, maxEntries) => {
      const full: Version[] = [];
      const pruned: Version[] = [];
      const counters = new Map<string, number>();
      writes.forEach((write, index) => {
        const node = `n${write.node}`;
        const counter = (counters.get(node) ?? 0) + 1;
        counters.set(node, counter);
        const seen = full.length === 0 ? [] : [...new Set(write.saw.map((pick) => pick % full.length))];
        const context = joinContext(seen.map((pick) => full[pick]!));
        const make = (ctx: Version['context']): Version => ({ value: index, dot: { node, counter }, context: ctx, stamp: { ms: index, node } });
        full.push(make(context));
        pruned.push(make(pruneContext(context, maxEntries).context));
      });
      const liveFull = reconcile('vector-clock', [], full);
      const livePruned = reconcile('vector-clock', [], pruned);
      // Nothing the full history keeps is lost with pruned contexts …
      for (const dot of dots(liveFull)) assert.ok(dots(livePruned).includes(dot), `pruning lost ${dot}`);
      // … and every extra sibling is a false one: a version some full context superseded.
      for (const extra of livePruned.filter((version) => !dots(liveFull).includes(`${version.dot.node}:${version.dot.counter}`))) {
        assert.ok(full.some((version) => contextCovers(version.context, extra.dot)), `${extra.dot.node}:${extra.dot.counter} is a real sibling`);
      }
    }), { numRuns: 300 });
  });

  it('the coordinator counts the false siblings a pruned context leaves (context-pruned note), and the client sees them', () => {
    const key = 'cart';
    const [first, second, third] = replicasOf(key);
    // Read repair off, so that `third` still holds v1 when v3 is written.
    const lab = cluster({ contextMaxNodes: 1, readRepair: false });
    assert.equal(lab.run(first, { f: 'put', key, value: 'v1' }).type, 'ok');
    lab.deliverAll();
    // `third` misses v2, which supersedes v1.
    lab.cut.add(third);
    const afterV1 = lab.run(first, { f: 'get', key, quorum: { r: 2 } });
    assert.equal(lab.run(second, { f: 'put', key, value: 'v2', context: afterV1.context }).type, 'ok');
    lab.cut.clear();
    lab.advance(2_000);
    const afterV2 = lab.run(second, { f: 'get', key, quorum: { r: 2 } });
    assert.equal(afterV2.value, 'v2');
    // v3 supersedes v1 and v2, but its context names two nodes and is pruned to one (the most
    // recent, `second`): at `third`, which still holds v1, v1 survives as a false sibling.
    assert.equal(lab.run(third, { f: 'put', key, value: 'v3', context: afterV2.context }).type, 'ok');
    lab.deliverAll();
    const pruned = lab.notes.filter((note) => note.name === 'context-pruned');
    assert.deepEqual(pruned.map((note) => [note.node, note.detail?.['dropped'], note.detail?.['falseSiblings']]), [[third, 1, 1]]);
    // The node card shows the cost: the coordinator's status counts it.
    const coordinator = lab.cores.get(third)!;
    assert.deepEqual([coordinator.status().facts['falseSiblings'], coordinator.status().facts['prunedContexts'], coordinator.roleName()], [1, 1, 'replica']);
    const read = lab.run(first, { f: 'get', key, quorum: { r: 3 } });
    assert.deepEqual([...(read.siblings as unknown[])].sort(), ['v1', 'v3'], 'v1 is back beside v3: nothing lost, one spurious conflict');
    // Without pruning the same history leaves v3 alone.
    const unpruned = cluster({ readRepair: false });
    unpruned.run(first, { f: 'put', key, value: 'v1' });
    unpruned.deliverAll();
    unpruned.cut.add(third);
    const context1 = unpruned.run(first, { f: 'get', key, quorum: { r: 2 } }).context;
    unpruned.run(second, { f: 'put', key, value: 'v2', context: context1 });
    unpruned.cut.clear();
    unpruned.advance(2_000);
    unpruned.run(third, { f: 'put', key, value: 'v3', context: unpruned.run(second, { f: 'get', key, quorum: { r: 2 } }).context });
    unpruned.deliverAll();
    assert.deepEqual(unpruned.run(first, { f: 'get', key, quorum: { r: 3 } }).siblings, ['v3']);
  });
});
