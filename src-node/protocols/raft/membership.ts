// Cluster membership changes, one server at a time (Ongaro's dissertation §4.1): a
// configuration is a log entry like any other, and a server uses the latest configuration in
// its log, committed or not; before its first config entry, the one its snapshot recorded.
// A leader accepts a change only when no other is in progress (the previous config entry is
// committed) and an entry of its own term is committed (the fix to the single-server change
// bug, the dissertation's errata / raft-dev 2015). Pure functions of the log; the core applies
// the result.

import type { RaftLog } from './log.ts';

export type MembershipRequest = 'add-server' | 'remove-server';

/** The configuration at `index`: the last config entry at or before it, else the snapshot's. */
export function votersAt(log: RaftLog, snapshotVoters: readonly string[], index: number): string[] {
  let voters = snapshotVoters;
  for (const entry of log.entriesAfter(log.snapshotIndex)) {
    if (entry.index > index) break;
    if (entry.kind === 'config') voters = entry.voters;
  }
  return [...voters];
}

/** §4.1: the latest configuration of the log (committed or not) and the index of its entry (the snapshot's index if none). */
export function latestConfiguration(log: RaftLog, snapshotVoters: readonly string[]): { voters: string[]; index: number } {
  let voters = snapshotVoters;
  let index = log.snapshotIndex;
  for (const entry of log.entriesAfter(log.snapshotIndex)) {
    if (entry.kind === 'config') {
      voters = entry.voters;
      index = entry.index;
    }
  }
  return { voters: [...voters], index };
}

/** What a leader does with a membership request: refuse it, answer it at once, or log the new configuration. */
export type MembershipPlan =
  | { kind: 'refuse'; error: string }
  | { kind: 'unchanged' }
  | { kind: 'propose'; voters: string[] };

/** The leader's side of the refusal rules, in the order the client is told about them. */
export function planMembershipChange(
  request: { f: MembershipRequest; node: unknown },
  leader: { cluster: readonly string[]; voters: readonly string[]; latestConfigIndex: number; commitIndex: number; committedInTerm: boolean },
): MembershipPlan {
  const { f, node } = request;
  if (typeof node !== 'string' || !leader.cluster.includes(node)) {
    return { kind: 'refuse', error: `bad-request: ${f} needs value = one of ${leader.cluster.join(', ')}` };
  }
  if (leader.latestConfigIndex > leader.commitIndex) return { kind: 'refuse', error: 'config-change-in-progress' };
  if (!leader.committedInTerm) return { kind: 'refuse', error: 'not-ready: no entry of this term committed yet' };
  const voters = f === 'add-server' ? [...new Set([...leader.voters, node])] : leader.voters.filter((id) => id !== node);
  if (voters.length === 0) return { kind: 'refuse', error: 'bad-request: the last voter cannot be removed' };
  if (voters.length === leader.voters.length) return { kind: 'unchanged' };
  return { kind: 'propose', voters };
}
