// Multi-Paxos: a replicated log of key-value commands (Lamport, "Paxos Made Simple" §3;
// the book's §4 "Paxos"), with the same client interface as the lab's Raft (get, put, cas,
// exactly-once writes by client/seq), so one workload and one checker run on both.
//
// A stable leader runs phase 1 once per leadership, for every slot from its first unchosen
// one onwards: the promises tell it every value a majority might have chosen, and it
// re-proposes each (the one of the highest ballot per slot, P2c), filling gaps with no-ops.
// After that each command costs one phase 2 round: accept to all, a majority of accepted,
// then chosen to all. The leader sends heartbeats; a node that hears none for an election
// timeout runs phase 1 with a higher ballot, and a leader that meets a higher ballot steps
// down. Acceptors persist promises and acceptances before replying; every node persists the
// values it learns are chosen, and replays them into its state machine when it restarts.
//
// Reads go through the log, like writes: a read is a slot, answered when applied, so it can
// never see a state older than a write that completed before it began (linearizable without
// leases or clocks, at the price of a phase 2 round per read; Raft's read index would save
// the disk writes). Not built: log compaction (runs are bounded by SLOTS_MAX) and
// membership change.
//
// With `repeatedLeaderElection` the leader gives up the one thing that makes Multi-Paxos
// cheap: it runs phase 1 again, with a fresh ballot, for every round of commands — prepare,
// promise, then accept, accepted, chosen — which is the book's "Paxos with repeated leader
// election" (§4, 6n messages per write; `src-main/compare/compare.ts` says how the lab's count
// relates). Rounds do not overlap: commands that arrive while one is under way wait for the
// next, so no accepted reply is ever orphaned by a newer ballot of the same leader.

import type { NodeId } from '../../contract/clock.ts';
import {
  MULTI_PAXOS_VIEW_GAPS_MAX, MULTI_PAXOS_VIEW_SLOTS_MAX, PAXOS_VIEW_VALUE_MAX,
  type CoreContext, type CoreInput, type CoreStatus, type MultiPaxosView, type MultiPaxosViewSlot, type PaxosViewBallot, type ProtocolCore, type ProtocolDefinition, type Ready,
} from '../../contract/core.ts';
import type { ClientOp, ClientResult } from '../../contract/envelope.ts';
import { KvStateMachine, type Command } from '../raft/state-machine.ts';
import { ballotAbove, type Ballot } from './single-decree.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';

export interface MultiPaxosParams {
  heartbeatIntervalMs: number;
  electionTimeoutMsMin: number;
  electionTimeoutMsMax: number;
  /** Chosen slots sent per catch-up message. */
  catchUpBatch: number;
  /** Phase 1 with a fresh ballot before every round of commands: no stable leader (the book's 6n row). */
  repeatedLeaderElection: boolean;
}

export const DEFAULT_MULTI_PAXOS_PARAMS: Readonly<MultiPaxosParams> = Object.freeze({ heartbeatIntervalMs: 100, electionTimeoutMsMin: 500, electionTimeoutMsMax: 1_000, catchUpBatch: 200, repeatedLeaderElection: false });

const INTEGER_PARAMS = ['heartbeatIntervalMs', 'electionTimeoutMsMin', 'electionTimeoutMsMax', 'catchUpBatch'] as const;

export const SLOTS_MAX = 1_000_000;
const PENDING_MAX = 10_000;
const GAP_SCAN_MAX = 1_024;

export function parseMultiPaxosParams(raw: unknown): MultiPaxosParams {
  const params = overlayParams<MultiPaxosParams>('multi-paxos', raw, DEFAULT_MULTI_PAXOS_PARAMS);
  for (const name of INTEGER_PARAMS) {
    if (!Number.isInteger(params[name]) || params[name] < 1 || params[name] > 600_000) throw new Error(`multi-paxos: ${name} must be an integer in [1, 600000]`);
  }
  if (typeof params.repeatedLeaderElection !== 'boolean') throw new Error(`multi-paxos: repeatedLeaderElection must be true or false, got ${JSON.stringify(params.repeatedLeaderElection)}`);
  if (params.electionTimeoutMsMax < params.electionTimeoutMsMin) throw new Error('multi-paxos: electionTimeoutMsMax must be ≥ electionTimeoutMsMin');
  if (params.heartbeatIntervalMs * 2 > params.electionTimeoutMsMin) throw new Error('multi-paxos: heartbeatIntervalMs must be at most half of electionTimeoutMsMin');
  return params;
}

