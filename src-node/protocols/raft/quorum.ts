// Majority arithmetic of Raft (Figure 2; dissertation §4.1 for configurations that change):
// every decision that needs "a majority of the voters" — winning an election, committing an
// entry, confirming a read-index round, check quorum — counts over the configuration in force
// through these functions, so there is one definition of a majority. Pure.

import type { NodeId } from '../../contract/clock.ts';

/** How many of `voters` make a majority. */
export function quorumSize(voters: readonly NodeId[]): number {
  return Math.floor(voters.length / 2) + 1;
}

/** A majority of `voters` satisfies `holds`. */
export function hasQuorum(voters: readonly NodeId[], holds: (id: NodeId) => boolean): boolean {
  return voters.filter(holds).length >= quorumSize(voters);
}

/**
 * The highest index that a majority of `voters` has (Figure 2's "a majority of
 * matchIndex[i] ≥ N"): the quorum-th largest of their match indexes, 0 with too few.
 */
export function quorumMatchIndex(voters: readonly NodeId[], matchIndexOf: (id: NodeId) => number): number {
  const matches = voters.map(matchIndexOf).sort((a, b) => b - a);
  return matches[quorumSize(voters) - 1] ?? 0;
}
