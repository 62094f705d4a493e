// Primary/backup replication of a key-value map, as in the book §4 ("Replication",
// "Primary/backup replication"): "All updates are performed on the primary, and a log of
// operations (or alternatively, changes) is shipped across the network to the backup replicas."
//
// What it guarantees, and what it does not (the point of the lesson):
// * `async`: the primary replies once the write is durable on itself, then ships it. A crash
//   of the primary loses the writes it had not shipped ("the updates that have not yet been
//   sent to the backups are lost").
// * `sync`: the primary replies `ok` only after every backup it does not suspect has applied
//   and persisted the write; when acks do not come in time it replies `info` (outcome unknown),
//   never `ok`. When only the primary crashes, the new primary first gathers the backups'
//   state, so no acknowledged write is lost.
// * Failover is driven by the host's failure detector, not by a quorum: a backup that suspects
//   the primary and is the lowest id it does not suspect promotes itself. Under a partition both
//   sides can have a primary and accept divergent writes (split brain, "P/B schemes are
//   susceptible to split-brain"). When they meet again, the newer view (higher epoch, then
//   lower primary id) wins and the other side's writes are lost by state transfer.
//
// Shape: a pure state machine (etcd-raft style). Each step runs to completion and returns a
// Ready; the host persists `persist` before it sends any message or reply of that step.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, Ready } from '../../contract/core.ts';
import { emptyReady } from '../../contract/core.ts';
import type { ClientOp, ClientResult } from '../../contract/envelope.ts';
import {
  MESSAGE,
  compareNodeIds,
  compareViews,
  hasIndex,
  hasSnapshot,
  isReplicate,
  isView,
  type AckPayload,
  type CatchUpPayload,
  type ReplicatePayload,
  type SnapshotPayload,
  type View,
} from './messages.ts';
import { parsePrimaryBackupParams, type PrimaryBackupParams } from './params.ts';
import { ReplicaStore, STABLE_KEY, compareSnapshots, type Entry, type Meta, type Snapshot } from './store.ts';

/** Sync writes waiting for acks; beyond this the primary refuses new writes (`fail overloaded`). */
export const PENDING_WRITES_MAX = 1000;
/** Entries in one `replicate` message; a backup further behind asks again (`catch-up`). */
export const ENTRIES_PER_MESSAGE_MAX = 64;
export const KEY_LENGTH_MAX = 256;
/** Distinct keys in the map: state transfers ship the whole map, so it must stay small. */
export const KEYS_MAX = 10_000;

/**
 * While gathering, `new-primary` is sent again to the backups that have not answered at
 * this interval: the first one is often sent before the links are up (at cluster start, or
 * right after a restart) and the runtime drops what it cannot deliver.
 */
export const GATHER_RETRY_MS = 150;

export const TIMER = Object.freeze({
  gather: 'gather',
  gatherRetry: 'gather-retry',
  stateRetry: 'state-retry',
  ship: 'ship',
  announce: 'announce',
  ackPrefix: 'ack/',
});

/** Only a primary sends these: hearing one from an older view means two primaries were active. */
const PRIMARY_ONLY_MESSAGES: ReadonlySet<string> = new Set([MESSAGE.replicate, MESSAGE.newPrimary, MESSAGE.stateTransfer]);

export type Role = 'primary' | 'backup';

type Payload = View | ReplicatePayload | AckPayload | CatchUpPayload | SnapshotPayload;

interface PendingWrite {
  requestId: string;
  index: number;
  /** Backups whose ack is still needed: those not suspected when the write was made, or since. */
  waitingFor: Set<NodeId>;
}

/** A new primary asks everyone for their state before it serves. */
interface Gathering {
  awaiting: Set<NodeId>;
  best: { source: NodeId; snapshot: Snapshot } | null;
}

