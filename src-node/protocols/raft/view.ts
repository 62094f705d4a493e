// What the UI shows of one Raft node (contract CoreStatus and RaftView): the facts of its
// node card, the replicated map, and the Raft view — role and term, the log's tail (bounded:
// RAFT_VIEW_LOG_TAIL_MAX entries), the election countdown, and, at a leader, what it knows of
// each follower. Pure: built from the core's state on every status.

import type { NodeId } from '../../contract/clock.ts';
import { RAFT_VIEW_LOG_TAIL_MAX, type CoreStatus, type RaftView } from '../../contract/core.ts';
import { entrySummary } from './entries.ts';
import type { RaftLog } from './log.ts';
import { inflightEntries, needsSnapshot, type Progress } from './progress.ts';

/** The node's state that the view shows, as the core holds it. */
export interface RaftViewSource {
  role: RaftView['role'];
  term: number;
  votedFor: NodeId | null;
  leader: NodeId | null;
  commitIndex: number;
  appliedIndex: number;
  log: RaftLog;
  /** When (node clock) the election timer was last armed, and for how long. */
  electionArmed: { atMs: number; timeoutMs: number };
  nowMs: number;
  progress: ReadonlyMap<NodeId, Progress>;
  round: number;
  pendingWrites: number;
  pendingReads: number;
  voters: readonly NodeId[];
}

/** The node's status; `data`: the state machine's map. */
export function raftStatus(source: RaftViewSource, data: ReadonlyMap<string, unknown>): CoreStatus {
  return {
    role: source.role,
    facts: {
      term: source.term,
      votedFor: source.votedFor,
      leader: source.leader,
      commitIndex: source.commitIndex,
      appliedIndex: source.appliedIndex,
      lastIndex: source.log.lastIndex,
      snapshotIndex: source.log.snapshotIndex,
      voters: source.voters.join(','),
    },
    data: Object.fromEntries(data),
    view: raftView(source),
  };
}

/** Bounded (the log's tail only): the host sends it on every change. */
export function raftView(source: RaftViewSource): RaftView {
  const { log, electionArmed: armed, nowMs } = source;
  const firstShown = Math.max(log.snapshotIndex + 1, log.lastIndex - RAFT_VIEW_LOG_TAIL_MAX + 1);
  const leading = source.role === 'leader';
  return {
    protocol: 'raft', source: 'live', role: source.role, term: source.term, votedFor: source.votedFor, leader: source.leader,
    commitIndex: source.commitIndex, appliedIndex: source.appliedIndex, lastIndex: log.lastIndex,
    snapshot: { index: log.snapshotIndex, term: log.snapshotTerm },
    logTail: log.slice(firstShown, RAFT_VIEW_LOG_TAIL_MAX).map((entry) => ({
      index: entry.index, term: entry.term, kind: entry.kind, summary: entrySummary(entry),
    })),
    // A leader's election timer is cancelled (becomeLeader); every other role's runs.
    election: leading ? null : { timeoutMs: armed.timeoutMs, remainingMs: armed.atMs + armed.timeoutMs - nowMs, atNodeMs: nowMs },
    followers: leading
      ? [...source.progress].map(([id, progress]) => ({
        id, matchIndex: progress.matchIndex, nextIndex: progress.nextIndex,
        inflight: inflightEntries(progress),
        // Responsive: it acknowledged one of the last three heartbeat rounds.
        needsSnapshot: needsSnapshot(progress, log.snapshotIndex), responsive: progress.roundAcked >= source.round - 2,
      }))
      : [],
    pending: { writes: source.pendingWrites, reads: source.pendingReads },
    voters: [...source.voters],
  };
}
