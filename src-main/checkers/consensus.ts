// Consensus (single-decree Paxos; Lamport, "Paxos Made Simple" §2.1, the book's §4): the
// safety requirements of choosing one value, judged from a run's trace and client history.
//
// * agreement: no two learners learn different values — every node's `learned` state note,
//   every value a node shows as chosen at the end, and every answer a client got (a proposal
//   answers with the value chosen; a read with it, or null before anything is learned) name
//   one value;
// * validity: the value learned was proposed — some client invoked `propose` with it;
// * integrity: a node learns at most once and never changes its mind — one `learned` note per
//   node over the whole run (restarts included: the core recovers its decision from disk and
//   does not learn again), and its status at the end shows that same value.
//
// Liveness (was anything decided, and by whom) is not judged here: FLP says no protocol
// promises it, and the scenarios state it as their own prediction with `events` checks on the
// `learned` notes. The result says what was decided, by which nodes, and when, so a report
// reads the two together.
//
// The monitor is incremental (`observe` one trace event at a time), so the simulator feeds it
// while it runs without keeping the trace; a real run's recorded trace is read through it
// once (src-main/lab/run-scenario.ts).

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';

export type ConsensusProperty = 'agreement' | 'validity' | 'integrity';

export interface ConsensusViolation {
  property: ConsensusProperty;
  summary: string;
  /** Where each claim comes from: `n2 learned "c1-1" at 812 ms`, `c3's propose answered "c2-1"`. */
  evidence: string[];
}

export interface ConsensusResult {
  /** `invalid` when a property is violated; else `valid` (also when nothing was decided: nothing to disagree on). */
  verdict: 'valid' | 'invalid';
  summary: string;
  violations: ConsensusViolation[];
  /** The value decided (the first one learned), or null when no node learned any. */
  decided: { value: unknown; firstNode: NodeId; firstAtMs: number } | null;
  /** Each node that learned, with when (its first `learned` note). */
  learnedBy: Record<NodeId, { value: unknown; atMs: number }>;
  stats: { learnedNotes: number; proposals: number; answers: number };
}

/** A node's protocol status at the end of a run (its `data.chosen`, when it shows one). */
export interface ConsensusFinal {
  node: NodeId;
  /** Whether the node runs at the end (a crashed node shows nothing). */
  up: boolean;
  data: Record<string, unknown> | undefined;
}

/** Violations kept per run: a broken core must not fill memory with copies of one fault. */
export const CONSENSUS_VIOLATIONS_MAX = 50;

const LEARNED = 'learned';

interface Learned {
  node: NodeId;
  value: unknown;
  key: string;
  atMs: number;
}

/** Values are JSON: two are the same value when their canonical JSON is. */
export function valueKey(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'undefined';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
};

export class ConsensusMonitor {
  private readonly learned: Learned[] = [];
  private readonly perNode = new Map<NodeId, Learned[]>();

  /** `originMs`: the lab time the run's schedule started at (a real run's playedAtMs), so times read as the scenario's. */
  constructor(private readonly originMs = 0) {}

  observe(event: TraceEvent): void {
    if (event.kind !== 'state') return;
    const detail = event.detail;
    if (typeof detail !== 'object' || detail === null || (detail as { name?: unknown }).name !== LEARNED) return;
    if (!('value' in detail)) return;
    const value = (detail as { value: unknown }).value;
    const learned: Learned = { node: event.node, value, key: valueKey(value), atMs: event.labTimeMs - this.originMs };
    this.learned.push(learned);
    const list = this.perNode.get(event.node) ?? [];
    list.push(learned);
    this.perNode.set(event.node, list);
  }

