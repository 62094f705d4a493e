// Measurements made from the UI are in the run's trace (src-main/lab/measurement-log.ts: a
// `log` event of the lab whose detail holds `{measurement, result}`), so a panel can show what
// was measured on a run after the page reloads, or in a recorded trace someone handed over.
// A trace is a file from anywhere: a detail that does not have the shape is skipped, not shown.

import type { RecordedMeasurementKind as MeasurementKind, StoredEvent } from '../../src-node/contract/trace.ts';

export type { MeasurementKind };

/** What the lab's event query is asked: the lab's log events that name the measurement. */
export function measurementQuery(kind: MeasurementKind): { nodes: ['lab']; kinds: ['log']; text: string; limit: number } {
  return { nodes: ['lab'], kinds: ['log'], text: `"measurement":"${kind}"`, limit: MEASUREMENTS_MAX };
}

/** Measurements read back at most (the newest are what a panel shows). */
export const MEASUREMENTS_MAX = 100;

/** The results of `kind` in these events, oldest first; `isResult` says which have the shape a panel draws. */
export function measurementsIn<T>(events: readonly StoredEvent[], kind: MeasurementKind, isResult: (value: unknown) => value is T): T[] {
  return [...events].sort((a, b) => a.id - b.id).flatMap((event) => {
    if (event.node !== 'lab' || event.kind !== 'log') return [];
    const detail = event.detail as { measurement?: unknown; result?: unknown } | null | undefined;
    return detail?.measurement === kind && isResult(detail.result) ? [detail.result] : [];
  });
}