/** What a slot holds: a client command (a read too: reads go through the log) or a gap filler. */
export type SlotValue =
  | { kind: 'command'; command: Command; id: string }
  | { kind: 'read'; key: string; id: string }
  | { kind: 'noop' };

interface Accepted { ballot: Ballot; value: SlotValue }

const KEY = { promised: 'promised', round: 'round', accepted: (slot: number): string => `a:${slot}`, chosen: (slot: number): string => `c:${slot}` } as const;
const TIMER = { election: 'election', heartbeat: 'heartbeat' } as const;

type Role = 'follower' | 'candidate' | 'leader';

export class MultiPaxosCore implements ProtocolCore {
  private readonly params: MultiPaxosParams;
  private role: Role = 'follower';
  private promised: Ballot | null = null;
  private round = 0;
  private ballot: Ballot | null = null;
  private leader: NodeId | null = null;
  private readonly accepted = new Map<number, Accepted>();
  private readonly chosen = new Map<number, SlotValue>();
  private readonly machine = new KvStateMachine();
  private applied = 0;
  /** The highest slot accepted, chosen or proposed here (kept as it changes: the view must not scan the log). */
  private highestSlot = 0;
  /** Candidate: promises gathered for `ballot`, with what each acceptor had accepted. */
  private promises = new Map<NodeId, [number, Accepted][]>();
  private phase1From = 1;
  /** Leader: the next free slot, and the slots it is driving to a decision. */
  private nextSlot = 1;
  private readonly proposals = new Map<number, { value: SlotValue; accepts: Set<NodeId> }>();
  /** repeatedLeaderElection: the leader is running phase 1 for its next round, and the commands that round will propose. */
  private reelecting = false;
  private queued: SlotValue[] = [];
  /** Clients waiting at this node: command id → request id. */
  private readonly waiting = new Map<string, string>();
  private readonly out = new Outbox();

  constructor(private readonly context: CoreContext) {
    this.params = parseMultiPaxosParams(context.params);
  }

  private get all(): NodeId[] {
    return [this.context.self, ...this.context.peers];
  }

  private get majority(): number {
    return Math.floor(this.all.length / 2) + 1;
  }

