// Consistent hashing (src-node/protocols/dynamo/ring.ts) and Merkle anti-entropy trees
// (merkle.ts): the properties Dynamo relies on, checked with fast-check.
// Reference: DeCandia et al. 2007, §4.2 (partitioning), §4.6 (sloppy quorum), §4.7 (Merkle trees).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRing, ownership, preferenceList, rangesOf, sloppyPreferenceList, keyPosition, walk } from '../../src-node/protocols/dynamo/ring.ts';
import { buildMerkleTree, diffMerkleTrees } from '../../src-node/protocols/dynamo/merkle.ts';

const nodeSet = fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 2, maxLength: 12 }).map((ids) => ids.map((id) => `n${id}`));
const keys = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 });

describe('dynamo: consistent hashing', () => {
  it('a preference list holds N distinct nodes (or all of them if the ring is smaller), and starts with the owner', () => {
    fc.assert(fc.property(nodeSet, keys, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }), (nodes, keyList, tokens, n) => {
      const ring = createRing(nodes, tokens);
      for (const key of keyList) {
        const list = preferenceList(ring, key, n);
        assert.equal(list.length, Math.min(n, nodes.length));
        assert.equal(new Set(list).size, list.length);
        assert.deepEqual(list, walk(ring, key).slice(0, n));
      }
    }));
  });

  it('adding a node moves only keys whose owner becomes the new node; removing one moves only its keys', () => {
    fc.assert(fc.property(nodeSet, keys, fc.integer({ min: 1, max: 16 }), (nodes, keyList, tokens) => {
      const [added, ...rest] = nodes as [string, ...string[]];
      const before = createRing(rest, tokens);
      const after = createRing(nodes, tokens);
      for (const key of keyList) {
        const ownerBefore = preferenceList(before, key, 1)[0];
        const ownerAfter = preferenceList(after, key, 1)[0];
        if (ownerBefore !== ownerAfter) assert.equal(ownerAfter, added, `${key} moved from ${ownerBefore} to ${ownerAfter}, not to the added ${added}`);
        // Replicas: the new list is the old one with the added node inserted (and the last one dropped).
        const listBefore = preferenceList(before, key, 3);
        const listAfter = preferenceList(after, key, 3);
        assert.deepEqual(listAfter.filter((node) => node !== added), listBefore.slice(0, listAfter.filter((node) => node !== added).length));
      }
    }));
  });

  it('more tokens per node spread ownership more evenly', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const spread = (tokens: number): number => {
      const shares = [...ownership(createRing(nodes, tokens)).values()];
      assert.ok(Math.abs(shares.reduce((sum, share) => sum + share, 0) - 1) < 1e-9);
      return Math.max(...shares) / Math.min(...shares);
    };
    assert.ok(spread(128) < spread(1), `max/min ownership: 1 token ${spread(1).toFixed(2)}, 128 tokens ${spread(128).toFixed(2)}`);
    assert.ok(spread(128) < 1.5, `128 tokens per node: max/min ${spread(128).toFixed(2)}`);
  });

  it('a node stores exactly the keys in its ranges', () => {
    fc.assert(fc.property(nodeSet, keys, fc.integer({ min: 1, max: 6 }), (nodes, keyList, tokens) => {
      const ring = createRing(nodes, tokens);
      const node = nodes[0]!;
      const ranges = rangesOf(ring, node, 3);
      for (const key of keyList) {
        const position = keyPosition(key);
        const inRange = ranges.some(({ startExclusive, endInclusive }) => startExclusive < endInclusive
          ? position > startExclusive && position <= endInclusive
          : position > startExclusive || position <= endInclusive);
        assert.equal(inRange, preferenceList(ring, key, 3).includes(node), key);
      }
    }));
  });

  it('a sloppy quorum replaces each unreachable replica by the next reachable node, with a hint naming it', () => {
    const ring = createRing(['n1', 'n2', 'n3', 'n4', 'n5'], 8);
    for (const key of ['cart', 'alice', 'bob', 'x', 'y']) {
      const intended = preferenceList(ring, key, 3);
      const down = intended[1]!;
      const chosen = sloppyPreferenceList(ring, key, 3, (node) => node !== down);
      assert.equal(chosen.length, 3);
      assert.ok(!chosen.some(({ node }) => node === down));
      const standIns = chosen.filter(({ hintFor }) => hintFor !== null);
      assert.deepEqual(standIns.map(({ hintFor }) => hintFor), [down]);
      assert.equal(standIns[0]!.node, walk(ring, key)[3], 'the stand-in is the next node in ring order');
    }
  });

  it('rejects bad rings', () => {
    assert.throws(() => createRing(['n1', 'n1'], 4), /each node once/);
    assert.throws(() => createRing(['n1'], 0), /tokens per node/);
  });
});

describe('dynamo: Merkle trees', () => {
  const replica = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 6 }), { maxKeys: 80 });

  it('equal replicas agree at the root: one hash compared', () => {
    fc.assert(fc.property(replica, fc.integer({ min: 0, max: 8 }), (data, depth) => {
      const a = buildMerkleTree(Object.entries(data), depth);
      const b = buildMerkleTree(Object.entries(data).reverse(), depth);
      const diff = diffMerkleTrees(a, b);
      assert.deepEqual(diff.keys, []);
      assert.equal(diff.comparedHashes, 1);
    }));
  });

  it('the keys to sync include every key whose version differs, and only keys of differing leaves', () => {
    fc.assert(fc.property(replica, replica, fc.integer({ min: 0, max: 8 }), (left, right, depth) => {
      const a = buildMerkleTree(Object.entries(left), depth);
      const b = buildMerkleTree(Object.entries(right), depth);
      const diff = diffMerkleTrees(a, b);
      const all = new Set([...Object.keys(left), ...Object.keys(right)]);
      for (const key of all) {
        if (left[key] !== right[key]) assert.ok(diff.keys.includes(key), `${key} differs but is not synced`);
      }
      const leafKeys = new Set(diff.leaves.flatMap((leaf) => [...a.leafKeys[leaf]!, ...b.leafKeys[leaf]!]));
      for (const key of diff.keys) assert.ok(leafKeys.has(key));
    }));
  });

  it('one differing key costs a path of hashes, not the whole tree', () => {
    const data = Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`k${index}`, `v${index}`]));
    const a = buildMerkleTree(Object.entries(data), 10);
    const b = buildMerkleTree(Object.entries({ ...data, k500: 'changed' }), 10);
    const diff = diffMerkleTrees(a, b);
    assert.equal(diff.leaves.length, 1);
    assert.ok(diff.keys.includes('k500') && diff.keys.length < 10, `${diff.keys.length} keys to sync`);
    assert.ok(diff.comparedHashes <= 2 * 10 + 1, `${diff.comparedHashes} hashes compared for depth 10`);
  });
});
