// Three-phase commit (Skeen 1981, "Nonblocking commit protocols"; Bernstein, Hadzilacos &
// Goodman, "Concurrency Control and Recovery in Database Systems" §7.5; the book's §4 table,
// "6n: 3-phase commit"), over the same data as the lab's 2PC (param `data`: bank accounts
// spread across participants, or a key-value map copied on every participant) and with the
// same client interface, notes and params, so the same workloads and checkers run on both.
//
//   coordinator                      participant
//   can-commit (with its share) ──▶  votes yes (its state is `uncertain`, on disk) or no
//               ◀── vote
//   pre-commit (all voted yes)  ──▶  `pre-committed` (on disk)
//               ◀── ack
//   do-commit (all acked)       ──▶  `committed`: applies its share (on disk)
//               ◀── have-committed
// Six messages per participant per transaction when nothing fails — the book's 6n.
//
// What the extra round buys: no participant is ever uncertain while another has committed.
// Nobody commits before every participant is pre-committed, and a pre-committed participant
// knows that everyone voted yes. So a participant that hears nothing may decide: 2PC's
// participants block when the coordinator dies (the scenario 2pc-coordinator-crash), 3PC's
// finish. A participant that waited `voteTimeoutMs + retryIntervalMs` since it last heard from
// the coordinator runs the termination protocol (with `cooperativeTermination`, the default):
// it asks every other participant and the coordinator for their state, and after a retry
// interval decides from the answers —
//   anyone committed → commit; anyone aborted (or never voted) → abort;
//   anyone pre-committed → pre-commit the uncertain ones, and commit once all are;
//   everyone uncertain → abort (nobody can have committed).
// Without cooperative termination it decides alone: uncertain → abort, pre-committed → commit
// (the textbook's short rule; it is wrong even without partitions if the coordinator dies
// half-way through sending its pre-commits). The coordinator, in turn, commits when an ack does
// not come within `voteTimeoutMs`: the silent participant is taken for crashed, and it will
// learn the outcome when it recovers.
//
// The price is the assumption behind every "nobody answered": that silence means a crash.
// Under crash-stop failures with bounded delays that is true and 3PC never blocks. Under a
// partition it is false: a pre-committed participant on the coordinator's side commits (the
// ack timeout), an uncertain one on the other side hears nobody, and aborts — atomicity is
// gone (scenario 3pc-partition; the bank check names the transaction). The book: 3PC is not
// partition tolerant; Paxos is what survives both.
//
// The write-ahead rules, each before the message that depends on it: a participant persists
// its yes vote, its pre-commit and its outcome (with the new balances or values) before
// answering; the coordinator persists a pre-commit record before any pre-commit leaves (so
// that after a restart it cannot presume abort for a transaction others may have committed)
// and a commit record before any do-commit. Aborts are not forced (presumed abort).
// Recovery: a participant that crashed after voting may not decide alone any more (others may
// have decided without it): it asks, and blocks until someone answers. A coordinator that
// restarts resends the commits of its log and, for a pre-commit record, asks the participants
// again (pre-commit) — commit when all acknowledge or one has committed, abort if one aborted;
// it never commits on a timeout after a restart.
// Pure: time and randomness from the host.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, ProtocolDefinition, Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { Outbox } from '../support/outbox.ts';
import { DEFAULT_TWO_PHASE_COMMIT_PARAMS, parseTwoPhaseCommitParams, participantsOf, TWO_PHASE_COMMIT, type TransferOutcome, type TwoPhaseCommitParams } from '../two-phase-commit/core.ts';
import { TransactionData, type Changes, type KeyValueWrite, type StableWrite, type Transfer } from '../two-phase-commit/transaction-data.ts';
import { threePhaseCoordinatorView, threePhaseParticipantView, type CoordinatorLogEntry } from './view.ts';

/**
 * The same params as 2PC, read for three phases: `voteTimeoutMs` is how long a waiting party
 * waits for the next phase (the coordinator for votes and for acks; a participant for the
 * coordinator, plus one retry interval so that the coordinator's own timeout acts first);
 * `retryIntervalMs` paces resends and termination rounds; `cooperativeTermination` chooses
 * the termination protocol over deciding alone.
 */
export type ThreePhaseCommitParams = TwoPhaseCommitParams;

export const DEFAULT_THREE_PHASE_COMMIT_PARAMS: Readonly<ThreePhaseCommitParams> = DEFAULT_TWO_PHASE_COMMIT_PARAMS;

export function parseThreePhaseCommitParams(raw: unknown): ThreePhaseCommitParams {
  try {
    return parseTwoPhaseCommitParams(raw);
  } catch (error) {
    // One parser for both (the bank checker reads either protocol's params with it); the error names this protocol.
    throw new Error((error as Error).message.replace(/^2pc:/, '3pc:'));
  }
}

