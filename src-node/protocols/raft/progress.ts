// What a Raft leader knows of one follower, and the decisions it takes about that follower
// alone (Figure 2's nextIndex[] and matchIndex[], as etcd-raft's `tracker.Progress`):
// how much to send under the pipelining limit, what an acknowledgement proves, how far to back
// off after a rejection (the fast back-off at the end of §5.3), and when it probes instead of
// pipelining. Pure updates of one record; the leader in core.ts sends the messages, and
// quorum.ts turns the match indexes of a majority into a commit index.

import type { RaftLog } from './log.ts';
import type { AppendEntriesReply } from './messages.ts';
import type { RaftParams } from './params.ts';

/** What the leader knows of one follower (Figure 2: nextIndex[], matchIndex[]). */
export interface Progress {
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

/** Figure 2: "nextIndex … initialized to leader last log index + 1", matchIndex to 0. */
export function newProgress(leaderLastIndex: number): Progress {
  return { nextIndex: leaderLastIndex + 1, matchIndex: 0, roundAcked: 0, recentActive: true, probeIndex: null };
}

/** The follower lacks entries the leader has compacted: only a snapshot can catch it up (§7). */
export function needsSnapshot(progress: Progress, snapshotIndex: number): boolean {
  return progress.nextIndex <= snapshotIndex;
}

/** Entries sent optimistically and not acknowledged yet. */
export function inflightEntries(progress: Progress): number {
  return Math.max(0, progress.nextIndex - 1 - progress.matchIndex);
}

/**
 * How many entries the next append may carry: at most maxEntriesPerAppend, and at most
 * maxInflightAppends full batches unacknowledged at once (pipelining). 0: the pipeline is full.
 */
export function appendBatchLimit(progress: Progress, params: Pick<RaftParams, 'maxEntriesPerAppend' | 'maxInflightAppends'>): number {
  const { maxEntriesPerAppend, maxInflightAppends } = params;
  const room = maxEntriesPerAppend * maxInflightAppends - (progress.nextIndex - 1 - progress.matchIndex);
  return room > 0 ? Math.min(maxEntriesPerAppend, room) : 0;
}

/**
 * An append of `entries` after `prevLogIndex` left: nextIndex moves past it (optimistically; a
 * rejection moves it back). Returns how many more entries the pipelining loop may count as
 * sent: 0 while probing, since a probe goes one append at a time.
 */
export function appendSent(progress: Progress, prevLogIndex: number, entries: number): number {
  progress.nextIndex = prevLogIndex + entries + 1;
  if (progress.probeIndex !== null) {
    progress.probeIndex = prevLogIndex;
    return 0;
  }
  return entries;
}

/** An InstallSnapshot left: the follower will next need what follows the snapshot. */
export function snapshotSent(progress: Progress, snapshotIndex: number): void {
  progress.nextIndex = snapshotIndex + 1;
}

/** Any answer of this term: the follower is alive (check quorum) and saw heartbeat round `round` (read-index). */
export function heardFrom(progress: Progress, round: number): void {
  progress.recentActive = true;
  progress.roundAcked = Math.max(progress.roundAcked, round);
}

/** The follower's log matches the leader's up to `matchIndex`: a success ends any probe. */
export function matched(progress: Progress, matchIndex: number): void {
  progress.matchIndex = Math.max(progress.matchIndex, matchIndex);
  progress.nextIndex = Math.max(progress.nextIndex, progress.matchIndex + 1);
  progress.probeIndex = null;
}

/** A rejection of an append sent before the latest probe (or of what is already matched): that probe's answer decides. */
export function isStaleRejection(progress: Progress, rejectedIndex: number): boolean {
  return rejectedIndex <= progress.matchIndex || (progress.probeIndex !== null && rejectedIndex !== progress.probeIndex);
}

/**
 * Fast back-off (end of §5.3): skip the follower's whole conflicting term when the leader has
 * entries of it (to just after its last one), else to the follower's log end; never below
 * what is matched, never above the rejected append. Then probe from there.
 */
export function backOff(progress: Progress, reply: AppendEntriesReply, log: Pick<RaftLog, 'lastIndexOfTerm'>): void {
  const lastOfTerm = reply.conflictTerm === null ? 0 : log.lastIndexOfTerm(reply.conflictTerm);
  const hinted = lastOfTerm > 0 ? lastOfTerm + 1 : reply.conflictIndex;
  progress.nextIndex = Math.max(progress.matchIndex + 1, Math.min(hinted, reply.rejectedIndex, progress.nextIndex));
  progress.probeIndex = progress.nextIndex - 1;
}
