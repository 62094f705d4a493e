// From a history of invoke/completion entries to the operations a model checks: pair each
// invoke with the next completion of the same process, let the model read the pair, and
// report what is malformed instead of throwing (a history from outside the lab is input,
// not a programmer error).

import type { HistoryEntry } from '../../../src-node/contract/history.ts';
import type { AnyModel } from './models.ts';

/** At most this many problems are listed: the first ones are what a person fixes first. */
export const MAX_REPORTED_PROBLEMS = 20;

export interface HistoryProblem {
  /** `index` of the offending entry. */
  entryIndex: number;
  message: string;
}

/** One operation: an invoke, its completion (null when it never completed), and how the model reads it. */
export interface CheckedOperation {
  /** Position among the checked operations, in invoke order. */
  id: number;
  call: HistoryEntry;
  completion: HistoryEntry | null;
  /** Order of the invoke and of the completion in the history; Infinity while open. */
  callPosition: number;
  returnPosition: number;
  /** `info` or never completed: may or may not have happened, open until the end. */
  open: boolean;
  key: string;
  input: unknown;
  output: unknown;
  readOnly: boolean;
  /** The state a whole-state read requires (see PreparedOperation.expects). */
  expects?: unknown;
}

export interface PairedHistory {
  operations: CheckedOperation[];
  /** Operations the model drops (failed, or reads with unknown results). */
  skipped: number;
  problems: HistoryProblem[];
}

interface Pair {
  call: HistoryEntry;
  callPosition: number;
  completion: HistoryEntry | null;
  returnPosition: number;
}

function inHistoryOrder(history: readonly HistoryEntry[]): HistoryEntry[] {
  const ordered = history.slice();
  // A stable sort: entries that carry the same index keep the order they came in.
  ordered.sort((a, b) => a.index - b.index);
  return ordered;
}

function pairEntries(ordered: readonly HistoryEntry[], problems: HistoryProblem[]): Pair[] {
  const pairs: Pair[] = [];
  const pendingByProcess = new Map<string, Pair>();
  ordered.forEach((entry, position) => {
    const process = String(entry.process);
    const pending = pendingByProcess.get(process);
    if (entry.type === 'invoke') {
      if (pending) {
        problems.push({ entryIndex: entry.index, message: `process ${process} invokes ${entry.f} while its ${pending.call.f} (entry ${pending.call.index}) is still outstanding` });
        return;
      }
      const pair: Pair = { call: entry, callPosition: position, completion: null, returnPosition: Infinity };
      pendingByProcess.set(process, pair);
      pairs.push(pair);
      return;
    }
    if (!pending) {
      problems.push({ entryIndex: entry.index, message: `process ${process} completes ${entry.f} (${entry.type}) without an outstanding invoke` });
      return;
    }
    if (pending.call.f !== entry.f) {
      problems.push({ entryIndex: entry.index, message: `process ${process} completes ${entry.f} but invoked ${pending.call.f} (entry ${pending.call.index})` });
      return;
    }
    pending.completion = entry;
    pending.returnPosition = position;
    pendingByProcess.delete(process);
  });
  return pairs;
}

/** Pairs invokes with completions and lets `model` read each pair. */
export function pairOperations(history: readonly HistoryEntry[], model: AnyModel): PairedHistory {
  const problems: HistoryProblem[] = [];
  const pairs = pairEntries(inHistoryOrder(history), problems);
  const operations: CheckedOperation[] = [];
  let skipped = 0;
  for (const pair of pairs) {
    const completion = pair.completion;
    const prepared = model.prepare(pair.call, completion);
    if (prepared.kind === 'error') {
      problems.push({ entryIndex: pair.call.index, message: prepared.message });
      continue;
    }
    if (prepared.kind === 'skip') {
      skipped += 1;
      continue;
    }
    const open = completion === null || completion.type === 'info';
    const checked: CheckedOperation = {
      id: operations.length,
      call: pair.call,
      completion,
      callPosition: pair.callPosition,
      returnPosition: open ? Infinity : pair.returnPosition,
      open,
      key: model.partitionKey(pair.call),
      input: prepared.operation.input,
      output: prepared.operation.output,
      readOnly: prepared.operation.readOnly,
    };
    if (prepared.operation.expects !== undefined) checked.expects = prepared.operation.expects;
    operations.push(checked);
  }
  problems.sort((a, b) => a.entryIndex - b.entryIndex);
  return { operations, skipped, problems: problems.slice(0, MAX_REPORTED_PROBLEMS) };
}
