// The model behind the Paxos views. Single decree (Lamport, "Paxos Made Simple"): one row
// per node with what it promised and accepted as an acceptor, what it learned, and what it
// does as a proposer (phase, ballot, promises and acceptances counted against the majority);
// the headline says whether a value is chosen, and whether any two nodes disagree (they never
// should). Multi-Paxos: one row per node with its role and ballot, and its newest slots laid
// on one shared strip so that a column is one slot across the cluster.
// Pure: no DOM, no Vue — it runs under Node in the unit tests. It reads only what the nodes
// report in their status (CoreStatus.view); it computes no protocol.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { MultiPaxosView, MultiPaxosViewSlot, PaxosView, PaxosViewBallot } from '../../src-node/contract/core.ts';
import type { NodeView, ProcessState } from '../../src-node/contract/lab-api.ts';

export function ballotText(ballot: PaxosViewBallot | null): string {
  return ballot === null ? '—' : `${ballot.round}.${ballot.node}`;
}

/** The Paxos view in a node's status, or null. */
export function paxosViewOf(node: NodeView): PaxosView | null {
  const view = node.status?.view;
  return view !== undefined && view.protocol === 'paxos' ? view : null;
}

export function multiPaxosViewOf(node: NodeView): MultiPaxosView | null {
  const view = node.status?.view;
  return view !== undefined && view.protocol === 'multi-paxos' ? view : null;
}

export interface PaxosRow {
  id: NodeId;
  state: ProcessState;
  /** The last view it reported (kept while it is down: what is on its disk survives). */
  view: PaxosView;
  promised: string;
  accepted: string;
  learned: string | null;
  /** The proposer in words: `idle`, `phase 1 · 1.n2 · 2/3 promises`, `phase 2 · 3.n1 · 1/3 accepted · adopted "c2-1"`, `backing off`. */
  proposer: string;
  /** Its ballot is the highest any node promised: the one that can still win. */
  leadingBallot: boolean;
}

export interface PaxosBoard {
  rows: PaxosRow[];
  /** Every distinct value some node learned (one, or none; two would be a bug). */
  learnedValues: string[];
  learnedBy: NodeId[];
  highestPromised: PaxosViewBallot | null;
  /** Nodes with no Paxos status yet. */
  missing: NodeId[];
  headline: string;
}

function above(a: PaxosViewBallot, b: PaxosViewBallot | null): boolean {
  return b === null || a.round > b.round || (a.round === b.round && a.node > b.node);
}

export function proposerText(view: PaxosView): string {
  const proposer = view.proposer;
  switch (proposer.phase) {
    case 'idle': return view.learned !== null ? 'done' : 'idle';
    case 'backoff': return `backing off (preempted) · then proposes ${proposer.own ?? '?'}`;
    case 'phase-1': return `phase 1 · ${ballotText(proposer.ballot)} · ${proposer.promises}/${proposer.majority} promises`;
    case 'phase-2': {
      const adopted = proposer.adopted ? ` · adopted ${proposer.value ?? '?'} (P2c)` : ` · ${proposer.value ?? '?'}`;
      return `phase 2 · ${ballotText(proposer.ballot)} · ${proposer.accepts}/${proposer.majority} accepted${adopted}`;
    }
  }
}

export function buildPaxosBoard(nodes: readonly NodeView[]): PaxosBoard {
  const rows: PaxosRow[] = [];
  const missing: NodeId[] = [];
  for (const node of nodes) {
    const view = paxosViewOf(node);
    if (view === null) {
      missing.push(node.id);
      continue;
    }
    rows.push({
      id: node.id, state: node.state, view,
      promised: ballotText(view.promised),
      accepted: view.accepted === null ? '—' : `${ballotText(view.accepted.ballot)} = ${view.accepted.value}`,
      learned: view.learned,
      proposer: proposerText(view),
      leadingBallot: false,
    });
  }
  let highestPromised: PaxosViewBallot | null = null;
  for (const row of rows) if (row.view.promised !== null && above(row.view.promised, highestPromised)) highestPromised = row.view.promised;
  for (const row of rows) {
    const ballot = row.view.proposer.ballot;
    row.leadingBallot = ballot !== null && highestPromised !== null && ballot.round === highestPromised.round && ballot.node === highestPromised.node;
  }
  const learnedRows = rows.filter((row) => row.learned !== null);
  const learnedValues = [...new Set(learnedRows.map((row) => row.learned!))];
  const learnedBy = learnedRows.map((row) => row.id);
  let headline: string;
  if (rows.length === 0) headline = '';
  else if (learnedValues.length > 1) headline = `disagreement: ${learnedValues.join(' vs ')} learned — a safety bug`;
  else if (learnedValues.length === 1) headline = `${learnedValues[0]} chosen · learned by ${learnedBy.length} of ${rows.length}`;
  else {
    const proposing = rows.filter((row) => row.view.proposer.phase !== 'idle').length;
    headline = `nothing chosen yet · ${proposing} proposer(s) at work · highest ballot ${ballotText(highestPromised)}`;
  }
  return { rows, learnedValues, learnedBy, highestPromised, missing, headline };
}

export interface MultiPaxosRow {
  id: NodeId;
  state: ProcessState;
  view: MultiPaxosView;
  /** One cell per slot of the shared window; null where the node knows nothing of the slot. */
  cells: (MultiPaxosViewSlot | null)[];
}

export interface MultiPaxosBoard {
  rows: MultiPaxosRow[];
  /** The slots on screen: first … last. */
  first: number;
  last: number;
  leader: NodeId | null;
  ballot: string;
  missing: NodeId[];
}

/**
 * The newest `columns` slots any node knows, one column per slot across all rows. The leader
 * is the running node that says it leads; in a recording (`recorded`) no node runs, so it is
 * the one that last said it leads with the highest ballot (a deposed leader that crashed
 * still believes it leads, with a lower ballot).
 */
export function buildMultiPaxosBoard(nodes: readonly NodeView[], columns = 32, options: { recorded?: boolean } = {}): MultiPaxosBoard {
  const views = nodes.map((node) => ({ node, view: multiPaxosViewOf(node) }));
  const missing = views.filter((entry) => entry.view === null).map((entry) => entry.node.id);
  const present = views.filter((entry): entry is { node: NodeView; view: MultiPaxosView } => entry.view !== null);
  const last = Math.max(0, ...present.map((entry) => entry.view.highestSlot));
  const first = Math.max(1, last - columns + 1);
  const rows = present.map(({ node, view }) => {
    const bySlot = new Map(view.slots.map((slot) => [slot.slot, slot]));
    const cells: (MultiPaxosViewSlot | null)[] = [];
    for (let slot = first; slot <= last; slot += 1) cells.push(bySlot.get(slot) ?? null);
    return { id: node.id, state: node.state, view, cells };
  });
  const leaderRow = rows
    .filter((row) => row.view.role === 'leader' && (options.recorded === true || row.state === 'up'))
    .sort((a, b) => (b.view.ballot?.round ?? 0) - (a.view.ballot?.round ?? 0) || String(b.view.ballot?.node ?? '').localeCompare(String(a.view.ballot?.node ?? '')))[0];
  return { rows, first, last, leader: leaderRow?.id ?? null, ballot: ballotText(leaderRow?.view.ballot ?? null), missing };
}
