// Is a history linearizable (Herlihy & Wing 1990) with respect to a model? The checker
// splits the history by key — a history is linearizable iff each key's sub-history is
// (locality; Horn & Kroening 2015 call the general idea P-compositionality) — and searches
// each partition for a linearization (search.ts: Wing & Gong 1993, Lowe 2017, Porcupine's
// list layout). Partitions are searched interleaved, a slice of steps each in turn, so
// one hard key cannot hide an easy violation on another, and the wall-clock deadline is
// checked between slices. When time or memory runs out, the answer is `unknown`, never a
// guess; a violation found in any partition still makes the whole history `invalid`.
//
// Pure: the deadline clock is injected (`now`), the caller owns I/O.

import type { CheckVerdict, HistoryEntry } from '../../../src-node/contract/history.ts';
import { wholeHistoryModel, type AnyModel } from './models.ts';
import { pairOperations, type CheckedOperation, type HistoryProblem } from './operations.ts';
import { PartitionSearch, type MemoryBudget, type SearchStatus } from './search.ts';

/** Steps a partition works before the next one gets its turn (and the clock is read). */
export const SLICE_STEPS = 4_096;
/** Memory for cached configurations and transitions, all partitions together. */
export const DEFAULT_MAX_MEMORY_BYTES = 512 * 1024 * 1024;
/** A rough cost of one interned state, for the memory budget. */
const STATE_BYTES = 96;
const SMALL_INTEGER_MASK = 0x3fffffff;
const ILLEGAL = -1;

export interface CheckOptions {
  model: AnyModel;
  /** Wall-clock budget in ms, measured with `now`; past it the answer is `unknown`. */
  deadlineMs?: number;
  /** The clock for the deadline (the CLI passes performance.now); required with deadlineMs. */
  now?: () => number;
  maxMemoryBytes?: number;
  /** Check each key on its own (default). False checks the whole history as one object. */
  partitionByKey?: boolean;
  /** Stop as soon as one partition is not linearizable (default true). */
  stopAtFirstInvalid?: boolean;
}

export interface OperationView {
  /** Position among the checked operations. */
  id: number;
  process: string | number;
  f: string;
  key?: string;
  /** Index of the invoke entry, and of the completion (null while open). */
  callIndex: number;
  returnIndex: number | null;
  callTime?: number;
  returnTime?: number;
  type: 'ok' | 'fail' | 'info' | 'pending';
  description: string;
}

export interface UnplaceableOperation extends OperationView {
  why: string;
}

export type PartitionVerdict = CheckVerdict;

export interface PartitionResult {
  key: string;
  verdict: PartitionVerdict;
  operations: number;
  steps: number;
  cachedConfigurations: number;
  reason: string;
}

export interface FailingWindow {
  key: string;
  /** The longest linearizable prefix found, in linearization order. */
  longestLinearization: OperationView[];
  /** The model state after that prefix. */
  state: string;
  /** The operations that could come next, none of which the model allows in that state. */
  unplaceable: UnplaceableOperation[];
  /** The operation whose completion forced one of them to be placed: nothing could be. */
  blockedAt: OperationView;
  /** From the first invoke of the unplaceable operations to that completion. */
  window: { fromIndex: number; toIndex: number; fromTime?: number; toTime?: number };
}

export interface LinearizabilityResult {
  verdict: CheckVerdict;
  reason: string;
  model: string;
  partitions: PartitionResult[];
  operations: number;
  /** Operations the model dropped (failed, or reads with unknown results). */
  skipped: number;
  steps: number;
  /** Malformed input: the verdict is `unknown` and nothing was searched. */
  problems: HistoryProblem[];
  failing?: FailingWindow;
}

interface Partition {
  key: string;
  operations: CheckedOperation[];
  search: PartitionSearch;
  verdict: PartitionVerdict | null;
  reason: string;
}

/** Interns model states to small integers: the search works on integers only. */
class StateTable {
  readonly states: unknown[] = [];
  /** Hash (cut to a small integer, so V8 keeps Map keys unboxed) → one id, or ids sharing it. */
  private readonly byHash = new Map<number, number | number[]>();
  private readonly byKey = new Map<string | number, number>();

  constructor(private readonly model: AnyModel, private readonly budget: MemoryBudget) {}

  intern(state: unknown): number {
    if (this.model.internKey) return this.internByKey(state, this.model.internKey(state));
    const hash = this.model.hash(state) & SMALL_INTEGER_MASK;
    const known = this.byHash.get(hash);
    if (known === undefined) {
      const id = this.add(state);
      this.byHash.set(hash, id);
      return id;
    }
    if (typeof known === 'number') {
      if (this.model.equal(this.states[known], state)) return known;
      const id = this.add(state);
      this.byHash.set(hash, [known, id]);
      return id;
    }
    for (const id of known) if (this.model.equal(this.states[id], state)) return id;
    const id = this.add(state);
    known.push(id);
    return id;
  }

