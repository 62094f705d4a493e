// Raft's safety properties (Ongaro & Ousterhout 2014, Figure 3), judged from a run's trace
// alone — a real run's StoredEvents or a simulated run's TraceEvents — so that the same
// monitor serves the lab and the simulator, and a violation is shown with the events that
// prove it. It reads the core's state notes (src-node/protocols/raft/core.ts):
//
// * `elected` {term, lastIndex, lastTerm}: election safety — at most one leader per term.
// * `commit` {commitIndex, term, entries: [index, entryTerm, digest][]}: the entries a node
//   committed (and so applied) in that step. State machine safety — no two nodes apply
//   different entries at one index — and log matching on committed entries (one index and
//   term, one entry).
// * leader completeness, where the trace decides it: an entry committed in term Tc must be in
//   the log of every leader of a later term. A new leader's `elected` note says how long its
//   log is; a committed index beyond it is a violation. When the trace keeps message payloads
//   (full traces), a leader's AppendEntries say which entry it holds at an index: a different
//   term at a committed index is a violation, and two different entries at one index in one
//   term break leader append-only / log matching.
//
// The monitor is incremental (`observe` one event at a time, `result` at any point), so the
// simulator can feed it while it runs without keeping the trace.

import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { entryDigest } from '../../src-node/protocols/raft/entries.ts';
import type { Entry } from '../../src-node/protocols/raft/log.ts';

export type RaftInvariant = 'election-safety' | 'log-matching' | 'state-machine-safety' | 'leader-completeness' | 'leader-append-only';

export interface RaftViolation {
  invariant: RaftInvariant;
  summary: string;
  /** The events that prove it: the two conflicting claims, in trace order. */
  events: TraceEvent[];
}

export interface RaftInvariantsResult {
  /** `unknown` when the trace shows no Raft election at all (nothing to judge). */
  verdict: 'valid' | 'invalid' | 'unknown';
  summary: string;
  violations: RaftViolation[];
  stats: { elections: number; committedIndices: number; commitNotes: number; appendsRead: number };
}

/** Violations kept per run; a broken core must not fill memory with copies of one fault. */
export const RAFT_VIOLATIONS_MAX = 50;

const APPEND_ENTRIES = 'append-entries';

interface CommittedEntry {
  term: number;
  digest: string;
  /** The lowest term of any node's commit note for it: it was committed in that term or earlier. */
  committedByTerm: number;
  event: TraceEvent;
}

interface Election {
  node: string;
  term: number;
  lastIndex: number | null;
  event: TraceEvent;
}

interface HeldEntry {
  entryTerm: number;
  digest: string | null;
  event: TraceEvent;
}