  /** The first slot not known chosen here. */
  private get firstUnchosen(): number {
    let slot = this.applied + 1;
    while (this.chosen.has(slot)) slot += 1;
    return slot;
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

  roleName(): string {
    return this.role;
  }

  status(): CoreStatus {
    const text = (ballot: Ballot | null): string | null => (ballot === null ? null : `${ballot.round}.${ballot.node}`);
    return {
      role: this.role,
      facts: { ballot: text(this.ballot), promised: text(this.promised), leader: this.leader, chosen: this.firstUnchosen - 1, applied: this.applied, inFlight: this.proposals.size },
      data: Object.fromEntries(this.machine.data),
      view: this.view(),
    };
  }

  /** The view: the newest MULTI_PAXOS_VIEW_SLOTS_MAX slots this node knows of, and the gaps below them. */
  private view(): MultiPaxosView {
    const chosenUpTo = this.firstUnchosen - 1;
    const highestSlot = Math.max(chosenUpTo, this.highestSlot);
    const slots: MultiPaxosViewSlot[] = [];
    const copy = (ballot: Ballot | null): PaxosViewBallot | null => (ballot === null ? null : { round: ballot.round, node: ballot.node });
    for (let slot = Math.max(1, highestSlot - MULTI_PAXOS_VIEW_SLOTS_MAX + 1); slot <= highestSlot; slot += 1) {
      const chosen = this.chosen.get(slot);
      const accepted = this.accepted.get(slot);
      const proposal = this.proposals.get(slot);
      const value = chosen ?? proposal?.value ?? accepted?.value;
      if (value === undefined) continue;
      const state = chosen !== undefined || slot <= this.applied ? 'chosen' : proposal !== undefined ? 'proposing' : 'accepted';
      slots.push({ slot, state, ballot: copy(accepted?.ballot ?? null), kind: value.kind, summary: slotSummary(value), accepts: proposal?.accepts.size ?? 0 });
    }
    const gaps: number[] = [];
    // Gaps are looked for in the newest GAP_SCAN_MAX slots only: status() runs on every client request in the simulator.
    for (let slot = Math.max(chosenUpTo + 1, highestSlot - GAP_SCAN_MAX); slot < highestSlot && gaps.length < MULTI_PAXOS_VIEW_GAPS_MAX; slot += 1) {
      if (!this.chosen.has(slot) && !this.accepted.has(slot) && !this.proposals.has(slot)) gaps.push(slot);
    }
    return {
      protocol: 'multi-paxos', self: this.context.self, role: this.role, ballot: copy(this.ballot), promised: copy(this.promised), leader: this.leader,
      chosenUpTo, applied: this.applied, highestSlot, slots, gaps, majority: this.majority,
    };
  }

  // ---- recovery ----------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    this.promised = (stable.get(KEY.promised) as Ballot | undefined) ?? null;
    this.round = (stable.get(KEY.round) as number | undefined) ?? 0;
    for (const [name, value] of stable) {
      if (name.startsWith('a:')) this.accepted.set(Number(name.slice(2)), value as Accepted);
      else if (name.startsWith('c:')) this.chosen.set(Number(name.slice(2)), value as SlotValue);
      else continue;
      this.highestSlot = Math.max(this.highestSlot, Number(name.slice(2)));
    }
    // Replay what is known chosen into the state machine (there are no snapshots).
    this.applyChosen();
    this.resetElectionTimer();
    this.out.note('recovered', { promised: this.promised, chosen: this.firstUnchosen - 1, accepted: this.accepted.size });
  }

  // ---- clients -----------------------------------------------------------------------------

  private onClient(requestId: string, op: ClientOp): void {
    if (this.role !== 'leader') return this.out.reply(requestId, { type: 'fail', error: this.leader === null ? 'no leader known' : `not the leader; ${this.leader} leads`, ...(this.leader !== null && this.leader !== this.context.self ? { redirect: this.leader } : {}) });
    const value = this.slotValueOf(requestId, op);
    if (typeof value === 'string') return this.out.reply(requestId, { type: 'fail', error: value });
    if (value.kind === 'command') {
      const duplicate = this.machine.duplicateResult(value.command.client, value.command.seq);
      if (duplicate !== null) return this.out.reply(requestId, duplicate);
    }
    if (this.proposals.size >= PENDING_MAX || this.nextSlot > SLOTS_MAX) return this.out.reply(requestId, { type: 'fail', error: 'the leader is overloaded (or the log is full); retry' });
    this.waiting.set((value as { id: string }).id, requestId);
    if (this.params.repeatedLeaderElection) {
      this.queued.push(value);
      return this.startRound();
    }
    this.propose(this.nextSlot, value);
    this.nextSlot += 1;
  }

  /**
   * repeatedLeaderElection: phase 1 again, with a fresh ballot, for the queued commands — once
   * the previous round's slots are all chosen (a newer ballot would orphan their accepted replies).
   */
  private startRound(): void {
    if (this.reelecting || this.proposals.size > 0 || this.queued.length === 0) return;
    this.reelecting = true;
    this.preparePhase1();
  }

