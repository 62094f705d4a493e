// What the Dynamo view in the UI draws, built from a node's state (contract: DynamoView). Two
// parts: `buildDynamoView`, a pure function of the core's state at `status()` time — the ring
// as this node's gossip sees it, where its stored keys land and whether their quorum is
// sloppy right now, the hints it holds, its siblings — and `MerkleExchangeLog`, a small
// record of the Merkle exchanges (§4.7) this node took part in. The core keeps no trees
// between messages (it rebuilds one per message and forgets it), so the log watches each
// step's merkle messages, in and out, and keeps the bounded picture the view needs.
//
// Pure: no I/O, no ambient time; everything is bounded by the DYNAMO_VIEW_* limits.

import type { NodeId } from '../../contract/clock.ts';
import {
  DYNAMO_VIEW_COMPARED_MAX, DYNAMO_VIEW_EXCHANGES_MAX, DYNAMO_VIEW_HINT_KEYS_MAX, DYNAMO_VIEW_KEYS_MAX, DYNAMO_VIEW_MERKLE_LEVELS_MAX,
  DYNAMO_VIEW_SIBLING_KEYS_MAX, DYNAMO_VIEW_SIBLINGS_PER_KEY_MAX, DYNAMO_VIEW_SYNCED_KEYS_MAX, DYNAMO_VIEW_TOKENS_MAX, DYNAMO_VIEW_VALUE_MAX,
  type CoreInput, type DynamoView, type DynamoViewExchange, type DynamoViewHints, type DynamoViewKey, type DynamoViewRingNode,
  type DynamoViewSiblings, type Ready,
} from '../../contract/core.ts';
import { leafOf, type MerkleTree } from './merkle.ts';
import { parseMessage, type MerkleLevel, type MerkleSync } from './messages.ts';
import type { DynamoParams } from './params.ts';
import { keyPosition, preferenceList, sloppyPreferenceList, type Ring } from './ring.ts';
import type { Version } from './versions.ts';