export class PrimaryBackupCore implements ProtocolCore {
  private readonly self: NodeId;
  private readonly peers: readonly NodeId[];
  /** Every node, self included, in natural id order: the order of succession. */
  private readonly cluster: readonly NodeId[];
  private readonly params: PrimaryBackupParams;
  private readonly store = new ReplicaStore();
  private readonly suspected = new Set<NodeId>();
  private readonly pending = new Map<number, PendingWrite>();
  private role: Role = 'backup';
  private view: View;
  private inSync = true;
  private gathering: Gathering | null = null;
  private stateRequested = false;
  /** Async mode: entries after this index are acknowledged but not yet shipped. */
  private shippedIndex = 0;
  private shipScheduled = false;
  private recovered = false;
  private metaDirty = false;
  private ready: Ready = emptyReady();

  constructor(context: CoreContext) {
    this.self = context.self;
    this.peers = [...context.peers].sort(compareNodeIds);
    this.cluster = [context.self, ...context.peers].sort(compareNodeIds);
    this.params = parsePrimaryBackupParams(context.params);
    this.view = { epoch: 1, primary: this.cluster[0]! };
  }

  step(input: CoreInput): Ready {
    this.ready = emptyReady();
    if (input.kind === 'recover') {
      this.recover(input.stable);
    } else {
      if (!this.recovered) throw new Error('primary-backup: the host must send `recover` before any other input');
      if (input.kind === 'message') this.onMessage(input.source, input.type, input.payload);
      else if (input.kind === 'timer') this.onTimer(input.timer);
      else if (input.kind === 'client') this.onClient(input.requestId, input.op);
      else this.onSuspicion(input.peer, input.suspected);
    }
    if (this.metaDirty) this.ready.persist.push({ key: STABLE_KEY.meta, value: this.meta() });
    this.metaDirty = false;
    return this.ready;
  }

  roleName(): string {
    return this.role;
  }

  status(): CoreStatus {
    return {
      role: this.role,
      facts: {
        epoch: this.view.epoch,
        primary: this.view.primary,
        lastIndex: this.store.lastIndex,
        mode: this.params.mode,
        pendingAcks: this.pending.size,
        serving: this.role === 'primary' && this.gathering === null,
        inSync: this.inSync,
      },
      data: Object.fromEntries(this.store.data),
    };
  }