/** A participant's state of one transaction (Skeen's w, p, c, a); only the first two are in doubt. */
export type ParticipantState = 'uncertain' | 'pre-committed' | 'committed' | 'aborted';

/** A participant's record of a transaction, persisted at every change of state. */
export interface ParticipantRecord {
  state: ParticipantState;
  changes: Changes;
  coordinator: NodeId;
  participants: NodeId[];
  /** When it voted yes (node clock); null for a transaction it never voted on (aborted on a question). */
  votedAtMs: number | null;
  /** Who told it the outcome; itself when it decided by termination or alone. */
  learnedFrom: NodeId | null;
}

/** What a termination step does next: `pre-commit` the uncertain responders first, or `wait` (block) for anyone to answer. */
export type TerminationStep = 'commit' | 'abort' | 'pre-commit' | 'wait';

/**
 * The termination rule (Skeen's, for operational sites): from this participant's own state and
 * the states the others answered in one round. Whoever did not answer is taken for crashed —
 * which is what a partition breaks. A participant that crashed since it voted may not decide
 * from its own state alone (`mayDecideAlone` false): others may have decided without it.
 */
export function terminationRule(own: 'uncertain' | 'pre-committed', answers: readonly ParticipantState[], mayDecideAlone: boolean): TerminationStep {
  if (answers.includes('committed')) return 'commit';
  if (answers.includes('aborted')) return 'abort';
  if (answers.length === 0 && !mayDecideAlone) return 'wait';
  const states = [own, ...answers];
  if (states.includes('pre-committed')) return states.every((state) => state === 'pre-committed') ? 'commit' : 'pre-commit';
  return 'abort';
}

/** One termination run of a participant (volatile): the answers of the current round. */
interface Termination { roundStartedAtMs: number; answers: Map<NodeId, ParticipantState>; blockedSinceMs: number | null }

/** The coordinator's view of a transaction it runs. `resumed`: rebuilt from a pre-commit record after a restart. */
interface CoordinatorTx {
  client: string | null; participants: NodeId[]; changes: Record<NodeId, Changes>; write: KeyValueWrite | null;
  phase: 'votes' | 'pre-commit' | 'commit'; votes: Map<NodeId, boolean>; acks: Set<NodeId>;
  /** Participants that answered the commit (have-committed; or aborted, an outcome-conflict). */
  committed: Set<NodeId>;
  sentAtMs: number; resumed: boolean;
}

const KEY = { tx: (tx: string): string => `tx:${tx}`, preCommit: (tx: string): string => `precommit:${tx}`, decision: (tx: string): string => `decision:${tx}`, seeded: 'seeded', counter: 'counter' } as const;
const TIMER = { votes: 'votes:', acks: 'acks:', retry: 'retry' } as const;
/** A state answer can only move forward (an ack and a state answer of one round may arrive in either order). */
const PROGRESS: Readonly<Record<ParticipantState, number>> = { uncertain: 0, 'pre-committed': 1, committed: 2, aborted: 2 };
const STATES: ReadonlySet<string> = new Set(Object.keys(PROGRESS));
/** Coordinator log entries kept for the view beyond the open ones. */
const LOG_KEPT_MAX = 64;

export class ThreePhaseCommitCore implements ProtocolCore {
  private readonly params: ThreePhaseCommitParams;
  private readonly data: TransactionData;
  private readonly transactions = new Map<string, ParticipantRecord>();
  /** Participant: when it last heard from the coordinator about a transaction in doubt (volatile). */
  private readonly heardAtMs = new Map<string, number>();
  private readonly terminations = new Map<string, Termination>();
  /** Participant: transactions in doubt it voted on before its latest restart. */
  private readonly recovered = new Set<string>();
  private readonly running = new Map<string, CoordinatorTx>();
  /** The coordinator's recent transactions, for the view (volatile, bounded). */
  private readonly log = new Map<string, CoordinatorLogEntry>();
  private counter = 0;
  private nowMs = 0;
  private readonly out = new Outbox();

  constructor(private readonly context: CoreContext) {
    this.params = parseThreePhaseCommitParams(context.params);
    const participants = participantsOf([context.self, ...context.peers], this.params.coordinator);
    if (participants.length === 0) throw new Error('3pc: needs at least one participant besides the coordinator');
    this.data = new TransactionData({ protocol: '3pc', self: context.self, coordinator: this.params.coordinator, data: this.params.data, accounts: this.params.accounts, initialBalance: this.params.initialBalance, participants });
  }

  private get isCoordinator(): boolean {
    return this.context.self === this.params.coordinator;
  }

