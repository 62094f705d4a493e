// Assertions a scenario makes about its trace, beyond the generic checkers: how many events
// of a kind happened in a window (Raft elected nobody while a majority was down; the leader
// committed nothing while cut off from its followers; an election and idle heartbeats stay
// within a message budget; the old leader's suffix was truncated on heal), and how many
// nodes believed they led at an instant. The same code reads a real run's trace and a
// simulated one: both are TraceEvent streams, timed in lab ms from the start of the run.
//
// It is incremental, like the Raft invariant monitor: `observe` one event at a time (a real
// run's trace is read in pages), `results` at the end.

import type { NodeId, ProcessId } from '../../src-node/contract/clock.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { isStatusNote } from '../../src-node/contract/status-note.ts';
import type { Verdict } from '../checks/run-checks.ts';

/** The scenario checks this module judges (the shapes of src-main/scenario/scenario.ts). */
export type EventsAssertion = {
  kind: 'events';
  label?: string | undefined;
  what: 'note' | 'send';
  name?: string | undefined;
  nodes?: NodeId[] | undefined;
  fromMs: number;
  toMs?: number | undefined;
  min: number;
  max?: number | undefined;
};

export type LeadersAssertion = {
  kind: 'leaders';
  label?: string | undefined;
  atMs: number;
  nodes?: NodeId[] | undefined;
  count: number;
};

export type TraceAssertion = EventsAssertion | LeadersAssertion;

/** Judged from the final statuses, not the trace: see logSizeVerdict. */
export type LogSizeAssertion = {
  kind: 'log-size';
  label?: string | undefined;
  maxEntries: number;
};

/** Every scenario check this module judges. */
export type ScenarioAssertion = TraceAssertion | LogSizeAssertion;

const ASSERTION_KINDS: ReadonlySet<string> = new Set<ScenarioAssertion['kind']>(['events', 'leaders', 'log-size']);

/** Picks the checks this module judges out of a scenario's checks (whatever else they carry, e.g. `expect`). */
export function isScenarioAssertion<Check extends { kind: string }>(check: Check): check is Extract<Check, { kind: ScenarioAssertion['kind'] }> {
  return ASSERTION_KINDS.has(check.kind);
}

export function isTraceAssertion<Check extends { kind: string }>(check: Check): check is Extract<Check, { kind: TraceAssertion['kind'] }> {
  return check.kind === 'events' || check.kind === 'leaders';
}

export interface AssertionResult {
  verdict: Verdict;
  summary: string;
  /** What was seen: the matching events' nodes and times, or who led at the instant. */
  observed: unknown;
}

/** Events listed in a result at most (the count is exact; the list is for a person to read). */
const LISTED_EVENTS_MAX = 20;

interface Counter {
  assertion: EventsAssertion;
  count: number;
  listed: { node: ProcessId; atMs: number; name: string }[];
}

/** A node's belief that it leads changed at `atMs` (scenario time). */
interface LeadershipChange {
  atMs: number;
  leads: boolean;
}

export class TraceAssertionMonitor {
  private readonly counters: Counter[] = [];
  private readonly probes: LeadersAssertion[] = [];
  /**
   * Each node's leadership changes, in the order they arrived: by its role notes, and false
   * when it (re)starts, crashes, is stopped or wiped, or fails an assertion. Kept whole (role
   * changes are few) so that an instant is judged at the end, from every event stamped at or
   * before it: a real run's recorder may store one node's event after another node's later one.
   */
  private readonly leadership = new Map<ProcessId, LeadershipChange[]>();

  /**
   * `offsetMs`: lab time of the scenario's time zero (a real run plays its schedule some time
   * after the cluster came up; a simulated one at 0). Windows and instants are scenario time:
   * an event at lab time t is at t − offsetMs (negative before the schedule began to play).
   */
  constructor(assertions: readonly TraceAssertion[], private readonly offsetMs = 0) {
    for (const assertion of assertions) {
      if (assertion.kind === 'events') this.counters.push({ assertion, count: 0, listed: [] });
      else this.probes.push(assertion);
    }
  }

  observe(event: TraceEvent): void {
    const atMs = event.labTimeMs - this.offsetMs;
    if (this.probes.length > 0) this.trackLeadership(event, atMs);
    for (const counter of this.counters) this.count(counter, event, atMs);
  }

  /** One result per assertion, keyed by the assertion object given to the constructor. */
  results(): Map<TraceAssertion, AssertionResult> {
    const results = new Map<TraceAssertion, AssertionResult>();
    for (const counter of this.counters) results.set(counter.assertion, judgeCount(counter));
    for (const probe of this.probes) results.set(probe, judgeLeaders(probe, this.leadersAt(probe)));
    return results;
  }

  /** The nodes (of the probe's) whose last leadership change at or before the instant says they lead. */
  private leadersAt(probe: LeadersAssertion): NodeId[] {
    const leaders: NodeId[] = [];
    for (const [node, changes] of this.leadership) {
      if (probe.nodes !== undefined && !probe.nodes.includes(node as NodeId)) continue;
      let last: LeadershipChange | undefined;
      for (const change of changes) if (change.atMs <= probe.atMs && (last === undefined || change.atMs >= last.atMs)) last = change;
      if (last?.leads === true) leaders.push(node as NodeId);
    }
    return leaders.sort();
  }