  // ---- inputs ------------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    if (this.recovered) throw new Error('primary-backup: `recover` must come once, first');
    this.recovered = true;
    const meta = this.store.load(stable);
    if (meta === null) {
      this.metaDirty = true;
    } else {
      this.view = { epoch: meta.epoch, primary: meta.primary };
      this.inSync = meta.inSync;
    }
    this.shippedIndex = this.store.lastIndex;
    this.note('recovered', { ...this.view, lastIndex: this.store.lastIndex, firstBoot: meta === null });
    // A primary that starts (or restarts, maybe with a wiped disk) asks the others first: they
    // may have moved to a newer epoch, or hold writes it lost.
    if (this.view.primary === this.self) this.becomePrimary();
    else if (!this.inSync) this.requestState();
  }

  private onSuspicion(peer: NodeId, suspected: boolean): void {
    if (peer === this.self || !this.peers.includes(peer)) return;
    if (suspected) this.suspected.add(peer);
    else this.suspected.delete(peer);
    if (this.role === 'backup') {
      this.maybeFailover();
      return;
    }
    if (!suspected) return;
    // Rule of the sync variant: stop waiting for a backup the failure detector suspects.
    for (const write of [...this.pending.values()]) this.acknowledge(write, peer);
    if (this.gathering !== null) {
      this.gathering.awaiting.delete(peer);
      if (this.gathering.awaiting.size === 0) this.finishGathering();
    }
  }

  private onTimer(timer: string): void {
    if (timer === TIMER.gatherRetry) {
      if (this.gathering === null) return;
      for (const peer of this.gathering.awaiting) this.send(peer, MESSAGE.newPrimary, this.view);
      this.ready.timers.push({ kind: 'set', timer: TIMER.gatherRetry, afterMs: GATHER_RETRY_MS });
    } else if (timer === TIMER.gather) {
      if (this.gathering === null) return;
      this.note('gather-timeout', { missing: [...this.gathering.awaiting] });
      this.finishGathering();
    } else if (timer === TIMER.stateRetry) {
      this.stateRequested = false;
      if (this.role === 'backup' && !this.inSync) this.requestState();
    } else if (timer === TIMER.ship) {
      this.shipScheduled = false;
      if (this.role === 'primary' && this.gathering === null) this.ship();
    } else if (timer === TIMER.announce) {
      if (this.role === 'primary' && this.gathering === null) this.announce();
    } else if (timer.startsWith(TIMER.ackPrefix)) {
      const write = this.pending.get(Number(timer.slice(TIMER.ackPrefix.length)));
      if (write === undefined) return;
      this.pending.delete(write.index);
      this.note('ack-timeout', { index: write.index, missing: [...write.waitingFor] });
      this.reply(write.requestId, { type: 'info', error: 'ack-timeout' });
    }
  }

  private onClient(requestId: string, op: ClientOp): void {
    if (this.role !== 'primary') {
      this.reply(requestId, { type: 'fail', error: 'not-primary', redirect: this.view.primary });
      return;
    }
    if (this.gathering !== null) {
      this.reply(requestId, { type: 'fail', error: 'not-ready' });
      return;
    }
    const key = op.key;
    if (typeof key !== 'string' || key.length === 0 || key.length > KEY_LENGTH_MAX) {
      this.reply(requestId, { type: 'fail', error: `bad-request: key must be a string of 1..${KEY_LENGTH_MAX} characters` });
      return;
    }
    if (op.f === 'get') {
      // A missing key reads as null, as Jepsen's nil.
      this.reply(requestId, { type: 'ok', value: this.store.data.has(key) ? this.store.data.get(key) : null });
    } else if (op.f === 'put') {
      this.put(requestId, key, op.value);
    } else {
      this.reply(requestId, { type: 'fail', error: `unknown-op: ${String(op.f)}; known: get, put` });
    }
  }

  private put(requestId: string, key: string, value: unknown): void {
    const refusal =
      value === undefined ? 'bad-request: put needs a value'
      : this.pending.size >= PENDING_WRITES_MAX ? 'overloaded'
      : !this.store.data.has(key) && this.store.data.size >= KEYS_MAX ? 'too-many-keys'
      : null;
    if (refusal !== null) {
      this.reply(requestId, { type: 'fail', error: refusal });
      return;
    }
    const entry: Entry = { index: this.store.lastIndex + 1, epoch: this.view.epoch, key, value };
    this.store.append(entry, this.ready.persist);
    this.metaDirty = true;
    if (this.params.mode === 'async') {
      // "replies to the client, then ships": the reply does not wait for any backup.
      this.reply(requestId, { type: 'ok' });
      this.scheduleShip();
      return;
    }
    this.ship();
    const waitingFor = new Set(this.peers.filter((peer) => !this.suspected.has(peer)));
    if (waitingFor.size === 0) {
      this.reply(requestId, { type: 'ok' });
      return;
    }
    this.pending.set(entry.index, { requestId, index: entry.index, waitingFor });
    this.ready.timers.push({ kind: 'set', timer: `${TIMER.ackPrefix}${entry.index}`, afterMs: this.params.ackTimeoutMs });
  }

  // ---- messages ----------------------------------------------------------------------------

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    if (!isView(payload) || !this.peers.includes(source)) {
      this.note('malformed-message', { source, type });
      return;
    }
    const incoming: View = { epoch: payload.epoch, primary: payload.primary };
    const order = compareViews(incoming, this.view);
    if (order < 0) {
      // The sender lives in an older view: tell it, whatever it wanted.
      if (PRIMARY_ONLY_MESSAGES.has(type)) this.note('stale-primary', { from: source, theirEpoch: incoming.epoch, ourEpoch: this.view.epoch });
      if (type !== MESSAGE.staleEpoch) this.send(source, MESSAGE.staleEpoch, this.view);
      return;
    }
    if (order > 0) this.adoptView(incoming, source, type);
    if (this.role === 'primary') this.stepPrimary(source, type, payload);
    else this.stepBackup(source, type, payload);
  }

  private stepPrimary(source: NodeId, type: string, payload: View): void {
    if (type === MESSAGE.ack && hasIndex(payload, 'lastIndex')) {
      for (const write of [...this.pending.values()]) {
        if (write.index <= payload.lastIndex) this.acknowledge(write, source);
      }
    } else if (type === MESSAGE.promoteReply && hasSnapshot(payload)) {
      this.onPromoteReply(source, payload.snapshot);
    } else if (this.gathering !== null) {
      // Requests for state wait: the state-transfer that ends gathering goes to everyone.
    } else if (type === MESSAGE.catchUp && hasIndex(payload, 'fromIndex')) {
      const entries = this.store.entriesFrom(payload.fromIndex, ENTRIES_PER_MESSAGE_MAX);
      if (entries === null) this.sendState(source);
      else this.send(source, MESSAGE.replicate, { ...this.view, entries, lastIndex: this.store.lastIndex });
    } else if (type === MESSAGE.stateRequest) {
      this.sendState(source);
    }
  }

  private stepBackup(source: NodeId, type: string, payload: View): void {
    const fromPrimary = source === this.view.primary;
    if (type === MESSAGE.replicate && fromPrimary && isReplicate(payload)) {
      this.onReplicate(payload.entries, payload.lastIndex);
    } else if (type === MESSAGE.stateTransfer && fromPrimary && hasSnapshot(payload)) {
      this.onStateTransfer(source, payload.snapshot);
    } else if (type === MESSAGE.newPrimary && fromPrimary) {
      this.send(source, MESSAGE.promoteReply, { ...this.view, snapshot: this.store.snapshot() });
    } else if (type === MESSAGE.staleEpoch && !this.inSync) {
      this.requestState();
    }
  }

  /** Backups apply the primary's log in index order; a gap is filled by asking for it. */
  private onReplicate(entries: readonly Entry[], primaryLastIndex: number): void {
    if (!this.inSync) {
      this.requestState();
      return;
    }
    let applied = false;
    for (const entry of [...entries].sort((a, b) => a.index - b.index)) {
      if (entry.index <= this.store.lastIndex) continue;
      if (entry.index !== this.store.lastIndex + 1) break;
      this.store.append(entry, this.ready.persist);
      applied = true;
    }
    if (applied) this.metaDirty = true;
    if (this.store.lastIndex < primaryLastIndex) {
      this.send(this.view.primary, MESSAGE.catchUp, { ...this.view, fromIndex: this.store.lastIndex + 1 });
    }
    this.send(this.view.primary, MESSAGE.ack, { ...this.view, lastIndex: this.store.lastIndex });
  }

  private onStateTransfer(source: NodeId, snapshot: Snapshot): void {
    // In sync, this backup holds a prefix of this primary's history; an older snapshot that
    // the network delivered late must not take back writes it already acknowledged.
    const stale = this.inSync && compareSnapshots(snapshot, this.store) < 0;
    if (!stale) {
      const previousLastIndex = this.store.lastIndex;
      this.store.replace(snapshot, this.ready.persist);
      this.note('state-transfer', { from: source, lastIndex: snapshot.lastIndex, previousLastIndex });
    }
    this.inSync = true;
    this.stateRequested = false;
    this.metaDirty = true;
    this.ready.timers.push({ kind: 'cancel', timer: TIMER.stateRetry });
    this.send(source, MESSAGE.ack, { ...this.view, lastIndex: this.store.lastIndex });
  }

  private onPromoteReply(source: NodeId, snapshot: Snapshot): void {
    const gathering = this.gathering;
    if (gathering === null) return;
    if (gathering.best === null || compareSnapshots(snapshot, gathering.best.snapshot) > 0) {
      gathering.best = { source, snapshot };
    }
    gathering.awaiting.delete(source);
    if (gathering.awaiting.size === 0) this.finishGathering();
  }

  // ---- role changes ------------------------------------------------------------------------

  /** Failover: the lowest id that this node does not suspect, the primary excluded, takes over. */
  private maybeFailover(): void {
    if (!this.suspected.has(this.view.primary)) return;
    const successor = this.cluster.find((id) => id !== this.view.primary && !this.suspected.has(id));
    if (successor !== this.self) return;
    const previousPrimary = this.view.primary;
    this.view = { epoch: this.view.epoch + 1, primary: this.self };
    this.metaDirty = true;
    this.note('promotion', { epoch: this.view.epoch, previousPrimary, suspected: [...this.suspected] });
    this.becomePrimary();
  }

  private becomePrimary(): void {
    this.role = 'primary';
    this.inSync = true;
    this.stateRequested = false;
    this.metaDirty = true;
    this.ready.timers.push({ kind: 'cancel', timer: TIMER.stateRetry });
    this.note('role-change', { role: 'primary', epoch: this.view.epoch });
    const awaiting = new Set(this.peers.filter((peer) => !this.suspected.has(peer)));
    this.gathering = { awaiting, best: null };
    for (const peer of this.peers) this.send(peer, MESSAGE.newPrimary, this.view);
    if (awaiting.size === 0) this.finishGathering();
    else {
      this.ready.timers.push({ kind: 'set', timer: TIMER.gather, afterMs: this.params.ackTimeoutMs });
      this.ready.timers.push({ kind: 'set', timer: TIMER.gatherRetry, afterMs: GATHER_RETRY_MS });
    }
  }

  /** Takes the most advanced state heard of, gives it to every backup, and starts serving. */
  private finishGathering(): void {
    const gathering = this.gathering;
    if (gathering === null) return;
    this.gathering = null;
    this.ready.timers.push({ kind: 'cancel', timer: TIMER.gather }, { kind: 'cancel', timer: TIMER.gatherRetry });
    const best = gathering.best;
    if (best !== null && compareSnapshots(best.snapshot, this.store) > 0) {
      const previousLastIndex = this.store.lastIndex;
      this.store.replace(best.snapshot, this.ready.persist);
      this.metaDirty = true;
      this.note('state-adopted', { from: best.source, lastIndex: this.store.lastIndex, previousLastIndex });
    }
    this.shippedIndex = this.store.lastIndex;
    for (const peer of this.peers) this.sendState(peer);
    this.note('serving', { epoch: this.view.epoch, lastIndex: this.store.lastIndex });
    this.scheduleAnnounce();
  }

  /** A message from a newer view: follow its primary (stepping down if this node was one). */
  private adoptView(incoming: View, source: NodeId, type: string): void {
    const previous = this.view;
    if (this.role === 'primary') {
      const ownEpochEntries = this.store.countEntriesOfEpoch(previous.epoch);
      this.note('divergence', { ourEpoch: previous.epoch, theirEpoch: incoming.epoch, theirPrimary: incoming.primary, ownEpochEntries, heardFrom: source });
      this.stepDown();
    }
    this.view = incoming;
    this.metaDirty = true;
    if (incoming.primary === this.self) {
      // Someone heard that this node promoted itself in an epoch it no longer remembers
      // (a wiped disk): take the role again, and gather state before serving.
      this.becomePrimary();
      return;
    }
    this.role = 'backup';
    this.inSync = false;
    this.stateRequested = false;
    this.note('new-primary', { epoch: incoming.epoch, primary: incoming.primary, previousEpoch: previous.epoch, previousPrimary: previous.primary });
    // After `new-primary` the primary sends its state when it has gathered; otherwise ask.
    if (type !== MESSAGE.newPrimary && type !== MESSAGE.stateTransfer) this.requestState();
  }

  private stepDown(): void {
    for (const write of this.pending.values()) {
      this.ready.timers.push({ kind: 'cancel', timer: `${TIMER.ackPrefix}${write.index}` });
      this.reply(write.requestId, { type: 'info', error: 'stepped-down' });
    }
    this.pending.clear();
    this.gathering = null;
    this.shipScheduled = false;
    this.ready.timers.push(
      { kind: 'cancel', timer: TIMER.gather },
      { kind: 'cancel', timer: TIMER.gatherRetry },
      { kind: 'cancel', timer: TIMER.ship },
      { kind: 'cancel', timer: TIMER.announce },
    );
    this.note('step-down', { epoch: this.view.epoch, unshipped: this.store.lastIndex - this.shippedIndex });
    this.note('role-change', { role: 'backup' });
  }

  // ---- effects -----------------------------------------------------------------------------

  private acknowledge(write: PendingWrite, peer: NodeId): void {
    write.waitingFor.delete(peer);
    if (write.waitingFor.size > 0) return;
    this.pending.delete(write.index);
    this.ready.timers.push({ kind: 'cancel', timer: `${TIMER.ackPrefix}${write.index}` });
    this.reply(write.requestId, { type: 'ok' });
  }

  private scheduleShip(): void {
    if (this.params.shipDelayMs === 0) {
      this.ship();
    } else if (!this.shipScheduled) {
      this.shipScheduled = true;
      this.ready.timers.push({ kind: 'set', timer: TIMER.ship, afterMs: this.params.shipDelayMs });
    }
  }

  /** Sends the unshipped entries to every backup, suspected or not (a suspicion may be false). */
  private ship(): void {
    if (this.shippedIndex >= this.store.lastIndex) return;
    // More than fit in one message (or than the log keeps): backups see lastIndex and catch up.
    const entries = this.store.entriesFrom(this.shippedIndex + 1, ENTRIES_PER_MESSAGE_MAX) ?? [];
    this.shippedIndex = this.store.lastIndex;
    for (const peer of this.peers) {
      this.send(peer, MESSAGE.replicate, { ...this.view, entries, lastIndex: this.store.lastIndex });
    }
  }

  /**
   * An empty `replicate` tells every backup the primary's view and last index: a backup that
   * is behind catches up, and a node in another view learns of it, whichever side is stale.
   */
  private announce(): void {
    for (const peer of this.peers) {
      this.send(peer, MESSAGE.replicate, { ...this.view, entries: [], lastIndex: this.store.lastIndex });
    }
    this.scheduleAnnounce();
  }

  private scheduleAnnounce(): void {
    if (this.params.announceIntervalMs === 0) return;
    this.ready.timers.push({ kind: 'set', timer: TIMER.announce, afterMs: this.params.announceIntervalMs });
  }

  private requestState(): void {
    if (this.stateRequested) return;
    this.stateRequested = true;
    this.send(this.view.primary, MESSAGE.stateRequest, this.view);
    this.ready.timers.push({ kind: 'set', timer: TIMER.stateRetry, afterMs: this.params.ackTimeoutMs });
  }

  private sendState(target: NodeId): void {
    this.send(target, MESSAGE.stateTransfer, { ...this.view, snapshot: this.store.snapshot() });
  }

  private meta(): Meta {
    return { ...this.view, inSync: this.inSync, lastIndex: this.store.lastIndex, lastEpoch: this.store.lastEpoch };
  }

  private send(target: NodeId, type: string, payload: Payload): void {
    this.ready.messages.push({ target, type, payload: { ...payload } });
  }

  private reply(requestId: string, result: ClientResult): void {
    this.ready.replies.push({ requestId, result });
  }

  private note(name: string, detail: Record<string, unknown>): void {
    this.ready.notes.push({ name, detail });
  }
}
