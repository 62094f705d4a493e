// Single-decree Paxos (Lamport, "Paxos Made Simple", 2001; the book's §4 "Paxos"): a set of
// nodes agrees on one value. Every node is proposer, acceptor and learner.
//
// Safety (never two different values chosen) rests on three rules, each enforced here:
//   P1a  an acceptor promises a ballot only if it is higher than every ballot it promised
//        before, and then never accepts a lower one;
//   P2c  a proposer whose prepare gathered a majority of promises proposes the value of the
//        highest-numbered proposal any of them accepted — its own value only if none had;
//   and both promises and acceptances are on disk before the reply that reveals them.
// Liveness is not guaranteed (FLP): two proposers that keep preempting each other can go on
// forever. With `backoff: 'none'` a preempted proposer retries at once with a higher ballot
// (the lab's duel scenario shows the livelock); with 'random' it waits a random time first,
// which ends duels with probability 1.
//
// A client asks any node to propose a value; the answer is the value chosen, which may be
// someone else's. Pure: time and randomness from the host.
//
// Learning (Paxos Made Simple §2.3): every acceptor tells every learner of each acceptance,
// and a learner that sees one ballot accepted by a majority has learned the value. Those
// messages can be lost (a crash, a partition), so a node that has not learned asks its peers
// every `learnIntervalMs` ('learn'), and a node that has learned answers a 'learn' or a
// prepare with the value ('chosen') instead of a promise: it takes part in no new ballot,
// which is as safe as a crashed acceptor, and the proposer learns at once.