/** What `buildDynamoView` reads: the core's state, passed by its `status()`. */
export interface DynamoViewState {
  self: NodeId;
  params: DynamoParams;
  ring: Ring;
  store: ReadonlyMap<string, readonly Version[]>;
  hints: ReadonlyMap<NodeId, ReadonlyMap<string, readonly Version[]>>;
  alive: (node: NodeId) => boolean;
  handedOff: number;
  exchanges: MerkleExchangeLog;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function buildDynamoView(state: DynamoViewState): DynamoView {
  const { params, ring } = state;
  return {
    protocol: 'dynamo',
    source: 'live',
    self: state.self,
    n: params.n,
    r: params.r,
    w: params.w,
    conflictPolicy: params.conflictPolicy,
    sloppyQuorum: params.sloppyQuorum,
    tokensPerNode: ring.tokensPerNode,
    ring: ringNodes(ring, state.alive),
    ...placedKeys(state),
    hints: heldHints(state),
    handedOff: state.handedOff,
    ...siblingsOf(state.store),
    exchanges: state.exchanges.records(),
  };
}

/** Every node with its tokens; past DYNAMO_VIEW_TOKENS_MAX in all, each node keeps an equal share (its first tokens clockwise). */
function ringNodes(ring: Ring, alive: (node: NodeId) => boolean): DynamoViewRingNode[] {
  let tokens = tokensShown.get(ring);
  if (tokens === undefined) {
    const share = Math.max(1, Math.floor(DYNAMO_VIEW_TOKENS_MAX / Math.max(1, ring.nodes.length)));
    tokens = new Map(ring.nodes.map((node) => [node, []]));
    for (const token of ring.tokens) {
      const own = tokens.get(token.node)!;
      if (own.length < share) own.push(token.position);
    }
    tokensShown.set(ring, tokens);
  }
  return ring.nodes.map((id) => ({ id, up: alive(id), tokens: [...tokens.get(id)!] }));
}

/** Each ring's tokens as the view shows them, worked out once (a core's ring never changes). */
const tokensShown = new WeakMap<Ring, Map<NodeId, number[]>>();

/** Keys whose place is remembered per ring, before the memo starts over. */
const PLACES_REMEMBERED_MAX = 4 * DYNAMO_VIEW_KEYS_MAX;
/**
 * A key's hash and preference list, per ring (a core's ring never changes). Hosts may ask for
 * the status after every step (the simulator does), and walking the ring for every key every
 * time was most of the view's cost.
 */
const places = new WeakMap<Ring, Map<string, { position: number; list: NodeId[] }>>();

function placeOf(ring: Ring, key: string, n: number): { position: number; list: NodeId[] } {
  let known = places.get(ring);
  if (known === undefined || known.size >= PLACES_REMEMBERED_MAX) places.set(ring, (known = new Map()));
  let place = known.get(key);
  if (place === undefined || place.list.length !== Math.min(n, ring.nodes.length)) {
    place = { position: keyPosition(key), list: preferenceList(ring, key, n) };
    known.set(key, place);
  }
  return place;
}

function placedKeys(state: DynamoViewState): { keys: DynamoViewKey[]; keysStored: number } {
  const names = boundedSorted(state.store.keys(), DYNAMO_VIEW_KEYS_MAX);
  const keys = names.map((key): DynamoViewKey => {
    const { position, list: known } = placeOf(state.ring, key, state.params.n);
    const list = [...known];
    const unreachable = list.filter((node) => !state.alive(node));
    // Without a sloppy quorum no one stands in: a write with too few members up fails.
    const standIns = !state.params.sloppyQuorum || unreachable.length === 0 ? [] : sloppyPreferenceList(state.ring, key, state.params.n, state.alive)
      .filter((target): target is { node: NodeId; hintFor: NodeId } => target.hintFor !== null)
      .map((target) => ({ node: target.node, for: target.hintFor }));
    return { key, position, preferenceList: list, unreachable, standIns, versions: state.store.get(key)!.length };
  });
  return { keys, keysStored: state.store.size };
}

function heldHints(state: DynamoViewState): DynamoViewHints[] {
  const hints: DynamoViewHints[] = [];
  for (const owner of [...state.hints.keys()].sort(byText)) {
    const held = state.hints.get(owner)!;
    if (held.size === 0) continue;
    hints.push({ owner, count: held.size, keys: boundedSorted(held.keys(), DYNAMO_VIEW_HINT_KEYS_MAX), ownerUp: state.alive(owner) });
  }
  return hints;
}

function siblingsOf(store: ReadonlyMap<string, readonly Version[]>): { siblings: DynamoViewSiblings[]; siblingKeys: number } {
  const names: string[] = [];
  for (const [key, versions] of store) if (versions.length > 1) names.push(key);
  const siblings = boundedSorted(names, DYNAMO_VIEW_SIBLING_KEYS_MAX).map((key): DynamoViewSiblings => {
    const versions = store.get(key)!;
    return {
      key,
      versions: versions.slice(0, DYNAMO_VIEW_SIBLINGS_PER_KEY_MAX).map((version) => ({ dot: `${version.dot.node}:${version.dot.counter}`, value: summary(version.value) })),
      count: versions.length,
    };
  });
  return { siblings, siblingKeys: names.length };
}

/** The first `limit` names in order, without sorting them all (a store may hold 100,000 keys). */
function boundedSorted(names: Iterable<string>, limit: number): string[] {
  const kept: string[] = [];
  for (const name of names) {
    if (kept.length === limit && byText(name, kept[limit - 1]!) >= 0) continue;
    let at = kept.length;
    while (at > 0 && byText(kept[at - 1]!, name) > 0) at -= 1;
    kept.splice(at, 0, name);
    if (kept.length > limit) kept.pop();
  }
  return kept;
}

export function summary(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length <= DYNAMO_VIEW_VALUE_MAX ? text : `${text.slice(0, DYNAMO_VIEW_VALUE_MAX - 1)}…`;
}

// ---- Merkle exchanges ------------------------------------------------------------------------

/** Exchanges followed at once (a node answers several initiators while running its own). */
const OPEN_EXCHANGES_MAX = 8;

interface OpenExchange {
  record: DynamoViewExchange;
  /** This node's whole tree, kept while the exchange is followed, for the hashes of levels it compares below the ones the view carries. */
  tree: MerkleTree;
}

const differed = (record: DynamoViewExchange): boolean => record.state === 'synced' || record.compared.some((cell) => cell.differs);

/**
 * The Merkle exchanges this node took part in. `observe` sees every step's input and its
 * effects; an exchange starts with a level-0 message (this node's root going out, or a
 * peer's coming in) and is followed until it drops out of the bounded record. What one node
 * sees is half of it: each side compares the hashes the other sent, so the UI joins both
 * sides' records of one exchange.
 */
export class MerkleExchangeLog {
  private readonly open: OpenExchange[] = [];
  private lastDiffering: DynamoViewExchange | null = null;
  /** What `records` last returned, until the next change: hosts may ask for the status after every step. */
  private cached: DynamoViewExchange[] | null = null;

  constructor(private readonly self: NodeId) {}