function detailOf(event: TraceEvent): Record<string, unknown> | null {
  const detail = event.detail;
  return typeof detail === 'object' && detail !== null && !Array.isArray(detail) ? (detail as Record<string, unknown>) : null;
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

export class RaftInvariantMonitor {
  private readonly leaders = new Map<number, Election>();
  private readonly elections: Election[] = [];
  private readonly committed = new Map<number, CommittedEntry>();
  /** What a leader's AppendEntries said it holds: index → leader's term → the entry (one leader per term, else election safety fails). */
  private readonly held = new Map<number, Map<number, HeldEntry>>();
  private readonly violations: RaftViolation[] = [];
  private readonly seen = new Set<string>();
  private commitNotes = 0;
  private appendsRead = 0;

  observe(event: TraceEvent): void {
    if (event.kind === 'state') {
      const detail = detailOf(event);
      if (detail?.['name'] === 'elected') this.onElected(event, detail);
      else if (detail?.['name'] === 'commit') this.onCommit(event, detail);
      return;
    }
    if (event.kind === 'send' && event.msgType === APPEND_ENTRIES) {
      const payload = detailOf(event)?.['payload'];
      if (typeof payload === 'object' && payload !== null) this.onAppend(event, payload as Record<string, unknown>);
    }
  }

  result(): RaftInvariantsResult {
    const stats = { elections: this.elections.length, committedIndices: this.committed.size, commitNotes: this.commitNotes, appendsRead: this.appendsRead };
    const violations = [...this.violations];
    if (violations.length > 0) {
      const kinds = [...new Set(violations.map((violation) => violation.invariant))].join(', ');
      return { verdict: 'invalid', summary: `${violations.length} violation(s) of ${kinds}: ${violations[0]!.summary}`, violations, stats };
    }
    if (this.elections.length === 0) return { verdict: 'unknown', summary: 'no Raft leader was elected in this trace: nothing to judge', violations, stats };
    const read = this.appendsRead > 0 ? `, ${this.appendsRead} AppendEntries read` : ' (no message payloads in the trace: leader completeness judged from election notes only)';
    return {
      verdict: 'valid',
      summary: `election safety, log matching, state machine safety and leader completeness hold: ${this.leaders.size} term(s) with a leader, ${this.committed.size} committed index(es) agree${read}`,
      violations, stats,
    };
  }

  // ---- the notes ---------------------------------------------------------------------------

  private onElected(event: TraceEvent, detail: Record<string, unknown>): void {
    const term = detail['term'];
    if (!isInteger(term)) return;
    const election: Election = { node: event.node, term, lastIndex: isInteger(detail['lastIndex']) ? detail['lastIndex'] : null, event };
    this.elections.push(election);
    const first = this.leaders.get(term);
    if (first === undefined) this.leaders.set(term, election);
    else if (first.node !== event.node) {
      this.violate('election-safety', `term ${term}`, `two leaders in term ${term}: ${first.node} and ${event.node}`, [first.event, event]);
    }
    // Leader completeness: every index committed in an earlier term must be in the new leader's log.
    if (election.lastIndex === null) return;
    for (const [index, entry] of this.committed) {
      if (index > election.lastIndex && entry.committedByTerm < term) this.lacksCommitted(election, index, entry);
    }
  }

  private onCommit(event: TraceEvent, detail: Record<string, unknown>): void {
    this.commitNotes += 1;
    const noteTerm = detail['term'];
    const entries = detail['entries'];
    if (!isInteger(noteTerm) || !Array.isArray(entries)) return;
    for (const tuple of entries) {
      if (!Array.isArray(tuple)) continue;
      const [index, entryTerm, digest] = tuple as unknown[];
      if (!isInteger(index) || !isInteger(entryTerm) || typeof digest !== 'string') continue;
      this.onCommittedEntry(event, noteTerm, index, entryTerm, digest);
    }
  }

  private onCommittedEntry(event: TraceEvent, noteTerm: number, index: number, entryTerm: number, digest: string): void {
    const known = this.committed.get(index);
    if (known === undefined) {
      const entry: CommittedEntry = { term: entryTerm, digest, committedByTerm: noteTerm, event };
      this.committed.set(index, entry);
      // Leaders elected after a term that committed this index (seen earlier in the trace, e.g. a later commit note of an earlier term).
      for (const election of this.elections) {
        if (election.lastIndex !== null && election.term > noteTerm && index > election.lastIndex) this.lacksCommitted(election, index, entry);
      }
      this.compareHeld(index, entry);
      return;
    }
    if (known.term === entryTerm && known.digest === digest) {
      if (noteTerm < known.committedByTerm) known.committedByTerm = noteTerm;
      return;
    }
    const sameTerm = known.term === entryTerm;
    this.violate(sameTerm ? 'log-matching' : 'state-machine-safety', `apply ${index}`,
      sameTerm
        ? `index ${index}, term ${entryTerm}: ${known.event.node} applied entry ${known.digest}, ${event.node} applied entry ${digest} — one index and term, two entries`
        : `index ${index}: ${known.event.node} applied an entry of term ${known.term} (${known.digest}), ${event.node} one of term ${entryTerm} (${digest})`,
      [known.event, event]);
  }

  /** A leader's AppendEntries: what it holds at prevLogIndex and at each entry's index. */
  private onAppend(event: TraceEvent, payload: Record<string, unknown>): void {
    const term = payload['term'];
    if (!isInteger(term)) return;
    this.appendsRead += 1;
    const prevLogIndex = payload['prevLogIndex'];
    const prevLogTerm = payload['prevLogTerm'];
    if (isInteger(prevLogIndex) && isInteger(prevLogTerm) && prevLogIndex > 0) this.onHeld(event, term, prevLogIndex, prevLogTerm, null);
    const entries = payload['entries'];
    if (!Array.isArray(entries)) return;
    for (const raw of entries) {
      if (typeof raw !== 'object' || raw === null) continue;
      const entry = raw as Record<string, unknown>;
      if (isInteger(entry['index']) && isInteger(entry['term'])) this.onHeld(event, term, entry['index'], entry['term'], digestOfEntry(entry));
    }
  }

  private onHeld(event: TraceEvent, leaderTerm: number, index: number, entryTerm: number, digest: string | null): void {
    const key = `${leaderTerm}|${index}`;
    let byTerm = this.held.get(index);
    if (byTerm === undefined) this.held.set(index, (byTerm = new Map()));
    const known = byTerm.get(leaderTerm);
    if (known === undefined) {
      const held: HeldEntry = { entryTerm, digest, event };
      byTerm.set(leaderTerm, held);
      const committed = this.committed.get(index);
      if (committed !== undefined) this.compareOne(index, committed, leaderTerm, held);
      return;
    }
    if (known.entryTerm !== entryTerm || (known.digest !== null && digest !== null && known.digest !== digest)) {
      this.violate('leader-append-only', `held ${key}`,
        `the leader of term ${leaderTerm} (${event.node}) said it holds two different entries at index ${index} (term ${known.entryTerm} then ${entryTerm})`, [known.event, event]);
    }
    if (known.digest === null && digest !== null) known.digest = digest;
  }

  private compareHeld(index: number, committed: CommittedEntry): void {
    for (const [leaderTerm, held] of this.held.get(index) ?? []) this.compareOne(index, committed, leaderTerm, held);
  }

  /** A leader of a term ≥ the commit's term must hold the committed entry at its index. */
  private compareOne(index: number, committed: CommittedEntry, leaderTerm: number, held: HeldEntry): void {
    if (leaderTerm < committed.committedByTerm) return;
    const differs = held.entryTerm !== committed.term || (held.digest !== null && held.digest !== committed.digest);
    if (!differs) return;
    this.violate('leader-completeness', `held ${leaderTerm}|${index}`,
      `index ${index} was committed with an entry of term ${committed.term} (by term ${committed.committedByTerm}), but the leader of term ${leaderTerm} (${held.event.node}) holds one of term ${held.entryTerm} there`,
      [committed.event, held.event]);
  }

  private lacksCommitted(election: Election, index: number, entry: CommittedEntry): void {
    this.violate('leader-completeness', `elected ${election.term}|${index}`,
      `${election.node} became leader of term ${election.term} with log length ${election.lastIndex ?? '?'}, but index ${index} was committed by term ${entry.committedByTerm}`,
      [entry.event, election.event]);
  }

  private violate(invariant: RaftInvariant, key: string, summary: string, events: TraceEvent[]): void {
    const id = `${invariant}|${key}`;
    if (this.seen.has(id) || this.violations.length >= RAFT_VIOLATIONS_MAX) return;
    this.seen.add(id);
    const ordered = [...events].sort((a, b) => a.labTimeMs - b.labTimeMs);
    this.violations.push({ invariant, summary, events: ordered });
  }
}

/** The digest the core's commit note gives an entry, from the entry as a message carries it. */
export function digestOfEntry(entry: Record<string, unknown>): string {
  return entryDigest(entry as unknown as Entry);
}

/** Judges a whole trace (StoredEvents in row order, or TraceEvents as recorded). */
export function checkRaftInvariants(events: Iterable<TraceEvent>): RaftInvariantsResult {
  const monitor = new RaftInvariantMonitor();
  for (const event of events) monitor.observe(event);
  return monitor.result();
}
