// The linearizability of a lab run's client history, in the shape the UI shows: a verdict,
// a sentence, and the failing window with the trace's op ids so the history view and the
// space-time diagram can point at the operations.

import type { HistoryEntry } from '../../src-node/contract/history.ts';
import type { HistoryCheckReport } from '../../src-node/contract/lab-api.ts';
import { checkLinearizability, type OperationView } from '../checkers/linearizability/check.ts';
import { createLabKvModel } from '../checkers/linearizability/models.ts';

/**
 * A check asked for from the UI runs in the lab's process (the Electron main process, in
 * the desktop app), so it gets a short budget: past it the answer is `unknown`. A run's
 * history is hundreds of operations, checked in milliseconds; `distlab check` has no such
 * limit.
 */
export const HISTORY_CHECK_DEADLINE_MS = 1_000;

export function checkRunHistory(history: readonly HistoryEntry[], deadlineMs = HISTORY_CHECK_DEADLINE_MS): HistoryCheckReport {
  const model = createLabKvModel();
  const result = checkLinearizability(history, { model, deadlineMs, now: () => performance.now() });
  const opId = (operation: OperationView): string | undefined => history[operation.callIndex]?.id;
  const failing = result.failing;
  const report: HistoryCheckReport = {
    verdict: result.verdict,
    model: model.name,
    conventions: [...model.conventions],
    operations: result.operations,
    summary: result.reason,
    failingWindow: null,
  };
  if (!failing) return report;
  const times = failing.unplaceable.flatMap((operation) => [operation.callTime, operation.returnTime])
    .concat([failing.blockedAt.returnTime])
    .filter((time): time is number => typeof time === 'number');
  report.failingWindow = {
    key: failing.key,
    fromTime: failing.window.fromTime ?? Math.min(...times),
    toTime: failing.window.toTime ?? Math.max(...times),
    opIds: failing.unplaceable.map(opId).filter((id): id is string => id !== undefined),
    prefixOpIds: failing.longestLinearization.map(opId).filter((id): id is string => id !== undefined),
    explanation: failing.unplaceable.map((operation) => `${operation.description}: ${operation.why}`).join('; '),
  };
  return report;
}
