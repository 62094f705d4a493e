// The model behind the Raft view: one row per node, their logs laid on one shared strip of
// indices so that a column is one log index across the cluster (Raft's Log Matching: same
// index and term, same entry), the current leader's knowledge of each follower (Figure 2's
// matchIndex[] and nextIndex[]) placed on that follower's row, and the election timers.
// Pure: no DOM, no Vue — it runs under Node in the unit tests. It draws conclusions only
// from what the nodes report in their status (CoreStatus.view); it computes no protocol.

import type { NodeId } from '../../src-node/contract/clock.ts';
import { RAFT_VIEW_LOG_TAIL_MAX, type RaftView, type RaftViewFollower } from '../../src-node/contract/core.ts';
import type { ClockFaults } from '../../src-node/contract/faults.ts';
import type { NodeView, ProcessState } from '../../src-node/contract/lab-api.ts';
import { nodeTimeAt } from '../cluster/node-time.ts';

/** One log index on one node's row. */
export interface LogCell {
  index: number;
  /**
   * `snapshot`: compacted into the node's snapshot (Raft §7); `entry`: in its log, with term;
   * `held`: in its log but not in the tail it reported (a rebuilt view knows only committed
   * entries); `empty`: beyond its last index.
   */
  kind: 'snapshot' | 'entry' | 'held' | 'empty';
  term: number | null;
  committed: boolean;
  applied: boolean;
  /** A line for the tooltip. */
  title: string;
}

/** What the current leader believes about this node's log, drawn under its row. */
export interface ReplicationMark extends Omit<RaftViewFollower, 'id'> {
  leader: NodeId;
}

export interface RaftRow {
  id: NodeId;
  state: ProcessState;
  /** The process runs (or the trace is recorded), so its status is current; otherwise it is the last one it sent. */
  current: boolean;
  view: RaftView;
  cells: LogCell[];
  replication: ReplicationMark | null;
}

export interface LogWindow {
  /** The first and last index shown; `columns` cells wide, so last = first + columns − 1. */
  first: number;
  last: number;
  columns: number;
}

export interface RaftBoard {
  window: LogWindow;
  rows: RaftRow[];
  /** Nodes without a Raft view (not started yet, or a recorded trace without notes about them). */
  missing: NodeId[];
  /** The leader of the highest term among the running nodes, if any. */
  leader: NodeId | null;
  /** The highest term any node reports. */
  term: number;
  /** Terms on screen, ascending, for the legend. */
  terms: number[];
  /** True when the views were rebuilt from a recorded trace's notes rather than reported live. */
  rebuilt: boolean;
}

const RUNNING: readonly ProcessState[] = ['up', 'recovering', 'starting'];

/** The Raft view in a node's status, or null (another protocol, or no status yet). */
export function raftViewOf(node: NodeView): RaftView | null {
  const view = node.status?.view;
  return view !== undefined && view.protocol === 'raft' ? view : null;
}

/**
 * The indices shown: the newest `columns` indices of the longest log, starting at 1 while
 * the logs are short, so the strip fills from the left as entries come and then scrolls.
 */
export function logWindow(views: readonly RaftView[], columns = RAFT_VIEW_LOG_TAIL_MAX): LogWindow {
  const last = Math.max(0, ...views.map((view) => view.lastIndex));
  const first = Math.max(1, last - columns + 1);
  return { first, last: first + columns - 1, columns };
}

function cellsOf(view: RaftView, window: LogWindow): LogCell[] {
  const entries = new Map(view.logTail.map((entry) => [entry.index, entry]));
  const cells: LogCell[] = [];
  for (let index = window.first; index <= window.last; index += 1) {
    const committed = index <= view.commitIndex;
    const applied = index <= view.appliedIndex;
    const state = committed ? (applied ? 'committed, applied' : 'committed, not applied yet') : 'not committed';
    const entry = entries.get(index);
    if (index <= view.snapshot.index) {
      cells.push({ index, kind: 'snapshot', term: null, committed, applied, title: `${index}: in the snapshot (up to ${view.snapshot.index}, term ${view.snapshot.term})` });
    } else if (entry !== undefined) {
      cells.push({ index, kind: 'entry', term: entry.term, committed, applied, title: `${index} · term ${entry.term} · ${entry.summary} · ${state}` });
    } else if (index <= view.lastIndex) {
      cells.push({ index, kind: 'held', term: null, committed, applied, title: `${index}: in the log · ${state}` });
    } else {
      cells.push({ index, kind: 'empty', term: null, committed: false, applied: false, title: `${index}: not in this log` });
    }
  }
  return cells;
}

/** The running leader with the highest term: its progress is the one that moves the cluster. */
function currentLeader(rows: readonly { id: NodeId; current: boolean; view: RaftView }[]): { id: NodeId; view: RaftView } | null {
  let best: { id: NodeId; view: RaftView } | null = null;
  for (const row of rows) {
    if (!row.current || row.view.role !== 'leader') continue;
    if (best === null || row.view.term > best.view.term) best = row;
  }
  return best;
}

