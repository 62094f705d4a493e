// A Dynamo-style key-value store (DeCandia et al., SOSP 2007; the book's §5 "Amazon's
// Dynamo"). It guarantees availability, not consistency: any node coordinates a request; a
// key lives on the N nodes of its preference list on a consistent-hashing ring (ring.ts); a
// read waits for R answers and a write for W acknowledgements (partial quorums: R + W ≤ N
// gives no guarantee of reading the latest write, and even R + W > N does not under sloppy
// quorums). Concurrent writes are kept as siblings ordered by dotted version vectors and
// merged by the client, or decided by last-writer-wins on unsynchronized clocks (versions.ts).
// Divergence is repaired three ways: read repair after a read, hinted handoff after a node
// returns, and Merkle-tree anti-entropy between random pairs of replicas (merkle.ts).
// Membership liveness comes from gossip: every node bumps its heartbeat and pushes its table
// to one random peer per interval, and the peer answers with its own (push-pull).
//
// Pure: time arrives with every input, randomness through the context.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { buildMerkleTree, type MerkleTree } from './merkle.ts';
import { parseMessage, MESSAGE_ENTRIES_MAX, type DynamoMessage, type Gossip, type MerkleLevel, type MerkleSync } from './messages.ts';
import { DYNAMO_LIMITS, parseDynamoParams, type DynamoParams } from './params.ts';
import { createRing, preferenceList, replicaPeers, sloppyPreferenceList, type Ring } from './ring.ts';
import { checkContext, contextCovers, emptyContext, joinContext, pruneContext, reconcile, versionsDigest, type Context, type Version } from './versions.ts';
import { Outbox } from '../support/outbox.ts';
import { buildDynamoView, MerkleExchangeLog } from './view.ts';

const KEY = {
  versions: (key: string): string => `v:${key}`,
  minted: (key: string): string => `m:${key}`,
  hint: (owner: NodeId, key: string): string => `h:${owner}:${key}`,
  incarnation: 'incarnation',
} as const;

const TIMER = { gossip: 'gossip', antiEntropy: 'anti-entropy', handoff: 'handoff' } as const;
const REQUEST_TIMER_PREFIX = 'request:';
const KEY_LENGTH_MAX = 256;

interface PendingRead {
  kind: 'read';
  client: string;
  key: string;
  r: number;
  targets: NodeId[];
  replies: Map<NodeId, Version[]>;
  merged: Version[] | null;
}

interface PendingWrite {
  kind: 'write';
  client: string;
  key: string;
  w: number;
  targets: NodeId[];
  acks: Set<NodeId>;
  answered: boolean;
}

type Pending = PendingRead | PendingWrite;

interface Heartbeat {
  incarnation: number;
  beat: number;
  /** The local clock when this node last saw the heartbeat advance. */
  advancedAtMs: number;
}

export class DynamoCore implements ProtocolCore {
  private readonly params: DynamoParams;
  private readonly ring: Ring;
  private readonly store = new Map<string, Version[]>();
  private readonly minted = new Map<string, number>();
  /** Versions held for a node that was unreachable when they were written: owner → key → versions. */
  private readonly hints = new Map<NodeId, Map<string, Version[]>>();
  private readonly heartbeats = new Map<NodeId, Heartbeat>();
  private readonly pending = new Map<string, Pending>();
  private incarnation = 0;
  private requestCount = 0;
  /** The peers this node shares key ranges with, and whose turn it is for the next Merkle exchange. */
  private readonly replicaPeers: readonly NodeId[];
  private antiEntropyTurn = 0;
  private nowMs = 0;
  private recovered = false;
  private readonly out = new Outbox();
  /** Counters for the status: what the repair mechanisms did on this node since it started. */
  private readonly counts = {
    readRepairs: 0, handedOff: 0, hintsStored: 0, antiEntropyKeys: 0, prunedContexts: 0,
    /** Keys a Merkle sync changed on this node (antiEntropyKeys counts every key it received). */
    antiEntropyRepaired: 0,
    /** Versions a pruned context failed to supersede: siblings only pruning made (versions.ts). */
    falseSiblings: 0,
  };
  /** The Merkle exchanges this node took part in, for the view (the core itself keeps no trees). */
  private readonly exchanges: MerkleExchangeLog;

