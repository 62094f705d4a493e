// What a simulated run is judged by. The durability, linearizability and split-brain judgements
// are the lab's own (src-main/checkers/, src-main/checks/run-checks.ts), fed with what the
// simulator observed, and so are a scenario's `events`, `leaders` and `log-size` checks
// (src-main/checkers/trace-assertions.ts, the judge of a real run's trace); liveness is
// the simulator's own: after the heal, the cluster must settle within the bound.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { CoreStatus } from '../../src-node/contract/core.ts';
import type { FaultSample, NodeSample, SuspicionSample } from '../lab/observations.ts';
import type { CompletedOp } from '../workload/client.ts';
import { checkSplitBrain, checkSuspicion, judged, type CheckResult, type Verdict } from '../checks/run-checks.ts';
import { checkDurability, type FinalRead } from '../checkers/durability.ts';
import { checkCarts, type FinalCart } from '../checkers/cart.ts';
import { checkCredits, finalBalances } from '../checkers/crdt-credits.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { checkLinearizability } from '../checkers/linearizability/check.ts';
import { createLabKvModel } from '../checkers/linearizability/models.ts';
import type { Expect, SimExpectations } from './config.ts';
import type { RaftInvariantsResult } from '../checkers/raft-invariants.ts';
import type { ConsensusResult } from '../checkers/consensus.ts';
import { checkBank, type BankSetup, type BankTransaction } from '../checkers/bank.ts';
import { entriesPastSnapshot, logSizeVerdict, type AssertionResult, type TraceAssertion } from '../checkers/trace-assertions.ts';

/** Memory the linearizability search may use per run; past it the verdict is `unknown`. */
export const LINEARIZABILITY_MEMORY_MAX_BYTES = 64 * 1024 * 1024;

export interface NodeEnd {
  id: NodeId;
  state: 'up' | 'down' | 'stopped';
  paused: boolean;
  status: CoreStatus | null;
}

/**
 * Why the cluster has not settled yet, or null once it has. For a protocol whose status names
 * a primary (primary/backup): exactly one node is primary and serving, every up node follows it
 * in the same epoch, in sync, with no acknowledgement pending. For every protocol: every node
 * that should run is running, and all of them hold the same data.
 */
export function unsettledReason(nodes: readonly NodeEnd[], holdersOf?: (key: string) => readonly string[]): string | null {
  const missing = nodes.filter((node) => node.state === 'down' || node.paused);
  if (missing.length > 0) return `${missing.map((node) => node.id).join(', ')} not running`;
  const up = nodes.filter((node) => node.state === 'up' && node.status !== null);
  if (up.length === 0) return 'no node is up';
  // A protocol that reports transactions in doubt (2PC: prepared participants, open votes, unacknowledged commits) settles when none is left.
  const doubtful = up.filter((node) => typeof node.status!.facts['inDoubt'] === 'number' && node.status!.facts['inDoubt'] > 0);
  if (doubtful.length > 0) return `transactions in doubt on ${doubtful.map((node) => `${node.id} (${String(node.status!.facts['inDoubt'])})`).join(', ')}`;
  const primaryFacts = up.some((node) => node.status!.facts['primary'] !== undefined);
  if (primaryFacts) {
    const primaries = up.filter((node) => node.status!.role === 'primary');
    if (primaries.length !== 1) return `${primaries.length} primaries (${primaries.map((node) => node.id).join(', ') || 'none'})`;
    const primary = primaries[0]!;
    const facts = primary.status!.facts;
    if (facts['serving'] === false) return `${primary.id} is primary but not serving yet`;
    for (const node of up) {
      const own = node.status!.facts;
      if (own['epoch'] !== facts['epoch'] || own['primary'] !== primary.id) return `${node.id} is in view ${String(own['epoch'])}/${String(own['primary'])}, not ${String(facts['epoch'])}/${primary.id}`;
      if (own['inSync'] === false) return `${node.id} is not in sync`;
    }
    if (typeof facts['pendingAcks'] === 'number' && facts['pendingAcks'] > 0) return `${primary.id} waits for ${facts['pendingAcks']} acknowledgement(s)`;
  }
  const raft = raftUnsettledReason(up);
  if (raft !== null) return raft;
  if (holdersOf !== undefined) return partitionedDataReason(up, holdersOf);
  const first = canonical(up[0]!.status!.data);
  const differing = up.filter((node) => canonical(node.status!.data) !== first);
  if (differing.length > 0) return `data differs: ${up[0]!.id} vs ${differing.map((node) => node.id).join(', ')}`;
  return null;
}