  private internByKey(state: unknown, key: string | number): number {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.add(state);
    this.byKey.set(key, id);
    return id;
  }

  private add(state: unknown): number {
    this.states.push(state);
    this.budget.usedBytes += STATE_BYTES;
    return this.states.length - 1;
  }
}

function partitionOperations(operations: readonly CheckedOperation[], byKey: boolean): Map<string, CheckedOperation[]> {
  const partitions = new Map<string, CheckedOperation[]>();
  for (const operation of operations) {
    const key = byKey ? operation.key : '';
    const list = partitions.get(key);
    if (list) list.push(operation);
    else partitions.set(key, [operation]);
  }
  return partitions;
}

function createPartition(key: string, operations: CheckedOperation[], model: AnyModel, states: StateTable, budget: MemoryBudget): Partition {
  const initial = states.intern(model.init());
  // Whole-state reads are decided by comparing ids: no call into the model.
  const expected = operations.map((operation) => (operation.expects === undefined ? -1 : states.intern(operation.expects)));
  const resolve = (op: number, state: number): number | readonly number[] => {
    const expects = expected[op]!;
    if (expects >= 0) return expects === state ? state : ILLEGAL;
    const operation = operations[op]!;
    const before = states.states[state];
    const result = model.step(before, operation.input, operation.output);
    if (!result.ok || result.next.length === 0) return ILLEGAL;
    if (result.next.length > 1) return result.next.map((next: unknown) => states.intern(next));
    const after = result.next[0];
    // A step that leaves the state object as it was (a read) needs no interning.
    return after === before ? state : states.intern(after);
  };
  const search = new PartitionSearch(operations, initial, resolve, budget);
  return { key, operations, search, verdict: null, reason: '' };
}

export function checkLinearizability(history: readonly HistoryEntry[], options: CheckOptions): LinearizabilityResult {
  if (options.deadlineMs !== undefined && options.now === undefined) {
    throw new Error('checkLinearizability: a deadline needs a clock (options.now)');
  }
  const byKey = options.partitionByKey ?? true;
  const model = byKey ? options.model : wholeHistoryModel(options.model);
  const paired = pairOperations(history, model);
  const base = { model: options.model.name, operations: paired.operations.length, skipped: paired.skipped, problems: paired.problems };
  if (paired.problems.length > 0) {
    return { ...base, verdict: 'unknown', reason: `the history is malformed: ${paired.problems[0]!.message} (entry ${paired.problems[0]!.entryIndex})`, partitions: [], steps: 0 };
  }
  const budget: MemoryBudget = { usedBytes: 0, maxBytes: options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES };
  const states = new StateTable(model, budget);
  const partitions = [...partitionOperations(paired.operations, byKey)]
    .map(([key, operations]) => createPartition(key, operations, model, states, budget));
  const stop = interleave(partitions, options);
  return summarize(partitions, model, states, { ...base, stop, deadlineMs: options.deadlineMs, budget });
}

type StopReason = 'done' | 'invalid' | 'deadline' | 'memory';

/** Runs the partitions round-robin, a slice each, until all finish or something stops them. */
function interleave(partitions: Partition[], options: CheckOptions): StopReason {
  const now = options.now;
  const started = now ? now() : 0;
  const stopAtFirstInvalid = options.stopAtFirstInvalid ?? true;
  let active = partitions.filter((partition) => !settle(partition, partition.search.status));
  let stop: StopReason = 'done';
  while (active.length > 0) {
    const still: Partition[] = [];
    for (const partition of active) {
      const status = partition.search.run(SLICE_STEPS);
      if (!settle(partition, status)) still.push(partition);
      if (status === 'invalid' && stopAtFirstInvalid) return 'invalid';
      if (status === 'out-of-memory') stop = 'memory';
      if (options.deadlineMs !== undefined && now!() - started > options.deadlineMs) return 'deadline';
    }
    active = still;
  }
  return stop;
}

/** Records a finished partition's verdict; false while it is still running. */
function settle(partition: Partition, status: SearchStatus): boolean {
  switch (status) {
    case 'running': return false;
    case 'valid':
      partition.verdict = 'valid';
      partition.reason = 'linearizable';
      return true;
    case 'invalid':
      partition.verdict = 'invalid';
      partition.reason = 'no linearization exists';
      return true;
    case 'out-of-memory':
      partition.verdict = 'unknown';
      partition.reason = 'the memory bound was reached';
      return true;
  }
}

interface SummaryContext {
  model: string;
  operations: number;
  skipped: number;
  problems: HistoryProblem[];
  stop: StopReason;
  deadlineMs: number | undefined;
  budget: MemoryBudget;
}

function unfinishedReason(stop: StopReason, context: SummaryContext): string {
  switch (stop) {
    case 'deadline': return `the deadline of ${context.deadlineMs} ms passed`;
    case 'invalid': return 'not finished: another partition is not linearizable';
    case 'memory': return 'not finished: the memory bound was reached';
    case 'done': return 'not finished';
  }
}

