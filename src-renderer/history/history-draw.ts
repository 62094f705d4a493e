// Paints the history: fault periods as bands behind the lanes (named in a strip on top),
// each client's operations as bars — ok green, fail red, info amber and hatched, open to
// the right edge because it may still take effect — labelled where there is room, and
// the failing window of an invalid history outlined in red.

import type { CanvasTheme } from '../timeline/canvas-theme.ts';
import type { CauseKind, CauseRow } from '../timeline/cause-rows.ts';
import { processColor, withAlpha } from '../timeline/colors.ts';
import { formatTick, niceTicks } from '../timeline/space-time-view.ts';
import { endOf, failingRole, opLabel, type FailingWindow, type HistoryOp } from './history-layout.ts';

export const HISTORY_GUTTER_PX = 56;
const RIGHT_PX = 12;
export const HISTORY_ROW_PX = 24;
export const HISTORY_LANE_GAP_PX = 6;
export const HISTORY_STRIP_ROW_PX = 16;
export const HISTORY_AXIS_PX = 20;
const BAR_PX = 17;
const MIN_BAR_PX = 3;
/** Above this many operations in view, bars go without labels. */
const LABELLED_OPS_MAX = 1_500;

export interface PlacedLane {
  process: string;
  y: number;
  rows: number;
  height: number;
}

export interface HistoryChart {
  context: CanvasRenderingContext2D;
  theme: CanvasTheme;
  width: number;
  height: number;
  fromMs: number;
  toMs: number;
  latestMs: number;
  lanes: readonly PlacedLane[];
  ops: readonly HistoryOp[];
  causes: readonly CauseRow[];
  /** Top of the lanes (below the strip). */
  lanesTop: number;
  failingWindow: FailingWindow | null;
  hovered: HistoryOp | null;
}

export function timeToX(chart: Pick<HistoryChart, 'width' | 'fromMs' | 'toMs'>, timeMs: number): number {
  const span = Math.max(1, chart.toMs - chart.fromMs);
  return HISTORY_GUTTER_PX + ((timeMs - chart.fromMs) / span) * (chart.width - HISTORY_GUTTER_PX - RIGHT_PX);
}

export function xToTime(chart: Pick<HistoryChart, 'width' | 'fromMs' | 'toMs'>, x: number): number {
  const span = Math.max(1, chart.toMs - chart.fromMs);
  return chart.fromMs + ((x - HISTORY_GUTTER_PX) / Math.max(1, chart.width - HISTORY_GUTTER_PX - RIGHT_PX)) * span;
}

export function drawHistory(chart: HistoryChart): void {
  const { context, theme } = chart;
  context.fillStyle = theme.background;
  context.fillRect(0, 0, chart.width, chart.height);
  const plotBottom = chart.height - HISTORY_AXIS_PX;
  drawAxis(chart, plotBottom);
  context.save();
  context.beginPath();
  context.rect(HISTORY_GUTTER_PX, 0, chart.width - HISTORY_GUTTER_PX, chart.height);
  context.clip();
  drawFaultBands(chart, plotBottom);
  drawFailingWindow(chart, plotBottom);
  drawBars(chart);
  context.restore();
  drawStrip(chart);
  drawLaneNames(chart);
}

function drawAxis(chart: HistoryChart, plotBottom: number): void {
  const { context, theme } = chart;
  const { step, values } = niceTicks(chart.fromMs, chart.toMs, Math.max(2, Math.floor((chart.width - HISTORY_GUTTER_PX) / 100)));
  context.font = `400 11px ${theme.fontFamily}`;
  context.textAlign = 'center';
  context.textBaseline = 'top';
  context.lineWidth = 1;
  for (const value of values) {
    const x = Math.round(timeToX(chart, value)) + 0.5;
    context.strokeStyle = theme.grid;
    context.beginPath();
    context.moveTo(x, chart.lanesTop - 2);
    context.lineTo(x, plotBottom);
    context.stroke();
    context.fillStyle = theme.mutedText;
    context.fillText(formatTick(value, 'lab', step), x, plotBottom + 4);
  }
  context.textAlign = 'left';
}

function causeColor(kind: CauseKind, theme: CanvasTheme): string {
  return kind === 'paused' || kind === 'link' ? theme.warn : theme.fault;
}