/** A partitioned store (Dynamo) has settled when every key is held, alike, by every node that must hold it. */
function partitionedDataReason(up: readonly NodeEnd[], holdersOf: (key: string) => readonly string[]): string | null {
  // A write a stand-in holds as a hint is in no replica's data yet: not settled until handed off
  // (dynamo-swarm seed 2925 "converged" with an acknowledged write only in a hint, then lost it).
  const hinting = up.find((node) => typeof node.status!.facts['hints'] === 'number' && node.status!.facts['hints'] > 0);
  if (hinting !== undefined) return `${hinting.id} still holds ${String(hinting.status!.facts['hints'])} hinted write(s)`;
  const keys = new Set(up.flatMap((node) => Object.keys(node.status!.data ?? {})));
  for (const key of [...keys].sort()) {
    const holders = up.filter((node) => holdersOf(key).includes(node.id));
    const values = new Set(holders.map((node) => { const data = node.status!.data ?? {}; return key in data ? JSON.stringify(data[key]) : 'absent'; }));
    if (values.size > 1) return `replicas of ${key} differ (${holders.map((node) => node.id).join(', ')})`;
  }
  return null;
}

/**
 * For a protocol whose status has a commitIndex (Raft): exactly one leader, in the highest term
 * any up node knows (every node is up by now, so a majority knows it), followed by every up
 * node in that term; every up node has committed and applied the same prefix.
 */
function raftUnsettledReason(up: readonly NodeEnd[]): string | null {
  if (!up.some((node) => typeof node.status!.facts['commitIndex'] === 'number')) return null;
  const leaders = up.filter((node) => node.status!.role === 'leader');
  if (leaders.length !== 1) return `${leaders.length} leaders (${leaders.map((node) => node.id).join(', ') || 'none'})`;
  const leader = leaders[0]!;
  const facts = leader.status!.facts;
  const highest = Math.max(...up.map((node) => Number(node.status!.facts['term'])));
  if (facts['term'] !== highest) return `leader ${leader.id} is in term ${String(facts['term'])}, below term ${highest}`;
  for (const node of up) {
    const own = node.status!.facts;
    if (own['term'] !== facts['term'] || own['leader'] !== leader.id) return `${node.id} is in term ${String(own['term'])} following ${String(own['leader'])}, not ${String(facts['term'])}/${leader.id}`;
    if (own['commitIndex'] !== facts['commitIndex']) return `${node.id} committed ${String(own['commitIndex'])}, leader ${leader.id} ${String(facts['commitIndex'])}`;
    if (own['appliedIndex'] !== own['commitIndex']) return `${node.id} applied ${String(own['appliedIndex'])} of ${String(own['commitIndex'])} committed`;
  }
  return null;
}

/** The node whose data is the cluster's answer at the end: the primary, else the first up node. */
export function authority(nodes: readonly NodeEnd[]): NodeEnd | null {
  const up = nodes.filter((node) => node.state === 'up' && node.status !== null);
  return up.find((node) => node.status!.role === 'primary' || node.status!.role === 'leader') ?? up[0] ?? null;
}

function canonical(data: unknown): string {
  if (data === undefined) return 'undefined';
  const record = (data ?? {}) as Record<string, unknown>;
  return JSON.stringify(Object.keys(record).sort().map((key) => [key, record[key]]));
}

