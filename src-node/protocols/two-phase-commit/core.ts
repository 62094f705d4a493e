// Two-phase commit with presumed abort (Gray 1978; Mohan, Lindsay, Obermarck 1986; the book's
// §4 "Two phase commit (2PC)"), in one of two kinds of data (param `data`):
//   bank (default): accounts spread across participants; a transfer is a transaction on the
//     one or two participants that hold its accounts;
//   kv: 2PC as a replication protocol (the book's §4 table, 4n messages per write): every
//     participant holds a full copy of a key-value map, and every put is one transaction on
//     all of them — prepare with the write (n), votes (n), the decision persisted and sent
//     (n), acknowledgements (n). The coordinator keeps the committed map in its log too and
//     answers every get from it (why that read is linearizable: `onClient`).
// Both run the same protocol below; only what a transaction does to a participant's data
// differs (amounts added to balances, or values written to keys): transaction-data.ts, which
// 3PC shares.
//
// What it guarantees: atomicity — every participant of a transaction applies it, or none
// does — and so conservation of money across transfers. What it does not: progress under
// failure. A participant that voted yes may not decide alone; if the coordinator is gone it
// is *blocked*, holding its locks, until the coordinator returns or another participant
// knows the outcome (the cooperative termination protocol). The book: 2PC is CA, not
// partition tolerant; under a partition it stops.
//
// The write-ahead rules, each before the message that depends on it:
//   participant: persists its yes vote (the tx, its operations, its locks) before voting;
//   coordinator: persists a commit decision before sending any commit. Abort is never
//   forced to disk: with no decision record, the answer is abort (presumed abort).
// A participant persists the outcome (and new balances or values) before acknowledging it; once every
// participant acknowledged a commit, the coordinator forgets the transaction.
//
// Waiting and blocking. A participant that has been prepared for a retry interval asks the
// coordinator for the outcome. The coordinator answers commit (its log has the record),
// pending (the vote is still open) or abort (presumed). A participant whose question went
// unanswered for a whole interval is blocked: it says so (a `blocked` note naming whom it
// waits on), keeps asking, and — with cooperative termination — asks the other participants
// too; it decides only when someone who knows the outcome answers (`unblocked`).
//
// Roles: the node named by `coordinator` (default n1) coordinates; every other node is a
// participant and holds the accounts `a<i>` that hash to it (bank) or a copy of every key (kv).
// Under kv, a crash of the coordinator stops every write and read until it returns — there is
// no failover: availability during the crash is nil, and safety holds.
// Pure: time and randomness from the host.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, ProtocolDefinition, Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';
import { ownerOfAccount, TRANSACTION_DATA_LIMITS, TransactionData, type Changes, type KeyValueWrite, type StableWrite, type Transfer, type TwoPhaseCommitData } from './transaction-data.ts';
import { coordinatorView, participantView, type CoordinatorRecord, type Doubt, type ParticipantTx } from './view.ts';

// Where an account lives and what the data is: the shared module's, exported here as before.
export { accountNames, ownerOfAccount, type TwoPhaseCommitData } from './transaction-data.ts';

export interface TwoPhaseCommitParams {
  coordinator: NodeId;
  data: TwoPhaseCommitData;
  accounts: number;
  initialBalance: number;
  /** The coordinator aborts a transaction whose votes have not all arrived by then. */
  voteTimeoutMs: number;
  /** How often a waiting party asks again (and how long a prepared participant waits before it first asks). */
  retryIntervalMs: number;
  /** Cooperative termination: a blocked participant also asks the other participants. */
  cooperativeTermination: boolean;
}

export const DEFAULT_TWO_PHASE_COMMIT_PARAMS: Readonly<TwoPhaseCommitParams> = Object.freeze({
  coordinator: 'n1', data: 'bank', accounts: 8, initialBalance: 100, voteTimeoutMs: 1_000, retryIntervalMs: 300, cooperativeTermination: true,
});

/** The params' limits, and the data's (TRANSACTION_DATA_LIMITS: balances, open transactions, kv keys and values). */
export const TWO_PHASE_COMMIT_LIMITS = Object.freeze({ accountsMax: 1_000, intervalMsMax: 600_000, ...TRANSACTION_DATA_LIMITS });