  /** How long a participant in doubt waits for the coordinator before it runs the termination protocol. */
  private get participantTimeoutMs(): number {
    return this.params.voteTimeoutMs + this.params.retryIntervalMs;
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
    if ([...this.terminations.values()].some((termination) => termination.blockedSinceMs !== null)) return 'blocked';
    const states = [...this.transactions.values()].map((record) => record.state);
    return states.includes('pre-committed') ? 'pre-committed' : states.includes('uncertain') ? 'uncertain' : 'participant';
  }

  status(): CoreStatus {
    const view = this.isCoordinator
      ? threePhaseCoordinatorView({ self: this.context.self, nowMs: this.nowMs, log: this.log, counter: this.counter, decisions: [...this.running].filter(([, running]) => running.phase === 'commit').map(([tx]) => tx) })
      : threePhaseParticipantView({ self: this.context.self, coordinator: this.params.coordinator, nowMs: this.nowMs, amounts: !this.data.keyValue, balances: this.data.balances, locks: this.data.locks, transactions: this.transactions, terminations: this.terminations });
    return { role: this.roleName(), facts: this.facts(), data: this.data.statusData(), view };
  }

  private facts(): CoreStatus['facts'] {
    // kv: clients go to the coordinator for everything (the fact tells the lab's clients where).
    const route: CoreStatus['facts'] = this.data.keyValue ? { coordinator: this.params.coordinator, keys: this.data.values.size } : {};
    if (this.isCoordinator) {
      const count = (phase: CoordinatorTx['phase']): number => [...this.running.values()].filter((running) => running.phase === phase).length;
      return { running: count('votes'), preCommitting: count('pre-commit'), unacknowledgedCommits: count('commit'), transactions: this.counter, inDoubt: this.running.size, ...route };
    }
    const open = [...this.transactions].filter(([, record]) => record.state === 'uncertain' || record.state === 'pre-committed');
    const blocked = [...this.terminations].filter(([, termination]) => termination.blockedSinceMs !== null).map(([tx]) => tx);
    const held: CoreStatus['facts'] = this.data.keyValue ? {} : { accounts: this.data.balances.size };
    return {
      ...held, locked: this.data.locks.size, inDoubt: open.length, preCommitted: open.filter(([, record]) => record.state === 'pre-committed').length,
      terminating: this.terminations.size, blockedOn: blocked.join(',') || null, ...route,
    };
  }