export interface RunObservations {
  nodes: readonly NodeEnd[];
  history: readonly HistoryEntry[];
  /** The protocol serves the lab's key-value operations (get/put): judge linearizability with the lab-kv model. */
  keyValue: boolean;
  operations: readonly CompletedOp[];
  nodeSamples: readonly NodeSample[];
  suspicions: readonly SuspicionSample[];
  faults: readonly FaultSample[];
  fatals: readonly { node: NodeId; atMs: number; message: string }[];
  /** Raft runs: the invariant monitor's verdict over the whole trace (null for other protocols). */
  raftInvariants?: RaftInvariantsResult | null;
  /** The scenario's `events` and `leaders` checks, judged from the whole trace as it was recorded. */
  traceAssertions?: ReadonlyMap<TraceAssertion, AssertionResult> | null;
  /** Single-decree Paxos runs: agreement, validity and integrity from the trace's `learned` notes (null when not judged). */
  consensus?: ConsensusResult | null;
  /** 2PC bank runs: the transactions as the trace's notes tell them, and the bank's accounts (null when not judged). */
  bank?: (BankSetup & { transactions: ReadonlyMap<string, BankTransaction> }) | null;
  /** Where each key lives, for a partitioned store (Dynamo); undefined: on every node. */
  holdersOf?: ((key: string) => readonly NodeId[]) | undefined;
  healAtMs: number | null;
  convergedAtMs: number | null;
  unsettled: string | null;
  endMs: number;
  boundMs: number;
}

export function judgeRun(observed: RunObservations, expect: SimExpectations): CheckResult[] {
  const checks: CheckResult[] = [];
  checks.push(judged('assertions', 'pass', observed.fatals.length === 0 ? 'pass' : 'fail',
    observed.fatals.length === 0 ? 'no core failed an assertion' : `core failure: ${observed.fatals.slice(0, 3).map((fatal) => `${fatal.node} at ${Math.round(fatal.atMs)} ms: ${fatal.message}`).join('; ')}`,
    [...observed.fatals]));
  checks.push(judgeLiveness(observed, expect));
  const writes = observed.history.some((entry) => entry.f === 'put');
  if (writes) checks.push(judgeDurability(observed, expect));
  if (observed.keyValue && observed.history.length > 0) checks.push(judgeLinearizability(observed.history, expect));
  const raft = observed.raftInvariants ?? null;
  if (raft !== null) {
    const details = raft.violations.map((violation) => ({ ...violation, events: violation.events.map((event) => `${event.node}#${event.seq} ${event.kind} at ${event.labTimeMs} ms: ${JSON.stringify(event.detail)}`) }));
    checks.push(judged('raft-invariants', expect.raftInvariants ?? 'pass', VERDICTS[raft.verdict] ?? 'unknown', raft.summary, details));
  }
  const splitBrain = checkSplitBrain(observed.nodeSamples, observed.operations, observed.endMs);
  checks.push(judged('split-brain', expect.splitBrain, splitBrain.verdict, splitBrain.summary, splitBrain.windows));
  if (expect.suspicion !== null) {
    const suspicion = checkSuspicion({
      faults: observed.faults, samples: observed.nodeSamples, suspicions: observed.suspicions,
      nodes: observed.nodes.map((node) => node.id), withinMs: expect.suspicion.withinMs, endMs: observed.healAtMs ?? observed.endMs,
    });
    checks.push(judged('suspicion', expect.suspicion.expect, suspicion.verdict, suspicion.summary, suspicion.problems));
  }
  for (const assertion of expect.assertions ?? []) checks.push(judgeAssertion(observed, assertion));
  if (expect.cart !== undefined) checks.push(judgeCart(observed, expect.cart));
  if (expect.credits !== undefined) checks.push(judgeCredits(observed, expect.credits));
  if (expect.bank !== undefined) checks.push(judgeBank(observed, expect.bank));
  if (expect.consensus !== undefined) {
    const consensus = observed.consensus ?? null;
    checks.push(consensus === null
      ? judged('consensus', expect.consensus, 'unknown', 'the trace was not judged')
      : judged('consensus', expect.consensus, VERDICTS[consensus.verdict] ?? 'unknown', consensus.summary, consensus.violations));
  }
  return checks;
}

/**
 * A scenario's `events`, `leaders` and `log-size` checks, by the same judge as a real run's
 * (src-main/checkers/trace-assertions.ts). log-size reads the nodes' statuses at the end,
 * after the liveness phase: entries past the snapshot, on every node that runs.
 */