  private trackLeadership(event: TraceEvent, atMs: number): void {
    let node: ProcessId | null = null;
    let leads = false;
    if (event.kind === 'state') {
      const detail = event.detail as { name?: unknown; role?: unknown } | undefined;
      if (detail?.name !== 'role' || typeof detail.role !== 'string') return;
      node = event.node;
      leads = detail.role === 'leader';
    } else if (event.kind === 'start') {
      // A process that starts (again) has not led since it went down.
      node = event.node;
    } else if (event.kind === 'fault') {
      const request = (event.detail as { request?: { kind?: unknown; node?: unknown } } | undefined)?.request;
      const downs = request?.kind === 'crash' || request?.kind === 'stop' || request?.kind === 'wipe';
      if (downs && typeof request.node === 'string') node = request.node;
    } else if (event.kind === 'log' && (event.detail as { fatal?: unknown } | undefined)?.fatal === true) {
      // The simulator crashes a node whose core failed an assertion, without a fault event.
      node = event.node;
    }
    if (node === null) return;
    const changes = this.leadership.get(node) ?? [];
    const previous = changes.at(-1);
    if (previous?.leads === leads && previous.atMs <= atMs) return;
    changes.push({ atMs, leads });
    this.leadership.set(node, changes);
  }

  private count(counter: Counter, event: TraceEvent, atMs: number): void {
    const { assertion } = counter;
    if (atMs < assertion.fromMs || (assertion.toMs !== undefined && atMs > assertion.toMs)) return;
    if (assertion.nodes !== undefined && !assertion.nodes.includes(event.node as NodeId)) return;
    let name: string;
    if (assertion.what === 'note') {
      // A node's recorded status is not a note of its protocol.
      if (event.kind !== 'state' || isStatusNote(event)) return;
      name = String((event.detail as { name?: unknown } | undefined)?.name ?? '');
    } else {
      // Protocol messages only: a send to a client (a reply) is not part of a message budget.
      if (event.kind !== 'send' || !isNodeId(event.peer)) return;
      name = event.msgType ?? '';
    }
    if (assertion.name !== undefined && name !== assertion.name) return;
    counter.count += 1;
    if (counter.listed.length < LISTED_EVENTS_MAX) counter.listed.push({ node: event.node, atMs: Math.round(atMs), name });
  }
}

function isNodeId(process: ProcessId | undefined): boolean {
  return process !== undefined && /^n[0-9]+$/.test(process);
}

function describeWindow(assertion: EventsAssertion): string {
  const what = assertion.what === 'note' ? `'${assertion.name ?? 'any'}' notes` : `${assertion.name === undefined ? '' : `'${assertion.name}' `}messages sent`;
  const who = assertion.nodes === undefined ? '' : ` by ${assertion.nodes.join(', ')}`;
  const until = assertion.toMs === undefined ? 'the end' : `${assertion.toMs} ms`;
  return `${what}${who} from ${assertion.fromMs} ms to ${until}`;
}

function judgeCount({ assertion, count, listed }: Counter): AssertionResult {
  const bounds = assertion.max === undefined ? `at least ${assertion.min}` : assertion.min === 0 ? `at most ${assertion.max}` : `${assertion.min}–${assertion.max}`;
  const ok = count >= assertion.min && (assertion.max === undefined || count <= assertion.max);
  const label = assertion.label === undefined ? '' : `${assertion.label}: `;
  return {
    verdict: ok ? 'pass' : 'fail',
    summary: `${label}${count} ${describeWindow(assertion)} (expected ${bounds})`,
    observed: { count, events: listed },
  };
}

function judgeLeaders(assertion: LeadersAssertion, found: readonly NodeId[]): AssertionResult {
  const label = assertion.label === undefined ? '' : `${assertion.label}: `;
  const among = assertion.nodes === undefined ? '' : ` among ${assertion.nodes.join(', ')}`;
  return {
    verdict: found.length === assertion.count ? 'pass' : 'fail',
    summary: `${label}${found.length} leader(s)${among} at ${assertion.atMs} ms${found.length > 0 ? ` (${found.join(', ')})` : ''}, expected ${assertion.count}`,
    observed: { leaders: found },
  };
}

/** Entries a node keeps past its snapshot (lastIndex − snapshotIndex), from its status facts; null when it reports neither. */
export function entriesPastSnapshot(facts: Readonly<Record<string, unknown>> | undefined): number | null {
  const lastIndex = facts?.['lastIndex'];
  const snapshotIndex = facts?.['snapshotIndex'];
  return typeof lastIndex === 'number' && typeof snapshotIndex === 'number' ? lastIndex - snapshotIndex : null;
}

/**
 * Compaction keeps the log bounded: `sizes` is each running node's entries past its snapshot
 * (lastIndex − snapshotIndex, from its status), judged against `maxEntries`.
 */
export function logSizeVerdict(sizes: Readonly<Record<string, number>>, maxEntries: number): AssertionResult {
  const nodes = Object.keys(sizes).sort();
  if (nodes.length === 0) return { verdict: 'unknown', summary: 'no running node reports its log size', observed: { sizes } };
  const over = nodes.filter((node) => sizes[node]! > maxEntries);
  const largest = Math.max(...nodes.map((node) => sizes[node]!));
  return {
    verdict: over.length === 0 ? 'pass' : 'fail',
    summary: over.length === 0
      ? `every running node keeps at most ${largest} entries past its snapshot (bound ${maxEntries})`
      : `${over.map((node) => `${node} keeps ${sizes[node]}`).join(', ')} entries past its snapshot, above ${maxEntries}`,
    observed: { sizes },
  };
}
