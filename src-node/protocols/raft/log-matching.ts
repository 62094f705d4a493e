// The follower's side of AppendEntries (Raft §5.3, Figure 2, receiver rules 1-4): the
// consistency check that keeps the Log Matching property, with the conflict hints of the fast
// back-off (end of §5.3), and the first entry that the follower must write. Pure functions of
// the follower's log; the core truncates, appends and answers.

import type { Entry, RaftLog } from './log.ts';
import type { AppendEntriesRequest } from './messages.ts';

/** The consistency check's verdict: the entries to merge after `prevLogIndex`, or where the logs diverge. */
export type AppendCheck =
  | { matches: true; prevLogIndex: number; entries: readonly Entry[] }
  | { matches: false; conflictIndex: number; conflictTerm: number | null };

/**
 * Figure 2: "Reply false if log doesn't contain an entry at prevLogIndex whose term matches
 * prevLogTerm". A rejection hints where the leader should retry: the first index of the
 * conflicting term, or the end of this log when it is too short.
 */
export function checkAppend(log: RaftLog, request: AppendEntriesRequest): AppendCheck {
  let prevLogIndex = request.prevLogIndex;
  let prevLogTerm = request.prevLogTerm;
  let entries = request.entries;
  if (prevLogIndex < log.snapshotIndex) {
    // The snapshot's prefix is committed, so it matches the leader's log: skip what it covers.
    entries = entries.filter((entry) => entry.index > log.snapshotIndex);
    prevLogIndex = log.snapshotIndex;
    prevLogTerm = log.snapshotTerm;
  }
  if (prevLogIndex > log.lastIndex) return { matches: false, conflictIndex: log.lastIndex + 1, conflictTerm: null };
  const localTerm = log.termAt(prevLogIndex)!;
  if (localTerm !== prevLogTerm) return { matches: false, conflictIndex: log.firstIndexOfTermAt(prevLogIndex), conflictTerm: localTerm };
  return { matches: true, prevLogIndex, entries };
}

/**
 * Figure 2: "If an existing entry conflicts with a new one (same index but different terms)…
 * Append any new entries not already in the log": the offset of the first of `entries` that
 * this log lacks or holds with another term (entries.length if it holds them all).
 */
export function firstNewEntry(log: RaftLog, entries: readonly Entry[]): number {
  const offset = entries.findIndex((entry) => log.termAt(entry.index) !== entry.term);
  return offset < 0 ? entries.length : offset;
}