function judgeAssertion(observed: RunObservations, assertion: NonNullable<SimExpectations['assertions']>[number]): CheckResult {
  if (assertion.kind === 'log-size') {
    const sizes: Record<string, number> = {};
    for (const node of observed.nodes) {
      const size = node.state === 'up' ? entriesPastSnapshot(node.status?.facts) : null;
      if (size !== null) sizes[node.id] = size;
    }
    const result = logSizeVerdict(sizes, assertion.maxEntries);
    return judged('log-size', assertion.expect, result.verdict, result.summary, [result.observed]);
  }
  const result = observed.traceAssertions?.get(assertion);
  if (result === undefined) return judged(assertion.kind, assertion.expect, 'unknown', 'the trace was not judged');
  return judged(assertion.kind, assertion.expect, result.verdict, result.summary, [result.observed]);
}

function judgeLiveness(observed: RunObservations, expect: SimExpectations): CheckResult {
  if (observed.healAtMs === null) return judged('liveness', expect.liveness, 'unknown', 'the run ended before the liveness phase');
  if (observed.convergedAtMs !== null) {
    const ms = Math.round(observed.convergedAtMs - observed.healAtMs);
    return judged('liveness', expect.liveness, 'pass', `converged ${ms} ms after healing (bound ${observed.boundMs} ms): one view, equal data, every client operation completed`);
  }
  return judged('liveness', expect.liveness, 'fail', `not converged within ${observed.boundMs} ms of healing: ${observed.unsettled ?? 'unknown'}`, [observed.unsettled]);
}

/**
 * Linearizability of the whole client history (probe included) with the lab-kv model, by the
 * lab's checker (src-main/checkers/linearizability). No wall-clock deadline here (the
 * simulator reads no clock): a memory budget bounds the search instead.
 */
function judgeLinearizability(history: readonly HistoryEntry[], expect: SimExpectations): CheckResult {
  try {
    const result = checkLinearizability(history, { model: createLabKvModel(), maxMemoryBytes: LINEARIZABILITY_MEMORY_MAX_BYTES });
    const verdict = result.verdict === 'valid' ? 'pass' : result.verdict === 'invalid' ? 'fail' : 'unknown';
    const window = result.failing;
    const where = window === undefined ? '' : `; key ${window.key}: ${window.unplaceable.slice(0, 3).map((op) => op.description).join(', ')} cannot be placed (history entries ${window.window.fromIndex}–${window.window.toIndex})`;
    return judged('linearizability', expect.linearizability, verdict, `${result.reason}${where}`, window === undefined ? [] : [window]);
  } catch (error) {
    return judged('linearizability', expect.linearizability, 'unknown', `the linearizability checker failed: ${(error as Error).message}`);
  }
}

const VERDICTS: Record<string, Verdict> = { valid: 'pass', invalid: 'fail', unknown: 'unknown' };

/**
 * Durability: every key that was written is read back at the end from the node whose data is
 * the cluster's answer (omniscient: the simulator reads the replica itself, after the liveness
 * phase made every node agree), and the lab's checker judges each acknowledged write.
 */
function judgeDurability(observed: RunObservations, expect: SimExpectations): CheckResult {
  const source = authority(observed.nodes);
  const finalReads: FinalRead[] = [];
  const keys = new Set(observed.history.filter((entry) => entry.f === 'put' && typeof entry.key === 'string').map((entry) => entry.key!));
  const { holdersOf } = observed;
  if (holdersOf !== undefined) {
    // A partitioned store: each key is read from the first of its holders that is up.
    const up = observed.nodes.filter((node) => node.state === 'up' && node.status !== null);
    for (const key of keys) {
      const holder = up.find((node) => holdersOf(key).includes(node.id));
      const data = (holder?.status?.data ?? {}) as Record<string, unknown>;
      finalReads.push({ key, siblings: Object.hasOwn(data, key) ? storedVersions(data[key]) : [] });
    }
  } else if (source !== null) {
    const data = (source.status?.data ?? {}) as Record<string, unknown>;
    for (const key of keys) finalReads.push({ key, siblings: Object.hasOwn(data, key) ? storedVersions(data[key]) : [] });
  }
  const from = holdersOf !== undefined ? ' (each key read back from one of its replicas)' : source === null ? ' (no node up to read from)' : ` (read back from ${source.id})`;
  try {
    const durability = checkDurability(withoutFailed(observed.history), finalReads);
    return judged('durability', expect.durability, VERDICTS[durability.verdict] ?? 'unknown', durability.summary + from, durability.lost);
  } catch (error) {
    return judged('durability', expect.durability, 'unknown', `the durability checker refused the history: ${(error as Error).message}`);
  }
}

