// The model behind the 2PC view: the coordinator's log (each transaction's votes, decision,
// whether the commit record is on disk, acknowledgements) and one card per participant — its
// state (working, prepared, blocked), its accounts with their locks, its transactions — and,
// across the top, who waits on whom and why: every blocked participant, the coordinator it
// waits on and whether that one is even running, and what the peers it asked answered.
// Pure: no DOM, no Vue — it runs under Node in the unit tests. It draws conclusions only from
// what the nodes report (CoreStatus.view); it computes no protocol.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { TwoPhaseCommitView, TwoPhaseCommitViewLogRecord, TwoPhaseCommitViewTx } from '../../src-node/contract/core.ts';
import type { NodeView, ProcessState } from '../../src-node/contract/lab-api.ts';
import { nodeTimeAt } from '../cluster/node-time.ts';

export interface TransactionCard {
  tx: string;
  state: TwoPhaseCommitViewTx['state'];
  /** What it does here: `a3 −10 · a5 +10`. */
  changes: string;
  /** One line: `blocked 2.4 s on n1 (down)`, `prepared 120 ms`, `committed (told by n1)`. */
  label: string;
  /** For a blocked one: why, and what each peer it asked answered. */
  why: string | null;
}

export interface ParticipantCard {
  id: NodeId;
  state: ProcessState;
  /** The process runs, so its status is current; otherwise it is the last one it sent. */
  current: boolean;
  phase: TwoPhaseCommitView['state'];
  accounts: { account: string; balance: number; lockedBy: string | null }[];
  /** The sum of its committed balances. */
  total: number;
  transactions: TransactionCard[];
}

export interface LogLine {
  tx: string;
  transfer: string;
  participants: NodeId[];
  votes: { node: NodeId; vote: 'yes' | 'no' | 'waiting' }[];
  state: TwoPhaseCommitViewLogRecord['state'];
  /** `commit record on disk`, `no record (presumed abort)`, `—` while the vote is open. */
  durability: string;
  acks: string;
  why: string | null;
}

/** One edge of the waits-for picture: `participant` cannot finish `tx` without `on`. */
export interface Wait {
  participant: NodeId;
  tx: string;
  on: NodeId;
  /** The process state of the node it waits on: a blocked participant waiting on a down coordinator is the classic case. */
  onState: ProcessState | 'unknown';
  forMs: number;
  /** Peers asked, and what they said. */
  peers: string;
}

export interface TwoPhaseCommitBoard {
  /** Which commit protocol the nodes run (null before any status): the panel's title and words follow it. */
  protocol: '2pc' | '3pc' | null;
  coordinator: { id: NodeId; state: ProcessState; current: boolean; log: LogLine[]; counter: number; commitRecords: string[] } | null;
  participants: ParticipantCard[];
  waits: Wait[];
  /** The money the participants hold, summed over the cards (current or last reported). */
  total: number;
  headline: string;
  /** Nodes that sent no 2PC status yet. */
  missing: NodeId[];
}

/**
 * `labTimeMs`: the snapshot's moment. A node's status says how long it has been blocked as of
 * when the status was taken; at the snapshot it has been blocked that much longer, if it still
 * is — and in a recorded trace a node's last status stays its status to the end.
 */
export function buildTwoPhaseCommitBoard(nodes: readonly NodeView[], labTimeMs?: number): TwoPhaseCommitBoard {
  const states = new Map(nodes.map((node) => [node.id, node.state]));
  // A 3PC node sends the same view, with its extra states (pre-committed, pre-committing).
  const commitView = (node: NodeView): TwoPhaseCommitView | null => {
    const view = node.status?.view;
    return view?.protocol === '2pc' || view?.protocol === '3pc' ? view : null;
  };
  const views = nodes.flatMap((node) => { const view = commitView(node); return view === null ? [] : [{ node, view }]; });
  const missing = nodes.filter((node) => commitView(node) === null).map((node) => node.id);
  const coordinatorEntry = views.find((entry) => entry.view.state === 'coordinating');
  const coordinator = coordinatorEntry === undefined ? null : {
    id: coordinatorEntry.node.id, state: coordinatorEntry.node.state, current: running(coordinatorEntry.node.state),
    log: coordinatorEntry.view.log.map(logLine),
    counter: coordinatorEntry.view.durableLog?.counter ?? 0, commitRecords: coordinatorEntry.view.durableLog?.commitRecords ?? [],
  };
  const nowOf = (node: NodeView, view: TwoPhaseCommitView): number => (labTimeMs === undefined ? view.nowMs : Math.max(view.nowMs, nodeTimeAt(node.clock, labTimeMs)));
  const participants = views.filter((entry) => entry.view.state !== 'coordinating').map(({ node, view }) => participantCard(node, view, nowOf(node, view), states));
  const waits = views.filter((entry) => entry.view.state !== 'coordinating').flatMap(({ node, view }) => waitsOf(node.id, view, nowOf(node, view), states));
  const total = participants.reduce((sum, card) => sum + card.total, 0);
  const protocol = views[0]?.view.protocol ?? null;
  return { protocol, coordinator, participants, waits, total, headline: headline(coordinator, participants, waits), missing };
}

