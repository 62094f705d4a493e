// Raft (Ongaro & Ousterhout 2014, "In Search of an Understandable Consensus Algorithm",
// extended version; the book §4 "Partition tolerant consensus algorithms"), replicating a
// key-value map.
//
// What it guarantees (Figure 3): election safety (at most one leader per term), leader
// append-only, log matching, leader completeness and state machine safety — as long as every
// node persists what a step asks before that step's messages leave (the host does). A write
// is acknowledged `ok` only once committed; reads are linearizable (read-index, below). A
// minority side of a partition makes no progress; it never serves a stale read.
//
// Beyond Figure 2, from Ongaro's dissertation: pre-vote (§9.6) and check quorum with the
// leader lease on votes (§6.2, §4.2.3), so a node that rejoins does not depose a stable
// leader; fast back-off with the conflict term (end of §5.3); client sessions for
// exactly-once writes (§6.3, see state-machine.ts); single-server membership changes (§4.1);
// snapshots and InstallSnapshot (§7, Figure 13).
//
// Reads: read-index (dissertation §6.4), not reads through the log. A `get` at the leader
// records readIndex = commitIndex (or the index of the leader's term-start no-op while no
// entry of its term is committed: until then it does not know the true commit index), then
// starts a new heartbeat round; once a majority acknowledged a round started after the read
// arrived, this node was still the leader when the read arrived, and the read is answered
// from the state machine once appliedIndex ≥ readIndex. We chose it over logging reads
// because a read then costs one heartbeat round and no disk write, and the log (and the
// snapshots) grow only with writes. A deposed leader cannot serve: a majority will not
// acknowledge its round. We do not use lease reads: they would trust the nodes' clocks,
// which the lab skews on purpose.
//
// Shape (etcd-raft style): a pure state machine. Every input runs to completion and returns a
// Ready; roles are step functions swapped by becomeFollower/becomePreCandidate/
// becomeCandidate/becomeLeader, which assert the transition is legal.
//
// On a pipelined host (CoreContext.pipelined; the node runtime and the simulator are) the
// leader writes its log in parallel with replicating it (dissertation §10.2.1, as etcd does):
// its AppendEntries and all client replies are `early` effects, and it counts itself toward a
// commit majority only up to `durableIndex`, which the host's `persisted` calls advance.
// Proposals and reads wait for the host's `flush` at the end of a batch of inputs, so a batch
// travels in one AppendEntries per follower and shares one heartbeat round. Followers' and
// candidates' messages still wait for their writes, and no message of a term leaves before the
// term and vote are durable. Without `pipelined`, every effect waits for the step's writes.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, Ready } from '../../contract/core.ts';
import { emptyReady, RAFT_VIEW_LOG_TAIL_MAX, type RaftView } from '../../contract/core.ts';
import type { ClientOp, ClientResult } from '../../contract/envelope.ts';
import { RaftLog, STABLE_KEY, type Entry, type HardState, type Snapshot } from './log.ts';
import {
  MESSAGE,
  parseMessage,
  type AppendEntriesReply,
  type AppendEntriesRequest,
  type InstallSnapshotReply,
  type InstallSnapshotRequest,
  type RaftMessage,
  type VoteReply,
  type VoteRequest,
} from './messages.ts';
import { parseRaftParams, type RaftParams } from './params.ts';
import { KvStateMachine, type Command } from './state-machine.ts';
import { entryDigest, entrySummary, parseOp } from './entries.ts';


export const TIMER = Object.freeze({
  election: 'election',
  heartbeat: 'heartbeat',
  checkQuorum: 'check-quorum',
});

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** What the leader knows of one follower (Figure 2: nextIndex[], matchIndex[]). */
interface Progress {
  nextIndex: number;
  matchIndex: number;
  /** The latest heartbeat round this follower acknowledged (read-index). */
  roundAcked: number;
  /** Heard from since the last check-quorum. */
  recentActive: boolean;
  /**
   * Probing (etcd-raft's probe state): after a rejection, the prevLogIndex of the latest
   * append sent to this follower, else null. While probing the leader sends one append at a
   * time (on the rejection, or with a heartbeat) and ignores rejections of any other: with
   * several appends in flight, the rejections of those sent before the back-off are stale,
   * and answering each would send the same batch again and again.
   */
  probeIndex: number | null;
}

interface PendingWrite {
  requestId: string;
  term: number;
}

interface PendingRead {
  requestId: string;
  key: string;
  readIndex: number;
  round: number;
}

/** Tests watch every applied entry to check state machine safety; the lab passes none. */
export interface ApplyObserver {
  applied(entry: Entry): void;
}

function assert(condition: boolean, why: string): asserts condition {
  if (!condition) throw new Error(`raft: assertion failed: ${why}`);
}

type StepFunction = (source: NodeId, message: RaftMessage) => void;

