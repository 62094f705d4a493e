// The RPCs of Raft (Figure 2, Figure 13, and the dissertation's pre-vote) and the checks that
// a payload from the wire has their shape. Every message carries the sender's term.

import type { Entry, Snapshot } from './log.ts';

export const MESSAGE = Object.freeze({
  preVote: 'pre-vote',
  preVoteReply: 'pre-vote-reply',
  requestVote: 'request-vote',
  requestVoteReply: 'request-vote-reply',
  appendEntries: 'append-entries',
  appendEntriesReply: 'append-entries-reply',
  installSnapshot: 'install-snapshot',
  installSnapshotReply: 'install-snapshot-reply',
} as const);

/** RequestVote and PreVote. For a pre-vote, `term` is the term the sender would campaign in (its term + 1). */
export interface VoteRequest {
  term: number;
  lastLogIndex: number;
  lastLogTerm: number;
}

/** For a granted pre-vote, `term` echoes the request's term; otherwise it is the voter's currentTerm. */
export interface VoteReply {
  term: number;
  voteGranted: boolean;
}

export interface AppendEntriesRequest {
  term: number;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
  /** The leader's heartbeat round, echoed by the reply: it confirms leadership for read-index reads. */
  round: number;
}

export interface AppendEntriesReply {
  term: number;
  success: boolean;
  /** On success: the last index this request made sure matches the leader's log. */
  matchIndex: number;
  /** The prevLogIndex that was rejected, to clamp the back-off. */
  rejectedIndex: number;
  /** Fast back-off hints (§5.3, "the follower can include the term of the conflicting entry and the first index it stores for that term"). */
  conflictIndex: number;
  conflictTerm: number | null;
  round: number;
}

export interface InstallSnapshotRequest {
  term: number;
  snapshot: Snapshot;
  round: number;
}

export interface InstallSnapshotReply {
  term: number;
  /** The follower's log now matches the leader's up to here. */
  matchIndex: number;
  round: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const counts = (record: Record<string, unknown>, ...fields: string[]): boolean => fields.every((field) => isCount(record[field]));

export function isEntry(value: unknown): value is Entry {
  if (!isObject(value) || !counts(value, 'index', 'term')) return false;
  if (value['kind'] === 'noop') return true;
  if (value['kind'] === 'config') return Array.isArray(value['voters']) && value['voters'].every((id) => typeof id === 'string');
  const command = value['command'];
  return value['kind'] === 'command' && isObject(command) && (command['f'] === 'put' || command['f'] === 'cas') && typeof command['key'] === 'string';
}

export function isVoteRequest(value: unknown): value is VoteRequest {
  return isObject(value) && counts(value, 'term', 'lastLogIndex', 'lastLogTerm');
}

export function isVoteReply(value: unknown): value is VoteReply {
  return isObject(value) && counts(value, 'term') && typeof value['voteGranted'] === 'boolean';
}

export function isAppendEntriesRequest(value: unknown): value is AppendEntriesRequest {
  return isObject(value) && counts(value, 'term', 'prevLogIndex', 'prevLogTerm', 'leaderCommit', 'round')
    && Array.isArray(value['entries']) && value['entries'].every(isEntry)
    && value['entries'].every((entry, offset) => entry.index === (value['prevLogIndex'] as number) + offset + 1);
}

export function isAppendEntriesReply(value: unknown): value is AppendEntriesReply {
  return isObject(value) && counts(value, 'term', 'matchIndex', 'rejectedIndex', 'conflictIndex', 'round')
    && typeof value['success'] === 'boolean' && (value['conflictTerm'] === null || isCount(value['conflictTerm']));
}

export function isSnapshot(value: unknown): value is Snapshot {
  return isObject(value) && counts(value, 'index', 'term') && Array.isArray(value['voters'])
    && isObject(value['machine']) && isObject(value['machine']['data']) && isObject(value['machine']['sessions']);
}

export function isInstallSnapshotRequest(value: unknown): value is InstallSnapshotRequest {
  return isObject(value) && counts(value, 'term', 'round') && isSnapshot(value['snapshot']);
}

export function isInstallSnapshotReply(value: unknown): value is InstallSnapshotReply {
  return isObject(value) && counts(value, 'term', 'matchIndex', 'round');
}

/** A message from the wire whose payload has the shape its type promises. */
export type RaftMessage =
  | { type: typeof MESSAGE.preVote; body: VoteRequest }
  | { type: typeof MESSAGE.preVoteReply; body: VoteReply }
  | { type: typeof MESSAGE.requestVote; body: VoteRequest }
  | { type: typeof MESSAGE.requestVoteReply; body: VoteReply }
  | { type: typeof MESSAGE.appendEntries; body: AppendEntriesRequest }
  | { type: typeof MESSAGE.appendEntriesReply; body: AppendEntriesReply }
  | { type: typeof MESSAGE.installSnapshot; body: InstallSnapshotRequest }
  | { type: typeof MESSAGE.installSnapshotReply; body: InstallSnapshotReply };

const GUARDS: Record<string, (value: unknown) => boolean> = {
  [MESSAGE.preVote]: isVoteRequest,
  [MESSAGE.preVoteReply]: isVoteReply,
  [MESSAGE.requestVote]: isVoteRequest,
  [MESSAGE.requestVoteReply]: isVoteReply,
  [MESSAGE.appendEntries]: isAppendEntriesRequest,
  [MESSAGE.appendEntriesReply]: isAppendEntriesReply,
  [MESSAGE.installSnapshot]: isInstallSnapshotRequest,
  [MESSAGE.installSnapshotReply]: isInstallSnapshotReply,
};

/** The message, or null when the type is unknown or the payload malformed. */
export function parseMessage(type: string, payload: unknown): RaftMessage | null {
  const guard = GUARDS[type];
  return guard !== undefined && guard(payload) ? ({ type, body: payload } as RaftMessage) : null;
}
