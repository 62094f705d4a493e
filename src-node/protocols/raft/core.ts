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
// Reads: read-index (dissertation §6.4), not reads through the log, nor leases: see
// read-index.ts for why.
//
// Shape (etcd-raft style): a pure state machine. Every input runs to completion and returns a
// Ready; roles are step functions swapped by becomeFollower/becomePreCandidate/
// becomeCandidate/becomeLeader, which assert the transition is legal.
//
// On a pipelined host (CoreContext.pipelined) the leader writes its log in parallel with
// replicating it (dissertation §10.2.1; see pipeline.ts). Proposals and reads wait for the
// host's `flush` at the end of a batch of inputs, so a batch travels in one AppendEntries per
// follower and shares one heartbeat round. Followers' and candidates' messages still wait for
// their writes. Without `pipelined`, every effect waits for the step's writes.
//
// This file holds the state, the role transitions, the step functions and the wiring; the
// rules live beside it, one idea a file (as etcd-raft splits raft.go from progress/, quorum/
// and read_only.go): election.ts (vote rules, tallies, the election timeout), log-matching.ts
// (the follower's consistency check), progress.ts (the leader's view of one follower),
// quorum.ts (majorities), membership.ts (configurations), service.ts (the key-value service
// and the clients waiting on it), read-index.ts (reads), pipeline.ts (what is on disk),
// outbox.ts (the step's effects), view.ts (the UI's status); log.ts (the log, stable keys),
// state-machine.ts (the map and its sessions), messages.ts, params.ts, entries.ts.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, Ready } from '../../contract/core.ts';
import type { ClientOp, ClientResult } from '../../contract/envelope.ts';
import { assert } from './assert.ts';
import { entryDigest } from './entries.ts';
import { drawElectionTimeoutMs, electionLost, electionWon, grantedBy, grantsPreVote, grantsVote } from './election.ts';
import { checkAppend, firstNewEntry } from './log-matching.ts';
import { RaftLog, STABLE_KEY, type Entry, type HardState, type Snapshot } from './log.ts';
import { latestConfiguration, planMembershipChange, votersAt, type MembershipRequest } from './membership.ts';
import {
  MESSAGE, parseMessage, type AppendEntriesReply, type AppendEntriesRequest, type InstallSnapshotReply, type InstallSnapshotRequest,
  type RaftMessage, type VoteReply, type VoteRequest,
} from './messages.ts';
import { Outbox } from './outbox.ts';
import { parseRaftParams, type RaftParams } from './params.ts';
import { WritePipeline } from './pipeline.ts';
import {
  appendBatchLimit, appendSent, backOff, heardFrom, isStaleRejection, matched, needsSnapshot, newProgress, snapshotSent, type Progress,
} from './progress.ts';
import { hasQuorum, quorumMatchIndex, quorumSize } from './quorum.ts';
import { readIndexOf } from './read-index.ts';
import { KvService } from './service.ts';
import { raftStatus } from './view.ts';