  constructor(private readonly context: CoreContext) {
    this.params = parseDynamoParams(context.params);
    this.ring = createRing([context.self, ...context.peers], this.params.tokensPerNode);
    this.replicaPeers = replicaPeers(this.ring, context.self, this.params.n);
    this.exchanges = new MerkleExchangeLog(context.self);
  }

  step(input: CoreInput): Ready {
    this.nowMs = input.nowMs;
    if (input.kind === 'recover') this.recover(input.stable);
    else if (input.kind === 'message') this.onMessage(input.source, input.type, input.payload);
    else if (input.kind === 'timer') this.onTimer(input.timer);
    else if (input.kind === 'client') this.onClient(input.requestId, input.op);
    // Suspicion from the host's detector is not used: membership liveness is gossip's job here.
    const ready = this.out.take();
    this.exchanges.observe(input, ready, (peer) => this.sharedTree(peer));
    return ready;
  }

  /** Every Dynamo node is a replica; the simulator asks after every step without building the status (and its view). */
  roleName(): string {
    return 'replica';
  }

  status(): CoreStatus {
    const siblings = [...this.store.values()].filter((versions) => versions.length > 1).length;
    const hints = [...this.hints.values()].reduce((sum, keys) => sum + keys.size, 0);
    const data: Record<string, unknown> = {};
    for (const key of [...this.store.keys()].sort()) {
      const versions = this.store.get(key)!;
      data[key] = versions.length === 1 ? versions[0]!.value : { siblings: versions.map((version) => version.value) };
    }
    return {
      role: 'replica',
      facts: {
        keys: this.store.size,
        siblings,
        hints,
        up: this.ring.nodes.filter((node) => this.alive(node)).join(','),
        policy: this.params.conflictPolicy,
        quorum: `N=${this.params.n} R=${this.params.r} W=${this.params.w}`,
        readRepairs: this.counts.readRepairs,
        handedOff: this.counts.handedOff,
        antiEntropyKeys: this.counts.antiEntropyKeys,
        antiEntropyRepaired: this.counts.antiEntropyRepaired,
        prunedContexts: this.counts.prunedContexts,
        falseSiblings: this.counts.falseSiblings,
      },
      data,
      view: buildDynamoView({
        self: this.context.self, params: this.params, ring: this.ring, store: this.store, hints: this.hints,
        alive: (node) => this.alive(node), handedOff: this.counts.handedOff, exchanges: this.exchanges,
      }),
    };
  }