export class RaftCore implements ProtocolCore {
  private readonly self: NodeId;
  private readonly peers: readonly NodeId[];
  private readonly params: RaftParams;
  private readonly random: () => number;
  private readonly observer: ApplyObserver | null;
  // Persistent state (Figure 2): currentTerm, votedFor, log[]; plus the last snapshot.
  private term = 0;
  private votedFor: NodeId | null = null;
  private readonly log: RaftLog;
  private snapshot: Snapshot | null = null;
  private snapshotVoters: string[];
  // Volatile state.
  private readonly machine = new KvStateMachine();
  private role: Role = 'follower';
  private stepRole: StepFunction = this.stepFollower;
  private leader: NodeId | null = null;
  private commitIndex = 0;
  private appliedIndex = 0;
  /** The configuration in force: the latest config entry of the log, else the snapshot's. */
  private voters: string[];
  private latestConfigIndex = 0;
  private votes = new Map<NodeId, boolean>();
  private readonly progress = new Map<NodeId, Progress>();
  private readonly pendingWrites = new Map<number, PendingWrite>();
  private pendingReads: PendingRead[] = [];
  private round = 0;
  private termStartIndex = 0;
  private leaderContactMs = Number.NEGATIVE_INFINITY;
  private nowMs = 0;
  /** When (node clock) the election timer was last armed, and for how long: what status() shows as a countdown. */
  private electionArmed = { atMs: 0, timeoutMs: 0 };
  private recovered = false;
  private hardDirty = false;
  private readonly writes = new Map<string, unknown>();
  private ready: Ready = emptyReady();
  // Pipelined hosts (CoreContext.pipelined; dissertation §10.2.1). The leader's AppendEntries
  // and every client reply leave as `early` effects, before the step's writes are durable; the
  // host says with `persisted` which steps' writes are. The leader counts itself toward a
  // commit majority only up to `durableIndex`, so an entry is committed only once a majority
  // has it on disk, the leader included or not. Appends wait for `flush`, so all the proposals
  // of one batch of input travel in one AppendEntries per follower.
  private readonly pipelined: boolean;
  /** The log prefix this node's disk is known to hold (pipelined; otherwise the whole log). */
  private durableIndex = 0;
  /** The token of the latest step that persisted, and of the latest one the host said is durable. */
  private persistToken = 0;
  private durableToken = 0;
  /** The token of the latest step that wrote term and vote: no early message before it is durable. */
  private hardToken = 0;
  /** Steps whose writes are not known durable yet, and the log's last index after each. */
  private unpersisted: { token: number; lastIndex: number }[] = [];
  /** Proposals (or acknowledgements) since the last flush: followers may lack entries. */
  private replicationDue = false;
  /** Reads since the last flush: the next heartbeat round starts at the flush. */
  private roundDue = false;

  constructor(context: CoreContext, observer: ApplyObserver | null = null) {
    this.self = context.self;
    this.peers = [...context.peers];
    this.params = parseRaftParams(context.params);
    this.random = context.random;
    this.observer = observer;
    const cluster = [context.self, ...context.peers];
    const initial = this.params.voters ?? cluster;
    const unknown = initial.filter((id) => !cluster.includes(id));
    if (unknown.length > 0) throw new Error(`raft: voters ${unknown.join(', ')} are not nodes of the cluster (${cluster.join(', ')})`);
    this.snapshotVoters = [...initial];
    this.voters = [...initial];
    this.log = new RaftLog((key, value) => this.writes.set(key, value));
    this.pipelined = context.pipelined === true;
  }

  step(input: CoreInput): Ready {
    this.ready = emptyReady();
    this.nowMs = input.nowMs;
    if (input.kind === 'recover') {
      this.recover(input.stable);
    } else {
      assert(this.recovered, 'the host must send `recover` before any other input');
      if (input.kind === 'message') this.onMessage(input.source, input.type, input.payload);
      else if (input.kind === 'timer') this.onTimer(input.timer);
      else if (input.kind === 'client') this.onClient(input.requestId, input.op);
      // Suspicion: Raft has its own failure detector (the election timeout); it ignores the host's.
    }
    return this.endStep();
  }

  /** Pipelined hosts, after every batch of inputs: one append (or one heartbeat round) per follower for the whole batch. */
  flush(nowMs: number): Ready {
    this.ready = emptyReady();
    this.nowMs = nowMs;
    assert(this.pipelined && this.recovered, 'flush comes from a pipelined host, after `recover`');
    if (this.role === 'leader' && this.roundDue) this.sendHeartbeatRound();
    if (this.role === 'leader' && this.replicationDue) for (const peer of this.progress.keys()) this.replicate(peer);
    this.replicationDue = false;
    this.roundDue = false;
    return this.endStep();
  }

  /** Pipelined hosts: the writes of every step up to `token` are on disk. */
  persisted(token: number, nowMs: number): Ready {
    this.ready = emptyReady();
    this.nowMs = nowMs;
    assert(this.pipelined && token > this.durableToken && token <= this.persistToken, `persisted ${token} out of order (durable ${this.durableToken}, last ${this.persistToken})`);
    this.durableToken = token;
    while (this.unpersisted.length > 0 && this.unpersisted[0]!.token <= token) {
      this.durableIndex = Math.max(this.durableIndex, this.unpersisted.shift()!.lastIndex);
    }
    this.maybeCommit();
    return this.endStep();
  }

  /** The step's writes (the hard state last), and on a pipelined host the token that `persisted` will return. */
  private endStep(): Ready {
    const hardWritten = this.hardDirty;
    if (this.hardDirty) this.writes.set(STABLE_KEY.hard, { term: this.term, votedFor: this.votedFor } satisfies HardState);
    this.hardDirty = false;
    for (const [key, value] of this.writes) this.ready.persist.push({ key, value });
    this.writes.clear();
    if (this.pipelined && this.ready.persist.length > 0) {
      this.persistToken += 1;
      this.ready.persistedToken = this.persistToken;
      this.unpersisted.push({ token: this.persistToken, lastIndex: this.log.lastIndex });
      if (hardWritten) this.hardToken = this.persistToken;
    }
    return this.ready;
  }

  roleName(): string {
    return this.role;
  }

  status(): CoreStatus {
    return {
      role: this.role,
      facts: {
        term: this.term,
        votedFor: this.votedFor,
        leader: this.leader,
        commitIndex: this.commitIndex,
        appliedIndex: this.appliedIndex,
        lastIndex: this.log.lastIndex,
        snapshotIndex: this.log.snapshotIndex,
        voters: this.voters.join(','),
      },
      data: Object.fromEntries(this.machine.data),
      view: this.view(),
    };
  }

