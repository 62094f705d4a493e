// What the UI's 2PC view draws of one node (src-node/contract/core.ts, TwoPhaseCommitView),
// built from the core's state: a participant's accounts, locks and transactions — prepared,
// blocked (on whom, since when, what its peers said), committed, aborted — and the
// coordinator's log. Pure and bounded: every transaction in doubt, then the newest finished.
// Under kv (2PC replicating a key-value map) the view has no accounts, and a transaction shows
// its state, its participants and whom it waits on, but not the values it writes: the view's
// `changes` are amounts of money.

import type { NodeId } from '../../contract/clock.ts';
import {
  TWO_PHASE_COMMIT_VIEW_LOG_MAX, TWO_PHASE_COMMIT_VIEW_TRANSACTIONS_MAX,
  type TwoPhaseCommitView, type TwoPhaseCommitViewLogRecord, type TwoPhaseCommitViewTx,
} from '../../contract/core.ts';

/** A participant's record of a transaction (persisted once it votes yes). */
export interface ParticipantTx {
  state: 'prepared' | 'committed' | 'aborted';
  /** bank: amounts added to accounts (integers); kv: values written to keys. */
  changes: Record<string, unknown>;
  coordinator: NodeId;
  participants: NodeId[];
  /** When it voted yes, on its own clock; null for a transaction it never prepared (aborted on a peer's question). */
  preparedAtMs: number | null;
  learnedFrom?: NodeId | null;
}

/** A prepared participant's questions about one transaction (volatile). */
export interface Doubt {
  /** When it last asked the coordinator; null before the first question. */
  askedAtMs: number | null;
  /** The coordinator answered the latest question (with `pending`: the vote is still open). */
  coordinatorAnswered: boolean;
  /** Blocked since (node clock): a question to the coordinator went unanswered for a whole interval. */
  blockedSinceMs: number | null;
  /** Peers that answered "prepared too": they cannot help. */
  peers: Map<NodeId, 'prepared too'>;
}

/** One transaction the coordinator ran, as it remembers it for the view. */
export interface CoordinatorRecord {
  tx: string;
  participants: NodeId[];
  transfer: { from: string; to: string; amount: number } | null;
  votes: Map<NodeId, boolean>;
  decision: 'commit' | 'abort' | null;
  durable: boolean;
  acks: Set<NodeId>;
  why: string | null;
}

export function participantView(state: {
  self: NodeId; coordinator: NodeId; nowMs: number;
  /** The transactions' changes are amounts (bank), not written values (kv). */
  amounts: boolean;
  balances: ReadonlyMap<string, number>; locks: ReadonlyMap<string, string>;
  transactions: ReadonlyMap<string, ParticipantTx>; doubts: ReadonlyMap<string, Doubt>;
}): TwoPhaseCommitView {
  const all = [...state.transactions].filter(([, record]) => record.preparedAtMs !== null);
  const open = all.filter(([, record]) => record.state === 'prepared');
  const finished = all.filter(([, record]) => record.state !== 'prepared').slice(-Math.max(0, TWO_PHASE_COMMIT_VIEW_TRANSACTIONS_MAX - open.length)).reverse();
  const transactions = [...open, ...finished].map(([tx, record]) => participantTx(state.self, tx, record, state.doubts.get(tx), state.amounts));
  const accounts = [...state.balances.keys()].sort(byAccount).map((account) => ({ account, balance: state.balances.get(account) ?? 0, lockedBy: state.locks.get(account) ?? null }));
  const blocked = transactions.some((tx) => tx.state === 'blocked');
  return {
    protocol: '2pc', source: 'live', self: state.self, coordinator: state.coordinator, nowMs: state.nowMs,
    state: blocked ? 'blocked' : open.length > 0 ? 'prepared' : 'working',
    accounts, transactions, log: [], durableLog: null,
  };
}

function participantTx(self: NodeId, tx: string, record: ParticipantTx, doubt: Doubt | undefined, amounts: boolean): TwoPhaseCommitViewTx {
  const blockedSinceMs = record.state === 'prepared' ? doubt?.blockedSinceMs ?? null : null;
  const peers = record.participants.filter((node) => node !== self).map((node) => ({ node, answer: doubt?.peers.get(node) ?? 'no answer' as const }));
  return {
    tx, state: blockedSinceMs !== null ? 'blocked' : record.state, changes: amounts ? { ...record.changes as Record<string, number> } : {}, participants: [...record.participants],
    coordinator: record.coordinator, preparedAtMs: record.preparedAtMs, learnedFrom: record.learnedFrom ?? null,
    blocked: blockedSinceMs === null ? null : {
      sinceMs: blockedSinceMs, waitingOn: record.coordinator, peers,
      reason: `voted yes: may not decide alone, and ${record.coordinator} has not answered`,
    },
  };
}

export function coordinatorView(state: {
  self: NodeId; nowMs: number; records: ReadonlyMap<string, CoordinatorRecord>; counter: number; decisions: readonly string[];
}): TwoPhaseCommitView {
  const all = [...state.records.values()].map(logRecord);
  const open = all.filter((record) => record.state === 'collecting votes' || record.state === 'committing');
  const finished = all.filter((record) => !open.includes(record)).slice(-Math.max(0, TWO_PHASE_COMMIT_VIEW_LOG_MAX - open.length)).reverse();
  return {
    protocol: '2pc', source: 'live', self: state.self, coordinator: state.self, nowMs: state.nowMs, state: 'coordinating',
    accounts: [], transactions: [], log: [...open.slice(0, TWO_PHASE_COMMIT_VIEW_LOG_MAX), ...finished],
    durableLog: { counter: state.counter, commitRecords: [...state.decisions].sort(byAccount) },
  };
}

function logRecord(record: CoordinatorRecord): TwoPhaseCommitViewLogRecord {
  const votes = record.participants.map((node) => {
    const vote = record.votes.get(node);
    return { node, vote: vote === undefined ? 'waiting' as const : vote ? 'yes' as const : 'no' as const };
  });
  const acked = record.participants.every((node) => record.acks.has(node));
  const state = record.decision === null ? 'collecting votes' : record.decision === 'abort' ? 'aborted' : acked ? 'committed' : 'committing';
  return {
    tx: record.tx, participants: [...record.participants], transfer: record.transfer === null ? null : { ...record.transfer },
    votes, decision: record.decision, durable: record.durable, acks: record.participants.filter((node) => record.acks.has(node)), state, why: record.why,
  };
}

/** a2 before a10, t2 before t10. */
function byAccount(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