  // ---- recovery ----------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    if (this.recovered) throw new Error('`recover` must come once, first');
    this.recovered = true;
    for (const [name, value] of stable) {
      if (name.startsWith('v:')) this.store.set(name.slice(2), value as Version[]);
      else if (name.startsWith('m:')) this.minted.set(name.slice(2), value as number);
      else if (name.startsWith('h:')) {
        const rest = name.slice(2);
        const cut = rest.indexOf(':');
        this.hintsOf(rest.slice(0, cut)).set(rest.slice(cut + 1), value as Version[]);
      }
    }
    // A new incarnation outranks every heartbeat of the previous life in others' tables.
    this.incarnation = ((stable.get(KEY.incarnation) as number | undefined) ?? 0) + 1;
    this.out.persist(KEY.incarnation, this.incarnation);
    for (const node of this.ring.nodes) this.heartbeats.set(node, { incarnation: node === this.context.self ? this.incarnation : 0, beat: 0, advancedAtMs: this.nowMs });
    this.out.setTimer(TIMER.gossip, this.params.gossipIntervalMs * this.context.random());
    this.out.setTimer(TIMER.handoff, this.params.handoffIntervalMs);
    if (this.params.antiEntropyIntervalMs > 0) this.out.setTimer(TIMER.antiEntropy, this.params.antiEntropyIntervalMs * (0.5 + this.context.random()));
    this.antiEntropyTurn = Math.floor(this.context.random() * Math.max(1, this.replicaPeers.length));
    this.out.note('recovered', { keys: this.store.size, hints: [...this.hints.values()].reduce((sum, keys) => sum + keys.size, 0), incarnation: this.incarnation });
  }

  // ---- clients -----------------------------------------------------------------------------

  private onClient(client: string, op: ClientOp): void {
    const key = op.key;
    if (typeof key !== 'string' || key.length === 0 || key.length > KEY_LENGTH_MAX) return this.out.reply(client, { type: 'fail', error: `a key is a string of 1–${KEY_LENGTH_MAX} characters` });
    if (op.f !== 'get' && op.f !== 'put') return this.out.reply(client, { type: 'fail', error: `dynamo serves get and put, not '${op.f}'` });
    if (this.pending.size >= DYNAMO_LIMITS.pendingRequestsMax) return this.out.reply(client, { type: 'fail', error: 'too many requests in flight; retry' });
    const quorum = this.quorumOf(op);
    if (typeof quorum === 'string') return this.out.reply(client, { type: 'fail', error: quorum });
    const targets = this.targetsFor(key);
    const needed = op.f === 'get' ? quorum.r : quorum.w;
    if (targets.length < needed) {
      return this.out.reply(client, { type: 'fail', error: `only ${targets.length} of the ${this.params.n} replicas of '${key}' are reachable; ${op.f === 'get' ? 'R' : 'W'} = ${needed}` });
    }
    if (op.f === 'get') return this.startRead(client, key, quorum.r, targets);
    // The coordinator of a write is a replica of the key: it numbers the key's versions.
    if (!targets.some((target) => target.node === this.context.self)) {
      return this.out.reply(client, { type: 'fail', error: `${this.context.self} does not replicate '${key}'`, redirect: targets[0]!.node });
    }
    const context = op.context === undefined ? emptyContext() : op.context;
    const malformed = checkContext(context);
    if (malformed !== null) return this.out.reply(client, { type: 'fail', error: `bad context: ${malformed}` });
    this.startWrite(client, key, op.value ?? null, context as Context, quorum.w, targets);
  }

  private quorumOf(op: ClientOp): { r: number; w: number } | string {
    const r = op.quorum?.r ?? this.params.r;
    const w = op.quorum?.w ?? this.params.w;
    for (const [name, value] of [['R', r], ['W', w]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > this.params.n) return `${name} must be an integer in [1, N = ${this.params.n}], not ${String(value)}`;
    }
    return { r, w };
  }

  /** Where a request for `key` goes: its preference list, or with a sloppy quorum the first N reachable nodes in ring order. */
  private targetsFor(key: string): { node: NodeId; hintFor: NodeId | null }[] {
    if (this.params.sloppyQuorum) return sloppyPreferenceList(this.ring, key, this.params.n, (node) => this.alive(node));
    return preferenceList(this.ring, key, this.params.n).filter((node) => this.alive(node)).map((node) => ({ node, hintFor: null }));
  }

  private startRead(client: string, key: string, r: number, targets: { node: NodeId; hintFor: NodeId | null }[]): void {
    const ordered = [...targets].sort((a, b) => Number(b.node === this.context.self) - Number(a.node === this.context.self));
    const asked = (this.params.fanout === 'all' ? ordered : ordered.slice(0, r)).map((target) => target.node);
    const request = this.newRequest();
    const pending: PendingRead = { kind: 'read', client, key, r, targets: asked, replies: new Map(), merged: null };
    this.pending.set(request, pending);
    this.out.setTimer(REQUEST_TIMER_PREFIX + request, this.params.requestTimeoutMs);
    for (const node of asked) {
      if (node === this.context.self) this.onReadReply(request, node, this.localVersions(key));
      else this.out.send(node, 'read', { request, key });
    }
  }

  private startWrite(client: string, key: string, value: unknown, context: Context, w: number, targets: { node: NodeId; hintFor: NodeId | null }[]): void {
    const self = this.context.self;
    const stored = this.store.get(key) ?? [];
    // One past the last number this node gave the key (persisted), or past any it sees on disk.
    const seen = Math.max(this.minted.get(key) ?? 0, ...stored.map((version) => (version.dot.node === self ? version.dot.counter : version.context.vector[self] ?? 0)));
    let clientContext = context;
    if (this.params.contextMaxNodes > 0) {
      const pruned = pruneContext(context, this.params.contextMaxNodes);
      if (pruned.pruned > 0) {
        // What pruning costs, measured where it happens: the versions here that the client's
        // context supersedes and the pruned one no longer does stay on as siblings.
        const falseSiblings = this.localVersions(key).filter((held) => contextCovers(context, held.dot) && !contextCovers(pruned.context, held.dot)).length;
        this.counts.prunedContexts += 1;
        this.counts.falseSiblings += falseSiblings;
        this.out.note('context-pruned', { key, dropped: pruned.pruned, falseSiblings });
      }
      clientContext = pruned.context;
    }
    const version: Version = { value, dot: { node: self, counter: seen + 1 }, context: clientContext, stamp: { ms: this.nowMs, node: self } };
    this.minted.set(key, seen + 1);
    this.out.persist(KEY.minted(key), seen + 1);
    // A stand-in coordinator (sloppy quorum, an owner unreachable) keeps its own write as a hint
    // for that owner, like anyone else's: only hints are handed back, and its store's keys are
    // only the ones it replicates (anti-entropy syncs no others), so a write kept there with
    // W = 1 would never reach a replica (dynamo-swarm seed 2).
    const standInFor = targets.find((target) => target.node === self)?.hintFor ?? null;
    if (standInFor === null) this.storeVersions(key, [version]);
    else this.storeHint(standInFor, key, [version]);
    const others = targets.filter((target) => target.node !== self);
    const chosen = this.params.fanout === 'all' ? others : others.slice(0, Math.max(0, w - 1));
    const request = this.newRequest();
    const pending: PendingWrite = { kind: 'write', client, key, w, targets: [self, ...chosen.map((target) => target.node)], acks: new Set([self]), answered: false };
    this.pending.set(request, pending);
    this.out.setTimer(REQUEST_TIMER_PREFIX + request, this.params.requestTimeoutMs);
    for (const target of chosen) this.out.send(target.node, 'write', { request, key, versions: [version], hintFor: target.hintFor });
    this.checkWriteDone(request, pending);
  }

  private checkWriteDone(request: string, pending: PendingWrite): void {
    if (!pending.answered && pending.acks.size >= pending.w) {
      pending.answered = true;
      this.out.reply(pending.client, { type: 'ok' });
    }
    if (pending.acks.size >= pending.targets.length) this.finish(request);
  }

  private onReadReply(request: string, source: NodeId, versions: Version[]): void {
    const pending = this.pending.get(request);
    if (pending === undefined || pending.kind !== 'read' || !pending.targets.includes(source) || pending.replies.has(source)) return;
    pending.replies.set(source, versions);
    if (pending.merged === null && pending.replies.size >= pending.r) {
      pending.merged = this.mergedReplies(pending);
      this.answerRead(pending);
    }
    if (pending.replies.size >= pending.targets.length) {
      this.readRepair(pending);
      this.finish(request);
    }
  }

  private mergedReplies(pending: PendingRead): Version[] {
    return [...pending.replies.values()].reduce((merged, theirs) => reconcile(this.params.conflictPolicy, merged, theirs), [] as Version[]);
  }

  private answerRead(pending: PendingRead): void {
    const versions = pending.merged!;
    if (versions.length === 0) return this.out.reply(pending.client, { type: 'ok', value: null, siblings: [], context: emptyContext() });
    // The value a client that ignores siblings would see: the latest by its coordinator's clock.
    const latest = versions.reduce((best, version) => (version.stamp.ms > best.stamp.ms || (version.stamp.ms === best.stamp.ms && version.stamp.node > best.stamp.node) ? version : best));
    this.out.reply(pending.client, { type: 'ok', value: latest.value, siblings: versions.map((version) => version.value), context: joinContext(versions) });
  }

  /**
   * Read repair, once every asked replica has answered (or the request timed out): a replica
   * whose answer lacks what the answers hold together gets the reconciled versions. Judged
   * against all the answers, not the first R: a slower replica that holds a newer version must
   * not be "repaired" with less, and what it holds must reach the others.
   */
  private readRepair(pending: PendingRead): void {
    if (!this.params.readRepair || pending.replies.size < 2) return;
    const reconciled = this.mergedReplies(pending);
    const digest = versionsDigest(reconciled);
    // Only the key's replicas are repaired: a stand-in's copy is a hint on its way back to its
    // owner, and a coordinator outside the preference list keeps nothing.
    const replicas = preferenceList(this.ring, pending.key, this.params.n);
    for (const [replica, own] of pending.replies) {
      if (versionsDigest(own) === digest || !replicas.includes(replica)) continue;
      this.counts.readRepairs += 1;
      this.out.note('read-repair', { key: pending.key, replica, had: versionsDigest(own), now: digest });
      if (replica === this.context.self) this.storeVersions(pending.key, reconciled);
      else this.out.send(replica, 'repair', { key: pending.key, versions: reconciled });
    }
  }

  private onRequestTimeout(request: string): void {
    const pending = this.pending.get(request);
    if (pending === undefined) return;
    this.pending.delete(request);
    if (pending.kind === 'read') this.readRepair(pending);
    if (pending.kind === 'read' && pending.merged === null) {
      this.out.reply(pending.client, { type: 'fail', error: `timeout: ${pending.replies.size} of R = ${pending.r} replies` });
    } else if (pending.kind === 'write' && !pending.answered) {
      // Some replicas may hold the write: the outcome is unknown, not failed.
      this.out.reply(pending.client, { type: 'info', error: `timeout: ${pending.acks.size} of W = ${pending.w} acknowledgements` });
    }
  }

  private finish(request: string): void {
    this.pending.delete(request);
    this.out.cancelTimer(REQUEST_TIMER_PREFIX + request);
  }

  // ---- replicas ----------------------------------------------------------------------------

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const message = parseMessage(type, payload);
    if (message === null) return this.out.note('malformed-message', { source, type });
    this.dispatch(source, message);
  }

  private dispatch(source: NodeId, message: DynamoMessage): void {
    switch (message.type) {
      case 'read': return this.out.send(source, 'read-reply', { request: message.payload.request, key: message.payload.key, versions: this.localVersions(message.payload.key) });
      case 'read-reply': return this.onReadReply(message.payload.request, source, message.payload.versions);
      case 'write': {
        const { request, key, versions, hintFor } = message.payload;
        if (hintFor !== null && hintFor !== this.context.self) this.storeHint(hintFor, key, versions);
        else this.storeVersions(key, versions);
        return this.out.send(source, 'write-ack', { request, key });
      }
      case 'write-ack': {
        const pending = this.pending.get(message.payload.request);
        if (pending?.kind !== 'write' || !pending.targets.includes(source)) return;
        pending.acks.add(source);
        return this.checkWriteDone(message.payload.request, pending);
      }
      case 'repair':
        this.storeVersions(message.payload.key, message.payload.versions);
        return;
      case 'handoff': return this.onHandoff(source, message.payload.owner, message.payload.entries);
      case 'handoff-ack': return this.onHandoffAck(source, message.payload.entries);
      case 'gossip': return this.onGossip(source, message.payload);
      case 'merkle-level': return this.onMerkleLevel(source, message.payload);
      case 'merkle-sync': return this.onMerkleSync(source, message.payload);
    }
  }

  /** What this node holds for `key`: its own versions and any it holds as hints (a stand-in serves reads too). */
  private localVersions(key: string): Version[] {
    let versions = this.store.get(key) ?? [];
    for (const keys of this.hints.values()) {
      const hinted = keys.get(key);
      if (hinted !== undefined) versions = reconcile(this.params.conflictPolicy, versions, hinted);
    }
    return versions;
  }

  /** Reconciles `incoming` into the key's versions; true when that changed what this node holds. */
  private storeVersions(key: string, incoming: readonly Version[]): boolean {
    const current = this.store.get(key) ?? [];
    if (current.length === 0 && this.store.size >= DYNAMO_LIMITS.keysMax) {
      this.out.note('store-full', { key });
      return false;
    }
    const next = this.bounded(key, reconcile(this.params.conflictPolicy, current, incoming));
    if (this.params.conflictPolicy === 'lww') {
      // A version that loses here on its first arrival was never visible on this replica: LWW's silent loss, made visible.
      const isNew = (version: Version): boolean => !current.some((held) => held.dot.node === version.dot.node && held.dot.counter === version.dot.counter);
      const lost = incoming.filter((version) => isNew(version) && !next.some((kept) => kept.dot.node === version.dot.node && kept.dot.counter === version.dot.counter));
      if (lost.length > 0) this.out.note('lww-discarded', { key, discarded: lost.map((version) => `${version.dot.node}:${version.dot.counter}`), kept: versionsDigest(next) });
    }
    if (versionsDigest(next) === versionsDigest(current)) return false;
    if (this.params.conflictPolicy !== 'lww' && next.length > 1 && next.length > current.length) {
      this.out.note('siblings', { key, count: next.length, versions: versionsDigest(next) });
    }
    this.store.set(key, next);
    this.out.persist(KEY.versions(key), next);
    return true;
  }

  /** Siblings past the bound are folded into the latest (traced: a bounded store loses them visibly). */
  private bounded(key: string, versions: Version[]): Version[] {
    if (versions.length <= DYNAMO_LIMITS.siblingsMax) return versions;
    const kept = [...versions].sort((a, b) => b.stamp.ms - a.stamp.ms).slice(0, DYNAMO_LIMITS.siblingsMax);
    this.out.note('siblings-truncated', { key, dropped: versions.length - kept.length });
    return reconcile(this.params.conflictPolicy, [], kept);
  }

  private storeHint(owner: NodeId, key: string, incoming: readonly Version[]): void {
    const held = this.hintsOf(owner);
    const next = reconcile(this.params.conflictPolicy, held.get(key) ?? [], incoming);
    held.set(key, next);
    this.out.persist(KEY.hint(owner, key), next);
    this.counts.hintsStored += 1;
    this.out.note('hint-stored', { owner, key });
  }

  private hintsOf(owner: NodeId): Map<string, Version[]> {
    let held = this.hints.get(owner);
    if (held === undefined) {
      held = new Map();
      this.hints.set(owner, held);
    }
    return held;
  }

  // ---- hinted handoff ----------------------------------------------------------------------

  private onHandoffTimer(): void {
    this.out.setTimer(TIMER.handoff, this.params.handoffIntervalMs);
    for (const [owner, keys] of this.hints) {
      if (keys.size === 0 || !this.alive(owner)) continue;
      const entries = [...keys].slice(0, MESSAGE_ENTRIES_MAX);
      this.out.send(owner, 'handoff', { owner, entries });
    }
  }

  private onHandoff(source: NodeId, owner: NodeId, entries: [string, Version[]][]): void {
    if (owner !== this.context.self) return this.out.note('handoff-misdirected', { source, owner });
    for (const [key, versions] of entries) this.storeVersions(key, versions);
    this.out.note('handoff-received', { from: source, keys: entries.length });
    this.out.send(source, 'handoff-ack', { owner, entries: entries.map(([key, versions]) => [key, versionsDigest(versions)]) });
  }

  private onHandoffAck(source: NodeId, entries: [string, string][]): void {
    const held = this.hints.get(source);
    if (held === undefined) return;
    let handed = 0;
    for (const [key, digest] of entries) {
      // Only what was sent and acknowledged goes; a hint that grew since stays for the next round.
      if (held.has(key) && versionsDigest(held.get(key)!) === digest) {
        held.delete(key);
        this.out.persist(KEY.hint(source, key), undefined);
        handed += 1;
      }
    }
    this.counts.handedOff += handed;
    if (handed > 0) this.out.note('hints-handed-off', { owner: source, keys: handed });
  }

  // ---- gossip membership ---------------------------------------------------------------------

  private onGossipTimer(): void {
    this.out.setTimer(TIMER.gossip, this.params.gossipIntervalMs);
    const own = this.heartbeats.get(this.context.self)!;
    own.beat += 1;
    own.advancedAtMs = this.nowMs;
    const peer = this.randomPeer(() => true);
    if (peer !== null) this.out.send(peer, 'gossip', { heartbeats: this.heartbeatTable(), reply: false } satisfies Gossip);
  }

  private onGossip(source: NodeId, gossip: Gossip): void {
    for (const [node, [incarnation, beat]] of Object.entries(gossip.heartbeats)) {
      const known = this.heartbeats.get(node);
      if (known === undefined || node === this.context.self) continue;
      const newer = incarnation > known.incarnation || (incarnation === known.incarnation && beat > known.beat);
      if (!newer) continue;
      const wasAlive = this.alive(node);
      this.heartbeats.set(node, { incarnation, beat, advancedAtMs: this.nowMs });
      if (!wasAlive) this.out.note('member-up', { node });
    }
    if (!gossip.reply) this.out.send(source, 'gossip', { heartbeats: this.heartbeatTable(), reply: true } satisfies Gossip);
  }

  private heartbeatTable(): Record<NodeId, [number, number]> {
    return Object.fromEntries([...this.heartbeats].map(([node, heartbeat]) => [node, [heartbeat.incarnation, heartbeat.beat]]));
  }

  private alive(node: NodeId): boolean {
    if (node === this.context.self) return true;
    const heartbeat = this.heartbeats.get(node);
    return heartbeat !== undefined && this.nowMs - heartbeat.advancedAtMs < this.params.gossipFailAfterMs;
  }

  // ---- Merkle anti-entropy -------------------------------------------------------------------

  private onAntiEntropyTimer(): void {
    this.out.setTimer(TIMER.antiEntropy, this.params.antiEntropyIntervalMs);
    const peer = this.nextAntiEntropyPeer();
    if (peer === null) return;
    const tree = this.sharedTree(peer);
    const exchange = `${this.context.self}>${peer}#${this.newRequest()}`;
    this.out.send(peer, 'merkle-level', { exchange, depth: tree.depth, level: 0, nodes: [[0, tree.levels[0]![0]!]] } satisfies MerkleLevel);
  }

  /**
   * The replica peers in turn, skipping those gossip says are down (Dynamo §4.7: a node
   * compares each range it hosts with the other nodes hosting it). A random peer per round
   * left a pair unmatched for 10 s of healed cluster in a few runs in a hundred (dynamo-swarm
   * seed 22: with N = 2, W = 1, a write acknowledged by one replica never reached the
   * other); in turn, every pair meets within one round of replica peers.
   */
  private nextAntiEntropyPeer(): NodeId | null {
    const peers = this.replicaPeers;
    for (let step = 0; step < peers.length; step += 1) {
      const peer = peers[this.antiEntropyTurn % peers.length]!;
      this.antiEntropyTurn += 1;
      if (this.alive(peer)) return peer;
    }
    return null;
  }

  /** The tree over the keys both this node and `peer` replicate (by the strict preference lists). */
  private sharedTree(peer: NodeId): MerkleTree {
    const entries: [string, string][] = [];
    for (const [key, versions] of this.store) {
      const list = preferenceList(this.ring, key, this.params.n);
      if (list.includes(peer) && list.includes(this.context.self)) entries.push([key, versionsDigest(versions)]);
    }
    return buildMerkleTree(entries, this.params.merkleDepth);
  }

  private onMerkleLevel(source: NodeId, message: MerkleLevel): void {
    const tree = this.sharedTree(source);
    if (message.depth !== tree.depth) return this.out.note('merkle-depth-mismatch', { source, theirs: message.depth, ours: tree.depth });
    const differing = message.nodes.filter(([index, hash]) => tree.levels[message.level]![index] !== hash).map(([index]) => index);
    if (differing.length === 0) {
      if (message.level === 0) this.out.note('anti-entropy', { peer: source, inSync: true });
      return;
    }
    if (message.level === tree.depth) {
      const entries = this.leafEntries(tree, differing);
      const sharedKeys = tree.leafKeys.reduce((sum, keys) => sum + keys.length, 0);
      this.out.note('anti-entropy', { peer: source, inSync: false, differingLeaves: differing.length, keys: entries.length, sharedKeys });
      return this.out.send(source, 'merkle-sync', { exchange: message.exchange, depth: tree.depth, leaves: differing, entries, reply: false } satisfies MerkleSync);
    }
    const children: [number, number][] = differing.flatMap((index) => [2 * index, 2 * index + 1]).map((child) => [child, tree.levels[message.level + 1]![child]!]);
    this.out.send(source, 'merkle-level', { exchange: message.exchange, depth: tree.depth, level: message.level + 1, nodes: children } satisfies MerkleLevel);
  }

  private onMerkleSync(source: NodeId, message: MerkleSync): void {
    let repaired = 0;
    for (const [key, versions] of message.entries) if (this.storeVersions(key, versions)) repaired += 1;
    this.counts.antiEntropyKeys += message.entries.length;
    this.counts.antiEntropyRepaired += repaired;
    // What this leg of the exchange cost (keys received) against what it fixed (keys changed).
    this.out.note('merkle-synced', { peer: source, exchange: message.exchange, received: message.entries.length, repaired });
    if (message.reply) return;
    const tree = this.sharedTree(source);
    if (tree.depth !== message.depth) return;
    this.out.send(source, 'merkle-sync', { exchange: message.exchange, depth: tree.depth, leaves: message.leaves, entries: this.leafEntries(tree, message.leaves), reply: true } satisfies MerkleSync);
  }

  private leafEntries(tree: MerkleTree, leaves: readonly number[]): [string, Version[]][] {
    const keys = leaves.flatMap((leaf) => tree.leafKeys[leaf] ?? []).slice(0, DYNAMO_LIMITS.syncKeysMax);
    return keys.map((key) => [key, this.store.get(key) ?? []]);
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private onTimer(timer: string): void {
    if (timer === TIMER.gossip) this.onGossipTimer();
    else if (timer === TIMER.handoff) this.onHandoffTimer();
    else if (timer === TIMER.antiEntropy) this.onAntiEntropyTimer();
    else if (timer.startsWith(REQUEST_TIMER_PREFIX)) this.onRequestTimeout(timer.slice(REQUEST_TIMER_PREFIX.length));
  }

  private randomPeer(eligible: (node: NodeId) => boolean): NodeId | null {
    const candidates = this.context.peers.filter(eligible);
    if (candidates.length === 0) return null;
    return candidates[Math.floor(this.context.random() * candidates.length)]!;
  }

  /** Request ids are unique per incarnation (a restarted coordinator forgets its old requests). */
  private newRequest(): string {
    this.requestCount += 1;
    return `${this.context.self}.${this.incarnation}.${this.requestCount}`;
  }






}