/**
 * The values a replica's status shows for one key: Dynamo's status shows a key with concurrent
 * versions as `{siblings: [...]}` (src-node/protocols/dynamo/core.ts), any other store its one
 * value. (No workload of the lab writes an object with a `siblings` list as a value.)
 */
export function storedVersions(value: unknown): unknown[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const siblings = (value as { siblings?: unknown }).siblings;
    if (Array.isArray(siblings)) return [...siblings];
  }
  return value === null || value === undefined ? [] : [value];
}

/** A crdt workload's balance (src-main/checkers/crdt-credits.ts) on every replica that runs, after the liveness phase. */
function judgeCredits(observed: RunObservations, expect: Expect): CheckResult {
  const up = observed.nodes.filter((node) => node.state === 'up' && node.status !== null);
  const result = checkCredits(observed.operations, finalBalances(observed.operations, up.map((node) => ({ id: node.id, data: node.status!.data ?? {} }))));
  return judged('credits', expect, VERDICTS[result.verdict] ?? 'unknown', result.summary, [...result.lost, ...result.shortfalls]);
}

/**
 * A cart workload's promise (src-main/checkers/cart.ts): every item an acknowledged put carried
 * is in the final cart of its key on every replica that holds the key and runs (omniscient,
 * after the liveness phase), siblings merged.
 */
function judgeCart(observed: RunObservations, expect: Expect): CheckResult {
  const keys = new Set(observed.operations.filter((op) => op.op.f === 'put' && typeof op.op.key === 'string').map((op) => op.op.key!));
  const up = observed.nodes.filter((node) => node.state === 'up' && node.status !== null);
  const finals: FinalCart[] = [];
  for (const key of keys) {
    const holders = observed.holdersOf === undefined ? up : up.filter((node) => observed.holdersOf!(key).includes(node.id));
    for (const node of holders) {
      const data = (node.status?.data ?? {}) as Record<string, unknown>;
      finals.push({ key, source: node.id, siblings: Object.hasOwn(data, key) ? storedVersions(data[key]) : [] });
    }
  }
  const result = checkCarts(observed.operations, finals);
  return judged('cart', expect, VERDICTS[result.verdict] ?? 'unknown', `${result.summary} (each cart read from every replica of it that runs)`, result.lost);
}

/**
 * The history without the operations that certainly did not happen (`fail`). A client that
 * follows a redirect sends the same write again, as the real lab's client does; the durability
 * checker wants each written value once per key, and a failed attempt wrote nothing.
 */
export function withoutFailed(history: readonly HistoryEntry[]): HistoryEntry[] {
  const openInvoke = new Map<string | number, HistoryEntry>();
  const failed = new Set<HistoryEntry>();
  for (const entry of history) {
    if (entry.type === 'invoke') {
      openInvoke.set(entry.process, entry);
      continue;
    }
    const invoke = openInvoke.get(entry.process);
    openInvoke.delete(entry.process);
    if (entry.type === 'fail' && invoke !== undefined) failed.add(invoke).add(entry);
  }
  return history.filter((entry) => !failed.has(entry)).map((entry, index) => ({ ...entry, index }));
}

/**
 * A bank workload under 2PC (src-main/checkers/bank.ts): every participant's balances at the
 * end (omniscient, after the liveness phase) against the trace's notes and the clients' history.
 */
function judgeBank(observed: RunObservations, expect: Expect): CheckResult {
  const bank = observed.bank ?? null;
  if (bank === null) return judged('bank', expect, 'unknown', 'the trace was not judged');
  const finals = bank.participants.map((node) => {
    const end = observed.nodes.find((candidate) => candidate.id === node);
    return { node, balances: end?.state === 'up' && end.status?.data !== undefined ? end.status.data : null };
  });
  const result = checkBank({ ...bank, finals, operations: observed.operations, traceComplete: true });
  return judged('bank', expect, VERDICTS[result.verdict] ?? 'unknown', result.summary, [...result.violations, ...result.inDoubt.map((entry) => ({ inDoubt: entry }))]);
}