/** Behind the lanes: a crash tinted red, a pause hatched amber, a partition outlined dashed. */
function drawFaultBands(chart: HistoryChart, plotBottom: number): void {
  const { context, theme } = chart;
  const top = chart.lanesTop - 2;
  for (const row of chart.causes) {
    for (const segment of row.segments) {
      const x0 = timeToX(chart, segment.fromMs);
      const x1 = timeToX(chart, segment.toMs ?? chart.latestMs);
      if (x1 < HISTORY_GUTTER_PX || x0 > chart.width) continue;
      const color = causeColor(segment.kind, theme);
      const width = Math.max(2, x1 - x0);
      if (segment.kind === 'crashed') {
        context.fillStyle = withAlpha(color, 0.08);
        context.fillRect(x0, top, width, plotBottom - top);
      } else if (segment.kind === 'paused') {
        context.save();
        context.beginPath();
        context.rect(x0, top, width, plotBottom - top);
        context.clip();
        context.strokeStyle = withAlpha(color, 0.18);
        context.lineWidth = 1;
        context.beginPath();
        for (let x = x0 - (plotBottom - top); x < x1; x += 8) {
          context.moveTo(x, plotBottom);
          context.lineTo(x + (plotBottom - top), top);
        }
        context.stroke();
        context.restore();
      } else {
        context.strokeStyle = withAlpha(color, 0.6);
        context.setLineDash([6, 4]);
        context.strokeRect(x0 + 0.5, top + 0.5, width - 1, plotBottom - top - 1);
        context.setLineDash([]);
      }
      context.strokeStyle = withAlpha(color, 0.7);
      context.lineWidth = 1;
      context.beginPath();
      context.moveTo(Math.round(x0) + 0.5, top);
      context.lineTo(Math.round(x0) + 0.5, plotBottom);
      context.stroke();
    }
  }
}

/** Named fault periods above the lanes, one row per cause. */
function drawStrip(chart: HistoryChart): void {
  const { context, theme } = chart;
  context.font = `600 11px ${theme.fontFamily}`;
  context.textBaseline = 'middle';
  chart.causes.forEach((row, index) => {
    const y = 4 + index * HISTORY_STRIP_ROW_PX + HISTORY_STRIP_ROW_PX / 2;
    for (const segment of row.segments) {
      const x0 = Math.max(HISTORY_GUTTER_PX, timeToX(chart, segment.fromMs));
      const x1 = Math.min(chart.width - RIGHT_PX, timeToX(chart, segment.toMs ?? chart.latestMs));
      if (x1 < x0) continue;
      const color = causeColor(segment.kind, theme);
      context.fillStyle = withAlpha(color, segment.kind === 'paused' ? 0.35 : 0.8);
      context.fillRect(x0, y + 3, Math.max(2, x1 - x0), 3);
      context.fillStyle = color;
      const width = context.measureText(segment.label).width;
      context.fillText(segment.label, Math.min(x0 + 2, chart.width - width - 2), y - 2);
    }
  });
}

function drawFailingWindow(chart: HistoryChart, plotBottom: number): void {
  const window = chart.failingWindow;
  if (window === null) return;
  const { context, theme } = chart;
  const x0 = timeToX(chart, window.fromTime);
  const x1 = timeToX(chart, window.toTime);
  const top = chart.lanesTop - 2;
  context.fillStyle = withAlpha(theme.fault, 0.07);
  context.fillRect(x0, top, Math.max(2, x1 - x0), plotBottom - top);
  context.strokeStyle = theme.fault;
  context.lineWidth = 2;
  context.strokeRect(x0, top + 1, Math.max(2, x1 - x0), plotBottom - top - 2);
  context.font = `700 11px ${theme.fontFamily}`;
  context.textBaseline = 'bottom';
  context.fillStyle = theme.fault;
  context.fillText('failing window', Math.max(HISTORY_GUTTER_PX + 2, x0 + 3), plotBottom - 3);
}

function outcomeColor(op: HistoryOp, theme: CanvasTheme): string {
  if (op.outcome === 'ok') return theme.ok;
  if (op.outcome === 'fail') return theme.fault;
  if (op.outcome === 'info') return theme.warn;
  return theme.mutedText;
}

function drawBars(chart: HistoryChart): void {
  const { context, theme } = chart;
  const laneOf = new Map(chart.lanes.map((lane) => [lane.process, lane]));
  // Per row, the bars in invoke order: a label may use the room up to the next bar.
  const rows = new Map<string, HistoryOp[]>();
  for (const op of chart.ops) {
    const key = `${op.process}/${op.row}`;
    const list = rows.get(key);
    if (list === undefined) rows.set(key, [op]);
    else list.push(op);
  }
  context.font = `500 12px ${theme.fontFamily}`;
  context.textBaseline = 'middle';
  // Thousands of bars in view are too thin to label; skipping the text keeps a frame short.
  const labelled = chart.ops.length <= LABELLED_OPS_MAX;
  for (const list of rows.values()) {
    list.sort((a, b) => a.invokeMs - b.invokeMs);
    list.forEach((op, index) => {
      const lane = laneOf.get(op.process);
      if (lane === undefined) return;
      const y = lane.y + op.row * HISTORY_ROW_PX + (HISTORY_ROW_PX - BAR_PX) / 2;
      const x0 = timeToX(chart, op.invokeMs);
      const open = op.outcome === 'info' || op.outcome === 'pending';
      const x1 = open ? chart.width : Math.max(x0 + MIN_BAR_PX, timeToX(chart, endOf(op, chart.latestMs)));
      const role = failingRole(op, chart.failingWindow, chart.latestMs);
      context.globalAlpha = role === 'outside' ? 0.3 : 1;
      drawBar(context, theme, op, { x0, x1, y, gaveUpX: op.completeMs === null ? x1 : timeToX(chart, op.completeMs) });
      if (op.outcome === 'info' && op.completeMs !== null) {
        // Where the client gave up: the operation goes on being possible after it.
        const gaveUp = timeToX(chart, op.completeMs);
        context.fillStyle = theme.warn;
        context.fillRect(gaveUp - 1, y - 2, 2, BAR_PX + 4);
      }
      if (role === 'culprit') {
        context.strokeStyle = theme.fault;
        context.lineWidth = 2.5;
        context.strokeRect(x0 - 1.5, y - 1.5, Math.min(x1, chart.width) - x0 + 3, BAR_PX + 3);
      }
      if (chart.hovered === op) {
        context.strokeStyle = theme.text;
        context.lineWidth = 1.5;
        context.strokeRect(x0 - 1, y - 1, Math.min(x1, chart.width) - x0 + 2, BAR_PX + 2);
      }
      const next = list[index + 1];
      const room = (next === undefined ? chart.width - RIGHT_PX : timeToX(chart, next.invokeMs)) - x0 - 6;
      if (labelled) drawLabel(context, theme, op, x0, room, y + BAR_PX / 2);
      context.globalAlpha = 1;
    });
  }
}

