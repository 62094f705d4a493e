// Which Raft term each node is in along the trace, so the space-time diagram can color a
// Raft run by term (the book §4: a term is the "epoch" of one leader; elections start new
// ones). Pure: no DOM, no Vue — it runs under Node in the unit tests.
//
// Where a term comes from, in order of trust:
//  1. The node's own state notes. Raft notes `role` on every change of role or term and
//     `recovered` on every start, each with the node's current term, so a node's term is
//     known from its notes alone when the trace window holds them. Notes that carry
//     somebody else's term (`vote-ignored`: the candidate's; `snapshot`,
//     `snapshot-installed`: the snapshot's last entry's) are skipped.
//  2. The term in the payload of a message it sends (Raft §5.1: "every RPC carries the
//     sender's current term"). Traced payloads may be left out when large, and a pre-vote
//     and a granted pre-vote reply carry the term the sender would campaign in, not its own,
//     so they are skipped. Sends matter when the oldest events fell out of the window: the
//     first heartbeat of a steady leader tells its term long before its next note would.
// Both are stamped by the node itself, at the moment it is in that term, which is what
// makes them robust: receives (which carry the other side's term) and the lab's clock do
// not enter into it. An event belongs to the term its node was in when it happened; a
// receive that raises a node's term still belongs to the old one (the note follows it).

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';

/** Notes whose `term` is not the noting node's current term. */
const FOREIGN_TERM_NOTES = new Set(['vote-ignored', 'snapshot', 'snapshot-installed']);
/** Messages whose `term` is not the sender's current term (the campaign's, for pre-vote). */
const FOREIGN_TERM_MESSAGES = new Set(['pre-vote', 'pre-vote-reply']);
/** Terms the legend lists: the newest ones. */
export const LEGEND_TERMS_MAX = 10;

/** From this event on (in trace order) its node is in `term`. */
export interface TermChange {
  term: number;
  eventId: number;
  labTimeMs: number;
  lamport: number;
}

function ownTerm(event: StoredEvent): number | null {
  const detail = event.detail as Record<string, unknown> | undefined;
  if (detail === undefined || detail === null || typeof detail !== 'object') return null;
  if (event.kind === 'state') {
    const name = detail['name'];
    if (typeof name !== 'string' || FOREIGN_TERM_NOTES.has(name)) return null;
    return termValue(detail['term']);
  }
  if (event.kind === 'send' && event.msgType !== undefined && !FOREIGN_TERM_MESSAGES.has(event.msgType)) {
    const payload = detail['payload'];
    return payload !== null && typeof payload === 'object' ? termValue((payload as Record<string, unknown>)['term']) : null;
  }
  return null;
}

function termValue(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

export class TermTimeline {
  /** Per node, where its term changed, in trace (row id) order. */
  readonly changes = new Map<ProcessId, TermChange[]>();
  /** Every term seen, for the legend. */
  readonly terms = new Set<number>();

  /** Takes in one event; events of one node come in trace order. */
  ingest(event: StoredEvent): void {
    const term = ownTerm(event);
    if (term === null) return;
    this.terms.add(term);
    let list = this.changes.get(event.node);
    if (list === undefined) this.changes.set(event.node, (list = []));
    const last = list[list.length - 1];
    if (last !== undefined && last.eventId > event.id) return; // Out of order: the notes after it already say more.
    // A wiped disk restarts a node at term 0, so a term may also go down.
    if (last?.term === term) return;
    list.push({ term, eventId: event.id, labTimeMs: event.labTimeMs, lamport: event.lamport });
  }

  /** The term `event`'s node was in at `event`, or null when the trace has not told yet. */
  termOf(event: StoredEvent): number | null {
    const list = this.changes.get(event.node);
    if (list === undefined) return null;
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (list[middle]!.eventId <= event.id) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? null : list[low - 1]!.term;
  }

  /** The newest terms seen, ascending, at most `max`. */
  legend(max = LEGEND_TERMS_MAX): number[] {
    return [...this.terms].sort((a, b) => a - b).slice(-max);
  }
}