function running(state: ProcessState): boolean {
  return state === 'up' || state === 'recovering';
}

function participantCard(node: NodeView, view: TwoPhaseCommitView, nowMs: number, states: ReadonlyMap<NodeId, ProcessState>): ParticipantCard {
  return {
    id: node.id, state: node.state, current: running(node.state), phase: view.state,
    accounts: view.accounts.map((account) => ({ ...account })),
    total: view.accounts.reduce((sum, account) => sum + account.balance, 0),
    transactions: view.transactions.map((tx) => transactionCard(tx, nowMs, states)),
  };
}

function transactionCard(tx: TwoPhaseCommitViewTx, nowMs: number, states: ReadonlyMap<NodeId, ProcessState>): TransactionCard {
  const changes = Object.entries(tx.changes).map(([account, amount]) => `${account} ${amount >= 0 ? '+' : '−'}${Math.abs(amount)}`).join(' · ') || '—';
  switch (tx.state) {
    case 'blocked': {
      const blocked = tx.blocked!;
      const onState = states.get(blocked.waitingOn);
      return {
        tx: tx.tx, state: tx.state, changes,
        label: `blocked ${duration(nowMs - blocked.sinceMs)} on ${blocked.waitingOn}${onState !== undefined && onState !== 'up' ? ` (${onState})` : ''}`,
        why: `${blocked.reason}${blocked.peers.length > 0 ? `; asked ${peersText(blocked.peers)}` : ''}`,
      };
    }
    case 'prepared':
      return { tx: tx.tx, state: tx.state, changes, label: `voted yes ${duration(nowMs - (tx.preparedAtMs ?? nowMs))} ago, waiting for ${tx.coordinator}`, why: null };
    case 'pre-committed':
      return { tx: tx.tx, state: tx.state, changes, label: `pre-committed, waiting for ${tx.coordinator}'s do-commit`, why: 'every participant voted yes: if the coordinator goes silent, this one commits' };
    default:
      return { tx: tx.tx, state: tx.state, changes, label: `${tx.state}${tx.learnedFrom !== null ? ` (told by ${tx.learnedFrom})` : ''}`, why: null };
  }
}

function waitsOf(participant: NodeId, view: TwoPhaseCommitView, nowMs: number, states: ReadonlyMap<NodeId, ProcessState>): Wait[] {
  return view.transactions.filter((tx) => tx.state === 'blocked' && tx.blocked !== null).map((tx) => ({
    participant, tx: tx.tx, on: tx.blocked!.waitingOn, onState: states.get(tx.blocked!.waitingOn) ?? 'unknown',
    forMs: Math.max(0, nowMs - tx.blocked!.sinceMs), peers: tx.blocked!.peers.length === 0 ? 'no other participant' : peersText(tx.blocked!.peers),
  }));
}

function peersText(peers: readonly { node: NodeId; answer: string }[]): string {
  return peers.map((peer) => `${peer.node}: ${peer.answer}`).join(', ');
}

function logLine(record: TwoPhaseCommitViewLogRecord): LogLine {
  const durability = record.decision === null ? '—' : record.durable ? 'commit record on disk' : record.decision === 'abort' ? 'no record (presumed abort)' : 'not on disk';
  return {
    tx: record.tx,
    transfer: record.transfer === null ? 'from the log after a restart' : `${record.transfer.from} → ${record.transfer.to}: ${record.transfer.amount}`,
    participants: [...record.participants], votes: record.votes.map((vote) => ({ ...vote })), state: record.state, durability,
    acks: record.decision !== 'commit' ? '' : `${record.acks.length}/${record.participants.length} acknowledged`,
    why: record.why,
  };
}

function headline(coordinator: TwoPhaseCommitBoard['coordinator'], participants: readonly ParticipantCard[], waits: readonly Wait[]): string {
  if (coordinator === null && participants.length === 0) return '';
  if (waits.length > 0) {
    const blocked = new Set(waits.map((wait) => wait.participant));
    const on = [...new Set(waits.map((wait) => wait.on))];
    return `${blocked.size} participant${blocked.size === 1 ? '' : 's'} blocked on ${on.join(', ')}`;
  }
  const open = coordinator?.log.filter((line) => line.state === 'collecting votes').length ?? 0;
  const prepared = participants.filter((card) => card.phase === 'prepared').length;
  if (coordinator !== null && !coordinator.current) return `coordinator ${coordinator.id} is ${coordinator.state}`;
  return `${open} collecting votes · ${prepared} participant${prepared === 1 ? '' : 's'} prepared`;
}

/** `120 ms`, `2.4 s`. */
export function duration(ms: number): string {
  const value = Math.max(0, ms);
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/**
 * A participant's phase as the protocol's own literature says it: a 3PC participant that voted
 * yes and has no pre-commit yet is "uncertain" (Skeen), where 2PC calls it "prepared".
 */
export function phaseWord(phase: ParticipantCard['phase'], protocol: TwoPhaseCommitBoard['protocol']): string {
  return protocol === '3pc' && phase === 'prepared' ? 'uncertain' : phase;
}