  // ---- recovery ----------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    this.counter = (stable.get(KEY.counter) as number | undefined) ?? 0;
    const commits: [string, { participants: NodeId[] }][] = [];
    const preCommits: [string, { participants: NodeId[]; write: KeyValueWrite | null }][] = [];
    for (const [name, value] of stable) {
      if (this.data.restore(name, value)) continue;
      if (name.startsWith('tx:')) this.transactions.set(name.slice('tx:'.length), value as ParticipantRecord);
      else if (name.startsWith('decision:')) commits.push([name.slice('decision:'.length), value as { participants: NodeId[] }]);
      else if (name.startsWith('precommit:')) preCommits.push([name.slice('precommit:'.length), value as { participants: NodeId[]; write: KeyValueWrite | null }]);
    }
    if (!this.isCoordinator && !this.data.keyValue && stable.get(KEY.seeded) !== true) {
      this.persistAll(this.data.seed());
      this.out.persist(KEY.seeded, true);
    }
    const inDoubt: string[] = [];
    for (const [tx, record] of this.transactions) {
      if (record.state !== 'uncertain' && record.state !== 'pre-committed') continue;
      inDoubt.push(tx);
      this.data.lock(tx, record.changes);
      this.recovered.add(tx);
      this.heardAtMs.set(tx, this.nowMs);
      // It voted before the crash: others may have decided meanwhile. Ask now (it may not decide alone).
      if (this.params.cooperativeTermination) this.startTermination(tx, record);
    }
    for (const [tx, { participants }] of commits) this.resume(tx, participants, 'commit', null);
    for (const [tx, { participants, write }] of preCommits) this.resume(tx, participants, 'pre-commit', write);
    this.out.setTimer(TIMER.retry, this.params.retryIntervalMs);
    this.out.note('recovered', this.isCoordinator
      ? { role: 'coordinator', commitRecords: commits.map(([tx]) => tx), preCommitRecords: preCommits.map(([tx]) => tx), counter: this.counter }
      : { role: 'participant', inDoubt });
  }

  /** A restarted coordinator takes up a transaction its log holds: resends the commit, or asks again with pre-commit. */
  private resume(tx: string, participants: NodeId[], phase: 'commit' | 'pre-commit', write: KeyValueWrite | null): void {
    const running: CoordinatorTx = { client: null, participants, changes: {}, write, phase, votes: new Map(participants.map((node) => [node, true])), acks: new Set(), committed: new Set(), sentAtMs: this.nowMs, resumed: true };
    this.running.set(tx, running);
    this.remember({ tx, participants, transfer: null, votes: running.votes, phase, decision: phase === 'commit' ? 'commit' : null, acks: running.acks, committed: running.committed, why: `${phase} record found in the log after a restart` });
    this.sendAll(participants, phase === 'commit' ? 'do-commit' : 'pre-commit', { tx });
  }

  // ---- clients -----------------------------------------------------------------------------

  private onClient(client: string, op: ClientOp): void {
    const plan = this.data.planClient(op, this.isCoordinator, this.running.size);
    if (plan.kind === 'reply') return this.out.reply(client, plan.result);
    this.begin(client, plan.changes, plan.transfer, plan.write);
  }

  // ---- coordinator -------------------------------------------------------------------------

  /** Phase one: can-commit to the participants that `changes` names, each with its share. */
  private begin(client: string, changes: Record<NodeId, Changes>, transfer: Transfer | null, write: KeyValueWrite | null): void {
    this.counter += 1;
    // On disk before the can-commits leave: a restarted coordinator never reuses an id.
    const tx = `t${this.counter}`;
    this.out.persist(KEY.counter, this.counter);
    const participants = Object.keys(changes).sort();
    const running: CoordinatorTx = { client, participants, changes, write, phase: 'votes', votes: new Map(), acks: new Set(), committed: new Set(), sentAtMs: this.nowMs, resumed: false };
    this.running.set(tx, running);
    // The view's entry shares the votes, acks and commits with the running transaction.
    this.remember({ tx, participants, transfer, votes: running.votes, phase: 'votes', decision: null, acks: running.acks, committed: running.committed, why: null });
    for (const participant of participants) this.out.send(participant, 'can-commit', { tx, changes: changes[participant], participants });
    this.out.setTimer(TIMER.votes + tx, this.params.voteTimeoutMs);
    // Named `prepare` as in 2PC: the bank checker reads a transaction's participants and transfer from it.
    this.out.note('prepare', write === null ? { tx, participants, transfer, client } : { tx, participants, write, client });
  }

  private onVote(source: NodeId, tx: string, yes: boolean, reason: string | null): void {
    const running = this.running.get(tx);
    if (running === undefined || running.phase !== 'votes' || !running.participants.includes(source)) return;
    running.votes.set(source, yes);
    if (!yes) return this.decideAbort(tx, running, `${source} voted no${reason ? `: ${reason}` : ''}`);
    if (running.participants.every((participant) => running.votes.get(participant) === true)) this.preCommit(tx, running);
  }

  /** Phase two: every participant voted yes. The record goes to disk first, then the pre-commits. */
  private preCommit(tx: string, running: CoordinatorTx): void {
    running.phase = 'pre-commit';
    running.sentAtMs = this.nowMs;
    this.out.cancelTimer(TIMER.votes + tx);
    this.out.persist(KEY.preCommit(tx), { participants: running.participants, write: running.write });
    this.updateLog(tx, { phase: 'pre-commit' });
    this.sendAll(running.participants, 'pre-commit', { tx });
    this.out.setTimer(TIMER.acks + tx, this.params.voteTimeoutMs);
    this.out.note('pre-commit-sent', { tx, participants: running.participants });
  }

  /** A participant is pre-committed (its ack, or its state answer to a restarted coordinator). */
  private onAck(source: NodeId, tx: string): void {
    const running = this.running.get(tx);
    if (running === undefined || running.phase !== 'pre-commit' || !running.participants.includes(source)) return;
    running.acks.add(source);
    if (running.participants.every((participant) => running.acks.has(participant))) this.decideCommit(tx, running, 'every participant is pre-committed');
  }

  /** Phase three. The commit record is the commit point: on disk before any do-commit (kv: with the write, in one disk transaction). */
  private decideCommit(tx: string, running: CoordinatorTx, why: string): void {
    running.phase = 'commit';
    running.sentAtMs = this.nowMs;
    this.out.cancelTimer(TIMER.votes + tx);
    this.out.cancelTimer(TIMER.acks + tx);
    this.out.persist(KEY.decision(tx), { participants: running.participants });
    this.out.persist(KEY.preCommit(tx), undefined);
    if (running.write !== null) this.persistAll([this.data.write(running.write)]);
    this.updateLog(tx, { phase: 'commit', decision: 'commit', why });
    this.out.note('commit-decided', { tx, participants: running.participants, why });
    this.sendAll(running.participants.filter((participant) => !running.committed.has(participant)), 'do-commit', { tx });
    if (running.client !== null) this.out.reply(running.client, { type: 'ok', value: { tx, participants: running.participants } satisfies TransferOutcome });
    this.forgetIfDone(tx, running);
  }

  private decideAbort(tx: string, running: CoordinatorTx, why: string): void {
    this.running.delete(tx);
    this.out.cancelTimer(TIMER.votes + tx);
    this.out.cancelTimer(TIMER.acks + tx);
    if (running.phase === 'pre-commit') this.out.persist(KEY.preCommit(tx), undefined);
    this.updateLog(tx, { decision: 'abort', why });
    this.out.note('abort-decided', { tx, participants: running.participants, why });
    this.sendAll(running.participants, 'abort', { tx });
    const outcome: TransferOutcome = { tx, participants: running.participants };
    if (running.client !== null) this.out.reply(running.client, { type: 'fail', error: `aborted ${tx}: ${why}`, value: outcome });
  }

  private onHaveCommitted(source: NodeId, tx: string): void {
    const running = this.running.get(tx);
    if (running === undefined || !running.participants.includes(source)) return;
    running.committed.add(source);
    // A participant that committed by termination answers a (resumed) pre-commit with that.
    if (running.phase === 'pre-commit') return this.decideCommit(tx, running, `${source} has committed (termination)`);
    this.forgetIfDone(tx, running);
  }

  /** Once every participant has committed, the commit record goes (nobody will ask again). */
  private forgetIfDone(tx: string, running: CoordinatorTx): void {
    if (running.phase !== 'commit' || !running.participants.every((participant) => running.committed.has(participant))) return;
    this.running.delete(tx);
    this.out.persist(KEY.decision(tx), undefined);
    this.out.note('forgotten', { tx });
  }

  /** A participant in doubt asks (termination): the coordinator's own state of the transaction. */
  private onCoordinatorStateRequest(source: NodeId, tx: string): void {
    const running = this.running.get(tx);
    if (running === undefined) return this.out.send(source, 'state', { tx, state: 'aborted' }); // never pre-committed: presumed abort
    if (running.phase === 'votes') {
      // No pre-commit left yet: abort is safe, and a participant that gave up waiting would abort anyway.
      this.decideAbort(tx, running, `${source} timed out waiting for the outcome before every vote was in`);
      return this.out.send(source, 'state', { tx, state: 'aborted' });
    }
    this.out.send(source, 'state', { tx, state: running.phase === 'commit' ? 'committed' : 'pre-committed' });
  }

  /** A participant's state (an answer to a resumed pre-commit, or a terminator's outcome). */
  private onCoordinatorState(source: NodeId, tx: string, state: ParticipantState): void {
    const running = this.running.get(tx);
    if (running === undefined || !running.participants.includes(source)) return;
    if (state === 'committed') return this.onHaveCommitted(source, tx);
    if (running.phase === 'commit' && state === 'aborted') {
      // Decided commit here, aborted there (a partition, taken for a crash): atomicity is lost, and
      // resending cannot mend it. Said once, and counted as an answer so the commit is forgotten.
      this.out.note('outcome-conflict', { tx, node: source, decided: 'commit', applied: 'aborted' });
      running.committed.add(source);
      return this.forgetIfDone(tx, running);
    }
    if (running.phase !== 'pre-commit') return;
    if (state === 'aborted') return this.decideAbort(tx, running, `${source} has aborted (termination)`);
    if (state === 'pre-committed') this.onAck(source, tx);
  }

  private onCoordinatorTimer(timer: string): void {
    const votes = timer.startsWith(TIMER.votes);
    const tx = timer.slice(votes ? TIMER.votes.length : TIMER.acks.length);
    const running = this.running.get(tx);
    if (running === undefined) return;
    if (votes && running.phase === 'votes') {
      const missing = running.participants.filter((participant) => !running.votes.has(participant));
      this.out.note('vote-timeout', { tx, missing });
      return this.decideAbort(tx, running, `no vote from ${missing.join(', ')} within ${this.params.voteTimeoutMs} ms`);
    }
    if (!votes && running.phase === 'pre-commit' && !running.resumed) {
      // The crash-stop assumption: a participant that does not ack has crashed, and will learn the outcome when it recovers.
      const missing = running.participants.filter((participant) => !running.acks.has(participant));
      this.out.note('ack-timeout', { tx, missing });
      this.decideCommit(tx, running, `no ack from ${missing.join(', ')} within ${this.params.voteTimeoutMs} ms: taken for crashed`);
    }
  }

  /** Retry tick: do-commits not yet answered, and a restarted coordinator's pre-commits, go again. */
  private coordinatorTick(): void {
    for (const [tx, running] of this.running) {
      // Sent less than an interval ago: most likely being answered right now.
      if (running.phase === 'votes' || this.nowMs - running.sentAtMs < this.params.retryIntervalMs) continue;
      running.sentAtMs = this.nowMs;
      if (running.phase === 'commit') this.sendAll(running.participants.filter((node) => !running.committed.has(node)), 'do-commit', { tx });
      else if (running.resumed) this.sendAll(running.participants.filter((node) => !running.acks.has(node)), 'pre-commit', { tx });
    }
  }

  private remember(entry: CoordinatorLogEntry): void {
    this.log.set(entry.tx, entry);
    for (const tx of this.log.keys()) {
      if (this.log.size <= LOG_KEPT_MAX) break;
      if (!this.running.has(tx)) this.log.delete(tx);
    }
  }

  private updateLog(tx: string, change: Partial<Pick<CoordinatorLogEntry, 'phase' | 'decision' | 'why'>>): void {
    const entry = this.log.get(tx);
    if (entry !== undefined) Object.assign(entry, change);
  }

  // ---- participant -------------------------------------------------------------------------

  private onCanCommit(source: NodeId, tx: string, changes: Changes, participants: NodeId[]): void {
    const known = this.transactions.get(tx);
    if (known !== undefined) {
      // A repeated can-commit: repeat the vote already made durable (no, if it has aborted since).
      return this.out.send(source, 'vote', { tx, yes: known.state !== 'aborted', reason: known.state === 'aborted' ? `${tx} is aborted here` : null });
    }
    const refusal = this.data.refusal(tx, changes);
    if (refusal !== null) {
      this.out.note('voted-no', { tx, reason: refusal });
      return this.out.send(source, 'vote', { tx, yes: false, reason: refusal });
    }
    const record: ParticipantRecord = { state: 'uncertain', changes, coordinator: source, participants, votedAtMs: this.nowMs, learnedFrom: null };
    this.transactions.set(tx, record);
    this.data.lock(tx, changes);
    this.heardAtMs.set(tx, this.nowMs);
    // The vote is a promise: on disk before the coordinator hears it.
    this.out.persist(KEY.tx(tx), record);
    this.out.note('voted-yes', { tx, changes, coordinator: source });
    this.out.send(source, 'vote', { tx, yes: true, reason: null });
  }

  /** Pre-commit from the coordinator, or from a participant running the termination protocol. */
  private onPreCommit(source: NodeId, tx: string): void {
    let record = this.transactions.get(tx) ?? this.abortUnknown(tx);
    if (source === record.coordinator) this.heardFromCoordinator(tx);
    if (record.state === 'uncertain') record = this.enterPreCommitted(tx, record, source);
    if (record.state === 'pre-committed') return this.out.send(source, 'ack', { tx });
    if (record.state === 'committed' && source === record.coordinator) return this.out.send(source, 'have-committed', { tx });
    this.out.send(source, 'state', { tx, state: record.state });
  }

  /** A new record, never the persisted one changed in place: what went to disk must not move with the volatile state. */
  private enterPreCommitted(tx: string, record: ParticipantRecord, from: NodeId): ParticipantRecord {
    const preCommitted: ParticipantRecord = { ...record, state: 'pre-committed' };
    this.transactions.set(tx, preCommitted);
    this.out.persist(KEY.tx(tx), preCommitted);
    this.out.note('pre-committed', { tx, from });
    return preCommitted;
  }

  private onOutcome(source: NodeId, tx: string, outcome: 'commit' | 'abort'): void {
    const record = this.transactions.get(tx);
    if (record === undefined) {
      // Never voted yes: nothing to undo. A commit of a transaction never voted on would be a bug.
      if (outcome === 'commit') {
        this.out.note('commit-unknown-tx', { tx, from: source });
        this.out.send(source, 'have-committed', { tx });
      }
      return;
    }
    if (source === record.coordinator) this.heardFromCoordinator(tx);
    if (record.state === 'uncertain' || record.state === 'pre-committed') this.finish(tx, record, outcome, source);
    const state = this.transactions.get(tx)!.state;
    if (outcome === 'commit' && state === 'committed') return this.out.send(source, 'have-committed', { tx });
    // The other outcome than this participant applied: say so (a coordinator that resumed aborts on it; the checker sees the split in the notes).
    if ((outcome === 'commit') !== (state === 'committed')) this.out.send(source, 'state', { tx, state });
  }

  /** Applies an outcome: the changes (on a commit), the record, the locks — persisted before anyone hears of it. */
  private finish(tx: string, record: ParticipantRecord, outcome: 'commit' | 'abort', learnedFrom: NodeId): void {
    if (outcome === 'commit') this.persistAll(this.data.apply(record.changes));
    this.data.unlock(tx, record.changes);
    const applied: ParticipantRecord = { ...record, state: outcome === 'commit' ? 'committed' : 'aborted', learnedFrom };
    this.transactions.set(tx, applied);
    this.out.persist(KEY.tx(tx), applied);
    this.out.note(outcome === 'commit' ? 'committed' : 'aborted', { tx, changes: record.changes, learnedFrom });
    const termination = this.terminations.get(tx);
    this.terminations.delete(tx);
    this.heardAtMs.delete(tx);
    this.recovered.delete(tx);
    if (termination?.blockedSinceMs !== undefined && termination.blockedSinceMs !== null) {
      this.out.note('unblocked', { tx, outcome, learnedFrom, blockedMs: Math.max(0, this.nowMs - termination.blockedSinceMs) });
    }
  }

  /** The coordinator spoke about `tx`: the participant's wait starts again, and any termination it ran stops. */
  private heardFromCoordinator(tx: string): void {
    this.heardAtMs.set(tx, this.nowMs);
    const termination = this.terminations.get(tx);
    if (termination !== undefined && termination.blockedSinceMs === null) this.terminations.delete(tx);
  }

  /** A question about a transaction this participant never voted on: it records abort, so that a late can-commit is refused. */
  private abortUnknown(tx: string): ParticipantRecord {
    const aborted: ParticipantRecord = { state: 'aborted', changes: {}, coordinator: this.params.coordinator, participants: [], votedAtMs: null, learnedFrom: null };
    this.transactions.set(tx, aborted);
    this.out.persist(KEY.tx(tx), aborted);
    return aborted;
  }

  private onStateRequest(source: NodeId, tx: string): void {
    const record = this.transactions.get(tx) ?? this.abortUnknown(tx);
    this.out.send(source, 'state', { tx, state: record.state });
  }

  /** An answer to this participant's termination round (a state, or an ack of its pre-commit). */
  private onAnswer(source: NodeId, tx: string, state: ParticipantState): void {
    const termination = this.terminations.get(tx);
    if (termination === undefined) return;
    const known = termination.answers.get(source);
    if (known === undefined || PROGRESS[state] > PROGRESS[known]) termination.answers.set(source, state);
  }

  // ---- participant: timeouts and termination -------------------------------------------------

  private participantTick(tx: string, record: ParticipantRecord): void {
    const termination = this.terminations.get(tx);
    if (termination !== undefined) {
      // Answers come within milliseconds; half an interval tolerates a drifting clock.
      if (this.nowMs - termination.roundStartedAtMs >= this.params.retryIntervalMs / 2) this.terminationStep(tx, record, termination);
      return;
    }
    const heardAtMs = this.heardAtMs.get(tx) ?? record.votedAtMs ?? this.nowMs;
    if (!this.heardAtMs.has(tx)) this.heardAtMs.set(tx, heardAtMs);
    if (this.nowMs - heardAtMs < this.participantTimeoutMs) return;
    this.out.note('timeout', { tx, state: record.state, waitingOn: record.coordinator, heardAtMs });
    if (this.params.cooperativeTermination) return this.startTermination(tx, record);
    // Alone: pre-committed means everyone voted yes; uncertain means nobody can have committed yet — both only if silence is a crash.
    const outcome = record.state === 'pre-committed' ? 'commit' : 'abort';
    this.out.note(`${outcome}-decided`, { tx, participants: record.participants, why: `timed out ${record.state}`, by: this.context.self });
    this.finish(tx, record, outcome, this.context.self);
  }

  private startTermination(tx: string, record: ParticipantRecord): void {
    this.terminations.set(tx, { roundStartedAtMs: this.nowMs, answers: new Map(), blockedSinceMs: null });
    this.out.note('termination', { tx, state: record.state, asking: this.othersOf(record) });
    this.sendAll(this.othersOf(record), 'state-request', { tx });
  }

  /** The other participants of `tx`, and its coordinator: everyone who may know its outcome. */
  private othersOf(record: ParticipantRecord): NodeId[] {
    const others = record.participants.filter((node) => node !== this.context.self);
    return others.includes(record.coordinator) ? others : [...others, record.coordinator];
  }

  /** One round's answers are in: decide, pre-commit the uncertain ones, or wait — then ask again. */
  private terminationStep(tx: string, record: ParticipantRecord, termination: Termination): void {
    const own = record.state as 'uncertain' | 'pre-committed';
    const step = terminationRule(own, [...termination.answers.values()], !this.recovered.has(tx));
    const answered = [...termination.answers.keys()];
    if (step === 'commit' || step === 'abort') {
      const why = `termination: ${own} here; ${answered.map((node) => `${node} ${termination.answers.get(node)}`).join(', ') || 'nobody answered'}`;
      this.out.note(`${step}-decided`, { tx, participants: record.participants, why, by: this.context.self });
      this.finish(tx, record, step, this.context.self);
      const undecided = answered.filter((node) => PROGRESS[termination.answers.get(node)!] < 2);
      return this.sendAll(undecided, step === 'commit' ? 'do-commit' : 'abort', { tx });
    }
    if (step === 'pre-commit') {
      if (own === 'uncertain') this.enterPreCommitted(tx, record, this.context.self);
      this.sendAll(answered.filter((node) => termination.answers.get(node) === 'uncertain'), 'pre-commit', { tx });
    } else if (termination.blockedSinceMs === null) {
      termination.blockedSinceMs = termination.roundStartedAtMs;
      this.out.note('blocked', {
        tx, waitingOn: record.coordinator, since: termination.roundStartedAtMs, asking: this.othersOf(record),
        reason: `voted on ${tx} before a restart: others may have decided without it, so it may not decide alone, and nobody answered`,
      });
    }
    termination.roundStartedAtMs = this.nowMs;
    termination.answers = new Map();
    this.sendAll(this.othersOf(record), 'state-request', { tx });
  }

  // ---- timers and messages -----------------------------------------------------------------

  private onTimer(timer: string): void {
    if (timer.startsWith(TIMER.votes) || timer.startsWith(TIMER.acks)) return this.onCoordinatorTimer(timer);
    if (timer !== TIMER.retry) return;
    this.out.setTimer(TIMER.retry, this.params.retryIntervalMs);
    if (this.isCoordinator) return this.coordinatorTick();
    for (const [tx, record] of this.transactions) if (record.state === 'uncertain' || record.state === 'pre-committed') this.participantTick(tx, record);
  }

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const body = payload as Record<string, unknown> | null;
    const tx = typeof body?.['tx'] === 'string' && body['tx'].length <= 64 ? body['tx'] : null;
    if (tx === null) return this.malformed(source, type);
    if (this.isCoordinator) return this.onCoordinatorMessage(source, type, tx, body!);
    switch (type) {
      case 'can-commit': {
        const { changes, participants } = body!;
        if (!this.data.validChanges(changes) || !Array.isArray(participants) || !participants.every((node) => typeof node === 'string')) return this.malformed(source, type);
        return this.onCanCommit(source, tx, changes, participants as NodeId[]);
      }
      case 'pre-commit': return this.onPreCommit(source, tx);
      case 'do-commit': return this.onOutcome(source, tx, 'commit');
      case 'abort': return this.onOutcome(source, tx, 'abort');
      case 'state-request': return this.onStateRequest(source, tx);
      case 'ack': return this.onAnswer(source, tx, 'pre-committed');
      case 'have-committed': return this.onAnswer(source, tx, 'committed');
      case 'state': return STATES.has(body!['state'] as string) ? this.onAnswer(source, tx, body!['state'] as ParticipantState) : this.malformed(source, type);
      default: return this.malformed(source, type);
    }
  }

  private onCoordinatorMessage(source: NodeId, type: string, tx: string, body: Record<string, unknown>): void {
    switch (type) {
      case 'vote':
        if (typeof body['yes'] !== 'boolean') return this.malformed(source, type);
        return this.onVote(source, tx, body['yes'], typeof body['reason'] === 'string' ? body['reason'] : null);
      case 'ack': return this.onAck(source, tx);
      case 'have-committed': return this.onHaveCommitted(source, tx);
      case 'state-request': return this.onCoordinatorStateRequest(source, tx);
      case 'state': return STATES.has(body['state'] as string) ? this.onCoordinatorState(source, tx, body['state'] as ParticipantState) : this.malformed(source, type);
      // A terminator tells everyone it asked what it decided, the coordinator included.
      case 'do-commit': return this.onCoordinatorState(source, tx, 'committed');
      case 'abort': return this.onCoordinatorState(source, tx, 'aborted');
      default: return this.malformed(source, type);
    }
  }

  private malformed(source: NodeId, type: string): void {
    this.out.note('malformed-message', { source, type });
  }

  private persistAll(writes: readonly StableWrite[]): void {
    for (const write of writes) this.out.persist(write.key, write.value);
  }

  private sendAll(targets: readonly NodeId[], type: string, payload: unknown): void {
    for (const target of targets) this.out.send(target, type, payload);
  }
}

export const THREE_PHASE_COMMIT: ProtocolDefinition = Object.freeze({
  name: '3pc',
  summary: 'Three-phase commit (can-commit, pre-commit, do-commit) with a termination protocol, over the same bank accounts or replicated key-value map as 2PC (6n messages per write): non-blocking under crash-stop failures, unsafe under partitions (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseThreePhaseCommitParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new ThreePhaseCommitCore(context),
  // The same placement as 2PC: an account on one participant; under kv every key everywhere.
  holdersOf: TWO_PHASE_COMMIT.holdersOf,
});
