// Merkle trees for anti-entropy (Dynamo §4.7; the book: "replicas exchange the roots, and
// descend only where hashes differ"). A tree covers one key range: its 2^depth leaves are
// buckets of keys by hash, a leaf's hash covers the (key, version digest) pairs in it, and an
// inner node's hash covers its two children. Two replicas that agree on the root agree on
// the whole range after one exchange; where they differ, they compare children level by
// level and end with the leaves that differ, then sync only the keys in those leaves.
//
// Pure. The hash is 32-bit (hashString): enough to find differences between lab replicas,
// not a defence against an adversary, which Dynamo never needed either.

import { hashString } from '../hash/hash-string.ts';

export const MERKLE_DEPTH_MAX = 16;

export interface MerkleTree {
  depth: number;
  /** levels[0] is the root level (one hash); levels[depth] the 2^depth leaves. */
  levels: number[][];
  /** Which keys sit in each leaf (sorted), so a differing leaf names the keys to sync. */
  leafKeys: string[][];
}

export function leafOf(key: string, depth: number): number {
  // The top bits of a second hash spread keys evenly over the leaves.
  return depth === 0 ? 0 : hashString(`leaf:${key}`) >>> (32 - depth);
}

const combine = (left: number, right: number): number => hashString(`${left.toString(36)}|${right.toString(36)}`);

/** Builds the tree over `entries`: key → a digest of the key's version(s) on this replica. */
export function buildMerkleTree(entries: Iterable<readonly [string, string]>, depth: number): MerkleTree {
  if (!Number.isInteger(depth) || depth < 0 || depth > MERKLE_DEPTH_MAX) throw new Error(`a Merkle tree's depth is an integer in [0, ${MERKLE_DEPTH_MAX}], not ${depth}`);
  const width = 2 ** depth;
  const buckets: (readonly [string, string])[][] = Array.from({ length: width }, () => []);
  for (const entry of entries) buckets[leafOf(entry[0], depth)]!.push(entry);
  const leafKeys = buckets.map((bucket) => bucket.map(([key]) => key).sort());
  const leaves = buckets.map((bucket) => {
    // An empty leaf hashes to 0 on every replica; a full one covers its sorted pairs.
    if (bucket.length === 0) return 0;
    const text = [...bucket].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, digest]) => `${JSON.stringify(key)}=${digest}`).join(';');
    return hashString(text);
  });
  const levels: number[][] = [leaves];
  while (levels[0]!.length > 1) {
    const below = levels[0]!;
    const above: number[] = [];
    for (let index = 0; index < below.length; index += 2) above.push(combine(below[index]!, below[index + 1]!));
    levels.unshift(above);
  }
  return { depth, levels, leafKeys };
}

export interface MerkleDiff {
  /** Leaves whose hashes differ, ascending. */
  leaves: number[];
  /** Keys to sync: every key either tree has in a differing leaf. */
  keys: string[];
  /** Hashes the two replicas compared, root included (what the exchange cost). */
  comparedHashes: number;
  /** Inner nodes and leaves that differed, per level from the root: the branches the UI highlights. */
  differingByLevel: number[][];
}

/** Compares two trees of the same depth top-down, descending only into differing branches. */
export function diffMerkleTrees(a: MerkleTree, b: MerkleTree): MerkleDiff {
  if (a.depth !== b.depth) throw new Error(`Merkle trees of depths ${a.depth} and ${b.depth} cannot be compared`);
  const differingByLevel: number[][] = [];
  let frontier = [0];
  let comparedHashes = 0;
  for (let level = 0; level <= a.depth; level += 1) {
    const differing: number[] = [];
    for (const index of frontier) {
      comparedHashes += 1;
      if (a.levels[level]![index] !== b.levels[level]![index]) differing.push(index);
    }
    differingByLevel.push(differing);
    frontier = differing.flatMap((index) => [2 * index, 2 * index + 1]);
  }
  const leaves = differingByLevel[a.depth]!;
  const keys = [...new Set(leaves.flatMap((leaf) => [...a.leafKeys[leaf]!, ...b.leafKeys[leaf]!]))].sort();
  return { leaves, keys, comparedHashes, differingByLevel };
}