  /** What the Raft view in the UI draws: bounded (the log's tail only), sent on every change. */
  private view(): RaftView {
    const firstShown = Math.max(this.log.snapshotIndex + 1, this.log.lastIndex - RAFT_VIEW_LOG_TAIL_MAX + 1);
    const leading = this.role === 'leader';
    const armed = this.electionArmed;
    return {
      protocol: 'raft', source: 'live', role: this.role, term: this.term, votedFor: this.votedFor, leader: this.leader,
      commitIndex: this.commitIndex, appliedIndex: this.appliedIndex, lastIndex: this.log.lastIndex,
      snapshot: { index: this.log.snapshotIndex, term: this.log.snapshotTerm },
      logTail: this.log.slice(firstShown, RAFT_VIEW_LOG_TAIL_MAX).map((entry) => ({
        index: entry.index, term: entry.term, kind: entry.kind, summary: entrySummary(entry),
      })),
      // A leader's election timer is cancelled (becomeLeader); every other role's runs.
      election: leading ? null : { timeoutMs: armed.timeoutMs, remainingMs: armed.atMs + armed.timeoutMs - this.nowMs, atNodeMs: this.nowMs },
      followers: leading
        ? [...this.progress].map(([id, progress]) => ({
          id, matchIndex: progress.matchIndex, nextIndex: progress.nextIndex,
          inflight: Math.max(0, progress.nextIndex - 1 - progress.matchIndex),
          needsSnapshot: progress.nextIndex <= this.log.snapshotIndex, responsive: progress.roundAcked >= this.round - 2,
        }))
        : [],
      pending: { writes: this.pendingWrites.size, reads: this.pendingReads.length },
      voters: [...this.voters],
    };
  }

  /** The entry at `index` (undefined once compacted): for tests and invariant monitors. */
  entryAt(index: number): Entry | undefined {
    return this.log.entry(index);
  }

  termAt(index: number): number | undefined {
    return this.log.termAt(index);
  }

  // ---- recovery ----------------------------------------------------------------------------

  private recover(stable: ReadonlyMap<string, unknown>): void {
    assert(!this.recovered, '`recover` must come once, first');
    this.recovered = true;
    const hard = stable.get(STABLE_KEY.hard) as HardState | undefined;
    this.term = hard?.term ?? 0;
    this.votedFor = hard?.votedFor ?? null;
    this.snapshot = (stable.get(STABLE_KEY.snapshot) as Snapshot | undefined) ?? null;
    this.log.load(stable, this.snapshot);
    if (this.snapshot !== null) {
      this.machine.restore(this.snapshot.machine);
      this.snapshotVoters = [...this.snapshot.voters];
      this.commitIndex = this.snapshot.index;
      this.appliedIndex = this.snapshot.index;
    }
    this.refreshConfig();
    this.durableIndex = this.log.lastIndex;
    this.resetElectionTimer();
    this.note('recovered', { term: this.term, votedFor: this.votedFor, lastIndex: this.log.lastIndex, snapshotIndex: this.log.snapshotIndex });
  }

  // ---- role transitions --------------------------------------------------------------------

