// Leader election (Raft §5.2, §5.4.1; pre-vote from the dissertation §9.6; the leader lease
// on votes from §4.2.3): the rules a voter applies to a (pre-)vote request, the tally a
// (pre-)candidate keeps, and the randomized election timeout. Pure: the core holds the state
// (term, votedFor, the votes) and passes it in; the role transitions stay in core.ts.

import type { NodeId } from '../../contract/clock.ts';
import type { RaftLog } from './log.ts';
import type { VoteRequest } from './messages.ts';
import type { RaftParams } from './params.ts';
import { hasQuorum, quorumSize } from './quorum.ts';

/** The (pre-)votes a (pre-)candidate has heard, its own included: granted or refused. */
export type Votes = ReadonlyMap<NodeId, boolean>;

/** A majority of the configuration granted its vote. */
export function electionWon(votes: Votes, voters: readonly NodeId[]): boolean {
  return hasQuorum(voters, (id) => votes.get(id) === true);
}

/** A majority of the configuration refused: this election cannot be won. */
export function electionLost(votes: Votes, voters: readonly NodeId[]): boolean {
  const rejections = [...votes].filter(([id, vote]) => !vote && voters.includes(id)).length;
  return rejections >= quorumSize(voters);
}

/** The voters that granted, in the order they answered (the `elected` note lists them). */
export function grantedBy(votes: Votes): NodeId[] {
  return [...votes].filter(([, granted]) => granted).map(([id]) => id);
}

/**
 * Figure 2, RequestVote: "If votedFor is null or candidateId, and candidate's log is at least
 * as up-to-date as receiver's log, grant vote" (§5.4.1 defines up-to-date).
 */
export function grantsVote(voter: { votedFor: NodeId | null; log: RaftLog }, candidate: NodeId, request: VoteRequest): boolean {
  return (voter.votedFor === null || voter.votedFor === candidate) && voter.log.isUpToDate(request.lastLogIndex, request.lastLogTerm);
}

/**
 * Dissertation §9.6: grant a pre-vote if the candidate could win — its proposed term is above
 * ours, its log is up-to-date, and we have no leader we heard from lately. Granting changes
 * nothing here: no term, no votedFor.
 */
export function grantsPreVote(voter: { term: number; log: RaftLog; hasLiveLeader: boolean }, request: VoteRequest): boolean {
  return request.term > voter.term && voter.log.isUpToDate(request.lastLogIndex, request.lastLogTerm) && !voter.hasLiveLeader;
}

/**
 * §5.2: a timeout drawn uniformly from [min, max] ms, so that split votes are rare and
 * resolve quickly. Draws exactly one number from `random`.
 */
export function drawElectionTimeoutMs(params: Pick<RaftParams, 'electionTimeoutMsMin' | 'electionTimeoutMsMax'>, random: () => number): number {
  const { electionTimeoutMsMin: min, electionTimeoutMsMax: max } = params;
  const afterMs = min + Math.floor(random() * (max - min + 1));
  return Math.min(afterMs, max);
}