  /** Judges what was observed, with the run's client history and the nodes' final statuses. */
  result(input: { history: readonly HistoryEntry[]; finals?: readonly ConsensusFinal[] }): ConsensusResult {
    const violations: ConsensusViolation[] = [];
    const add = (violation: ConsensusViolation): void => {
      if (violations.length < CONSENSUS_VIOLATIONS_MAX) violations.push(violation);
    };
    const claims = this.claims(input.history, input.finals ?? []);
    this.judgeAgreement(claims, add);
    const proposals = new Map<string, HistoryEntry>();
    for (const entry of input.history) if (entry.type === 'invoke' && entry.f === 'propose') proposals.set(valueKey(entry.value), entry);
    const learnedKeys = new Map<string, Learned>();
    for (const learned of this.learned) if (!learnedKeys.has(learned.key)) learnedKeys.set(learned.key, learned);
    for (const [key, learned] of learnedKeys) {
      if (!proposals.has(key)) add({ property: 'validity', summary: `${learned.node} learned ${show(learned.value)}, which no client proposed`, evidence: [`${learned.node} learned ${show(learned.value)} at ${Math.round(learned.atMs)} ms`] });
    }
    this.judgeIntegrity(input.finals ?? [], add);
    const first = this.learned[0];
    const learnedBy: ConsensusResult['learnedBy'] = {};
    for (const [node, list] of this.perNode) learnedBy[node] = { value: list[0]!.value, atMs: list[0]!.atMs };
    const decided = first === undefined ? null : { value: first.value, firstNode: first.node, firstAtMs: first.atMs };
    const stats = { learnedNotes: this.learned.length, proposals: proposals.size, answers: claims.filter((claim) => claim.from === 'client').length };
    if (violations.length > 0) {
      const kinds = [...new Set(violations.map((violation) => violation.property))].join(', ');
      return { verdict: 'invalid', summary: `${violations.length} violation(s) of ${kinds}: ${violations[0]!.summary}`, violations, decided, learnedBy, stats };
    }
    const nodes = Object.keys(learnedBy).sort();
    const summary = decided === null
      ? `agreement, validity and integrity hold: no node learned a value (${proposals.size} value(s) proposed), so there is nothing to disagree on`
      : `agreement, validity and integrity hold: ${show(decided.value)} (proposed by a client) learned once each by ${nodes.join(', ')} — first by ${decided.firstNode} at ${Math.round(decided.firstAtMs)} ms; ${stats.answers} client answer(s) name it too`;
    return { verdict: 'valid', summary, violations, decided, learnedBy, stats };
  }

  /** Every claim of a chosen value: learned notes, final statuses, client answers. */
  private claims(history: readonly HistoryEntry[], finals: readonly ConsensusFinal[]): { key: string; value: unknown; from: 'node' | 'client'; where: string }[] {
    const claims: { key: string; value: unknown; from: 'node' | 'client'; where: string }[] = [];
    for (const learned of this.learned) claims.push({ key: learned.key, value: learned.value, from: 'node', where: `${learned.node} learned ${show(learned.value)} at ${Math.round(learned.atMs)} ms` });
    for (const final of finals) {
      if (!final.up || final.data === undefined || !Object.hasOwn(final.data, 'chosen')) continue;
      claims.push({ key: valueKey(final.data['chosen']), value: final.data['chosen'], from: 'node', where: `${final.node} shows ${show(final.data['chosen'])} chosen at the end` });
    }
    for (const entry of history) {
      if (entry.type !== 'ok' || (entry.f !== 'propose' && entry.f !== 'read')) continue;
      // A read before anything was learned answers null: no claim.
      if (entry.f === 'read' && (entry.value === null || entry.value === undefined)) continue;
      claims.push({ key: valueKey(entry.value), value: entry.value, from: 'client', where: `${String(entry.process)}'s ${entry.f}${entry.node ? ` at ${entry.node}` : ''} answered ${show(entry.value)}${entry.time === undefined ? '' : ` at ${Math.round(entry.time)} ms`}` });
    }
    return claims;
  }

  private judgeAgreement(claims: readonly { key: string; value: unknown; where: string }[], add: (violation: ConsensusViolation) => void): void {
    const byValue = new Map<string, { value: unknown; where: string[] }>();
    for (const claim of claims) {
      const group = byValue.get(claim.key) ?? { value: claim.value, where: [] };
      group.where.push(claim.where);
      byValue.set(claim.key, group);
    }
    if (byValue.size <= 1) return;
    const groups = [...byValue.values()];
    add({
      property: 'agreement',
      summary: `${groups.length} different values claimed chosen: ${groups.map((group) => show(group.value)).join(', ')}`,
      evidence: groups.flatMap((group) => group.where.slice(0, 3)),
    });
  }

  private judgeIntegrity(finals: readonly ConsensusFinal[], add: (violation: ConsensusViolation) => void): void {
    for (const [node, list] of this.perNode) {
      if (list.length > 1) {
        add({ property: 'integrity', summary: `${node} learned ${list.length} times (${list.map((learned) => show(learned.value)).join(', ')}): a node learns at most once`, evidence: list.map((learned) => `${node} learned ${show(learned.value)} at ${Math.round(learned.atMs)} ms`) });
      }
    }
    for (const final of finals) {
      const list = this.perNode.get(final.node);
      if (!final.up || list === undefined || final.data === undefined) continue;
      if (!Object.hasOwn(final.data, 'chosen')) {
        add({ property: 'integrity', summary: `${final.node} learned ${show(list[0]!.value)} but shows nothing chosen at the end: it forgot its decision`, evidence: [`${final.node} learned ${show(list[0]!.value)} at ${Math.round(list[0]!.atMs)} ms`] });
      } else if (valueKey(final.data['chosen']) !== list[0]!.key) {
        add({ property: 'integrity', summary: `${final.node} learned ${show(list[0]!.value)} but shows ${show(final.data['chosen'])} at the end: it changed its mind`, evidence: [`${final.node} learned ${show(list[0]!.value)} at ${Math.round(list[0]!.atMs)} ms`] });
      }
    }
  }
}