  private slotValueOf(requestId: string, op: ClientOp): SlotValue | string {
    if (typeof op.key !== 'string' || op.key.length === 0 || op.key.length > 256) return 'a key is a string of 1–256 characters';
    const id = `${this.context.self}:${requestId}`;
    if (op.f === 'get' || op.f === 'read') return { kind: 'read', key: op.key, id };
    if (op.f !== 'put' && op.f !== 'cas') return `multi-paxos serves get, put and cas, not '${op.f}'`;
    if (op.f === 'cas') {
      const value = op.value as { from?: unknown; to?: unknown } | null;
      if (typeof value !== 'object' || value === null || !('from' in value) || !('to' in value)) return 'cas takes value {from, to}';
    }
    const extra = op as ClientOp & { client?: unknown; seq?: unknown };
    const command: Command = { f: op.f, key: op.key, value: op.value ?? null };
    if (typeof extra.client === 'string' && Number.isInteger(extra.seq) && (extra.seq as number) > 0) {
      command.client = extra.client;
      command.seq = extra.seq as number;
    }
    return { kind: 'command', command, id };
  }

  // ---- leader: phase 2 ---------------------------------------------------------------------

  private propose(slot: number, value: SlotValue): void {
    this.proposals.set(slot, { value, accepts: new Set() });
    this.highestSlot = Math.max(this.highestSlot, slot);
    for (const node of this.all) {
      if (node === this.context.self) this.onAccept(node, this.ballot!, slot, value);
      else this.out.send(node, 'accept', { ballot: this.ballot, slot, value });
    }
  }

  private onAcceptedReply(source: NodeId, ballot: Ballot, slot: number): void {
    if (this.role !== 'leader' || !sameBallot(ballot, this.ballot)) return;
    const proposal = this.proposals.get(slot);
    if (proposal === undefined) return;
    proposal.accepts.add(source);
    if (proposal.accepts.size < this.majority) return;
    this.proposals.delete(slot);
    this.learn(slot, proposal.value);
    for (const node of this.context.peers) this.out.send(node, 'chosen', { slot, value: proposal.value });
    if (this.params.repeatedLeaderElection) this.startRound();
  }

  // ---- acceptor ----------------------------------------------------------------------------

  private onPrepare(source: NodeId, ballot: Ballot, fromSlot: number): void {
    if (!ballotAbove(ballot, this.promised)) return this.answer(source, 'nack', { ballot, promised: this.promised });
    this.promised = ballot;
    this.out.persist(KEY.promised, ballot);
    if (ballot.node !== this.context.self) this.follow(ballot);
    const accepted = [...this.accepted].filter(([slot]) => slot >= fromSlot).sort(([a], [b]) => a - b);
    this.answer(source, 'promise', { ballot, accepted });
  }

  private onAccept(source: NodeId, ballot: Ballot, slot: number, value: SlotValue): void {
    if (this.promised !== null && ballotAbove(this.promised, ballot)) return this.answer(source, 'nack', { ballot, promised: this.promised });
    if (!sameBallot(this.promised, ballot)) {
      this.promised = ballot;
      this.out.persist(KEY.promised, ballot);
    }
    if (ballot.node !== this.context.self) this.follow(ballot);
    this.accepted.set(slot, { ballot, value });
    this.highestSlot = Math.max(this.highestSlot, slot);
    this.out.persist(KEY.accepted(slot), { ballot, value });
    this.answer(source, 'accepted', { ballot, slot });
  }

  private answer(target: NodeId, type: 'promise' | 'nack' | 'accepted', payload: Record<string, unknown>): void {
    if (target !== this.context.self) return this.out.send(target, type, payload);
    if (type === 'promise') this.onPromise(target, payload['ballot'] as Ballot, payload['accepted'] as [number, Accepted][]);
    else if (type === 'accepted') this.onAcceptedReply(target, payload['ballot'] as Ballot, payload['slot'] as number);
    else this.onNack(payload['promised'] as Ballot | null);
  }

  // ---- learner -----------------------------------------------------------------------------

  private learn(slot: number, value: SlotValue): void {
    if (this.chosen.has(slot) || slot <= this.applied) return;
    this.chosen.set(slot, value);
    this.highestSlot = Math.max(this.highestSlot, slot);
    this.out.persist(KEY.chosen(slot), value);
    this.applyChosen();
  }

