// What the UI's commit view (the 2PC panel) draws of a 3PC node: the 2PC view, built by the
// 2PC view's own functions, with 3PC's extra state — a participant's `pre-committed`
// transactions and the coordinator's `pre-committing` ones (views.ts, TwoPhaseCommitView).
// A 3PC participant blocks only after a restart (it may not decide alone then): that is what
// its `blocked` shows. Pure and bounded like the 2PC view.

import type { NodeId } from '../../contract/clock.ts';
import type { TwoPhaseCommitView } from '../../contract/core.ts';
import { coordinatorView, participantView, type CoordinatorRecord, type Doubt, type ParticipantTx } from '../two-phase-commit/view.ts';
import type { ParticipantRecord, ParticipantState } from './core.ts';

/** One transaction the coordinator ran, for the view; the sets are the running transaction's own. */
export interface CoordinatorLogEntry {
  tx: string;
  participants: NodeId[];
  transfer: { from: string; to: string; amount: number } | null;
  votes: Map<NodeId, boolean>;
  phase: 'votes' | 'pre-commit' | 'commit';
  decision: 'commit' | 'abort' | null;
  /** Participants that acknowledged the pre-commit. */
  acks: Set<NodeId>;
  /** Participants that have answered the commit: have-committed (or, after a partition, that they aborted it). */
  committed: Set<NodeId>;
  why: string | null;
}

export function threePhaseCoordinatorView(state: {
  self: NodeId; nowMs: number; log: ReadonlyMap<string, CoordinatorLogEntry>; counter: number; decisions: readonly string[];
}): TwoPhaseCommitView {
  const records = new Map<string, CoordinatorRecord>();
  for (const [tx, entry] of state.log) {
    // The 2PC log's acks are acknowledged commits: 3PC's have-committed.
    records.set(tx, { tx, participants: entry.participants, transfer: entry.transfer, votes: entry.votes, decision: entry.decision, durable: entry.phase !== 'votes' && entry.decision !== 'abort', acks: entry.committed, why: entry.why });
  }
  const view = coordinatorView({ self: state.self, nowMs: state.nowMs, records, counter: state.counter, decisions: state.decisions });
  const log = view.log.map((line) => (state.log.get(line.tx)?.phase === 'pre-commit' && line.decision === null ? { ...line, state: 'pre-committing' as const } : line));
  return { ...view, protocol: '3pc', log };
}

export function threePhaseParticipantView(state: {
  self: NodeId; coordinator: NodeId; nowMs: number; amounts: boolean;
  balances: ReadonlyMap<string, number>; locks: ReadonlyMap<string, string>;
  transactions: ReadonlyMap<string, ParticipantRecord>;
  terminations: ReadonlyMap<string, { blockedSinceMs: number | null; roundStartedAtMs: number; answers: ReadonlyMap<NodeId, ParticipantState> }>;
}): TwoPhaseCommitView {
  const transactions = new Map<string, ParticipantTx>();
  for (const [tx, record] of state.transactions) {
    const state = record.state === 'committed' || record.state === 'aborted' ? record.state : 'prepared';
    transactions.set(tx, { state, changes: record.changes, coordinator: record.coordinator, participants: record.participants, preparedAtMs: record.votedAtMs, learnedFrom: record.learnedFrom });
  }
  const doubts = new Map<string, Doubt>();
  for (const [tx, termination] of state.terminations) {
    const peers = new Map([...termination.answers].filter(([, answer]) => answer === 'uncertain' || answer === 'pre-committed').map(([node]) => [node, 'prepared too' as const]));
    doubts.set(tx, { askedAtMs: termination.roundStartedAtMs, coordinatorAnswered: false, blockedSinceMs: termination.blockedSinceMs, peers });
  }
  const view = participantView({ self: state.self, coordinator: state.coordinator, nowMs: state.nowMs, amounts: state.amounts, balances: state.balances, locks: state.locks, transactions, doubts });
  const listed = view.transactions.map((tx) => (tx.state === 'prepared' && state.transactions.get(tx.tx)?.state === 'pre-committed' ? { ...tx, state: 'pre-committed' as const } : tx));
  return { ...view, protocol: '3pc', transactions: listed };
}
