// The client history as a person reads it (Jepsen's timeline, Herlihy & Wing's pictures):
// one lane per client process, each operation a bar from its invoke to its completion —
// ok, fail, or info (indeterminate: it may take effect at any later time, so its bar
// stays open to the right). Built incrementally from the trace's client events (`invoke`
// then `ok`/`fail`/`info` sharing `msgId`, detail `{op, result}`), queried by window so
// that a long run draws only what is on screen. Pure: no DOM, no Vue.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { compareProcesses } from '../lab/process-order.ts';
import { advanceCursor, createCursor, planIngest } from '../timeline/event-cursor.ts';
import { FaultTimeline } from '../timeline/fault-intervals.ts';

export type OpOutcome = 'pending' | 'ok' | 'fail' | 'info';

export interface HistoryOp {
  /** The operation id (`c1:7`), the `msgId` its events share. */
  id: string;
  process: ProcessId;
  /** Row within the process's lane: 0 unless operations of the process overlap. */
  row: number;
  op: ClientOp;
  outcome: OpOutcome;
  result: ClientResult | null;
  /** The node asked. */
  node: ProcessId | null;
  invokeMs: number;
  /** When the client heard back (ok/fail) or gave up (info); null while pending. */
  completeMs: number | null;
  invokeEventId: number;
}

/** An operation still open at the end (pending or info) reaches this far to the right. */
export function endOf(op: HistoryOp, latestMs: number): number {
  if (op.outcome === 'ok' || op.outcome === 'fail') return op.completeMs ?? latestMs;
  return Math.max(latestMs, op.completeMs ?? op.invokeMs);
}

/** A lane holds at most this many rows; beyond, overlapping operations share the last rows. */
export const ROWS_PER_LANE_MAX = 4;

export interface HistoryLane {
  process: ProcessId;
  rows: number;
}

const CLIENT_KINDS = new Set(['invoke', 'ok', 'fail', 'info']);