import type { NodeId } from '../../contract/clock.ts';
import { PAXOS_VIEW_VALUE_MAX, type CoreContext, type CoreInput, type CoreStatus, type PaxosView, type ProtocolCore, type ProtocolDefinition, type Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';

/** A ballot: (round, node), ordered by round, then by node id, so two proposers never share one. */
export interface Ballot { round: number; node: NodeId }

export function ballotAbove(a: Ballot, b: Ballot | null): boolean {
  return b === null || a.round > b.round || (a.round === b.round && a.node > b.node);
}

const sameBallot = (a: Ballot | null, b: Ballot | null): boolean => a !== null && b !== null && a.round === b.round && a.node === b.node;

export interface PaxosParams {
  /** A proposer that has not finished a phase by then starts over with a higher ballot. */
  phaseTimeoutMs: number;
  /** What a preempted proposer does: retry at once ('none'), or after a random wait up to backoffMaxMs. */
  backoff: 'none' | 'random';
  backoffMaxMs: number;
  /** A node that has not learned the chosen value asks its peers for it this often. */
  learnIntervalMs: number;
}

export const DEFAULT_PAXOS_PARAMS: Readonly<PaxosParams> = Object.freeze({ phaseTimeoutMs: 500, backoff: 'random', backoffMaxMs: 200, learnIntervalMs: 1_000 });

export function parsePaxosParams(raw: unknown): PaxosParams {
  const params = overlayParams<PaxosParams>('paxos', raw, DEFAULT_PAXOS_PARAMS);
  for (const name of ['phaseTimeoutMs', 'backoffMaxMs', 'learnIntervalMs'] as const) {
    const value = params[name];
    if (!Number.isInteger(value) || value < 1 || value > 600_000) throw new Error(`paxos: ${name} must be an integer in [1, 600000], got ${JSON.stringify(value)}`);
  }
  if (params.backoff !== 'none' && params.backoff !== 'random') throw new Error(`paxos: backoff must be none or random, got ${JSON.stringify(params.backoff)}`);
  return params;
}

interface AcceptorState { promised: Ballot | null; accepted: { ballot: Ballot; value: unknown } | null }

interface Proposal {
  ballot: Ballot;
  phase: 1 | 2;
  /** The value this node wants chosen (its client's). */
  own: unknown;
  promises: Map<NodeId, AcceptorState['accepted']>;
  accepts: Set<NodeId>;
  /** The value proposed in phase 2 (own, or adopted by P2c). */
  value: unknown;
  /** P2c made the value another proposer's. */
  adopted: boolean;
}

const KEY = { acceptor: 'acceptor', round: 'round', chosen: 'chosen' } as const;
const TIMER = { phase: 'phase', retry: 'retry', learn: 'learn' } as const;
const VALUE_JSON_MAX = 16_384;
/** Clients one node keeps waiting for the outcome. */
const WAITING_MAX = 1_000;

export class PaxosCore implements ProtocolCore {
  private readonly params: PaxosParams;
  private acceptor: AcceptorState = { promised: null, accepted: null };
  private highestRound = 0;
  private proposal: Proposal | null = null;
  /** Clients waiting for the outcome at this node. */
  private readonly waiting: string[] = [];
  /** Learner: who accepted which ballot (by ballot key), to spot a majority. */
  private readonly accepted = new Map<string, { ballot: Ballot; value: unknown; nodes: Set<NodeId> }>();
  private chosen: { value: unknown } | null = null;
  /** The value a preempted proposer will propose again when its back-off ends. */
  private pendingOwn: unknown = undefined;
  private readonly out = new Outbox();

  constructor(private readonly context: CoreContext) {
    this.params = parsePaxosParams(context.params);
  }

  private get all(): NodeId[] {
    return [this.context.self, ...this.context.peers];
  }

  private get majority(): number {
    return Math.floor(this.all.length / 2) + 1;
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
    const ballot = (b: Ballot | null | undefined): string | null => (b ? `${b.round}.${b.node}` : null);
    return {
      role: this.chosen !== null ? 'learned' : this.proposal !== null ? `proposer (phase ${this.proposal.phase})` : 'acceptor',
      facts: {
        promised: ballot(this.acceptor.promised),
        accepted: ballot(this.acceptor.accepted?.ballot),
        acceptedValue: this.acceptor.accepted === null ? null : JSON.stringify(this.acceptor.accepted.value),
        proposing: ballot(this.proposal?.ballot),
        chosen: this.chosen === null ? null : JSON.stringify(this.chosen.value),
      },
      data: this.chosen === null ? {} : { chosen: this.chosen.value },
      view: this.view(),
    };
  }

  private view(): PaxosView {
    const proposal = this.proposal;
    const phase = proposal !== null ? (proposal.phase === 1 ? 'phase-1' : 'phase-2') : this.chosen === null && this.pendingOwn !== undefined ? 'backoff' : 'idle';
    const own = proposal !== null ? proposal.own : phase === 'backoff' ? this.pendingOwn : undefined;
    return {
      protocol: 'paxos',
      self: this.context.self,
      promised: this.acceptor.promised === null ? null : { ...this.acceptor.promised },
      accepted: this.acceptor.accepted === null ? null : { ballot: { ...this.acceptor.accepted.ballot }, value: valueSummary(this.acceptor.accepted.value) },
      learned: this.chosen === null ? null : valueSummary(this.chosen.value),
      proposer: {
        phase,
        ballot: proposal === null ? null : { ...proposal.ballot },
        own: own === undefined ? null : valueSummary(own),
        value: proposal?.phase === 2 ? valueSummary(proposal.value) : null,
        adopted: proposal?.phase === 2 && proposal.adopted,
        promises: proposal?.promises.size ?? 0,
        accepts: proposal?.accepts.size ?? 0,
        majority: this.majority,
      },
      waiting: this.waiting.length,
    };
  }

  private recover(stable: ReadonlyMap<string, unknown>): void {
    this.acceptor = (stable.get(KEY.acceptor) as AcceptorState | undefined) ?? { promised: null, accepted: null };
    this.highestRound = (stable.get(KEY.round) as number | undefined) ?? 0;
    const chosen = stable.get(KEY.chosen) as { value: unknown } | undefined;
    this.chosen = chosen ?? null;
    if (this.chosen === null) this.out.setTimer(TIMER.learn, this.params.learnIntervalMs);
  }

  private onClient(client: string, op: ClientOp): void {
    if (op.f === 'read' || op.f === 'get') return this.out.reply(client, this.chosen === null ? { type: 'ok', value: null } : { type: 'ok', value: this.chosen.value });
    if (op.f !== 'propose') return this.out.reply(client, { type: 'fail', error: `paxos serves propose and read, not '${op.f}'` });
    if (op.value === undefined || JSON.stringify(op.value).length > VALUE_JSON_MAX) return this.out.reply(client, { type: 'fail', error: `a proposal carries a JSON value of at most ${VALUE_JSON_MAX} characters` });
    if (this.chosen !== null) return this.out.reply(client, { type: 'ok', value: this.chosen.value });
    if (this.waiting.length >= WAITING_MAX) return this.out.reply(client, { type: 'fail', error: `${WAITING_MAX} clients already wait here; retry` });
    this.waiting.push(client);
    // A proposer already at work (or backing off) carries on with its value: the client waits for the outcome.
    if (this.proposal === null && this.pendingOwn === undefined) this.propose(op.value);
  }

  // ---- proposer ----------------------------------------------------------------------------

  private propose(own: unknown): void {
    this.pendingOwn = undefined;
    this.highestRound += 1;
    const ballot: Ballot = { round: this.highestRound, node: this.context.self };
    // The round is on disk before the ballot is used: a restarted proposer never reuses one.
    this.out.persist(KEY.round, this.highestRound);
    this.proposal = { ballot, phase: 1, own, promises: new Map(), accepts: new Set(), value: own, adopted: false };
    this.out.note('prepare', { ballot });
    this.out.setTimer(TIMER.phase, this.params.phaseTimeoutMs);
    for (const node of this.all) {
      if (node === this.context.self) this.onPrepare(node, ballot);
      else this.out.send(node, 'prepare', { ballot });
    }
  }

  private onPromise(source: NodeId, ballot: Ballot, accepted: AcceptorState['accepted']): void {
    const proposal = this.proposal;
    if (proposal === null || proposal.phase !== 1 || !sameBallot(proposal.ballot, ballot)) return;
    proposal.promises.set(source, accepted);
    if (proposal.promises.size < this.majority) return;
    // P2c: the value of the highest-numbered proposal accepted by any of the majority, else our own.
    let highest: AcceptorState['accepted'] = null;
    for (const prior of proposal.promises.values()) if (prior !== null && (highest === null || ballotAbove(prior.ballot, highest.ballot))) highest = prior;
    proposal.value = highest === null ? proposal.own : highest.value;
    proposal.adopted = highest !== null;
    proposal.phase = 2;
    this.out.note('accept-request', { ballot, value: proposal.value, adopted: highest !== null });
    this.out.setTimer(TIMER.phase, this.params.phaseTimeoutMs);
    for (const node of this.all) {
      if (node === this.context.self) this.onAcceptRequest(node, ballot, proposal.value);
      else this.out.send(node, 'accept', { ballot, value: proposal.value });
    }
  }

  /** An acceptor refused our ballot because it promised a higher one: start over, above it. */
  private onNack(promised: Ballot): void {
    if (this.proposal === null || !ballotAbove(promised, this.proposal.ballot)) return;
    this.highestRound = Math.max(this.highestRound, promised.round);
    this.preempted(`preempted by ballot ${promised.round}.${promised.node}`);
  }

  private preempted(why: string): void {
    const own = this.proposal!.own;
    this.proposal = null;
    this.out.cancelTimer(TIMER.phase);
    this.out.note('preempted', { why });
    if (this.params.backoff === 'none') return this.propose(own);
    this.pendingOwn = own;
    this.out.setTimer(TIMER.retry, 1 + this.context.random() * this.params.backoffMaxMs);
  }

  // ---- acceptor ----------------------------------------------------------------------------

  private onPrepare(source: NodeId, ballot: Ballot): void {
    if (!ballotAbove(ballot, this.acceptor.promised)) {
      return this.answer(source, 'nack', { ballot, promised: this.acceptor.promised });
    }
    this.acceptor = { ...this.acceptor, promised: ballot };
    // P1a: the promise is on disk before the proposer hears it.
    this.out.persist(KEY.acceptor, this.acceptor);
    this.answer(source, 'promise', { ballot, accepted: this.acceptor.accepted });
  }

  private onAcceptRequest(source: NodeId, ballot: Ballot, value: unknown): void {
    if (this.acceptor.promised !== null && ballotAbove(this.acceptor.promised, ballot)) {
      return this.answer(source, 'nack', { ballot, promised: this.acceptor.promised });
    }
    this.acceptor = { promised: ballot, accepted: { ballot, value } };
    this.out.persist(KEY.acceptor, this.acceptor);
    this.out.note('accepted', { ballot, value });
    // Every learner hears of the acceptance (here: every node, ourselves included).
    for (const node of this.all) {
      if (node === this.context.self) this.onAccepted(node, ballot, value);
      else this.out.send(node, 'accepted', { ballot, value });
    }
  }

  /** A reply to ourselves is handled at once; to others it is a message. */
  private answer(target: NodeId, type: 'promise' | 'nack', payload: { ballot: Ballot; accepted?: AcceptorState['accepted']; promised?: Ballot | null }): void {
    if (target !== this.context.self) return this.out.send(target, type, payload);
    if (type === 'promise') this.onPromise(target, payload.ballot, payload.accepted ?? null);
    else if (payload.promised) this.onNack(payload.promised);
  }

  // ---- learner -----------------------------------------------------------------------------

  private onAccepted(source: NodeId, ballot: Ballot, value: unknown): void {
    const key = `${ballot.round}.${ballot.node}`;
    let entry = this.accepted.get(key);
    if (entry === undefined) {
      entry = { ballot, value, nodes: new Set() };
      this.accepted.set(key, entry);
    }
    entry.nodes.add(source);
    if (this.proposal !== null && sameBallot(this.proposal.ballot, ballot)) this.proposal.accepts.add(source);
    if (entry.nodes.size >= this.majority && this.chosen === null) this.learn(entry.value, ballot);
  }

  /** A peer that learned told us the value (a node only says so after seeing a majority accept it). */
  private onChosen(value: unknown): void {
    if (this.chosen === null) this.learn(value, null);
  }

  private learn(value: unknown, ballot: Ballot | null): void {
    this.chosen = { value };
    this.out.persist(KEY.chosen, this.chosen);
    this.out.note('learned', { value, ballot, from: ballot === null ? 'peer' : 'majority' });
    this.proposal = null;
    this.out.cancelTimer(TIMER.phase);
    this.out.cancelTimer(TIMER.retry);
    this.out.cancelTimer(TIMER.learn);
    this.pendingOwn = undefined;
    for (const client of this.waiting.splice(0)) this.out.reply(client, { type: 'ok', value });
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private onTimer(timer: string): void {
    if (this.chosen !== null) return;
    if (timer === TIMER.phase && this.proposal !== null) this.preempted(`phase ${this.proposal.phase} timed out`);
    else if (timer === TIMER.retry && this.proposal === null && this.pendingOwn !== undefined) this.propose(this.pendingOwn);
    else if (timer === TIMER.learn) {
      this.out.setTimer(TIMER.learn, this.params.learnIntervalMs);
      for (const node of this.context.peers) this.out.send(node, 'learn', {});
    }
  }

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const body = payload as Record<string, unknown> | null;
    if (type === 'chosen') return body !== null && typeof body === 'object' && 'value' in body ? this.onChosen(body['value']) : this.out.note('malformed-message', { source, type });
    // A node that learned starts no more ballots with others: it tells whoever asks or prepares what was
    // chosen. It still accepts as an acceptor (any accept after a choice carries the chosen value, P2c).
    if (this.chosen !== null && (type === 'learn' || type === 'prepare')) return this.out.send(source, 'chosen', { value: this.chosen.value });
    if (type === 'learn') return;
    const ballot = parseBallot(body?.['ballot']);
    if (ballot === null) return this.out.note('malformed-message', { source, type });
    switch (type) {
      case 'prepare': return this.onPrepare(source, ballot);
      case 'promise': {
        const accepted = body!['accepted'];
        if (accepted !== null && (typeof accepted !== 'object' || parseBallot((accepted as { ballot?: unknown }).ballot) === null || !('value' in accepted))) return this.out.note('malformed-message', { source, type });
        return this.onPromise(source, ballot, accepted as AcceptorState['accepted']);
      }
      case 'nack': {
        const promised = parseBallot(body!['promised']);
        return promised === null ? undefined : this.onNack(promised);
      }
      case 'accept': return 'value' in body! ? this.onAcceptRequest(source, ballot, body!['value']) : this.out.note('malformed-message', { source, type });
      case 'accepted': return 'value' in body! ? this.onAccepted(source, ballot, body!['value']) : this.out.note('malformed-message', { source, type });
      default: return this.out.note('malformed-message', { source, type });
    }
  }
}

/** A value as the views show it: its JSON, cut to PAXOS_VIEW_VALUE_MAX characters. */
export function valueSummary(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length <= PAXOS_VIEW_VALUE_MAX ? text : `${text.slice(0, PAXOS_VIEW_VALUE_MAX - 1)}…`;
}

function parseBallot(raw: unknown): Ballot | null {
  const ballot = raw as Partial<Ballot> | null;
  if (typeof ballot !== 'object' || ballot === null || !Number.isInteger(ballot.round) || (ballot.round ?? 0) < 1 || typeof ballot.node !== 'string') return null;
  return { round: ballot.round!, node: ballot.node };
}

export const PAXOS: ProtocolDefinition = Object.freeze({
  name: 'paxos',
  summary: 'Single-decree Paxos: every node proposes, accepts and learns; one value is chosen, safely under any crash or partition, though dueling proposers may never finish (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parsePaxosParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new PaxosCore(context),
});