  private applyChosen(): void {
    while (this.chosen.has(this.applied + 1)) {
      this.applied += 1;
      const value = this.chosen.get(this.applied)!;
      if (value.kind === 'noop') continue;
      const result: ClientResult = value.kind === 'read' ? { type: 'ok', value: this.machine.read(value.key) } : this.machine.apply(value.command, this.applied);
      const requestId = this.waiting.get(value.id);
      if (requestId !== undefined) {
        this.waiting.delete(value.id);
        this.out.reply(requestId, result);
      }
    }
  }

  // ---- elections ---------------------------------------------------------------------------

  private campaign(): void {
    this.role = 'candidate';
    this.leader = null;
    this.resetElectionTimer();
    this.preparePhase1();
  }

  /** Phase 1 with the next ballot of this node, from the first slot not known chosen. */
  private preparePhase1(): void {
    this.round = Math.max(this.round, this.promised?.round ?? 0) + 1;
    this.out.persist(KEY.round, this.round);
    this.ballot = { round: this.round, node: this.context.self };
    this.promises = new Map();
    this.phase1From = this.firstUnchosen;
    this.out.note('prepare', { ballot: this.ballot, fromSlot: this.phase1From });
    for (const node of this.all) {
      if (node === this.context.self) this.onPrepare(node, this.ballot, this.phase1From);
      else this.out.send(node, 'prepare', { ballot: this.ballot, fromSlot: this.phase1From });
    }
  }

  private onPromise(source: NodeId, ballot: Ballot, accepted: [number, Accepted][]): void {
    const collecting = this.role === 'candidate' || (this.role === 'leader' && this.reelecting);
    if (!collecting || !sameBallot(ballot, this.ballot)) return;
    this.promises.set(source, accepted);
    if (this.promises.size < this.majority) return;
    if (this.role === 'candidate') return this.becomeLeader();
    this.reelected();
  }

  /** repeatedLeaderElection: phase 1 of a round done — re-propose what the promises carry, then the queued commands. */
  private reelected(): void {
    this.reelecting = false;
    this.adoptPromises();
    for (const value of this.queued) {
      this.propose(this.nextSlot, value);
      this.nextSlot += 1;
    }
    this.queued = [];
  }

