// Two-phase commit with presumed abort (Gray 1978; Mohan, Lindsay, Obermarck 1986; the book's
// §4 "Two phase commit (2PC)"), over bank accounts spread across participants.
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
// A participant persists the outcome (and new balances) before acknowledging it; once every
// participant acknowledged a commit, the coordinator forgets the transaction.
//
// Roles: the node named by `coordinator` (default n1) coordinates; every other node is a
// participant and holds the accounts `a<i>` that hash to it. Pure: time and randomness from the host.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, ProtocolDefinition, Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { hashString } from '../hash/hash-string.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';

export interface TwoPhaseCommitParams {
  coordinator: NodeId;
  accounts: number;
  initialBalance: number;
  /** The coordinator aborts a transaction whose votes have not all arrived by then. */
  voteTimeoutMs: number;
  /** How often a blocked or unacknowledged party asks again. */
  retryIntervalMs: number;
  /** Cooperative termination: a blocked participant also asks the other participants. */
  cooperativeTermination: boolean;
}

export const DEFAULT_TWO_PHASE_COMMIT_PARAMS: Readonly<TwoPhaseCommitParams> = Object.freeze({
  coordinator: 'n1', accounts: 8, initialBalance: 100, voteTimeoutMs: 1_000, retryIntervalMs: 300, cooperativeTermination: true,
});

export const TWO_PHASE_COMMIT_LIMITS = Object.freeze({ accountsMax: 1_000, balanceMax: 1_000_000_000, intervalMsMax: 600_000, openTransactionsMax: 10_000 });

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
  return params;
}

/** The participant that holds `account`, among `participants` (sorted): every node computes the same. */
export function ownerOfAccount(account: string, participants: readonly NodeId[]): NodeId {
  return participants[hashString(`account:${account}`) % participants.length]!;
}

export function accountNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `a${index + 1}`);
}

/** One participant's share of a transfer: amounts added to its accounts (negative: debited). */
type Changes = Record<string, number>;

interface Transfer { from: string; to: string; amount: number }

type ParticipantState = 'prepared' | 'committed' | 'aborted';

/** A participant's record of a transaction (persisted once it votes yes). */
interface ParticipantTx { state: ParticipantState; changes: Changes; coordinator: NodeId; participants: NodeId[] }

/** The coordinator's volatile view of a transaction it runs. */
interface CoordinatorTx { client: string; participants: NodeId[]; changes: Record<NodeId, Changes>; votes: Map<NodeId, boolean>; decision: 'commit' | 'abort' | null; acks: Set<NodeId> }

const KEY = { balance: (account: string): string => `balance:${account}`, tx: (tx: string): string => `tx:${tx}`, decision: (tx: string): string => `decision:${tx}`, seeded: 'seeded', counter: 'counter' } as const;
const TIMER = { votes: 'votes:', retry: 'retry' } as const;

export class TwoPhaseCommitCore implements ProtocolCore {
  private readonly params: TwoPhaseCommitParams;
  private readonly participants: NodeId[];
  private readonly balances = new Map<string, number>();
  /** Accounts locked by a prepared transaction: account → tx. */
  private readonly locks = new Map<string, string>();
  private readonly transactions = new Map<string, ParticipantTx>();
  private readonly running = new Map<string, CoordinatorTx>();
  /** Commit decisions on disk not yet acknowledged by every participant. */
  private readonly decisions = new Map<string, { participants: NodeId[]; acks: Set<NodeId> }>();
  private counter = 0;
  private readonly out = new Outbox();

  constructor(private readonly context: CoreContext) {
    this.params = parseTwoPhaseCommitParams(context.params);
    this.participants = [context.self, ...context.peers].filter((node) => node !== this.params.coordinator).sort();
    if (this.participants.length === 0) throw new Error('2pc: needs at least one participant besides the coordinator');
  }

  private get isCoordinator(): boolean {
    return this.context.self === this.params.coordinator;
  }

  step(input: CoreInput): Ready {
    switch (input.kind) {
      case 'recover': this.recover(input.stable); break;
      case 'client': this.onClient(input.requestId, input.op); break;
      case 'message': this.onMessage(input.source, input.type, input.payload); break;
      case 'timer': this.onTimer(input.timer); break;
      case 'suspicion': break;
    }
    return this.out.take();
  }