export function parseTwoPhaseCommitParams(raw: unknown): TwoPhaseCommitParams {
  const params = overlayParams<TwoPhaseCommitParams>('2pc', raw, DEFAULT_TWO_PHASE_COMMIT_PARAMS);
  const integer = (name: keyof TwoPhaseCommitParams, min: number, max: number): void => {
    const value = params[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new Error(`2pc: ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  };
  integer('accounts', 1, TWO_PHASE_COMMIT_LIMITS.accountsMax);
  integer('initialBalance', 0, TWO_PHASE_COMMIT_LIMITS.balanceMax);
  integer('voteTimeoutMs', 1, TWO_PHASE_COMMIT_LIMITS.intervalMsMax);
  integer('retryIntervalMs', 1, TWO_PHASE_COMMIT_LIMITS.intervalMsMax);
  if (typeof params.coordinator !== 'string' || !/^n[0-9]+$/.test(params.coordinator)) throw new Error('2pc: coordinator must be a node id such as n1');
  if (typeof params.cooperativeTermination !== 'boolean') throw new Error('2pc: cooperativeTermination must be true or false');
  if (params.data !== 'bank' && params.data !== 'kv') throw new Error(`2pc: data must be 'bank' or 'kv', got ${JSON.stringify(params.data)}`);
  return params;
}

/** The participants of a cluster: every node but the coordinator, sorted (every node computes the same list). */
export function participantsOf(nodes: readonly NodeId[], coordinator: NodeId): NodeId[] {
  return nodes.filter((node) => node !== coordinator).sort();
}

/**
 * What a transfer's reply carries, commit (`ok`) or abort (`fail`) alike: the transaction and
 * its participants, so a client (and the bank checker) can tie its operation to the trace.
 */
export interface TransferOutcome { tx: string; participants: NodeId[] }

/** The coordinator's volatile view of a transaction it runs; `write`: the kv put it applies to its own committed map on commit. */
interface CoordinatorTx { client: string; participants: NodeId[]; changes: Record<NodeId, Changes>; votes: Map<NodeId, boolean>; decision: 'commit' | 'abort' | null; write: KeyValueWrite | null }

const KEY = { tx: (tx: string): string => `tx:${tx}`, decision: (tx: string): string => `decision:${tx}`, seeded: 'seeded', counter: 'counter' } as const;
const TIMER = { votes: 'votes:', retry: 'retry' } as const;
/** Coordinator records kept for the view beyond the open ones (the view shows fewer: TWO_PHASE_COMMIT_VIEW_LOG_MAX). */
const RECORDS_KEPT_MAX = 64;

export class TwoPhaseCommitCore implements ProtocolCore {
  private readonly params: TwoPhaseCommitParams;
  /** Balances (bank) or the map (kv: a participant's copy; the coordinator's committed map, what its commit records wrote), and the names locked by prepared transactions. */
  private readonly data: TransactionData;
  private readonly transactions = new Map<string, ParticipantTx>();
  /** Prepared transactions this participant is asking about (volatile: a restart asks afresh). */
  private readonly doubts = new Map<string, Doubt>();
  private readonly running = new Map<string, CoordinatorTx>();
  /** Commit decisions on disk not yet acknowledged by every participant; `sentAtMs`: when the commits last went out. */
  private readonly decisions = new Map<string, { participants: NodeId[]; acks: Set<NodeId>; sentAtMs: number }>();
  /** The coordinator's recent transactions, for the view (volatile; bounded in `remember`). */
  private readonly records = new Map<string, CoordinatorRecord>();
  private counter = 0;
  private nowMs = 0;
  private readonly out = new Outbox();

  constructor(private readonly context: CoreContext) {
    this.params = parseTwoPhaseCommitParams(context.params);
    const participants = participantsOf([context.self, ...context.peers], this.params.coordinator);
    if (participants.length === 0) throw new Error('2pc: needs at least one participant besides the coordinator');
    this.data = new TransactionData({ protocol: '2pc', self: context.self, coordinator: this.params.coordinator, data: this.params.data, accounts: this.params.accounts, initialBalance: this.params.initialBalance, participants });
  }

  private get isCoordinator(): boolean {
    return this.context.self === this.params.coordinator;
  }

  private get keyValue(): boolean {
    return this.data.keyValue;
  }

  step(input: CoreInput): Ready {
    this.nowMs = input.nowMs;
    switch (input.kind) {
      case 'recover': this.recover(input.stable); break;
      case 'client': this.onClient(input.requestId, input.op); break;
      case 'message': this.onMessage(input.source, input.type, input.payload); break;
      case 'timer': this.onTimer(input.timer); break;
      case 'suspicion': break;
    }
    return this.out.take();
  }

  roleName(): string {
    if (this.isCoordinator) return 'coordinator';
    if ([...this.doubts.values()].some((doubt) => doubt.blockedSinceMs !== null)) return 'blocked';
    return this.data.locks.size > 0 ? 'prepared' : 'participant';
  }

  /**
   * `data` is what the lab's convergence and durability checkers read: a participant's balances
   * (bank) or its copy of the map (kv), and under kv the coordinator's committed map as well —
   * once nothing is in doubt, every node holds the same map.
   */
  status(): CoreStatus {
    const view = this.isCoordinator
      ? coordinatorView({ self: this.context.self, nowMs: this.nowMs, records: this.records, counter: this.counter, decisions: [...this.decisions.keys()] })
      : participantView({ self: this.context.self, coordinator: this.params.coordinator, nowMs: this.nowMs, amounts: !this.keyValue, balances: this.data.balances, locks: this.data.locks, transactions: this.transactions, doubts: this.doubts });
    return { role: this.roleName(), facts: this.facts(), data: this.data.statusData(), view };
  }

  private facts(): CoreStatus['facts'] {
    // kv: every client operation belongs to the coordinator; the fact tells the lab's clients
    // where to go (as `primary` does for primary/backup). Not under bank: a balance is read
    // where its account lives.
    const route: CoreStatus['facts'] = this.keyValue ? { coordinator: this.params.coordinator, keys: this.data.values.size } : {};
    if (this.isCoordinator) {
      const open = [...this.running.values()].filter((running) => running.decision === null).length;
      // In doubt: votes still open, or a commit some participant has not acknowledged yet.
      return { running: open, unacknowledgedCommits: this.decisions.size, transactions: this.counter, inDoubt: open + this.decisions.size, ...route };
    }
    const prepared = [...this.transactions].filter(([, tx]) => tx.state === 'prepared').map(([id]) => id);
    const blocked = prepared.filter((tx) => (this.doubts.get(tx)?.blockedSinceMs ?? null) !== null);
    const held: CoreStatus['facts'] = this.keyValue ? {} : { accounts: this.data.balances.size };
    return { ...held, locked: this.data.locks.size, inDoubt: prepared.length, blockedOn: blocked.join(',') || null, ...route };
  }

  // ---- recovery ----------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    this.counter = (stable.get(KEY.counter) as number | undefined) ?? 0;
    for (const [name, value] of stable) {
      if (this.data.restore(name, value)) continue;
      if (name.startsWith('tx:')) this.transactions.set(name.slice(3), value as ParticipantTx);
      else if (name.startsWith('decision:')) {
        const tx = name.slice('decision:'.length);
        const decision = value as { participants: NodeId[] };
        this.decisions.set(tx, { participants: decision.participants, acks: new Set(), sentAtMs: this.nowMs });
        this.records.set(tx, { tx, participants: decision.participants, transfer: null, votes: new Map(decision.participants.map((node) => [node, true])), decision: 'commit', durable: true, acks: new Set(), why: 'commit record found in the log after a restart' });
      }
    }
    if (!this.isCoordinator && !this.keyValue && stable.get(KEY.seeded) !== true) {
      this.persistAll(this.data.seed());
      this.out.persist(KEY.seeded, true);
    }
    const prepared: string[] = [];
    for (const [tx, record] of this.transactions) {
      if (record.state !== 'prepared') continue;
      prepared.push(tx);
      this.data.lock(tx, record.changes);
      // It voted yes before the crash: only the coordinator (or a peer that knows) can say how it ended. Ask now.
      this.doubts.set(tx, { askedAtMs: this.nowMs, coordinatorAnswered: false, blockedSinceMs: null, peers: new Map() });
      this.out.send(record.coordinator, 'decision-request', { tx });
    }
    // A coordinator that comes back finishes what its log says: commits it decided are resent;
    // anything else it ran is aborted by presumption (participants ask, and hear abort).
    for (const [tx, decision] of this.decisions) this.sendAll(decision.participants, 'commit', { tx });
    this.out.setTimer(TIMER.retry, this.params.retryIntervalMs);
    this.out.note('recovered', this.isCoordinator
      ? { role: 'coordinator', commitRecords: [...this.decisions.keys()], counter: this.counter }
      : { role: 'participant', prepared });
  }

  // ---- clients -----------------------------------------------------------------------------

  /**
   * bank: a balance is read where its account lives; a transfer goes to the coordinator, and is
   * a transaction on the one or two participants that hold its accounts. kv: the coordinator
   * serves every operation; a participant redirects to it (as a backup redirects to its
   * primary). A put is one transaction on every participant. What is valid, and each
   * participant's share: TransactionData.planClient.
   *
   * A kv get is answered from the coordinator's committed map, and that read is linearizable:
   * the coordinator is the one place where a write takes effect — at its commit decision,
   * which is persisted, applied to the committed map and followed by the client's `ok` in one
   * step — and it serves reads in the same sequence of steps. A write that is prepared but
   * undecided is not visible: it has not been acknowledged, and if it commits later it takes
   * effect then, inside its own invocation–response interval, after the read. An aborted write
   * never takes effect anywhere (its client hears `fail`; a timed-out client records `info`).
   * A restarted coordinator reloads the map with its commit records, so no read goes back in
   * time. What this buys is paid in availability: with the coordinator down nobody answers.
   */
  private onClient(client: string, op: ClientOp): void {
    const plan = this.data.planClient(op, this.isCoordinator, this.running.size);
    if (plan.kind === 'reply') return this.out.reply(client, plan.result);
    this.begin({ client, changes: plan.changes, transfer: plan.transfer, write: plan.write });
  }

  // ---- coordinator -------------------------------------------------------------------------

  /** Phase one: a transaction on the participants that `changes` names, each sent its share. */
  private begin(start: { client: string; changes: Record<NodeId, Changes>; transfer: Transfer | null; write: KeyValueWrite | null }): void {
    const { client, changes, transfer, write } = start;
    this.counter += 1;
    // The counter is on disk before the prepares leave: a restarted coordinator never reuses an id.
    const tx = `t${this.counter}`;
    this.out.persist(KEY.counter, this.counter);
    const participants = Object.keys(changes).sort();
    this.running.set(tx, { client, participants, changes, votes: new Map(), decision: null, write });
    this.remember({ tx, participants, transfer, votes: new Map(), decision: null, durable: false, acks: new Set(), why: null });
    for (const participant of participants) this.out.send(participant, 'prepare', { tx, changes: changes[participant], participants });
    this.out.setTimer(TIMER.votes + tx, this.params.voteTimeoutMs);
    this.out.note('prepare', write === null ? { tx, participants, transfer, client } : { tx, participants, write, client });
  }

  private onVote(source: NodeId, tx: string, yes: boolean, reason: string | null): void {
    const running = this.running.get(tx);
    if (running === undefined || running.decision !== null || !running.participants.includes(source)) return;
    running.votes.set(source, yes);
    this.records.get(tx)?.votes.set(source, yes);
    if (!yes) return this.decide(tx, running, 'abort', `${source} voted no${reason ? `: ${reason}` : ''}`);
    if (running.participants.every((participant) => running.votes.get(participant) === true)) this.decide(tx, running, 'commit', 'every participant voted yes');
  }

  private decide(tx: string, running: CoordinatorTx, decision: 'commit' | 'abort', why: string): void {
    running.decision = decision;
    this.out.cancelTimer(TIMER.votes + tx);
    if (decision === 'commit') {
      // The commit point: on disk before any participant hears it.
      this.out.persist(KEY.decision(tx), { participants: running.participants });
      this.decisions.set(tx, { participants: running.participants, acks: new Set(), sentAtMs: this.nowMs });
      if (running.write !== null) {
        // kv: the write takes effect here, in the coordinator's committed map — in the same
        // disk transaction as the commit record, so a restart cannot separate them.
        this.persistAll([this.data.write(running.write)]);
      }
    }
    const record = this.records.get(tx);
    if (record !== undefined) Object.assign(record, { decision, durable: decision === 'commit', why });
    this.out.note(decision === 'commit' ? 'commit-decided' : 'abort-decided', { tx, participants: running.participants, why });
    this.sendAll(running.participants, decision, { tx });
    const outcome: TransferOutcome = { tx, participants: running.participants };
    this.out.reply(running.client, decision === 'commit' ? { type: 'ok', value: outcome } : { type: 'fail', error: `aborted ${tx}: ${why}`, value: outcome });
    if (decision === 'abort') this.running.delete(tx);
  }

  private onAck(source: NodeId, tx: string): void {
    const decision = this.decisions.get(tx);
    if (decision === undefined) return;
    decision.acks.add(source);
    this.records.get(tx)?.acks.add(source);
    if (decision.participants.every((participant) => decision.acks.has(participant))) {
      // Everyone applied it: the coordinator may forget (with presumed abort, no one will ask again).
      this.decisions.delete(tx);
      this.running.delete(tx);
      this.out.persist(KEY.decision(tx), undefined);
      this.out.note('forgotten', { tx });
    }
  }

  /** A participant asks how `tx` ended: commit if the log says so; pending while the vote is open; otherwise abort (presumed). */
  private onDecisionRequest(source: NodeId, tx: string): void {
    if (this.decisions.has(tx)) return this.out.send(source, 'commit', { tx });
    const running = this.running.get(tx);
    if (running !== undefined && running.decision === null) return this.out.send(source, 'pending', { tx });
    this.out.send(source, 'abort', { tx });
  }

  /** Keeps a record for the view; past RECORDS_KEPT_MAX, the oldest finished records go (open ones stay). */
  private remember(record: CoordinatorRecord): void {
    this.records.set(record.tx, record);
    for (const tx of this.records.keys()) {
      if (this.records.size <= RECORDS_KEPT_MAX) break;
      if (!this.running.has(tx) && !this.decisions.has(tx)) this.records.delete(tx);
    }
  }

  // ---- participant -------------------------------------------------------------------------

  private onPrepare(source: NodeId, tx: string, changes: Changes, participants: NodeId[]): void {
    const known = this.transactions.get(tx);
    if (known !== undefined) {
      // A repeated prepare: repeat the vote this participant already made durable.
      if (known.state === 'prepared') this.out.send(source, 'vote', { tx, yes: true, reason: null });
      return;
    }
    const refusal = this.data.refusal(tx, changes);
    if (refusal !== null) {
      this.out.note('voted-no', { tx, reason: refusal });
      return this.out.send(source, 'vote', { tx, yes: false, reason: refusal });
    }
    const record: ParticipantTx = { state: 'prepared', changes, coordinator: source, participants, preparedAtMs: this.nowMs };
    this.transactions.set(tx, record);
    this.data.lock(tx, changes);
    // The vote is a promise: on disk before the coordinator hears it.
    this.out.persist(KEY.tx(tx), record);
    this.out.note('voted-yes', { tx, changes, coordinator: source });
    this.out.send(source, 'vote', { tx, yes: true, reason: null });
  }

  private onOutcome(source: NodeId, tx: string, outcome: 'commit' | 'abort'): void {
    const record = this.transactions.get(tx);
    if (record === undefined) {
      // Never voted yes (or voted no): nothing to undo. A commit we never prepared would be a bug.
      if (outcome === 'commit') this.out.note('commit-unknown-tx', { tx, from: source });
      if (outcome === 'commit') this.out.send(source, 'ack', { tx });
      return;
    }
    if (record.state !== 'prepared') {
      if (record.state === 'committed') this.out.send(source, 'ack', { tx });
      return;
    }
    const applied: ParticipantTx = { ...record, state: outcome === 'commit' ? 'committed' : 'aborted', learnedFrom: source };
    // A commit's changes, persisted before the acknowledgement that follows in the same step.
    if (outcome === 'commit') this.persistAll(this.data.apply(record.changes));
    this.data.unlock(tx, record.changes);
    this.transactions.set(tx, applied);
    this.out.persist(KEY.tx(tx), applied);
    this.out.note(outcome === 'commit' ? 'committed' : 'aborted', { tx, changes: record.changes, learnedFrom: source });
    const doubt = this.doubts.get(tx);
    this.doubts.delete(tx);
    if (doubt?.blockedSinceMs !== undefined && doubt.blockedSinceMs !== null) {
      this.out.note('unblocked', { tx, outcome, learnedFrom: source, blockedMs: Math.max(0, this.nowMs - doubt.blockedSinceMs) });
    }
    if (outcome === 'commit' && source === record.coordinator) this.out.send(source, 'ack', { tx });
  }

  /** The coordinator says the vote on `tx` is still open: waiting, not blocked. */
  private onPending(source: NodeId, tx: string): void {
    const doubt = this.doubts.get(tx);
    if (doubt === undefined || this.transactions.get(tx)?.coordinator !== source) return;
    doubt.coordinatorAnswered = true;
    doubt.blockedSinceMs = null;
  }

  /** Cooperative termination: another participant asks what we know of `tx`. */
  private onPeerQuery(source: NodeId, tx: string): void {
    const record = this.transactions.get(tx);
    if (record === undefined) {
      // We never voted yes, so the coordinator cannot have committed: abort is safe, and we
      // record it so that a late prepare is refused.
      const aborted: ParticipantTx = { state: 'aborted', changes: {}, coordinator: this.params.coordinator, participants: [], preparedAtMs: null, learnedFrom: null };
      this.transactions.set(tx, aborted);
      this.out.persist(KEY.tx(tx), aborted);
      return this.out.send(source, 'peer-answer', { tx, outcome: 'abort' });
    }
    if (record.state === 'prepared') return this.out.send(source, 'peer-answer', { tx, outcome: null });
    this.out.send(source, 'peer-answer', { tx, outcome: record.state === 'committed' ? 'commit' : 'abort' });
  }

  /** A peer that is prepared too: it cannot help. */
  private onPeerInDoubt(source: NodeId, tx: string): void {
    this.doubts.get(tx)?.peers.set(source, 'prepared too');
  }

  // ---- timers and messages -----------------------------------------------------------------

  private onTimer(timer: string): void {
    if (timer.startsWith(TIMER.votes)) {
      const tx = timer.slice(TIMER.votes.length);
      const running = this.running.get(tx);
      if (running !== undefined && running.decision === null) {
        const missing = running.participants.filter((participant) => !running.votes.has(participant));
        this.out.note('vote-timeout', { tx, missing });
        this.decide(tx, running, 'abort', `no vote from ${missing.join(', ')} within ${this.params.voteTimeoutMs} ms`);
      }
      return;
    }
    if (timer !== TIMER.retry) return;
    this.out.setTimer(TIMER.retry, this.params.retryIntervalMs);
    for (const [tx, decision] of this.decisions) {
      // A commit sent less than an interval ago is most likely being acknowledged right now:
      // resending it would cost two messages for nothing (a tick falls anywhere in that window).
      if (this.nowMs - decision.sentAtMs < this.params.retryIntervalMs) continue;
      decision.sentAtMs = this.nowMs;
      this.sendAll(decision.participants.filter((participant) => !decision.acks.has(participant)), 'commit', { tx });
    }
    for (const [tx, record] of this.transactions) if (record.state === 'prepared') this.askAbout(tx, record);
  }

  /**
   * A prepared participant's retry tick for `tx`: after a retry interval it asks the
   * coordinator; if the previous question went unanswered it is blocked — it says so once,
   * and (cooperative termination) asks the other participants as well, every tick.
   */
  private askAbout(tx: string, record: ParticipantTx): void {
    const preparedAtMs = record.preparedAtMs ?? this.nowMs;
    let doubt = this.doubts.get(tx);
    if (doubt === undefined) {
      if (this.nowMs - preparedAtMs < this.params.retryIntervalMs) return; // the outcome is likely on its way
      doubt = { askedAtMs: null, coordinatorAnswered: false, blockedSinceMs: null, peers: new Map() };
      this.doubts.set(tx, doubt);
    }
    if (doubt.askedAtMs !== null && !doubt.coordinatorAnswered && doubt.blockedSinceMs === null) {
      doubt.blockedSinceMs = doubt.askedAtMs;
      const peers = record.participants.filter((participant) => participant !== this.context.self);
      this.out.note('blocked', {
        tx, waitingOn: record.coordinator, since: doubt.askedAtMs, asking: this.params.cooperativeTermination ? peers : [],
        reason: `voted yes on ${tx}; the coordinator ${record.coordinator} has not answered, and only it (or a participant that knows) can say commit or abort`,
      });
    }
    doubt.askedAtMs = this.nowMs;
    doubt.coordinatorAnswered = false;
    this.out.send(record.coordinator, 'decision-request', { tx });
    if (doubt.blockedSinceMs !== null && this.params.cooperativeTermination) {
      this.sendAll(record.participants.filter((participant) => participant !== this.context.self), 'peer-query', { tx });
    }
  }

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const body = payload as Record<string, unknown> | null;
    const tx = typeof body?.['tx'] === 'string' && body['tx'].length <= 64 ? body['tx'] : null;
    if (tx === null) return this.out.note('malformed-message', { source, type });
    switch (type) {
      case 'prepare': {
        const changes = body!['changes'];
        const participants = body!['participants'];
        // bank: integer amounts; kv: any value but none (a put needs one).
        const ok = this.data.validChanges(changes) && Array.isArray(participants) && participants.every((participant) => typeof participant === 'string');
        if (!ok || this.isCoordinator) return this.out.note('malformed-message', { source, type });
        return this.onPrepare(source, tx, changes as Changes, participants as NodeId[]);
      }
      case 'vote':
        if (typeof body!['yes'] !== 'boolean') return this.out.note('malformed-message', { source, type });
        return this.onVote(source, tx, body!['yes'], typeof body!['reason'] === 'string' ? body!['reason'] : null);
      case 'commit': return this.onOutcome(source, tx, 'commit');
      case 'abort': return this.onOutcome(source, tx, 'abort');
      case 'pending': return this.onPending(source, tx);
      case 'ack': return this.onAck(source, tx);
      case 'decision-request': return this.isCoordinator ? this.onDecisionRequest(source, tx) : undefined;
      case 'peer-query': return this.onPeerQuery(source, tx);
      case 'peer-answer': {
        const outcome = body!['outcome'];
        if (outcome === 'commit' || outcome === 'abort') return this.onOutcome(source, tx, outcome);
        return this.onPeerInDoubt(source, tx);
      }
      default: return this.out.note('malformed-message', { source, type });
    }
  }

  private persistAll(writes: readonly StableWrite[]): void {
    for (const write of writes) this.out.persist(write.key, write.value);
  }

  private sendAll(targets: readonly NodeId[], type: string, payload: unknown): void {
    for (const target of targets) this.out.send(target, type, payload);
  }
}

export const TWO_PHASE_COMMIT: ProtocolDefinition = Object.freeze({
  name: '2pc',
  summary: 'Two-phase commit with presumed abort, over bank accounts spread across participants (atomic transfers) or, with data: kv, as replication of a key-value map (4n messages per write); blocking when the coordinator fails (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseTwoPhaseCommitParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new TwoPhaseCommitCore(context),
  // bank: an account lives on one participant only, and the lab judges each account there.
  // kv: every node holds every key (the coordinator its committed map), as on primary/backup.
  holdersOf: (params: Record<string, unknown>, nodes: readonly NodeId[]) => {
    const parsed = params as unknown as TwoPhaseCommitParams;
    if (parsed.data === 'kv') return (): readonly NodeId[] => nodes;
    const participants = participantsOf(nodes, parsed.coordinator);
    return (key: string): readonly NodeId[] => (participants.length === 0 ? [] : [ownerOfAccount(key, participants)]);
  },
});