function summarize(partitions: Partition[], model: AnyModel, states: StateTable, context: SummaryContext): LinearizabilityResult {
  const results: PartitionResult[] = partitions.map((partition) => ({
    key: partition.key,
    verdict: partition.verdict ?? 'unknown',
    operations: partition.operations.length,
    steps: partition.search.steps,
    cachedConfigurations: partition.search.cachedConfigurations,
    reason: partition.verdict === null ? unfinishedReason(context.stop, context) : partition.reason,
  }));
  const steps = results.reduce((sum, result) => sum + result.steps, 0);
  const base = { model: context.model, operations: context.operations, skipped: context.skipped, problems: context.problems, partitions: results, steps };
  const invalid = partitions.find((partition) => partition.verdict === 'invalid');
  if (invalid) {
    const failing = explainFailure(invalid, model, states);
    return { ...base, verdict: 'invalid', reason: describeFailure(failing, invalid.operations.length), failing };
  }
  const unknown = results.filter((result) => result.verdict === 'unknown');
  if (unknown.length > 0) {
    const why = context.stop === 'deadline' ? unfinishedReason('deadline', context)
      : `the memory bound of ${Math.round(context.budget.maxBytes / 1024 / 1024)} MiB was reached`;
    return { ...base, verdict: 'unknown', reason: `${why} with ${unknown.length} of ${results.length} partitions undecided` };
  }
  return { ...base, verdict: 'valid', reason: `linearizable: ${context.operations} operations in ${results.length} partition${results.length === 1 ? '' : 's'}` };
}

export function viewOperation(operation: CheckedOperation, model: AnyModel): OperationView {
  const { call, completion } = operation;
  const view: OperationView = {
    id: operation.id,
    process: call.process,
    f: call.f,
    callIndex: call.index,
    returnIndex: completion ? completion.index : null,
    type: completion ? completion.type as OperationView['type'] : 'pending',
    description: model.describe(operation.input, operation.output),
  };
  if (call.key !== undefined) view.key = call.key;
  if (call.time !== undefined) view.callTime = call.time;
  if (completion?.time !== undefined) view.returnTime = completion.time;
  return view;
}

/**
 * After the longest linearizable prefix, the candidates for the next place are the
 * operations invoked before the earliest completion still to come. The search explored
 * every one of them from that configuration and got no further, so none is legal in the
 * state the prefix leaves (a legal one would have made a longer prefix).
 */
function explainFailure(partition: Partition, model: AnyModel, states: StateTable): FailingWindow {
  const { operations: prefix, state } = partition.search.longest();
  const placed = new Set(prefix);
  const remaining = partition.operations.filter((_operation, op) => !placed.has(op));
  // An invalid partition always has a completed operation left: the search succeeds once
  // every completed operation is placed.
  const blocking = remaining.filter((operation) => !operation.open)
    .reduce((first, operation) => (operation.returnPosition < first.returnPosition ? operation : first));
  const stateValue = states.states[state];
  const stateText = model.describeState(stateValue);
  // An open operation that would change nothing here is no obstacle: it may be left out.
  const candidates = remaining.filter((operation) => operation.callPosition < blocking.returnPosition
    && !(operation.open && leavesStateAlone(model, stateValue, operation)));
  const unplaceable = candidates.map((operation) => {
    const legal = model.step(stateValue, operation.input, operation.output).ok;
    const why = legal ? `allowed in state ${stateText}, but no linearization continues from it`
      : `not allowed when the state is ${stateText}`;
    return { ...viewOperation(operation, model), why };
  });
  const first = candidates.reduce((earliest, operation) => (operation.callPosition < earliest.callPosition ? operation : earliest), blocking);
  const window: FailingWindow['window'] = { fromIndex: first.call.index, toIndex: blocking.completion!.index };
  if (first.call.time !== undefined) window.fromTime = first.call.time;
  if (blocking.completion!.time !== undefined) window.toTime = blocking.completion!.time;
  return {
    key: partition.key,
    longestLinearization: prefix.map((op) => viewOperation(partition.operations[op]!, model)),
    state: stateText,
    unplaceable,
    blockedAt: viewOperation(blocking, model),
    window,
  };
}

function leavesStateAlone(model: AnyModel, state: unknown, operation: CheckedOperation): boolean {
  const result = model.step(state, operation.input, operation.output);
  return result.ok && result.next.length === 1 && model.equal(result.next[0], state);
}

function describeFailure(failing: FailingWindow, total: number): string {
  const key = failing.key === '' ? '' : `key ${JSON.stringify(failing.key)}: `;
  return `${key}not linearizable: the longest linearizable prefix places ${failing.longestLinearization.length} of ${total} operations, `
    + `leaving the state ${failing.state}; then none of ${failing.unplaceable.length} candidate operation${failing.unplaceable.length === 1 ? '' : 's'} `
    + `can be placed before ${failing.blockedAt.description} (process ${failing.blockedAt.process}) completes at entry ${failing.blockedAt.returnIndex}`;
}