  /** `treeFor(peer)`: this node's tree over the keys it shares with `peer`, as the core builds it. */
  observe(input: CoreInput, ready: Ready, treeFor: (peer: NodeId) => MerkleTree): void {
    const parsed = input.kind === 'message' && (input.type === 'merkle-level' || input.type === 'merkle-sync') ? parseMessage(input.type, input.payload) : null;
    const incoming = parsed?.type === 'merkle-level' || parsed?.type === 'merkle-sync' ? parsed : null;
    const outgoing = ready.messages.filter((message) => message.type === 'merkle-level' || message.type === 'merkle-sync');
    if (incoming === null && outgoing.length === 0) return;
    this.cached = null;
    const nowMs = input.nowMs;
    for (const message of outgoing) {
      if (message.type === 'merkle-level' && (message.payload as MerkleLevel).level === 0) this.start((message.payload as MerkleLevel).exchange, message.target, this.self, nowMs, treeFor);
    }
    if (incoming !== null && input.kind === 'message') {
      const exchange = incoming.payload.exchange;
      if (incoming.type === 'merkle-level' && incoming.payload.level === 0) this.start(exchange, input.source, input.source, nowMs, treeFor);
      const open = this.find(exchange);
      if (open !== null) {
        open.record.lastAtMs = nowMs;
        if (incoming.type === 'merkle-level') this.compare(open, incoming.payload, outgoing.filter((message) => (message.payload as { exchange?: unknown }).exchange === exchange));
        else this.synced(open, incoming.payload.entries.map(([key]) => key), 'received');
      }
    }
    for (const message of outgoing) {
      const payload = message.payload as MerkleLevel | MerkleSync;
      const open = this.find(payload.exchange);
      if (open === null) continue;
      open.record.lastAtMs = nowMs;
      if (message.type === 'merkle-sync') this.synced(open, (payload as MerkleSync).entries.map(([key]) => key), 'sent');
    }
  }

  /** Newest first: the open and recent exchanges, and the newest that found a difference if it fell out of them. */
  records(): DynamoViewExchange[] {
    if (this.cached !== null) return this.cached;
    const recent = this.open.map((open) => open.record).sort((a, b) => b.startedAtMs - a.startedAtMs);
    const kept = recent.slice(0, DYNAMO_VIEW_EXCHANGES_MAX);
    const differing = recent.find(differed) ?? this.lastDiffering;
    if (differing !== null && !kept.includes(differing)) kept.splice(DYNAMO_VIEW_EXCHANGES_MAX - 1, 1, differing);
    // Copies: the records go on changing, and a status, once handed out, must not.
    this.cached = kept.map((record) => structuredClone(record)).sort((a, b) => b.startedAtMs - a.startedAtMs);
    return this.cached;
  }

  private start(exchange: string, peer: NodeId, initiator: NodeId, nowMs: number, treeFor: (peer: NodeId) => MerkleTree): void {
    if (this.find(exchange) !== null) return;
    const tree = treeFor(peer);
    const shown = Math.min(tree.depth, DYNAMO_VIEW_MERKLE_LEVELS_MAX - 1);
    const record: DynamoViewExchange = {
      exchange, peer, initiator, startedAtMs: nowMs, lastAtMs: nowMs, depth: tree.depth,
      tree: tree.levels.slice(0, shown + 1).map((level) => [...level]),
      treeKeys: tree.leafKeys.reduce((sum, keys) => sum + keys.length, 0),
      compared: [], keysSent: [], keysReceived: [], keysSentCount: 0, keysReceivedCount: 0, state: 'comparing',
    };
    this.open.push({ record, tree });
    if (this.open.length > OPEN_EXCHANGES_MAX) {
      // The oldest goes; if it found a difference it stays as the last one that did.
      this.open.sort((a, b) => a.record.startedAtMs - b.record.startedAtMs);
      const dropped = this.open.shift()!.record;
      if (differed(dropped) && (this.lastDiffering === null || dropped.startedAtMs >= this.lastDiffering.startedAtMs)) this.lastDiffering = dropped;
    }
  }

  private find(exchange: string): OpenExchange | null {
    return this.open.find((open) => open.record.exchange === exchange) ?? null;
  }

  /**
   * The peer's hashes of one level met this node's. Which differed is read from what the core
   * answered in the same step (children of the differing ones, or at the leaves the keys to
   * sync), so the record says what the protocol decided, not what this log recomputed.
   */
  private compare(open: OpenExchange, message: MerkleLevel, answers: readonly { type: string; payload: unknown }[]): void {
    const { record, tree } = open;
    if (message.depth !== tree.depth) {
      record.state = 'depth-mismatch';
      return;
    }
    const differing = new Set<number>();
    for (const answer of answers) {
      if (answer.type === 'merkle-level') for (const [child] of (answer.payload as MerkleLevel).nodes) differing.add(child >> 1);
      else for (const leaf of (answer.payload as MerkleSync).leaves) differing.add(leaf);
    }
    for (const [index, theirs] of message.nodes) {
      if (record.compared.length >= DYNAMO_VIEW_COMPARED_MAX) break;
      record.compared.push({ level: message.level, index, mine: tree.levels[message.level]?.[index] ?? 0, theirs, differs: differing.has(index) });
    }
    if (differing.size === 0 && record.state === 'comparing') record.state = record.compared.some((cell) => cell.differs) ? 'converged' : 'in-sync';
  }

  private synced(open: OpenExchange, keys: readonly string[], direction: 'sent' | 'received'): void {
    const { record, tree } = open;
    record.state = 'synced';
    const list = direction === 'sent' ? record.keysSent : record.keysReceived;
    for (const key of keys) if (list.length < DYNAMO_VIEW_SYNCED_KEYS_MAX) list.push({ key, leaf: leafOf(key, tree.depth) });
    if (direction === 'sent') record.keysSentCount += keys.length;
    else record.keysReceivedCount += keys.length;
  }
}