  /** Phase 1 done: re-propose, slot by slot, the highest-ballot value a majority reported (P2c); fill gaps with no-ops. */
  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.context.self;
    const { refilled, gaps } = this.adoptPromises();
    this.out.note('elected', { ballot: this.ballot, fromSlot: this.phase1From, reproposed: refilled, noops: gaps });
    this.out.cancelTimer(TIMER.election);
    this.heartbeat();
  }

  /** The promises of a majority: every value they might have chosen is proposed again under this ballot (P2c), gaps as no-ops. */
  private adoptPromises(): { refilled: number; gaps: number } {
    const highest = new Map<number, Accepted>();
    for (const list of this.promises.values()) {
      for (const [slot, entry] of list) {
        const known = highest.get(slot);
        if (known === undefined || ballotAbove(entry.ballot, known.ballot)) highest.set(slot, entry);
      }
    }
    const last = Math.max(this.phase1From - 1, ...highest.keys());
    this.nextSlot = last + 1;
    this.proposals.clear();
    let refilled = 0;
    let gaps = 0;
    for (let slot = this.phase1From; slot <= last; slot += 1) {
      if (this.chosen.has(slot)) continue;
      const entry = highest.get(slot);
      if (entry === undefined) gaps += 1;
      else refilled += 1;
      this.propose(slot, entry?.value ?? { kind: 'noop' });
    }
    return { refilled, gaps };
  }

  private onNack(promised: Ballot | null): void {
    if (promised === null || (this.ballot !== null && !ballotAbove(promised, this.ballot))) return;
    this.round = Math.max(this.round, promised.round);
    if (this.role !== 'follower') this.stepDown(`met ballot ${promised.round}.${promised.node}`);
  }

  private follow(ballot: Ballot): void {
    if (this.role !== 'follower' && this.ballot !== null && ballotAbove(ballot, this.ballot)) this.stepDown(`follows ballot ${ballot.round}.${ballot.node}`);
    if (this.role === 'follower') {
      this.leader = ballot.node;
      this.resetElectionTimer();
    }
  }

  private stepDown(why: string): void {
    const wasLeader = this.role === 'leader';
    this.role = 'follower';
    this.ballot = null;
    this.proposals.clear();
    this.reelecting = false;
    this.queued = [];
    this.out.cancelTimer(TIMER.heartbeat);
    this.resetElectionTimer();
    // Clients waiting here may or may not see their command chosen by the next leader.
    for (const requestId of this.waiting.values()) this.out.reply(requestId, { type: 'info', error: `leadership lost: ${why}` });
    this.waiting.clear();
    this.out.note(wasLeader ? 'step-down' : 'campaign-lost', { why });
  }

  private heartbeat(): void {
    this.out.setTimer(TIMER.heartbeat, this.params.heartbeatIntervalMs);
    for (const node of this.context.peers) this.out.send(node, 'heartbeat', { ballot: this.ballot, chosenUpTo: this.firstUnchosen - 1 });
    // Accepts or their replies may have been lost: ask again whoever has not accepted yet.
    for (const [slot, proposal] of this.proposals) {
      for (const node of this.context.peers) if (!proposal.accepts.has(node)) this.out.send(node, 'accept', { ballot: this.ballot, slot, value: proposal.value });
    }
    // A round's prepares or promises may have been lost too.
    if (this.reelecting) for (const node of this.context.peers) if (!this.promises.has(node)) this.out.send(node, 'prepare', { ballot: this.ballot, fromSlot: this.phase1From });
  }

  private onHeartbeat(source: NodeId, ballot: Ballot, chosenUpTo: number): void {
    if (this.promised !== null && ballotAbove(this.promised, ballot)) return this.out.send(source, 'nack', { ballot, promised: this.promised });
    this.follow(ballot);
    if (chosenUpTo >= this.firstUnchosen) this.out.send(source, 'catch-up', { fromSlot: this.firstUnchosen });
  }

  private onCatchUp(source: NodeId, fromSlot: number): void {
    const entries: [number, SlotValue][] = [];
    for (let slot = fromSlot; entries.length < this.params.catchUpBatch && this.chosen.has(slot); slot += 1) entries.push([slot, this.chosen.get(slot)!]);
    if (entries.length > 0) this.out.send(source, 'chosen-batch', { entries });
  }

  private resetElectionTimer(): void {
    const { electionTimeoutMsMin: min, electionTimeoutMsMax: max } = this.params;
    this.out.setTimer(TIMER.election, min + this.context.random() * (max - min));
  }

  private onTimer(timer: string): void {
    if (timer === TIMER.election && this.role !== 'leader') this.campaign();
    else if (timer === TIMER.heartbeat && this.role === 'leader') this.heartbeat();
  }

  // ---- messages ----------------------------------------------------------------------------

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const body = (payload ?? {}) as Record<string, unknown>;
    const ballot = parseBallot(body['ballot']);
    const slot = body['slot'];
    const slotOk = Number.isInteger(slot) && (slot as number) >= 1 && (slot as number) <= SLOTS_MAX;
    switch (type) {
      case 'prepare': return ballot !== null && Number.isInteger(body['fromSlot']) ? this.onPrepare(source, ballot, body['fromSlot'] as number) : this.malformed(source, type);
      case 'promise': return ballot !== null && Array.isArray(body['accepted']) && (body['accepted'] as unknown[]).every(isAcceptedEntry) ? this.onPromise(source, ballot, body['accepted'] as [number, Accepted][]) : this.malformed(source, type);
      case 'nack': return this.onNack(parseBallot(body['promised']));
      case 'accept': return ballot !== null && slotOk && isSlotValue(body['value']) ? this.onAccept(source, ballot, slot as number, body['value']) : this.malformed(source, type);
      case 'accepted': return ballot !== null && slotOk ? this.onAcceptedReply(source, ballot, slot as number) : this.malformed(source, type);
      case 'chosen': return slotOk && isSlotValue(body['value']) ? this.learn(slot as number, body['value']) : this.malformed(source, type);
      case 'chosen-batch': {
        const entries = body['entries'];
        if (!Array.isArray(entries) || !entries.every((entry) => Array.isArray(entry) && Number.isInteger(entry[0]) && entry[0] >= 1 && isSlotValue(entry[1]))) return this.malformed(source, type);
        for (const [entrySlot, value] of entries as [number, SlotValue][]) this.learn(entrySlot, value);
        return;
      }
      case 'heartbeat': return ballot !== null && Number.isInteger(body['chosenUpTo']) ? this.onHeartbeat(source, ballot, body['chosenUpTo'] as number) : this.malformed(source, type);
      case 'catch-up': return Number.isInteger(body['fromSlot']) && (body['fromSlot'] as number) >= 1 ? this.onCatchUp(source, body['fromSlot'] as number) : this.malformed(source, type);
      default: return this.malformed(source, type);
    }
  }

  private malformed(source: NodeId, type: string): void {
    this.out.note('malformed-message', { source, type });
  }
}