function drawBar(
  context: CanvasRenderingContext2D,
  theme: CanvasTheme,
  op: HistoryOp,
  at: { x0: number; x1: number; y: number; gaveUpX: number },
): void {
  const { x0, x1, y } = at;
  const color = outcomeColor(op, theme);
  const width = x1 - x0;
  if (op.outcome === 'info' || op.outcome === 'pending') {
    context.save();
    context.beginPath();
    context.rect(x0, y, width, BAR_PX);
    context.clip();
    context.fillStyle = withAlpha(color, 0.1);
    context.fillRect(x0, y, width, BAR_PX);
    if (op.outcome === 'info') {
      // Hatched while the client waited, fainter after it gave up: still possible, not seen.
      context.lineWidth = 1.5;
      for (const [from, to, alpha] of [[x0, at.gaveUpX, 0.55], [at.gaveUpX, x1, 0.25]] as const) {
        if (to <= from) continue;
        context.save();
        context.beginPath();
        context.rect(from, y, to - from, BAR_PX);
        context.clip();
        context.strokeStyle = withAlpha(color, alpha);
        context.beginPath();
        for (let x = from - BAR_PX - ((from - x0) % 7); x < to; x += 7) {
          context.moveTo(x, y + BAR_PX);
          context.lineTo(x + BAR_PX, y);
        }
        context.stroke();
        context.restore();
      }
    }
    context.restore();
    // Open to the right: no right edge, only top, bottom and the invoke.
    context.strokeStyle = color;
    context.lineWidth = 1.5;
    context.setLineDash(op.outcome === 'pending' ? [4, 3] : []);
    context.beginPath();
    context.moveTo(x1, y + 0.75);
    context.lineTo(x0 + 0.75, y + 0.75);
    context.lineTo(x0 + 0.75, y + BAR_PX - 0.75);
    context.lineTo(x1, y + BAR_PX - 0.75);
    context.stroke();
    context.setLineDash([]);
    return;
  }
  context.fillStyle = withAlpha(color, 0.22);
  context.fillRect(x0, y, width, BAR_PX);
  context.strokeStyle = color;
  context.lineWidth = 1.5;
  context.strokeRect(x0 + 0.75, y + 0.75, Math.max(0.5, width - 1.5), BAR_PX - 1.5);
}

/** The label at the bar's start, if it fits before the next bar of the row; else a shorter one, or none. */
function drawLabel(context: CanvasRenderingContext2D, theme: CanvasTheme, op: HistoryOp, x0: number, room: number, y: number): void {
  const full = opLabel(op);
  const marks = op.outcome === 'fail' ? ' ✕' : op.outcome === 'info' ? ' ?' : '';
  const candidates = [full + marks, full, op.op.key !== undefined ? `${op.op.f} ${op.op.key}` : op.op.f];
  const text = candidates.find((candidate) => context.measureText(candidate).width <= room);
  if (text === undefined) return;
  const width = context.measureText(text).width;
  context.fillStyle = withAlpha(theme.background, 0.75);
  context.fillRect(x0 + 3, y - 7, width + 2, 14);
  context.fillStyle = op.outcome === 'fail' ? theme.fault : theme.text;
  context.fillText(text, x0 + 4, y + 0.5);
}

function drawLaneNames(chart: HistoryChart): void {
  const { context, theme } = chart;
  context.font = `700 14px ${theme.fontFamily}`;
  context.textBaseline = 'middle';
  for (const lane of chart.lanes) {
    context.fillStyle = processColor(lane.process);
    context.fillText(lane.process, 10, lane.y + HISTORY_ROW_PX / 2);
    context.strokeStyle = theme.grid;
    context.lineWidth = 1;
    context.beginPath();
    const y = Math.round(lane.y + lane.height + HISTORY_LANE_GAP_PX / 2) + 0.5;
    context.moveTo(4, y);
    context.lineTo(chart.width, y);
    context.stroke();
  }
}