  status(): CoreStatus {
    const prepared = [...this.transactions].filter(([, tx]) => tx.state === 'prepared').map(([id]) => id);
    const data: Record<string, unknown> = {};
    for (const account of [...this.balances.keys()].sort()) data[account] = this.balances.get(account);
    return {
      role: this.isCoordinator ? 'coordinator' : prepared.length > 0 ? 'prepared' : 'participant',
      facts: this.isCoordinator
        ? { running: this.running.size, unacknowledgedCommits: this.decisions.size, transactions: this.counter }
        : { accounts: this.balances.size, locked: this.locks.size, blockedOn: prepared.join(',') || null },
      data,
    };
  }

  // ---- recovery ----------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    this.counter = (stable.get(KEY.counter) as number | undefined) ?? 0;
    for (const [name, value] of stable) {
      if (name.startsWith('balance:')) this.balances.set(name.slice('balance:'.length), value as number);
      else if (name.startsWith('tx:')) this.transactions.set(name.slice(3), value as ParticipantTx);
      else if (name.startsWith('decision:')) {
        const decision = value as { participants: NodeId[] };
        this.decisions.set(name.slice('decision:'.length), { participants: decision.participants, acks: new Set() });
      }
    }
    if (!this.isCoordinator && stable.get(KEY.seeded) !== true) this.seedAccounts();
    for (const [tx, record] of this.transactions) {
      if (record.state !== 'prepared') continue;
      for (const account of Object.keys(record.changes)) this.locks.set(account, tx);
      this.out.note('blocked', { tx, waitingOn: record.coordinator, reason: 'voted yes before the crash; the outcome is the coordinator\'s' });
    }
    // A coordinator that comes back finishes what its log says: commits it decided are resent;
    // anything else it ran is aborted by presumption (participants will ask, or it tells them).
    for (const [tx, decision] of this.decisions) this.sendAll(decision.participants, 'commit', { tx });
    this.out.setTimer(TIMER.retry, this.params.retryIntervalMs);
    this.out.note('recovered', { role: this.isCoordinator ? 'coordinator' : 'participant', prepared: [...this.locks.values()].length, decisions: this.decisions.size });
  }

  private seedAccounts(): void {
    for (const account of accountNames(this.params.accounts)) {
      if (ownerOfAccount(account, this.participants) !== this.context.self) continue;
      this.balances.set(account, this.params.initialBalance);
      this.out.persist(KEY.balance(account), this.params.initialBalance);
    }
    this.out.persist(KEY.seeded, true);
  }

  // ---- clients -----------------------------------------------------------------------------

  private onClient(client: string, op: ClientOp): void {
    if (op.f === 'get' || op.f === 'balance') {
      const account = op.key ?? '';
      const owner = this.validAccount(account) ? ownerOfAccount(account, this.participants) : null;
      if (owner === null) return this.out.reply(client, { type: 'fail', error: `no account '${account}' (accounts a1…a${this.params.accounts})` });
      if (owner !== this.context.self) return this.out.reply(client, { type: 'fail', error: `${account} is held by ${owner}`, redirect: owner });
      // The committed balance; a prepared transfer is not visible until it commits.
      return this.out.reply(client, { type: 'ok', value: this.balances.get(account) ?? 0 });
    }
    if (op.f !== 'transfer') return this.out.reply(client, { type: 'fail', error: `2pc serves transfer and balance, not '${op.f}'` });
    if (!this.isCoordinator) return this.out.reply(client, { type: 'fail', error: `${this.params.coordinator} coordinates transfers`, redirect: this.params.coordinator });
    const transfer = this.parseTransfer(op.value);
    if (typeof transfer === 'string') return this.out.reply(client, { type: 'fail', error: transfer });
    if (this.running.size >= TWO_PHASE_COMMIT_LIMITS.openTransactionsMax) return this.out.reply(client, { type: 'fail', error: 'too many transactions in flight' });
    this.begin(client, transfer);
  }

  private validAccount(account: string): boolean {
    return accountNames(this.params.accounts).includes(account);
  }

  private parseTransfer(raw: unknown): Transfer | string {
    const value = raw as Partial<Transfer> | null;
    if (typeof value !== 'object' || value === null) return 'a transfer is {from, to, amount}';
    const { from, to, amount } = value;
    if (typeof from !== 'string' || !this.validAccount(from) || typeof to !== 'string' || !this.validAccount(to)) return `from and to are accounts a1…a${this.params.accounts}`;
    if (from === to) return 'from and to must differ';
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0 || amount > TWO_PHASE_COMMIT_LIMITS.balanceMax) return 'amount is a positive integer';
    return { from, to, amount };
  }

  // ---- coordinator -------------------------------------------------------------------------

  private begin(client: string, transfer: Transfer): void {
    this.counter += 1;
    // The counter is on disk before the prepares leave: a restarted coordinator never reuses an id.
    const tx = `t${this.counter}`;
    this.out.persist(KEY.counter, this.counter);
    const changes: Record<NodeId, Changes> = {};
    const add = (account: string, amount: number): void => {
      const owner = ownerOfAccount(account, this.participants);
      changes[owner] = { ...changes[owner], [account]: (changes[owner]?.[account] ?? 0) + amount };
    };
    add(transfer.from, -transfer.amount);
    add(transfer.to, transfer.amount);
    const participants = Object.keys(changes).sort();
    this.running.set(tx, { client, participants, changes, votes: new Map(), decision: null, acks: new Set() });
    for (const participant of participants) this.out.send(participant, 'prepare', { tx, changes: changes[participant], participants });
    this.out.setTimer(TIMER.votes + tx, this.params.voteTimeoutMs);
    this.out.note('prepare', { tx, participants, transfer });
  }

  private onVote(source: NodeId, tx: string, yes: boolean, reason: string | null): void {
    const running = this.running.get(tx);
    if (running === undefined || running.decision !== null || !running.participants.includes(source)) return;
    running.votes.set(source, yes);
    if (!yes) return this.decide(tx, running, 'abort', `${source} voted no${reason ? `: ${reason}` : ''}`);
    if (running.participants.every((participant) => running.votes.get(participant) === true)) this.decide(tx, running, 'commit', 'every participant voted yes');
  }

  private decide(tx: string, running: CoordinatorTx, decision: 'commit' | 'abort', why: string): void {
    running.decision = decision;
    this.out.cancelTimer(TIMER.votes + tx);
    if (decision === 'commit') {
      // The commit point: on disk before any participant hears it.
      this.out.persist(KEY.decision(tx), { participants: running.participants });
      this.decisions.set(tx, { participants: running.participants, acks: new Set() });
    }
    this.out.note('decision', { tx, decision, why });
    this.sendAll(running.participants, decision, { tx });
    this.out.reply(running.client, decision === 'commit' ? { type: 'ok', value: tx } : { type: 'fail', error: `aborted: ${why}` });
    if (decision === 'abort') this.running.delete(tx);
  }

  private onAck(source: NodeId, tx: string): void {
    const decision = this.decisions.get(tx);
    if (decision === undefined) return;
    decision.acks.add(source);
    if (decision.participants.every((participant) => decision.acks.has(participant))) {
      // Everyone applied it: the coordinator may forget (with presumed abort, no one will ask again).
      this.decisions.delete(tx);
      this.running.delete(tx);
      this.out.persist(KEY.decision(tx), undefined);
      this.out.note('forgotten', { tx });
    }
  }

  /** A participant asks how `tx` ended: commit if the log says so; otherwise abort — unless the vote is still open. */
  private onDecisionRequest(source: NodeId, tx: string): void {
    if (this.decisions.has(tx)) return this.out.send(source, 'commit', { tx });
    const running = this.running.get(tx);
    if (running !== undefined && running.decision === null) return;
    this.out.send(source, 'abort', { tx });
  }

  // ---- participant -------------------------------------------------------------------------

  private onPrepare(source: NodeId, tx: string, changes: Changes, participants: NodeId[]): void {
    const known = this.transactions.get(tx);
    if (known !== undefined) {
      // A repeated prepare: repeat the vote this participant already made durable.
      if (known.state === 'prepared') this.out.send(source, 'vote', { tx, yes: true, reason: null });
      return;
    }
    const refusal = this.refusal(tx, changes);
    if (refusal !== null) {
      this.out.note('vote', { tx, yes: false, reason: refusal });
      return this.out.send(source, 'vote', { tx, yes: false, reason: refusal });
    }
    const record: ParticipantTx = { state: 'prepared', changes, coordinator: source, participants };
    this.transactions.set(tx, record);
    for (const account of Object.keys(changes)) this.locks.set(account, tx);
    // The vote is a promise: on disk before the coordinator hears it.
    this.out.persist(KEY.tx(tx), record);
    this.out.note('vote', { tx, yes: true });
    this.out.send(source, 'vote', { tx, yes: true, reason: null });
  }

  private refusal(tx: string, changes: Changes): string | null {
    for (const [account, amount] of Object.entries(changes)) {
      if (!this.balances.has(account)) return `${this.context.self} does not hold ${account}`;
      const holder = this.locks.get(account);
      if (holder !== undefined && holder !== tx) return `${account} is locked by ${holder}`;
      if ((this.balances.get(account) ?? 0) + amount < 0) return `${account} has ${this.balances.get(account)}, cannot pay ${-amount}`;
    }
    return null;
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
    const applied: ParticipantTx = { ...record, state: outcome === 'commit' ? 'committed' : 'aborted' };
    if (outcome === 'commit') {
      for (const [account, amount] of Object.entries(record.changes)) {
        const balance = (this.balances.get(account) ?? 0) + amount;
        this.balances.set(account, balance);
        this.out.persist(KEY.balance(account), balance);
      }
    }
    for (const account of Object.keys(record.changes)) if (this.locks.get(account) === tx) this.locks.delete(account);
    this.transactions.set(tx, applied);
    this.out.persist(KEY.tx(tx), applied);
    this.out.note(outcome === 'commit' ? 'committed' : 'aborted', { tx, changes: record.changes, learnedFrom: source });
    if (outcome === 'commit' && source === record.coordinator) this.out.send(source, 'ack', { tx });
  }

  /** Cooperative termination: another participant asks what we know of `tx`. */
  private onPeerQuery(source: NodeId, tx: string): void {
    const record = this.transactions.get(tx);
    if (record === undefined) {
      // We never voted yes, so the coordinator cannot have committed: abort is safe, and we
      // record it so that a late prepare is refused.
      const aborted: ParticipantTx = { state: 'aborted', changes: {}, coordinator: this.params.coordinator, participants: [] };
      this.transactions.set(tx, aborted);
      this.out.persist(KEY.tx(tx), aborted);
      return this.out.send(source, 'peer-answer', { tx, outcome: 'abort' });
    }
    if (record.state === 'prepared') return this.out.send(source, 'peer-answer', { tx, outcome: null });
    this.out.send(source, 'peer-answer', { tx, outcome: record.state === 'committed' ? 'commit' : 'abort' });
  }

  // ---- timers and messages -----------------------------------------------------------------

  private onTimer(timer: string): void {
    if (timer.startsWith(TIMER.votes)) {
      const tx = timer.slice(TIMER.votes.length);
      const running = this.running.get(tx);
      if (running !== undefined && running.decision === null) {
        const missing = running.participants.filter((participant) => !running.votes.has(participant));
        this.decide(tx, running, 'abort', `no vote from ${missing.join(', ')} within ${this.params.voteTimeoutMs} ms`);
      }
      return;
    }
    if (timer !== TIMER.retry) return;
    this.out.setTimer(TIMER.retry, this.params.retryIntervalMs);
    for (const [tx, decision] of this.decisions) this.sendAll(decision.participants.filter((participant) => !decision.acks.has(participant)), 'commit', { tx });
    for (const [tx, record] of this.transactions) {
      if (record.state !== 'prepared') continue;
      this.out.send(record.coordinator, 'decision-request', { tx });
      if (this.params.cooperativeTermination) this.sendAll(record.participants.filter((participant) => participant !== this.context.self), 'peer-query', { tx });
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
        const ok = typeof changes === 'object' && changes !== null && !Array.isArray(changes) && Object.values(changes).every((amount) => Number.isInteger(amount))
          && Array.isArray(participants) && participants.every((participant) => typeof participant === 'string');
        if (!ok || this.isCoordinator) return this.out.note('malformed-message', { source, type });
        return this.onPrepare(source, tx, changes as Changes, participants as NodeId[]);
      }
      case 'vote':
        if (typeof body!['yes'] !== 'boolean') return this.out.note('malformed-message', { source, type });
        return this.onVote(source, tx, body!['yes'], typeof body!['reason'] === 'string' ? body!['reason'] : null);
      case 'commit': return this.onOutcome(source, tx, 'commit');
      case 'abort': return this.onOutcome(source, tx, 'abort');
      case 'ack': return this.onAck(source, tx);
      case 'decision-request': return this.isCoordinator ? this.onDecisionRequest(source, tx) : undefined;
      case 'peer-query': return this.onPeerQuery(source, tx);
      case 'peer-answer': {
        const outcome = body!['outcome'];
        if (outcome === 'commit' || outcome === 'abort') return this.onOutcome(source, tx, outcome);
        return;
      }
      default: return this.out.note('malformed-message', { source, type });
    }
  }

  private sendAll(targets: readonly NodeId[], type: string, payload: unknown): void {
    for (const target of targets) this.out.send(target, type, payload);
  }






}

export const TWO_PHASE_COMMIT: ProtocolDefinition = Object.freeze({
  name: '2pc',
  summary: 'Two-phase commit with presumed abort over bank accounts spread across participants: atomic transfers, and blocking when the coordinator fails (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseTwoPhaseCommitParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new TwoPhaseCommitCore(context),
});