export const TIMER = Object.freeze({
  election: 'election',
  heartbeat: 'heartbeat',
  checkQuorum: 'check-quorum',
});

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Tests watch every applied entry to check state machine safety; the lab passes none. */
export interface ApplyObserver {
  applied(entry: Entry): void;
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
  // Volatile state: the state machine and the clients waiting on it, then Raft's own.
  private readonly service: KvService;
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
  private round = 0;
  private termStartIndex = 0;
  private leaderContactMs = Number.NEGATIVE_INFINITY;
  private nowMs = 0;
  /** When (node clock) the election timer was last armed, and for how long: what status() shows as a countdown. */
  private electionArmed = { atMs: 0, timeoutMs: 0 };
  private recovered = false;
  private hardDirty = false;
  private readonly outbox = new Outbox();
  /** How the service answers a client: as any reply of this core. */
  private readonly answer = (requestId: string, result: ClientResult): void => this.reply(requestId, result);
  // Pipelined hosts (CoreContext.pipelined; pipeline.ts): early effects, and the leader counts
  // itself toward a commit only for what its disk holds. Appends wait for `flush`, so all the
  // proposals of one batch of input travel in one AppendEntries per follower.
  private readonly pipelined: boolean;
  private readonly disk: WritePipeline;
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
    this.log = new RaftLog((key, value) => this.outbox.write(key, value));
    this.service = new KvService(this.params.maxPendingRequests);
    this.pipelined = context.pipelined === true;
    this.disk = new WritePipeline(this.pipelined);
  }

  step(input: CoreInput): Ready {
    this.outbox.begin();
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
    this.outbox.begin();
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
    this.outbox.begin();
    this.nowMs = nowMs;
    this.disk.persisted(token);
    this.maybeCommit();
    return this.endStep();
  }

  /** The step's writes (the hard state last), and on a pipelined host the token that `persisted` will return. */
  private endStep(): Ready {
    const hardWritten = this.hardDirty;
    this.hardDirty = false;
    const ready = this.outbox.finish(hardWritten ? { term: this.term, votedFor: this.votedFor } : null);
    if (ready.persist.length > 0) {
      const token = this.disk.stepWrote({ lastIndex: this.log.lastIndex, hardState: hardWritten });
      if (token !== undefined) ready.persistedToken = token;
    }
    return ready;
  }

  roleName(): string {
    return this.role;
  }

  status(): CoreStatus {
    return raftStatus({
      role: this.role, term: this.term, votedFor: this.votedFor, leader: this.leader, commitIndex: this.commitIndex,
      appliedIndex: this.appliedIndex, log: this.log, electionArmed: this.electionArmed, nowMs: this.nowMs, progress: this.progress,
      round: this.round, pendingWrites: this.service.pendingWrites, pendingReads: this.service.pendingReads, voters: this.voters,
    }, this.service.machine.data);
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
      this.service.machine.restore(this.snapshot.machine);
      this.snapshotVoters = [...this.snapshot.voters];
      this.commitIndex = this.snapshot.index;
      this.appliedIndex = this.snapshot.index;
    }
    this.refreshConfig();
    this.disk.recovered(this.log.lastIndex);
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
    if (electionWon(this.votes, this.voters)) {
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
    if (electionWon(this.votes, this.voters)) {
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
    for (const peer of this.voters) if (peer !== this.self) this.progress.set(peer, newProgress(this.log.lastIndex));
    this.outbox.timer({ kind: 'cancel', timer: TIMER.election });
    this.note('role', { role: this.role, term: this.term });
    // lastIndex/lastTerm: what the new leader's log holds, so that a trace monitor can check leader completeness.
    this.note('elected', { term: this.term, votes: grantedBy(this.votes), lastIndex: this.log.lastIndex, lastTerm: this.log.termAt(this.log.lastIndex) ?? 0 });
    // §8: a new leader commits a blank no-op entry of its term, which also commits (Figure 8) what earlier terms left.
    this.appendEntry({ index: this.log.lastIndex + 1, term: this.term, kind: 'noop' });
    this.termStartIndex = this.log.lastIndex;
    this.sendHeartbeats();
    this.outbox.timer({ kind: 'set', timer: TIMER.checkQuorum, afterMs: this.params.electionTimeoutMsMax });
    this.maybeCommit();
  }

  /** A leader that steps down answers the clients it holds (service.ts) and forgets its followers. */
  private abandonLeadership(): void {
    this.service.abandon(this.answer);
    this.progress.clear();
    this.outbox.timer({ kind: 'cancel', timer: TIMER.heartbeat }, { kind: 'cancel', timer: TIMER.checkQuorum });
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
    if (electionWon(this.votes, this.voters)) {
      if (this.role === 'pre-candidate') this.becomeCandidate();
      else this.becomeLeader();
      return;
    }
    if (electionLost(this.votes, this.voters)) {
      this.note('election-lost', { term: this.term, role: this.role });
      this.becomeFollower(this.term, null);
    }
  }

  /** Figure 2, RequestVote (election.ts has the rule); a granted vote is written before the reply leaves. */
  private onRequestVote(source: NodeId, request: VoteRequest): void {
    const granted = grantsVote({ votedFor: this.votedFor, log: this.log }, source, request);
    if (granted) {
      this.votedFor = source;
      this.hardDirty = true;
      this.resetElectionTimer();
    }
    this.note('vote', { candidate: source, term: this.term, granted });
    this.send(source, MESSAGE.requestVoteReply, { term: this.term, voteGranted: granted } satisfies VoteReply);
  }

  /** Dissertation §9.6 (election.ts has the rule): a pre-vote changes neither term nor vote. */
  private onPreVote(source: NodeId, request: VoteRequest): void {
    const granted = grantsPreVote({ term: this.term, log: this.log, hasLiveLeader: this.hasLiveLeader() }, request);
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
    if (this.params.checkQuorum && active < quorumSize(this.voters)) {
      this.note('check-quorum-failed', { term: this.term, active });
      this.becomeFollower(this.term, null);
      return;
    }
    for (const progress of this.progress.values()) progress.recentActive = false;
    this.outbox.timer({ kind: 'set', timer: TIMER.checkQuorum, afterMs: this.params.electionTimeoutMsMax });
  }

  private resetElectionTimer(): void {
    const afterMs = drawElectionTimeoutMs(this.params, this.random);
    this.outbox.timer({ kind: 'set', timer: TIMER.election, afterMs });
    this.electionArmed = { atMs: this.nowMs, timeoutMs: afterMs };
  }

  // ---- replication: follower side ---------------------------------------------------------

  private onAppendEntries(source: NodeId, request: AppendEntriesRequest): void {
    this.leader = source;
    this.leaderContactMs = this.nowMs;
    this.resetElectionTimer();
    const echo = { rejectedIndex: request.prevLogIndex, round: request.round };
    const check = checkAppend(this.log, request);
    if (!check.matches) {
      const { conflictIndex, conflictTerm } = check;
      this.send(source, MESSAGE.appendEntriesReply, this.appendReply(false, { ...echo, conflictIndex, conflictTerm }));
      return;
    }
    const { prevLogIndex, entries } = check;
    this.mergeEntries(entries);
    // "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)".
    const matchIndex = prevLogIndex + entries.length;
    const commitIndex = Math.min(request.leaderCommit, matchIndex);
    if (commitIndex > this.commitIndex) this.advanceCommit(commitIndex);
    this.send(source, MESSAGE.appendEntriesReply, this.appendReply(true, { ...echo, matchIndex }));
  }

  /** Figure 2: "If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it. Append any new entries not already in the log". */
  private mergeEntries(entries: readonly Entry[]): void {
    const offset = firstNewEntry(this.log, entries);
    if (offset === entries.length) return;
    const first = entries[offset]!;
    const truncated = this.log.termAt(first.index) !== undefined;
    if (truncated) {
      assert(first.index > this.commitIndex, `a leader overwrote committed entry ${first.index} (commitIndex ${this.commitIndex})`);
      this.note('log-truncated', { fromIndex: first.index, lastIndex: this.log.lastIndex });
      this.log.truncateFrom(first.index);
      this.disk.rewound(first.index);
    }
    let configChanged = truncated;
    for (const appended of entries.slice(offset)) {
      this.log.append(appended);
      if (appended.kind === 'config') configChanged = true;
    }
    // The configuration is the latest config entry of the log: only a truncation or a new config entry can change it.
    if (configChanged) this.refreshConfig();
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
      this.disk.rewound(this.commitIndex + 1);
      this.log.compact(snapshot.index, snapshot.term);
      this.service.machine.restore(snapshot.machine);
      this.snapshot = snapshot;
      this.snapshotVoters = [...snapshot.voters];
      this.commitIndex = snapshot.index;
      this.appliedIndex = snapshot.index;
      this.outbox.write(STABLE_KEY.snapshot, snapshot);
      this.refreshConfig();
      this.note('snapshot-installed', { index: snapshot.index, term: snapshot.term, from: source });
    }
    this.send(source, MESSAGE.installSnapshotReply, { term: this.term, matchIndex: snapshot.index, round: request.round } satisfies InstallSnapshotReply);
  }

  // ---- replication: leader side -----------------------------------------------------------

  /** A new heartbeat round: AppendEntries to every follower, empty when it has nothing to catch up. */
  private sendHeartbeats(): void {
    this.sendHeartbeatRound();
    this.outbox.timer({ kind: 'set', timer: TIMER.heartbeat, afterMs: this.params.heartbeatIntervalMs });
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
   * Sends the follower what it lacks from nextIndex on, optimistically, as far as the pipeline
   * has room (progress.ts decides). `probe`: send even when empty (a heartbeat). Returns how
   * many entries went, 0 when the pipelining loop should stop.
   */
  private sendAppend(peer: NodeId, probe: boolean): number {
    const progress = this.progress.get(peer)!;
    if (needsSnapshot(progress, this.log.snapshotIndex)) {
      if (probe) this.sendSnapshot(peer, progress);
      return 0;
    }
    const limit = appendBatchLimit(progress, this.params);
    const entries = limit > 0 ? this.log.slice(progress.nextIndex, limit) : [];
    if (entries.length === 0 && !probe) return 0;
    const prevLogIndex = progress.nextIndex - 1;
    const request: AppendEntriesRequest = {
      term: this.term, prevLogIndex, prevLogTerm: this.log.termAt(prevLogIndex)!, entries, leaderCommit: this.commitIndex, round: this.round,
    };
    this.send(peer, MESSAGE.appendEntries, request);
    return appendSent(progress, prevLogIndex, entries.length);
  }

  private sendSnapshot(peer: NodeId, progress: Progress): void {
    const snapshot = this.snapshot;
    assert(snapshot !== null && snapshot.index === this.log.snapshotIndex, 'a compacted log has its snapshot');
    this.send(peer, MESSAGE.installSnapshot, { term: this.term, snapshot, round: this.round } satisfies InstallSnapshotRequest);
    snapshotSent(progress, snapshot.index);
    this.note('snapshot-sent', { to: peer, index: snapshot.index });
  }

  private onAppendEntriesReply(source: NodeId, reply: AppendEntriesReply): void {
    const progress = this.progress.get(source);
    if (progress === undefined) return;
    heardFrom(progress, reply.round);
    if (reply.success) {
      matched(progress, reply.matchIndex);
      this.maybeCommit();
    } else {
      if (isStaleRejection(progress, reply.rejectedIndex)) {
        // The answer to an append sent before the latest probe: that probe's answer decides.
        if (this.role === 'leader') this.serveReads();
        return;
      }
      backOff(progress, reply, this.log);
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
    heardFrom(progress, reply.round);
    matched(progress, reply.matchIndex);
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
    const candidate = quorumMatchIndex(this.voters, (id) => (id === this.self ? this.disk.matchIndex(this.log.lastIndex) : (this.progress.get(id)?.matchIndex ?? 0)));
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
      const result = this.service.apply(entry);
      this.appliedIndex = entry.index;
      this.observer?.applied(entry);
      this.service.settle(entry, result, this.answer);
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
    const snapshot: Snapshot = { index, term: this.log.termAt(index)!, voters: votersAt(this.log, this.snapshotVoters, index), machine: this.service.machine.snapshot() };
    this.log.compact(snapshot.index, snapshot.term);
    this.snapshot = snapshot;
    this.snapshotVoters = [...snapshot.voters];
    this.outbox.write(STABLE_KEY.snapshot, snapshot);
    this.note('snapshot', { index, term: snapshot.term });
  }

  // ---- membership --------------------------------------------------------------------------

  /** Dissertation §4.1: a server uses the latest configuration in its log, committed or not (membership.ts). */
  private refreshConfig(): void {
    const latest = latestConfiguration(this.log, this.snapshotVoters);
    this.latestConfigIndex = latest.index;
    if (latest.voters.join(',') === this.voters.join(',')) return;
    this.voters = latest.voters;
    this.note('configuration', { voters: this.voters, index: latest.index });
    if (this.role !== 'leader') return;
    for (const peer of [...this.progress.keys()]) if (!this.voters.includes(peer)) this.progress.delete(peer);
    for (const peer of this.voters) if (peer !== this.self && !this.progress.has(peer)) this.progress.set(peer, newProgress(this.log.lastIndex));
  }

  /** A single-server change (§4.1): refused, answered at once, or logged as a config entry (membership.ts decides). */
  private changeConfiguration(requestId: string, f: MembershipRequest, node: unknown): void {
    const plan = planMembershipChange({ f, node }, {
      cluster: [this.self, ...this.peers], voters: this.voters, latestConfigIndex: this.latestConfigIndex,
      commitIndex: this.commitIndex, committedInTerm: this.log.termAt(this.commitIndex) === this.term,
    });
    if (plan.kind === 'refuse') this.reply(requestId, { type: 'fail', error: plan.error });
    else if (plan.kind === 'unchanged') this.reply(requestId, { type: 'ok' });
    else this.propose(requestId, { index: this.log.lastIndex + 1, term: this.term, kind: 'config', voters: plan.voters });
  }

  // ---- clients -----------------------------------------------------------------------------

  /** Only the leader serves (§8: others redirect); service.ts decides what a request becomes. */
  private onClient(requestId: string, op: ClientOp): void {
    if (this.role !== 'leader') {
      const redirect = this.leader !== null && this.leader !== this.self ? { redirect: this.leader } : {};
      this.reply(requestId, { type: 'fail', error: 'not-leader', ...redirect });
      return;
    }
    const admission = this.service.admit(op);
    if (admission.kind === 'answer') this.reply(requestId, admission.result);
    else if (admission.kind === 'membership') this.changeConfiguration(requestId, admission.f, admission.node);
    else if (admission.kind === 'read') this.read(requestId, admission.key);
    else this.propose(requestId, { index: this.log.lastIndex + 1, term: this.term, kind: 'command', command: admission.command });
  }

  /** Read-index (read-index.ts): the read waits for a heartbeat round that starts after it arrived. */
  private read(requestId: string, key: string): void {
    const readIndex = readIndexOf({ commitIndex: this.commitIndex, termStartIndex: this.termStartIndex });
    if (this.pipelined) {
      // The round starts at the flush, after this read arrived: one round for all the batch's reads.
      this.roundDue = true;
      this.service.awaitRead({ requestId, key, readIndex, round: this.round + 1 });
    } else {
      this.round += 1;
      this.service.awaitRead({ requestId, key, readIndex, round: this.round });
      for (const peer of this.progress.keys()) this.sendAppend(peer, true);
    }
    this.serveReads();
  }

  /** Answers the reads whose round a majority acknowledged, once their readIndex is applied. */
  private serveReads(): void {
    this.service.serveReads({
      roundConfirmed: (round) => hasQuorum(this.voters, (id) => id === this.self || (this.progress.get(id)?.roundAcked ?? 0) >= round),
      appliedIndex: this.appliedIndex,
      answer: this.answer,
    });
  }

  /** A write (or configuration) entry of this term, answered once applied. */
  private propose(requestId: string, entry: Entry): void {
    this.appendEntry(entry);
    this.service.awaitCommit(entry.index, { requestId, term: this.term });
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
    const early = this.pipelined && this.role === 'leader' && this.disk.hardStateDurable()
      && (type === MESSAGE.appendEntries || type === MESSAGE.installSnapshot);
    this.outbox.send({ target, type, payload }, early);
  }

  /**
   * On a pipelined host every reply leaves early: none depends on this node's pending writes. An
   * `ok` for a write needs a commit, which needs a majority of disks (this one counted only once
   * durable); a read answers from applied, so committed, state; `fail` and `info` promise nothing.
   */
  private reply(requestId: string, result: ClientResult): void {
    this.outbox.reply(requestId, result, this.pipelined);
  }

  private note(name: string, detail: Record<string, unknown>): void {
    this.outbox.note(name, detail);
  }
}