function scalarText(value: unknown): string {
  if (value === undefined || value === null) return '∅';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** `put k=v`, `get k → v`, `get k → …` while pending, `cas k 1→2`; `?` marks an indeterminate write. */
export function opLabel(op: Pick<HistoryOp, 'op' | 'outcome' | 'result'>): string {
  const { f, key } = op.op;
  const keyText = key ?? '';
  if (f === 'put' || f === 'write') return `${f} ${keyText}=${scalarText(op.op.value)}`.replace(' =', ' ');
  if (f === 'get' || f === 'read') {
    const answer = op.outcome === 'ok' ? scalarText(op.result?.value) : op.outcome === 'pending' ? '…' : op.outcome === 'info' ? '?' : '✕';
    return `${f} ${keyText} → ${answer}`.replace('  ', ' ');
  }
  if (f === 'cas' && Array.isArray(op.op.value) && op.op.value.length === 2) {
    return `cas ${keyText} ${scalarText(op.op.value[0])}→${scalarText(op.op.value[1])}`;
  }
  return [f, keyText, op.op.value === undefined ? '' : scalarText(op.op.value)].filter(Boolean).join(' ');
}

/** What a person wants to know about one operation, as one line (for the hover readout). */
export function opSummary(op: HistoryOp): string {
  const took = op.completeMs === null ? 'still open' : `${Math.round(op.completeMs - op.invokeMs)} ms`;
  const outcome =
    op.outcome === 'info'
      ? 'info — indeterminate: it may or may not have taken effect'
      : op.outcome === 'fail'
        ? 'fail — certainly did not take effect'
        : op.outcome;
  const error = op.result?.error !== undefined ? ` (${op.result.error})` : '';
  const node = op.node !== null ? ` at ${op.node}` : '';
  return `${op.process} ${opLabel(op)}${node} · ${outcome}${error} · invoked ${(op.invokeMs / 1000).toFixed(3)} s · ${took}`;
}

export class HistoryLayout {
  /** In invoke order (the trace's order, which is the lab's time order per client). */
  ops: HistoryOp[] = [];
  byId = new Map<string, HistoryOp>();
  /** Operations not finished by ok/fail (pending or info): drawn to the right edge whatever the window. */
  open = new Set<HistoryOp>();
  faults = new FaultTimeline();
  latestMs = Number.NEGATIVE_INFINITY;
  /** The longest finished operation: how far left of a window an operation may start and still show. */
  longestMs = 0;
  version = 0;
  private lanes = new Map<ProcessId, { rows: (HistoryOp | null)[] }>();
  private cursor = createCursor();

  /** Takes in whatever is new in `events` (the whole trace so far); true if anything changed. */
  sync(events: readonly StoredEvent[]): boolean {
    const plan = planIngest(this.cursor, events);
    if (plan.reset) this.clear();
    for (let i = plan.from; i < events.length; i++) this.add(events[i]!);
    advanceCursor(this.cursor, events, plan.from);
    const changed = plan.reset || events.length > plan.from;
    if (changed) this.version++;
    return changed;
  }

  clear(): void {
    this.ops = [];
    this.byId = new Map();
    this.open = new Set();
    this.faults = new FaultTimeline();
    this.latestMs = Number.NEGATIVE_INFINITY;
    this.longestMs = 0;
    this.lanes = new Map();
    this.cursor = createCursor();
    this.version++;
  }

  add(event: StoredEvent): void {
    if (event.labTimeMs > this.latestMs) this.latestMs = event.labTimeMs;
    this.faults.ingest(event);
    if (!CLIENT_KINDS.has(event.kind) || event.msgId === undefined) return;
    const detail = (event.detail ?? {}) as { op?: ClientOp; result?: ClientResult };
    if (event.kind === 'invoke') return this.invoke(event, detail.op);
    const op = this.byId.get(event.msgId);
    if (op === undefined) return; // Its invoke fell off the front of the kept window.
    op.outcome = event.kind as OpOutcome;
    op.result = detail.result ?? null;
    op.completeMs = event.labTimeMs;
    if (op.outcome === 'ok' || op.outcome === 'fail') {
      this.open.delete(op);
      this.longestMs = Math.max(this.longestMs, op.completeMs - op.invokeMs);
    }
  }

  private invoke(event: StoredEvent, op: ClientOp | undefined): void {
    const entry: HistoryOp = {
      id: event.msgId!,
      process: event.node,
      row: 0,
      op: op !== undefined && typeof op === 'object' && typeof op.f === 'string' ? op : { f: event.msgType ?? 'op' },
      outcome: 'pending',
      result: null,
      node: event.peer ?? null,
      invokeMs: event.labTimeMs,
      completeMs: null,
      invokeEventId: event.id,
    };
    entry.row = this.placeRow(entry);
    this.ops.push(entry);
    this.byId.set(entry.id, entry);
    this.open.add(entry);
  }

  /**
   * The first row of the lane free at the invoke. A pending or info operation keeps its
   * row busy for good (it may still take effect), so a client that goes on after a
   * timeout moves down a row; past ROWS_PER_LANE_MAX rows the row whose last operation
   * ended (or was given up) earliest is reused.
   */
  private placeRow(entry: HistoryOp): number {
    let lane = this.lanes.get(entry.process);
    if (lane === undefined) this.lanes.set(entry.process, (lane = { rows: [] }));
    const rows = lane.rows;
    let row = rows.findIndex((last) => last === null || ((last.outcome === 'ok' || last.outcome === 'fail') && last.completeMs! <= entry.invokeMs));
    if (row < 0 && rows.length < ROWS_PER_LANE_MAX) row = rows.push(null) - 1;
    if (row < 0) {
      let earliest = Number.POSITIVE_INFINITY;
      rows.forEach((last, index) => {
        const end = last?.completeMs ?? Number.POSITIVE_INFINITY;
        if (end < earliest) [earliest, row] = [end, index];
      });
      if (row < 0) row = rows.length - 1;
    }
    rows[row] = entry;
    return row;
  }

  /** Client lanes in process order, with how many rows each needs. */
  laneList(): HistoryLane[] {
    return [...this.lanes.entries()]
      .map(([process, lane]) => ({ process, rows: Math.max(1, lane.rows.length) }))
      .sort((a, b) => compareProcesses(a.process, b.process));
  }

  /** Operations that overlap [fromMs, toMs], open ones included. */
  visible(fromMs: number, toMs: number): HistoryOp[] {
    const found: HistoryOp[] = [];
    const end = firstInvokedAfter(this.ops, toMs);
    const begin = firstInvokedAfter(this.ops, fromMs - this.longestMs - 1);
    for (let i = begin; i < end; i++) {
      const op = this.ops[i]!;
      if (this.open.has(op)) continue;
      if ((op.completeMs ?? op.invokeMs) >= fromMs) found.push(op);
    }
    for (const op of this.open) if (op.invokeMs <= toMs) found.push(op);
    return found;
  }
}

/** First index whose invoke is after `timeMs` (ops are in invoke order). */
function firstInvokedAfter(ops: readonly HistoryOp[], timeMs: number): number {
  let low = 0;
  let high = ops.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ops[middle]!.invokeMs <= timeMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The failing window of an invalid history, as a checker reports it (lab ms). */
export interface FailingWindow {
  fromTime: number;
  toTime: number;
  opIds?: string[];
}

/**
 * How an operation is drawn against a failing window: `culprit` (named by the checker),
 * `inside` (overlaps the window), `outside` (faded), or `plain` when there is no window.
 */
export function failingRole(op: HistoryOp, window: FailingWindow | null | undefined, latestMs: number): 'plain' | 'culprit' | 'inside' | 'outside' {
  if (window === null || window === undefined) return 'plain';
  if (window.opIds?.includes(op.id) === true) return 'culprit';
  return op.invokeMs <= window.toTime && endOf(op, latestMs) >= window.fromTime ? 'inside' : 'outside';
}

/** Where each lane's rows sit vertically, from `top`, `rowPx` per row and `gapPx` between lanes. */
export function placeHistoryLanes(
  lanes: readonly HistoryLane[],
  options: { top: number; rowPx: number; gapPx: number },
): { process: ProcessId; y: number; rows: number; height: number }[] {
  let y = options.top;
  return lanes.map((lane) => {
    const placed = { process: lane.process, y, rows: lane.rows, height: lane.rows * options.rowPx };
    y += placed.height + options.gapPx;
    return placed;
  });
}

/** The operation under a point, for hover and click; null if none. */
export function opAt(
  ops: readonly HistoryOp[],
  point: { timeMs: number; process: ProcessId; row: number; slopMs: number; latestMs: number },
): HistoryOp | null {
  let best: HistoryOp | null = null;
  for (const op of ops) {
    if (op.process !== point.process || op.row !== point.row) continue;
    if (point.timeMs < op.invokeMs - point.slopMs || point.timeMs > endOf(op, point.latestMs) + point.slopMs) continue;
    // Later operations are drawn on top; the one on top is the one picked.
    if (best === null || op.invokeMs >= best.invokeMs) best = op;
  }
  return best;
}