/** What a slot does, for the view: `put x=1`, `cas x 1→2`, `get x`, `no-op`. */
export function slotSummary(value: SlotValue): string {
  const text = (raw: unknown): string => (typeof raw === 'string' ? raw : JSON.stringify(raw) ?? 'undefined');
  let summary: string;
  if (value.kind === 'noop') summary = 'no-op';
  else if (value.kind === 'read') summary = `get ${value.key}`;
  else if (value.command.f === 'cas') {
    const cas = (value.command.value ?? {}) as { from?: unknown; to?: unknown };
    summary = `cas ${value.command.key} ${text(cas.from)}→${text(cas.to)}`;
  } else summary = `${value.command.f} ${value.command.key}=${text(value.command.value)}`;
  return summary.length <= PAXOS_VIEW_VALUE_MAX ? summary : `${summary.slice(0, PAXOS_VIEW_VALUE_MAX - 1)}…`;
}

function sameBallot(a: Ballot | null, b: Ballot | null): boolean {
  return a !== null && b !== null && a.round === b.round && a.node === b.node;
}

function parseBallot(raw: unknown): Ballot | null {
  const ballot = raw as Partial<Ballot> | null;
  if (typeof ballot !== 'object' || ballot === null || !Number.isInteger(ballot.round) || (ballot.round ?? 0) < 1 || typeof ballot.node !== 'string') return null;
  return { round: ballot.round!, node: ballot.node };
}

function isSlotValue(raw: unknown): raw is SlotValue {
  const value = raw as Partial<SlotValue> | null;
  if (typeof value !== 'object' || value === null) return false;
  if (value.kind === 'noop') return true;
  if (value.kind === 'read') return typeof (value as { key?: unknown }).key === 'string' && typeof (value as { id?: unknown }).id === 'string';
  if (value.kind !== 'command') return false;
  const command = (value as { command?: Partial<Command> }).command;
  return typeof (value as { id?: unknown }).id === 'string' && typeof command === 'object' && command !== null && (command.f === 'put' || command.f === 'cas') && typeof command.key === 'string';
}

function isAcceptedEntry(raw: unknown): boolean {
  if (!Array.isArray(raw) || raw.length !== 2 || !Number.isInteger(raw[0])) return false;
  const entry = raw[1] as Partial<Accepted> | null;
  return typeof entry === 'object' && entry !== null && parseBallot(entry.ballot) !== null && isSlotValue(entry.value);
}

export const MULTI_PAXOS: ProtocolDefinition = Object.freeze({
  name: 'multi-paxos',
  summary: 'Multi-Paxos: a stable leader runs phase 1 once, then one phase 2 round per command of a replicated key-value log (with repeatedLeaderElection: phase 1 again before every round); same client interface as Raft (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseMultiPaxosParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new MultiPaxosCore(context),
});