  private becomeFollower(term: number, leader: NodeId | null): void {
    assert(term >= this.term, `a follower of term ${term} cannot go back from term ${this.term}`);
    const previous = this.role;
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
      this.hardDirty = true;
    }
    if (previous === 'leader') this.abandonLeadership();
    this.role = 'follower';
    this.stepRole = this.stepFollower;
    this.leader = leader;
    this.resetElectionTimer();
    this.note('role', { role: this.role, term: this.term, leader, from: previous });
  }

  private becomePreCandidate(): void {
    // A candidate whose election timed out asks again before it raises its term once more.
    assert(this.role !== 'leader', 'a leader does not campaign');
    this.role = 'pre-candidate';
    this.stepRole = this.stepCandidate;
    this.leader = null;
    this.votes = new Map([[this.self, true]]);
    this.resetElectionTimer();
    this.note('role', { role: this.role, term: this.term });
    if (this.tallyWon()) {
      this.becomeCandidate();
      return;
    }
    this.requestVotes(MESSAGE.preVote, this.term + 1);
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign');
    assert(this.role === 'pre-candidate' || !this.params.preVote, 'with pre-vote, only a pre-candidate that won becomes a candidate');
    this.term += 1;
    this.votedFor = this.self;
    this.hardDirty = true;
    this.role = 'candidate';
    this.stepRole = this.stepCandidate;
    this.leader = null;
    this.votes = new Map([[this.self, true]]);
    this.resetElectionTimer();
    this.note('role', { role: this.role, term: this.term });
    if (this.tallyWon()) {
      this.becomeLeader();
      return;
    }
    this.requestVotes(MESSAGE.requestVote, this.term);
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `leader from ${this.role}`);
    this.role = 'leader';
    this.stepRole = this.stepLeader;
    this.leader = this.self;
    this.progress.clear();
    for (const peer of this.voters) if (peer !== this.self) this.progress.set(peer, this.newProgress());
    this.ready.timers.push({ kind: 'cancel', timer: TIMER.election });
    this.note('role', { role: this.role, term: this.term });
    // lastIndex/lastTerm: what the new leader's log holds, so that a trace monitor can check leader completeness.
    this.note('elected', { term: this.term, votes: [...this.votes].filter(([, granted]) => granted).map(([id]) => id), lastIndex: this.log.lastIndex, lastTerm: this.log.termAt(this.log.lastIndex) ?? 0 });
    // §8: a new leader commits a blank no-op entry of its term, which also commits (Figure 8) what earlier terms left.
    this.appendEntry({ index: this.log.lastIndex + 1, term: this.term, kind: 'noop' });
    this.termStartIndex = this.log.lastIndex;
    this.sendHeartbeats();
    this.ready.timers.push({ kind: 'set', timer: TIMER.checkQuorum, afterMs: this.params.electionTimeoutMsMax });
    this.maybeCommit();
  }

  /** A leader that steps down: what it promised but did not commit may still commit, or not. */
  private abandonLeadership(): void {
    for (const write of this.pendingWrites.values()) this.reply(write.requestId, { type: 'info', error: 'leadership-lost' });
    this.pendingWrites.clear();
    // A read that was not answered had no effect: it certainly did not happen.
    for (const read of this.pendingReads) this.reply(read.requestId, { type: 'fail', error: 'leadership-lost' });
    this.pendingReads = [];
    this.progress.clear();
    this.ready.timers.push({ kind: 'cancel', timer: TIMER.heartbeat }, { kind: 'cancel', timer: TIMER.checkQuorum });
    this.note('step-down', { term: this.term });
  }

  // ---- inputs ------------------------------------------------------------------------------

  private onTimer(timer: string): void {
    if (timer === TIMER.election) {
      if (this.role === 'leader') return;
      if (!this.voters.includes(this.self)) {
        // Not a member of the configuration: it never campaigns (it could not win, and would disrupt).
        this.resetElectionTimer();
        return;
      }
      this.note('election-timeout', { term: this.term, role: this.role });
      if (this.params.preVote) this.becomePreCandidate();
      else this.becomeCandidate();
    } else if (timer === TIMER.heartbeat) {
      if (this.role === 'leader') this.sendHeartbeats();
    } else if (timer === TIMER.checkQuorum) {
      if (this.role === 'leader') this.checkQuorum();
    }
  }

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const message = parseMessage(type, payload);
    if (message === null || !this.peers.includes(source)) {
      this.note('malformed-message', { source, type });
      return;
    }
    if (message.type === MESSAGE.preVote) {
      // A pre-vote never changes anybody's term: that is its point.
      this.onPreVote(source, message.body);
      return;
    }
    if (message.type === MESSAGE.preVoteReply) {
      if (!message.body.voteGranted && message.body.term > this.term) this.becomeFollower(message.body.term, null);
      else if (this.role === 'pre-candidate') this.stepRole(source, message);
      return;
    }
    const term = message.body.term;
    if (term > this.term) {
      if (message.type === MESSAGE.requestVote && this.inLease()) {
        // §4.2.3: while it hears from a leader, a node ignores a vote request from a higher term.
        this.note('vote-ignored', { candidate: source, term, reason: 'leader-lease' });
        return;
      }
      const fromLeader = message.type === MESSAGE.appendEntries || message.type === MESSAGE.installSnapshot;
      this.becomeFollower(term, fromLeader ? source : null);
    } else if (term < this.term) {
      this.answerStale(source, message);
      return;
    }
    if (message.type === MESSAGE.requestVote) this.onRequestVote(source, message.body);
    else this.stepRole(source, message);
  }

  /** Figure 2: "Reply false if term < currentTerm"; stale replies are dropped. */
  private answerStale(source: NodeId, message: RaftMessage): void {
    if (message.type === MESSAGE.requestVote) {
      this.send(source, MESSAGE.requestVoteReply, { term: this.term, voteGranted: false } satisfies VoteReply);
    } else if (message.type === MESSAGE.appendEntries) {
      this.send(source, MESSAGE.appendEntriesReply, this.appendReply(false, { rejectedIndex: message.body.prevLogIndex, round: message.body.round }));
    } else if (message.type === MESSAGE.installSnapshot) {
      this.send(source, MESSAGE.installSnapshotReply, { term: this.term, matchIndex: 0, round: message.body.round } satisfies InstallSnapshotReply);
    }
  }

  // ---- step functions, one per role ---------------------------------------------------------

  private stepFollower(source: NodeId, message: RaftMessage): void {
    if (message.type === MESSAGE.appendEntries) this.onAppendEntries(source, message.body);
    else if (message.type === MESSAGE.installSnapshot) this.onInstallSnapshot(source, message.body);
  }

  /** Pre-candidates and candidates: they count votes, and yield to a leader of their term. */
  private stepCandidate(source: NodeId, message: RaftMessage): void {
    const counting = this.role === 'pre-candidate' ? MESSAGE.preVoteReply : MESSAGE.requestVoteReply;
    if (message.type === MESSAGE.appendEntries || message.type === MESSAGE.installSnapshot) {
      // §5.2: "If the leader's term is at least as large as the candidate's current term, then the candidate recognizes the leader".
      this.becomeFollower(message.body.term, source);
      this.stepFollower(source, message);
    } else if (message.type === counting) {
      const reply = message.body as VoteReply;
      if (reply.voteGranted && this.role === 'pre-candidate' && reply.term !== this.term + 1) return;
      this.onVote(source, reply.voteGranted);
    }
  }

  private stepLeader(source: NodeId, message: RaftMessage): void {
    if (message.type === MESSAGE.appendEntriesReply) {
      this.onAppendEntriesReply(source, message.body);
    } else if (message.type === MESSAGE.installSnapshotReply) {
      this.onInstallSnapshotReply(source, message.body);
    } else if (message.type === MESSAGE.appendEntries || message.type === MESSAGE.installSnapshot) {
      assert(false, `two leaders in term ${this.term}: ${this.self} and ${source}`);
    }
  }

  // ---- elections ---------------------------------------------------------------------------

  private requestVotes(type: typeof MESSAGE.preVote | typeof MESSAGE.requestVote, term: number): void {
    const request: VoteRequest = { term, lastLogIndex: this.log.lastIndex, lastLogTerm: this.log.lastTerm };
    for (const voter of this.voters) if (voter !== this.self) this.send(voter, type, request);
  }

  private onVote(source: NodeId, granted: boolean): void {
    if (!this.voters.includes(source)) return;
    this.votes.set(source, granted);
    if (this.tallyWon()) {
      if (this.role === 'pre-candidate') this.becomeCandidate();
      else this.becomeLeader();
      return;
    }
    const rejections = [...this.votes].filter(([id, vote]) => !vote && this.voters.includes(id)).length;
    if (rejections >= this.quorum()) {
      this.note('election-lost', { term: this.term, role: this.role });
      this.becomeFollower(this.term, null);
    }
  }

  private tallyWon(): boolean {
    return this.voters.filter((id) => this.votes.get(id) === true).length >= this.quorum();
  }

  /** Figure 2, RequestVote: "If votedFor is null or candidateId, and candidate's log is at least as up-to-date as receiver's log, grant vote". */
  private onRequestVote(source: NodeId, request: VoteRequest): void {
    const granted = (this.votedFor === null || this.votedFor === source) && this.log.isUpToDate(request.lastLogIndex, request.lastLogTerm);
    if (granted) {
      this.votedFor = source;
      this.hardDirty = true;
      this.resetElectionTimer();
    }
    this.note('vote', { candidate: source, term: this.term, granted });
    this.send(source, MESSAGE.requestVoteReply, { term: this.term, voteGranted: granted } satisfies VoteReply);
  }

  /** Dissertation §9.6: grant if the candidate could win: its log is up-to-date, and we have no leader we heard from lately. */
  private onPreVote(source: NodeId, request: VoteRequest): void {
    const granted = request.term > this.term && this.log.isUpToDate(request.lastLogIndex, request.lastLogTerm) && !this.hasLiveLeader();
    this.send(source, MESSAGE.preVoteReply, { term: granted ? request.term : this.term, voteGranted: granted } satisfies VoteReply);
  }

  /**
   * The leader lease on real votes (§4.2.3) comes with check quorum, as in etcd-raft: without
   * check quorum a leader cut from its majority would never step down, and the lease would keep
   * its followers from electing another.
   */
  private inLease(): boolean {
    return this.params.checkQuorum && this.hasLiveLeader();
  }

  /** This node leads, or heard from its leader within the minimum election timeout. */
  private hasLiveLeader(): boolean {
    if (this.role === 'leader') return true;
    return this.leader !== null && this.nowMs - this.leaderContactMs < this.params.electionTimeoutMsMin;
  }

  private checkQuorum(): void {
    const active = this.voters.filter((id) => id === this.self || this.progress.get(id)?.recentActive === true).length;
    if (this.params.checkQuorum && active < this.quorum()) {
      this.note('check-quorum-failed', { term: this.term, active });
      this.becomeFollower(this.term, null);
      return;
    }
    for (const progress of this.progress.values()) progress.recentActive = false;
    this.ready.timers.push({ kind: 'set', timer: TIMER.checkQuorum, afterMs: this.params.electionTimeoutMsMax });
  }

  private resetElectionTimer(): void {
    const { electionTimeoutMsMin: min, electionTimeoutMsMax: max } = this.params;
    const afterMs = min + Math.floor(this.random() * (max - min + 1));
    this.ready.timers.push({ kind: 'set', timer: TIMER.election, afterMs: Math.min(afterMs, max) });
    this.electionArmed = { atMs: this.nowMs, timeoutMs: Math.min(afterMs, max) };
  }

  private quorum(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  // ---- replication: follower side ---------------------------------------------------------

  private onAppendEntries(source: NodeId, request: AppendEntriesRequest): void {
    this.leader = source;
    this.leaderContactMs = this.nowMs;
    this.resetElectionTimer();
    const echo = { rejectedIndex: request.prevLogIndex, round: request.round };
    let prevLogIndex = request.prevLogIndex;
    let prevLogTerm = request.prevLogTerm;
    let entries = request.entries;
    if (prevLogIndex < this.log.snapshotIndex) {
      // The snapshot's prefix is committed, so it matches the leader's log: skip what it covers.
      entries = entries.filter((entry) => entry.index > this.log.snapshotIndex);
      prevLogIndex = this.log.snapshotIndex;
      prevLogTerm = this.log.snapshotTerm;
    }
    if (prevLogIndex > this.log.lastIndex) {
      // Figure 2: "Reply false if log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm".
      this.send(source, MESSAGE.appendEntriesReply, this.appendReply(false, { ...echo, conflictIndex: this.log.lastIndex + 1 }));
      return;
    }
    const localTerm = this.log.termAt(prevLogIndex)!;
    if (localTerm !== prevLogTerm) {
      const conflictIndex = this.log.firstIndexOfTermAt(prevLogIndex);
      this.send(source, MESSAGE.appendEntriesReply, this.appendReply(false, { ...echo, conflictIndex, conflictTerm: localTerm }));
      return;
    }
    this.mergeEntries(entries);
    // "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)".
    const matchIndex = prevLogIndex + entries.length;
    const commitIndex = Math.min(request.leaderCommit, matchIndex);
    if (commitIndex > this.commitIndex) this.advanceCommit(commitIndex);
    this.send(source, MESSAGE.appendEntriesReply, this.appendReply(true, { ...echo, matchIndex }));
  }

  /** Figure 2: "If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it. Append any new entries not already in the log". */
  private mergeEntries(entries: readonly Entry[]): void {
    for (const [offset, entry] of entries.entries()) {
      const localTerm = this.log.termAt(entry.index);
      if (localTerm === entry.term) continue;
      const truncated = localTerm !== undefined;
      if (truncated) {
        assert(entry.index > this.commitIndex, `a leader overwrote committed entry ${entry.index} (commitIndex ${this.commitIndex})`);
        this.note('log-truncated', { fromIndex: entry.index, lastIndex: this.log.lastIndex });
        this.log.truncateFrom(entry.index);
        this.logRewound(entry.index);
      }
      let configChanged = truncated;
      for (let rest = offset; rest < entries.length; rest += 1) {
        const appended = entries[rest]!;
        this.log.append(appended);
        if (appended.kind === 'config') configChanged = true;
      }
      // The configuration is the latest config entry of the log: only a truncation or a new config entry can change it.
      if (configChanged) this.refreshConfig();
      return;
    }
  }

  private appendReply(success: boolean, fields: Partial<AppendEntriesReply> & Pick<AppendEntriesReply, 'rejectedIndex' | 'round'>): AppendEntriesReply {
    return { term: this.term, success, matchIndex: 0, conflictIndex: 0, conflictTerm: null, ...fields };
  }

  /** Figure 13: a snapshot replaces the log up to its last included index; a matching suffix is kept. */
  private onInstallSnapshot(source: NodeId, request: InstallSnapshotRequest): void {
    this.leader = source;
    this.leaderContactMs = this.nowMs;
    this.resetElectionTimer();
    const snapshot = request.snapshot;
    if (snapshot.index > this.commitIndex) {
      // Entries after the commit index may differ from the leader's: what the disk held of them no longer counts.
      this.logRewound(this.commitIndex + 1);
      this.log.compact(snapshot.index, snapshot.term);
      this.machine.restore(snapshot.machine);
      this.snapshot = snapshot;
      this.snapshotVoters = [...snapshot.voters];
      this.commitIndex = snapshot.index;
      this.appliedIndex = snapshot.index;
      this.writes.set(STABLE_KEY.snapshot, snapshot);
      this.refreshConfig();
      this.note('snapshot-installed', { index: snapshot.index, term: snapshot.term, from: source });
    }
    this.send(source, MESSAGE.installSnapshotReply, { term: this.term, matchIndex: snapshot.index, round: request.round } satisfies InstallSnapshotReply);
  }

  // ---- replication: leader side -----------------------------------------------------------

  private newProgress(): Progress {
    return { nextIndex: this.log.lastIndex + 1, matchIndex: 0, roundAcked: 0, recentActive: true, probeIndex: null };
  }

  /** A new heartbeat round: AppendEntries to every follower, empty when it has nothing to catch up. */
  private sendHeartbeats(): void {
    this.sendHeartbeatRound();
    this.ready.timers.push({ kind: 'set', timer: TIMER.heartbeat, afterMs: this.params.heartbeatIntervalMs });
  }

  private sendHeartbeatRound(): void {
    this.round += 1;
    for (const peer of this.progress.keys()) this.sendAppend(peer, true);
  }

  /** Everything the follower lacks, as far as the pipeline has room (pipelined flush). */
  private replicate(peer: NodeId): void {
    // A follower being probed gets its next append when the probe is answered (or with a heartbeat).
    if (this.progress.get(peer)?.probeIndex !== null) return;
    while (this.sendAppend(peer, false) > 0) {
      // One append per maxEntriesPerAppend entries, until the follower has all or the pipeline is full.
    }
  }

  /**
   * Sends the follower what it lacks from nextIndex on, optimistically (pipelining): nextIndex
   * moves past what was sent, and a rejection moves it back. At most maxInflightAppends full
   * batches are unacknowledged at once. `probe`: send even when empty (a heartbeat).
   */
  private sendAppend(peer: NodeId, probe: boolean): number {
    const progress = this.progress.get(peer)!;
    if (progress.nextIndex <= this.log.snapshotIndex) {
      if (probe) this.sendSnapshot(peer, progress);
      return 0;
    }
    const { maxEntriesPerAppend, maxInflightAppends } = this.params;
    const room = maxEntriesPerAppend * maxInflightAppends - (progress.nextIndex - 1 - progress.matchIndex);
    const entries = room > 0 ? this.log.slice(progress.nextIndex, Math.min(maxEntriesPerAppend, room)) : [];
    if (entries.length === 0 && !probe) return 0;
    const prevLogIndex = progress.nextIndex - 1;
    const request: AppendEntriesRequest = {
      term: this.term, prevLogIndex, prevLogTerm: this.log.termAt(prevLogIndex)!, entries, leaderCommit: this.commitIndex, round: this.round,
    };
    this.send(peer, MESSAGE.appendEntries, request);
    progress.nextIndex = prevLogIndex + entries.length + 1;
    if (progress.probeIndex !== null) {
      progress.probeIndex = prevLogIndex;
      // One append at a time while probing: tell the pipelining loop there is no room.
      return 0;
    }
    return entries.length;
  }

  private sendSnapshot(peer: NodeId, progress: Progress): void {
    const snapshot = this.snapshot;
    assert(snapshot !== null && snapshot.index === this.log.snapshotIndex, 'a compacted log has its snapshot');
    this.send(peer, MESSAGE.installSnapshot, { term: this.term, snapshot, round: this.round } satisfies InstallSnapshotRequest);
    progress.nextIndex = snapshot.index + 1;
    this.note('snapshot-sent', { to: peer, index: snapshot.index });
  }

  private onAppendEntriesReply(source: NodeId, reply: AppendEntriesReply): void {
    const progress = this.progress.get(source);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.roundAcked = Math.max(progress.roundAcked, reply.round);
    if (reply.success) {
      progress.matchIndex = Math.max(progress.matchIndex, reply.matchIndex);
      progress.nextIndex = Math.max(progress.nextIndex, progress.matchIndex + 1);
      progress.probeIndex = null;
      this.maybeCommit();
    } else {
      const stale = reply.rejectedIndex <= progress.matchIndex || (progress.probeIndex !== null && reply.rejectedIndex !== progress.probeIndex);
      if (stale) {
        // The answer to an append sent before the latest probe: that probe's answer decides.
        if (this.role === 'leader') this.serveReads();
        return;
      }
      // Fast back-off: skip the follower's whole conflicting term, or to its log's end.
      const lastOfTerm = reply.conflictTerm === null ? 0 : this.log.lastIndexOfTerm(reply.conflictTerm);
      const hinted = lastOfTerm > 0 ? lastOfTerm + 1 : reply.conflictIndex;
      progress.nextIndex = Math.max(progress.matchIndex + 1, Math.min(hinted, reply.rejectedIndex, progress.nextIndex));
      progress.probeIndex = progress.nextIndex - 1;
    }
    if (this.role === 'leader') {
      if (this.pipelined && reply.success) this.replicationDue = true;
      else this.sendAppend(source, !reply.success);
      this.serveReads();
    }
  }

  private onInstallSnapshotReply(source: NodeId, reply: InstallSnapshotReply): void {
    const progress = this.progress.get(source);
    if (progress === undefined) return;
    progress.recentActive = true;
    progress.roundAcked = Math.max(progress.roundAcked, reply.round);
    progress.matchIndex = Math.max(progress.matchIndex, reply.matchIndex);
    progress.nextIndex = Math.max(progress.nextIndex, progress.matchIndex + 1);
    progress.probeIndex = null;
    this.maybeCommit();
    if (this.role === 'leader') {
      this.sendAppend(source, false);
      this.serveReads();
    }
  }

  /**
   * Figure 2: "If there exists an N such that N > commitIndex, a majority of matchIndex[i] ≥ N,
   * and log[N].term == currentTerm: set commitIndex = N". Only entries of the current term
   * are committed by counting (§5.4.2, Figure 8); earlier ones commit with them.
   */
  private maybeCommit(): void {
    if (this.role !== 'leader') return;
    const matches = this.voters
      .map((id) => (id === this.self ? this.selfMatchIndex() : (this.progress.get(id)?.matchIndex ?? 0)))
      .sort((a, b) => b - a);
    const candidate = matches[this.quorum() - 1] ?? 0;
    if (candidate > this.commitIndex && this.log.termAt(candidate) === this.term) this.advanceCommit(candidate);
  }

  private advanceCommit(commitIndex: number): void {
    assert(commitIndex <= this.log.lastIndex, `commit ${commitIndex} beyond the log (${this.log.lastIndex})`);
    // The newly committed entries (appliedIndex = commitIndex between steps), as [index, term,
    // digest]: what lets a monitor that reads only the trace check state machine safety (no
    // two nodes apply different entries at one index) and log matching.
    const entries: [number, number, string][] = [];
    for (let index = this.commitIndex + 1; index <= commitIndex; index += 1) {
      const entry = this.log.entry(index);
      if (entry !== undefined) entries.push([entry.index, entry.term, entryDigest(entry)]);
    }
    this.commitIndex = commitIndex;
    this.note('commit', { commitIndex, term: this.term, entries });
    this.applyCommitted();
  }

  // ---- the state machine -------------------------------------------------------------------

  /** Figure 2: "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied] to state machine". */
  private applyCommitted(): void {
    while (this.appliedIndex < this.commitIndex) {
      const entry = this.log.entry(this.appliedIndex + 1);
      assert(entry !== undefined, `entry ${this.appliedIndex + 1} to apply is in the log`);
      const result: ClientResult = entry.kind === 'command' ? this.machine.apply(entry.command, entry.index) : { type: 'ok' };
      this.appliedIndex = entry.index;
      this.observer?.applied(entry);
      const pending = this.pendingWrites.get(entry.index);
      if (pending !== undefined) {
        this.pendingWrites.delete(entry.index);
        this.reply(pending.requestId, pending.term === entry.term ? result : { type: 'info', error: 'entry-replaced' });
      }
    }
    if (this.role === 'leader') {
      this.serveReads();
      if (!this.voters.includes(this.self) && this.latestConfigIndex <= this.commitIndex) {
        // §4.2.2: a leader removed from the configuration steps down once the change is committed.
        this.note('removed-from-configuration', { term: this.term });
        this.becomeFollower(this.term, null);
      }
    }
    this.maybeSnapshot();
  }

  /** §7: once enough entries are applied, the state machine is the snapshot and the log before it goes. */
  private maybeSnapshot(): void {
    const threshold = this.params.snapshotThresholdEntries;
    if (threshold === 0 || this.appliedIndex - this.log.snapshotIndex < threshold) return;
    const index = this.appliedIndex;
    const snapshot: Snapshot = { index, term: this.log.termAt(index)!, voters: this.votersAt(index), machine: this.machine.snapshot() };
    this.log.compact(snapshot.index, snapshot.term);
    this.snapshot = snapshot;
    this.snapshotVoters = [...snapshot.voters];
    this.writes.set(STABLE_KEY.snapshot, snapshot);
    this.note('snapshot', { index, term: snapshot.term });
  }

  // ---- membership --------------------------------------------------------------------------

  /** The configuration at `index`: the last config entry at or before it, else the snapshot's. */
  private votersAt(index: number): string[] {
    let voters = this.snapshotVoters;
    for (const entry of this.log.entriesAfter(this.log.snapshotIndex)) {
      if (entry.index > index) break;
      if (entry.kind === 'config') voters = entry.voters;
    }
    return [...voters];
  }

  /** Dissertation §4.1: a server uses the latest configuration in its log, committed or not. */
  private refreshConfig(): void {
    let voters = this.snapshotVoters;
    let configIndex = this.log.snapshotIndex;
    for (const entry of this.log.entriesAfter(this.log.snapshotIndex)) {
      if (entry.kind === 'config') {
        voters = entry.voters;
        configIndex = entry.index;
      }
    }
    this.latestConfigIndex = configIndex;
    if (voters.join(',') === this.voters.join(',')) return;
    this.voters = [...voters];
    this.note('configuration', { voters: this.voters, index: configIndex });
    if (this.role !== 'leader') return;
    for (const peer of [...this.progress.keys()]) if (!this.voters.includes(peer)) this.progress.delete(peer);
    for (const peer of this.voters) if (peer !== this.self && !this.progress.has(peer)) this.progress.set(peer, this.newProgress());
  }

  private changeConfiguration(requestId: string, f: string, node: unknown): void {
    const cluster = [this.self, ...this.peers];
    const refusal =
      typeof node !== 'string' || !cluster.includes(node) ? `bad-request: ${f} needs value = one of ${cluster.join(', ')}`
      : this.latestConfigIndex > this.commitIndex ? 'config-change-in-progress'
      : this.log.termAt(this.commitIndex) !== this.term ? 'not-ready: no entry of this term committed yet'
      : null;
    if (refusal !== null || typeof node !== 'string') {
      this.reply(requestId, { type: 'fail', error: refusal ?? 'bad-request' });
      return;
    }
    const voters = f === 'add-server' ? [...new Set([...this.voters, node])] : this.voters.filter((id) => id !== node);
    if (voters.length === 0) {
      this.reply(requestId, { type: 'fail', error: 'bad-request: the last voter cannot be removed' });
      return;
    }
    if (voters.length === this.voters.length) {
      this.reply(requestId, { type: 'ok' });
      return;
    }
    this.propose(requestId, { index: this.log.lastIndex + 1, term: this.term, kind: 'config', voters });
  }

  // ---- clients -----------------------------------------------------------------------------

  private onClient(requestId: string, op: ClientOp): void {
    if (this.role !== 'leader') {
      const redirect = this.leader !== null && this.leader !== this.self ? { redirect: this.leader } : {};
      this.reply(requestId, { type: 'fail', error: 'not-leader', ...redirect });
      return;
    }
    if (this.pendingWrites.size + this.pendingReads.length >= this.params.maxPendingRequests) {
      this.reply(requestId, { type: 'fail', error: 'overloaded' });
      return;
    }
    if (op.f === 'add-server' || op.f === 'remove-server') {
      this.changeConfiguration(requestId, op.f, op.value);
      return;
    }
    const parsed = parseOp(op);
    if (typeof parsed === 'string') {
      this.reply(requestId, { type: 'fail', error: parsed });
      return;
    }
    if (parsed.f === 'get') this.read(requestId, parsed.key);
    else this.proposeCommand(requestId, parsed);
  }

  private read(requestId: string, key: string): void {
    const readIndex = Math.max(this.commitIndex, this.termStartIndex);
    if (this.pipelined) {
      // The round starts at the flush, after this read arrived: one round for all the batch's reads.
      this.roundDue = true;
      this.pendingReads.push({ requestId, key, readIndex, round: this.round + 1 });
    } else {
      this.round += 1;
      this.pendingReads.push({ requestId, key, readIndex, round: this.round });
      for (const peer of this.progress.keys()) this.sendAppend(peer, true);
    }
    this.serveReads();
  }

  /** Answers the reads whose round a majority acknowledged, once their readIndex is applied. */
  private serveReads(): void {
    this.pendingReads = this.pendingReads.filter((read) => {
      const acked = this.voters.filter((id) => id === this.self || (this.progress.get(id)?.roundAcked ?? 0) >= read.round).length;
      if (acked < this.quorum() || this.appliedIndex < read.readIndex) return true;
      this.reply(read.requestId, { type: 'ok', value: this.machine.read(read.key) });
      return false;
    });
  }

  private proposeCommand(requestId: string, command: Command): void {
    const duplicate = this.machine.duplicateResult(command.client, command.seq);
    if (duplicate !== null) {
      this.reply(requestId, duplicate);
      return;
    }
    this.propose(requestId, { index: this.log.lastIndex + 1, term: this.term, kind: 'command', command });
  }

  private propose(requestId: string, entry: Entry): void {
    this.appendEntry(entry);
    this.pendingWrites.set(entry.index, { requestId, term: this.term });
    if (this.pipelined) this.replicationDue = true;
    else for (const [peer, progress] of this.progress) if (progress.probeIndex === null) this.sendAppend(peer, false);
    this.maybeCommit();
  }

  private appendEntry(entry: Entry): void {
    this.log.append(entry);
    if (entry.kind === 'config') this.refreshConfig();
  }

  // ---- effects -----------------------------------------------------------------------------

  /**
   * On a pipelined host the leader's AppendEntries and InstallSnapshot leave early, while its
   * own writes are on their way to disk (§10.2.1): they promise nothing about its disk. Not
   * before its term and vote are durable, though — no message of a term may leave before then.
   */
  private send(target: NodeId, type: string, payload: unknown): void {
    const early = this.pipelined && this.role === 'leader' && this.hardToken <= this.durableToken
      && (type === MESSAGE.appendEntries || type === MESSAGE.installSnapshot);
    (early ? this.earlyEffects().messages : this.ready.messages).push({ target, type, payload });
  }

  /**
   * On a pipelined host every reply leaves early: none depends on this node's pending writes. An
   * `ok` for a write needs a commit, which needs a majority of disks (this one counted only once
   * durable); a read answers from applied, so committed, state; `fail` and `info` promise nothing.
   */
  private reply(requestId: string, result: ClientResult): void {
    (this.pipelined ? this.earlyEffects().replies : this.ready.replies).push({ requestId, result });
  }

  private earlyEffects(): NonNullable<Ready['early']> {
    this.ready.early ??= { messages: [], replies: [] };
    return this.ready.early;
  }

  /** How far the leader's own log counts toward a commit: on a pipelined host, only what is durable. */
  private selfMatchIndex(): number {
    return this.pipelined ? this.durableIndex : this.log.lastIndex;
  }

  /** The log changes from `fromIndex` on (truncation, snapshot install): what the disk held there no longer counts. */
  private logRewound(fromIndex: number): void {
    this.durableIndex = Math.min(this.durableIndex, fromIndex - 1);
    for (const step of this.unpersisted) step.lastIndex = Math.min(step.lastIndex, fromIndex - 1);
  }

  private note(name: string, detail: Record<string, unknown>): void {
    this.ready.notes.push({ name, detail });
  }
}