/**
 * The board for `nodes`. `recorded`: the nodes are a recorded trace's, whose processes are
 * all gone; each view is then the node's last recorded state, and counts as current.
 */
export function buildRaftBoard(nodes: readonly NodeView[], options: { columns?: number; recorded?: boolean } = {}): RaftBoard {
  const columns = options.columns ?? RAFT_VIEW_LOG_TAIL_MAX;
  const known: { id: NodeId; state: ProcessState; current: boolean; view: RaftView }[] = [];
  const missing: NodeId[] = [];
  for (const node of nodes) {
    const view = raftViewOf(node);
    if (view === null) missing.push(node.id);
    else known.push({ id: node.id, state: node.state, current: options.recorded === true || RUNNING.includes(node.state), view });
  }
  const window = logWindow(known.map((row) => row.view), columns);
  const leader = currentLeader(known);
  const progress = new Map((leader?.view.followers ?? []).map((follower) => [follower.id, follower]));
  const rows: RaftRow[] = known.map((row) => {
    const follower = progress.get(row.id);
    return {
      ...row,
      cells: cellsOf(row.view, window),
      replication: leader === null || follower === undefined ? null : replicationMark(leader.id, follower),
    };
  });
  const terms = new Set<number>();
  for (const row of rows) {
    terms.add(row.view.term);
    for (const cell of row.cells) if (cell.term !== null) terms.add(cell.term);
  }
  return {
    window,
    rows,
    missing,
    leader: leader?.id ?? null,
    term: Math.max(0, ...rows.map((row) => row.view.term)),
    terms: [...terms].sort((a, b) => a - b),
    rebuilt: rows.some((row) => row.view.source === 'trace'),
  };
}

function replicationMark(leader: NodeId, follower: RaftViewFollower): ReplicationMark {
  const { matchIndex, nextIndex, inflight, needsSnapshot, responsive } = follower;
  return { leader, matchIndex, nextIndex, inflight, needsSnapshot, responsive };
}

/**
 * Where a boundary after `index` falls on the strip, as a fraction of its width: 0 is the
 * left edge (before `first`), 1 the right edge. Indices outside the window clamp to an edge.
 */
export function boundaryFraction(window: LogWindow, index: number): number {
  return Math.min(1, Math.max(0, (index - window.first + 1) / window.columns));
}

/**
 * How much of a node's election timeout is left when the lab took the snapshot. The core
 * said what was left at its last input and when that was on its own clock; the node's clock
 * runs at labTime × (1 + drift) + skew (faults.ts), so its time at the snapshot is known up
 * to how the lab anchored a drift change. Clamped to [0, timeout]: a timer cannot have more
 * left than it was set for, and a node that is overdue is about to campaign.
 */
export function electionRemainingMs(options: {
  election: NonNullable<RaftView['election']>;
  clock: ClockFaults;
  labTimeMs: number;
}): number {
  const { election } = options;
  return Math.min(election.timeoutMs, Math.max(0, election.remainingMs - electionElapsedMs(options)));
}

/** How long past its end the timer is at the snapshot (0 while it runs): how late the node's status is, if it did not campaign. */
export function electionOverdueMs(options: Parameters<typeof electionRemainingMs>[0]): number {
  return Math.max(0, electionElapsedMs(options) - options.election.remainingMs);
}

function electionElapsedMs(options: Parameters<typeof electionRemainingMs>[0]): number {
  const { election, clock, labTimeMs } = options;
  return Math.max(0, nodeTimeAt(clock, labTimeMs) - election.atNodeMs);
}

/**
 * How long a drained timer may read "due" before the bar admits it does not know. A node
 * whose timer really ran out campaigns at once, and its next status (a candidate) follows
 * within a status interval; a bar that stays empty longer means the statuses are late (an
 * overloaded machine reports less often), not that the node is about to campaign — its
 * heartbeats have most likely re-armed the timer since.
 */
export const ELECTION_DUE_GRACE_MS = 250;

export interface ElectionTimerReading {
  text: string;
  tone: 'calm' | 'warn' | 'alarm' | 'unknown';
}

/** What the election timer bar says, given what is left now and how long it has read zero. */
export function electionTimerReading(options: { leftMs: number; timeoutMs: number; dueForMs: number }): ElectionTimerReading {
  const { leftMs, timeoutMs, dueForMs } = options;
  if (leftMs > 0) {
    const share = timeoutMs > 0 ? Math.min(1, leftMs / timeoutMs) : 0;
    return { text: `${Math.round(leftMs)} ms`, tone: share > 0.5 ? 'calm' : share > 0.2 ? 'warn' : 'alarm' };
  }
  if (dueForMs <= ELECTION_DUE_GRACE_MS) return { text: 'due', tone: 'alarm' };
  return { text: `late ${Math.round(dueForMs / 100) / 10} s`, tone: 'unknown' };
}

/** A role as the badge says it. */
export const ROLE_WORDS: Readonly<Record<RaftView['role'], string>> = {
  leader: 'leader',
  candidate: 'candidate',
  'pre-candidate': 'pre-candidate',
  follower: 'follower',
};
