// Consistent hashing with virtual nodes (DeCandia et al. 2007, §4.2; the book's "Amazon's
// Dynamo"). Every physical node owns `tokens` points on a 32-bit ring; a key hashes to a point
// and belongs to the first token clockwise from it. Its preference list is the first N
// distinct physical nodes met walking clockwise, so the N replicas of a key sit on N
// different machines. Adding a node moves to it only the keys whose first token is now one
// of the new node's; removing a node hands its keys to the next tokens clockwise. Nothing
// else moves: that is the point of consistent hashing, and the property tests check it.
//
// Pure: any coordinator (or client) that knows the membership computes the same ring.

import type { NodeId } from '../../contract/clock.ts';
import { hashString } from '../hash/hash-string.ts';

/** Positions on the ring: unsigned 32-bit integers. */
export const RING_SIZE = 2 ** 32;
export const TOKENS_PER_NODE_MAX = 1_024;
export const RING_NODES_MAX = 64;

export interface RingToken {
  position: number;
  node: NodeId;
}

export interface Ring {
  /** Sorted by position; ties (astronomically rare) broken by node id. */
  readonly tokens: readonly RingToken[];
  readonly nodes: readonly NodeId[];
  readonly tokensPerNode: number;
}

/** Where a token of `node` sits: the hash of `node#index`, so every coordinator agrees. */
export function tokenPosition(node: NodeId, index: number): number {
  return hashString(`${node}#${index}`);
}

export function keyPosition(key: string): number {
  return hashString(`key:${key}`);
}

export function createRing(nodes: readonly NodeId[], tokensPerNode: number): Ring {
  if (!Number.isInteger(tokensPerNode) || tokensPerNode < 1 || tokensPerNode > TOKENS_PER_NODE_MAX) {
    throw new Error(`tokens per node must be an integer in [1, ${TOKENS_PER_NODE_MAX}], not ${tokensPerNode}`);
  }
  const unique = [...new Set(nodes)].sort();
  if (unique.length !== nodes.length) throw new Error('a ring names each node once');
  if (unique.length > RING_NODES_MAX) throw new Error(`a ring holds at most ${RING_NODES_MAX} nodes`);
  const tokens: RingToken[] = [];
  for (const node of unique) {
    for (let index = 0; index < tokensPerNode; index += 1) tokens.push({ position: tokenPosition(node, index), node });
  }
  tokens.sort((a, b) => a.position - b.position || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { tokens, nodes: unique, tokensPerNode };
}

/** Index of the first token at or clockwise after `position` (wrapping to 0). */
function firstTokenAtOrAfter(ring: Ring, position: number): number {
  let low = 0;
  let high = ring.tokens.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ring.tokens[middle]!.position < position) low = middle + 1;
    else high = middle;
  }
  return low === ring.tokens.length ? 0 : low;
}

/**
 * Distinct physical nodes in ring order, starting at the key's position: the first N are its
 * preference list; the ones after are where a sloppy quorum looks when those are down.
 */
export function walk(ring: Ring, key: string): NodeId[] {
  const order: NodeId[] = [];
  if (ring.tokens.length === 0) return order;
  const seen = new Set<NodeId>();
  const start = firstTokenAtOrAfter(ring, keyPosition(key));
  for (let step = 0; step < ring.tokens.length && order.length < ring.nodes.length; step += 1) {
    const node = ring.tokens[(start + step) % ring.tokens.length]!.node;
    if (!seen.has(node)) {
      seen.add(node);
      order.push(node);
    }
  }
  return order;
}

/** The key's preference list: the first `n` distinct nodes clockwise (fewer if the ring is smaller). */
export function preferenceList(ring: Ring, key: string, n: number): NodeId[] {
  return walk(ring, key).slice(0, n);
}

/**
 * Sloppy quorum (Dynamo §4.6): the first `n` reachable nodes in ring order. A stand-in for an
 * unreachable member of the preference list carries a hint naming the node it stands in for,
 * and hands the write back when that node returns (hinted handoff).
 */
export function sloppyPreferenceList(ring: Ring, key: string, n: number, reachable: (node: NodeId) => boolean): { node: NodeId; hintFor: NodeId | null }[] {
  const order = walk(ring, key);
  const intended = order.slice(0, n);
  const missing = intended.filter((node) => !reachable(node));
  const chosen: { node: NodeId; hintFor: NodeId | null }[] = intended.filter(reachable).map((node) => ({ node, hintFor: null }));
  for (const standIn of order.slice(n)) {
    if (missing.length === 0) break;
    if (reachable(standIn)) chosen.push({ node: standIn, hintFor: missing.shift()! });
  }
  return chosen;
}

/** Share of the ring each node owns as a key's first replica (sums to 1). */
export function ownership(ring: Ring): Map<NodeId, number> {
  const shares = new Map<NodeId, number>(ring.nodes.map((node) => [node, 0]));
  const { tokens } = ring;
  tokens.forEach((token, index) => {
    // A token owns the arc from the previous token (exclusive) up to itself.
    const previous = tokens[(index - 1 + tokens.length) % tokens.length]!.position;
    const arc = tokens.length === 1 ? RING_SIZE : (token.position - previous + RING_SIZE) % RING_SIZE;
    shares.set(token.node, shares.get(token.node)! + arc / RING_SIZE);
  });
  return shares;
}

/** The arcs (start exclusive, end inclusive) whose keys have `node` in their preference list of `n`: the ranges it stores. */
export function rangesOf(ring: Ring, node: NodeId, n: number): { startExclusive: number; endInclusive: number }[] {
  const { tokens } = ring;
  const ranges: { startExclusive: number; endInclusive: number }[] = [];
  tokens.forEach((token, index) => {
    const previous = tokens[(index - 1 + tokens.length) % tokens.length]!.position;
    // Keys in this arc start their walk at `token`: the list is the same for the whole arc.
    const list = walkFrom(ring, index, n);
    if (list.includes(node)) ranges.push({ startExclusive: previous, endInclusive: token.position });
  });
  return ranges;
}

function walkFrom(ring: Ring, start: number, n: number): NodeId[] {
  const list: NodeId[] = [];
  for (let step = 0; step < ring.tokens.length && list.length < n; step += 1) {
    const node = ring.tokens[(start + step) % ring.tokens.length]!.node;
    if (!list.includes(node)) list.push(node);
  }
  return list;
}

/**
 * The nodes that share at least one key range with `node` (both in the range's preference
 * list of `n`): the peers it must compare Merkle trees with, sorted. Pairs outside this set
 * replicate no key together.
 */
export function replicaPeers(ring: Ring, node: NodeId, n: number): NodeId[] {
  const peers = new Set<NodeId>();
  for (let index = 0; index < ring.tokens.length; index += 1) {
    const list = walkFrom(ring, index, n);
    if (list.includes(node)) for (const other of list) if (other !== node) peers.add(other);
  }
  return [...peers].sort();
}
