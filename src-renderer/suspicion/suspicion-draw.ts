// Paints one observer's phi chart: a line per peer on a log scale, named at its end; the
// threshold as a dashed line with the "suspected" zone above it tinted; the observer's
// own outages and pauses shaded (a gap in its lines reads as "this node was stopped",
// not as a glitch); and under the plot, one row per cause — a crash as a solid bar, a
// pause hatched, a lossy link dotted — so that the three failures the detector cannot
// tell apart are told apart by the lab, at a glance.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { CanvasTheme } from '../timeline/canvas-theme.ts';
import { processColor, withAlpha } from '../timeline/colors.ts';
import type { ProcessInterval } from '../timeline/fault-intervals.ts';
import { formatTick, niceTicks } from '../timeline/space-time-view.ts';
import { intervalWord, type CauseKind, type CauseRow } from '../timeline/cause-rows.ts';
import { PHI_TICKS, phiToUnit, SAMPLE_GAP_MS, visibleRuns, type ObserverSeries } from './suspicion-series.ts';

const LEFT_PX = 40;
/** Room right of the plot for the names at the ends of the lines. */
const RIGHT_PX = 30;
const TOP_PX = 8;
const AXIS_PX = 16;
/** One row of the cause strip under the plot. */
export const STRIP_ROW_PX = 17;
/** End labels closer than this are pushed apart. */
const LABEL_GAP_PX = 12;

export interface PhiChart {
  context: CanvasRenderingContext2D;
  theme: CanvasTheme;
  width: number;
  height: number;
  series: ObserverSeries | undefined;
  /** Peers to draw, in legend order. */
  peers: readonly ProcessId[];
  fromMs: number;
  toMs: number;
  threshold: number;
  /** The observer's own outages and pauses. */
  intervals: readonly ProcessInterval[];
  /** What the lab did meanwhile (see cause-rows.ts). */
  causes: readonly CauseRow[];
  /** Causes left out for want of room. */
  hiddenCauses: number;
  /** Rows kept for the strip, the same in every card so that the plots line up. */
  stripRows: number;
}

interface Frame {
  x: (timeMs: number) => number;
  y: (phi: number) => number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frameOf(chart: PhiChart): Frame {
  const left = LEFT_PX;
  const right = Math.max(left + 1, chart.width - RIGHT_PX);
  const top = TOP_PX;
  const strip = chart.stripRows > 0 ? chart.stripRows * STRIP_ROW_PX + 4 : 0;
  const bottom = Math.max(top + 1, chart.height - AXIS_PX - strip);
  const span = Math.max(1, chart.toMs - chart.fromMs);
  return {
    x: (timeMs) => left + ((timeMs - chart.fromMs) / span) * (right - left),
    y: (phi) => bottom - phiToUnit(phi) * (bottom - top),
    left,
    right,
    top,
    bottom,
  };
}

export function drawPhiChart(chart: PhiChart): void {
  const { context, theme } = chart;
  const frame = frameOf(chart);
  context.fillStyle = theme.background;
  context.fillRect(0, 0, chart.width, chart.height);
  drawSuspectedZone(chart, frame);
  drawGrid(chart, frame);
  context.save();
  context.beginPath();
  context.rect(frame.left, frame.top - 2, frame.right - frame.left, frame.bottom - frame.top + 4);
  context.clip();
  drawIntervals(chart, frame);
  drawCauseStarts(chart, frame);
  drawThreshold(chart, frame);
  const ends = drawLines(chart, frame);
  context.restore();
  drawEndLabels(chart, frame, ends);
  drawCauseStrip(chart, frame);
}

function drawGrid(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  context.font = `400 11px ${theme.fontFamily}`;
  context.textBaseline = 'middle';
  context.lineWidth = 1;
  for (const phi of PHI_TICKS) {
    const y = Math.round(frame.y(phi)) + 0.5;
    context.strokeStyle = theme.grid;
    context.beginPath();
    context.moveTo(frame.left, y);
    context.lineTo(frame.right, y);
    context.stroke();
    context.fillStyle = theme.mutedText;
    context.textAlign = 'right';
    context.fillText(phi >= 1000 ? '1k' : String(phi), frame.left - 5, y);
  }
  const { step, values } = niceTicks(chart.fromMs, chart.toMs, Math.max(2, Math.floor((frame.right - frame.left) / 80)));
  context.textAlign = 'center';
  context.textBaseline = 'top';
  for (const value of values) {
    const x = Math.round(frame.x(value)) + 0.5;
    context.strokeStyle = theme.grid;
    context.beginPath();
    context.moveTo(x, frame.top);
    context.lineTo(x, frame.bottom);
    context.stroke();
    context.fillStyle = theme.mutedText;
    const text = formatTick(value, 'lab', step);
    const half = context.measureText(text).width / 2 + 2;
    context.fillText(text, Math.min(chart.width - half, Math.max(frame.left + half, x)), chart.height - AXIS_PX + 3);
  }
  context.textAlign = 'left';
}

/** Above the threshold the observer suspects the peer: a faint red zone says so without a legend. */
function drawSuspectedZone(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  const y = frame.y(chart.threshold);
  context.fillStyle = withAlpha(theme.fault, 0.06);
  context.fillRect(frame.left, frame.top, frame.right - frame.left, y - frame.top);
}

function drawIntervals(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  for (const interval of chart.intervals) {
    const x0 = frame.x(interval.start.labTimeMs);
    const x1 = frame.x(interval.end?.labTimeMs ?? chart.toMs);
    if (x1 < frame.left || x0 > frame.right) continue;
    const color = interval.kind === 'paused' ? theme.warn : theme.fault;
    context.fillStyle = withAlpha(color, 0.12);
    context.fillRect(x0, frame.top, x1 - x0, frame.bottom - frame.top);
    context.font = `600 11px ${theme.fontFamily}`;
    context.textBaseline = 'bottom';
    context.fillStyle = color;
    // At the bottom of the shading: the lines of a silent observer stop there, and the top is the threshold's.
    const text = `${intervalWord(interval)}: no samples`;
    const room = Math.min(x1, frame.right) - Math.max(x0, frame.left);
    context.fillText(room > context.measureText(text).width + 8 ? text : intervalWord(interval), Math.max(x0, frame.left) + 4, frame.bottom - 2);
  }
}

function causeColor(kind: CauseKind, theme: CanvasTheme): string {
  return kind === 'paused' || kind === 'link' ? theme.warn : theme.fault;
}

/** A faint vertical rule where each cause begins, so that a climb lines up with what caused it. */
function drawCauseStarts(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  context.lineWidth = 1;
  context.setLineDash([2, 3]);
  for (const row of chart.causes) {
    for (const segment of row.segments) {
      const x = Math.round(frame.x(segment.fromMs)) + 0.5;
      if (x < frame.left || x > frame.right) continue;
      context.strokeStyle = withAlpha(causeColor(segment.kind, theme), 0.55);
      context.beginPath();
      context.moveTo(x, frame.top);
      context.lineTo(x, frame.bottom);
      context.stroke();
    }
  }
  context.setLineDash([]);
}

/**
 * One row per cause: solid red = down, hatched amber = paused, dotted amber = faulty link,
 * dashed red = partition. The name sits above its bar, so that a short bar is not hidden.
 */
function drawCauseStrip(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  context.font = `600 11px ${theme.fontFamily}`;
  context.textBaseline = 'middle';
  chart.causes.forEach((row, index) => {
    const rowTop = frame.bottom + 3 + index * STRIP_ROW_PX;
    const textY = rowTop + 6;
    const barY = rowTop + 13;
    for (const segment of row.segments) {
      const x0 = Math.max(frame.left, frame.x(segment.fromMs));
      const x1 = Math.min(frame.right, frame.x(segment.toMs ?? chart.toMs));
      if (x1 < x0) continue;
      const color = causeColor(segment.kind, theme);
      drawSegment(context, segment.kind, color, x0, Math.max(x0 + 3, x1), barY);
      const width = context.measureText(segment.label).width;
      // A bar that starts late in the window keeps its name inside the card.
      const lx = Math.min(x0, chart.width - width - 4);
      if (row.process !== null) {
        // The process's color ties the row to its line above.
        context.fillStyle = processColor(row.process);
        context.fillRect(lx, textY - 5, 3, 10);
      }
      context.fillStyle = color;
      context.fillText(segment.label, lx + 5, textY);
    }
  });
  if (chart.hiddenCauses > 0) {
    context.fillStyle = theme.mutedText;
    context.textAlign = 'right';
    context.fillText(`+${chart.hiddenCauses} more`, chart.width - 2, frame.bottom + 9);
    context.textAlign = 'left';
  }
}

function drawSegment(context: CanvasRenderingContext2D, kind: CauseKind, color: string, x0: number, x1: number, y: number): void {
  context.save();
  if (kind === 'crashed') {
    context.fillStyle = withAlpha(color, 0.85);
    context.fillRect(x0, y - 2.5, x1 - x0, 5);
  } else if (kind === 'paused') {
    context.strokeStyle = color;
    context.lineWidth = 1;
    context.strokeRect(x0 + 0.5, y - 2.5, x1 - x0 - 1, 5);
    context.beginPath();
    context.rect(x0, y - 3, x1 - x0, 6);
    context.clip();
    context.beginPath();
    for (let x = x0 - 8; x < x1 + 8; x += 5) {
      context.moveTo(x, y + 4);
      context.lineTo(x + 8, y - 4);
    }
    context.stroke();
  } else {
    context.strokeStyle = color;
    context.lineWidth = kind === 'link' ? 2.5 : 3;
    context.setLineDash(kind === 'link' ? [2, 3] : [7, 4]);
    context.beginPath();
    context.moveTo(x0, y);
    context.lineTo(x1, y);
    context.stroke();
  }
  context.restore();
}

function drawThreshold(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  const y = Math.round(frame.y(chart.threshold)) + 0.5;
  context.strokeStyle = theme.fault;
  context.lineWidth = 1.5;
  context.setLineDash([6, 4]);
  context.beginPath();
  context.moveTo(frame.left, y);
  context.lineTo(frame.right, y);
  context.stroke();
  context.setLineDash([]);
  context.font = `600 11px ${theme.fontFamily}`;
  context.textBaseline = 'bottom';
  context.textAlign = 'right';
  const text = `suspected above φ ${chart.threshold}`;
  const width = context.measureText(text).width;
  context.fillStyle = withAlpha(theme.background, 0.85);
  context.fillRect(frame.right - width - 6, y - 15, width + 4, 13);
  context.fillStyle = theme.fault;
  context.fillText(text, frame.right - 4, y - 2);
  context.textAlign = 'left';
}

interface LineEnd {
  peer: ProcessId;
  x: number;
  y: number;
}

/** Draws the lines and returns where each ends in the window, for its name. */
function drawLines(chart: PhiChart, frame: Frame): LineEnd[] {
  const { context } = chart;
  const ends: LineEnd[] = [];
  if (chart.series === undefined) return ends;
  context.lineWidth = 1.8;
  context.lineJoin = 'round';
  for (const peer of chart.peers) {
    const line = chart.series.peers.get(peer);
    if (line === undefined) continue;
    context.strokeStyle = processColor(peer);
    context.fillStyle = processColor(peer);
    context.beginPath();
    let last = -1;
    for (const [begin, end] of visibleRuns(line, chart.fromMs, chart.toMs)) {
      last = end - 1;
      if (end - begin === 1) {
        // A lone sample between gaps still shows.
        context.moveTo(frame.x(line.times[begin]!) + 2, frame.y(line.phi[begin]!));
        context.arc(frame.x(line.times[begin]!), frame.y(line.phi[begin]!), 2, 0, 2 * Math.PI);
        continue;
      }
      context.moveTo(frame.x(line.times[begin]!), frame.y(line.phi[begin]!));
      for (let i = begin + 1; i < end; i++) context.lineTo(frame.x(line.times[i]!), frame.y(line.phi[i]!));
    }
    context.stroke();
    // Only live lines get a name at their end: lines that stopped (the observer went
    // silent) would stack their names where the shading already says why.
    if (last >= 0 && chart.toMs - line.times[last]! <= SAMPLE_GAP_MS) {
      ends.push({ peer, x: Math.min(frame.right, frame.x(line.times[last]!)), y: frame.y(line.phi[last]!) });
    }
  }
  return ends;
}

/** Each line's name at its end, pushed apart where lines end close together (at the cap, say). */
function drawEndLabels(chart: PhiChart, frame: Frame, ends: LineEnd[]): void {
  const { context, theme } = chart;
  context.font = `700 11px ${theme.fontFamily}`;
  context.textBaseline = 'middle';
  const placed = placeEndLabels(ends, { top: frame.top + 4, bottom: frame.bottom - 2 });
  for (const end of placed) {
    context.fillStyle = withAlpha(theme.background, 0.85);
    const width = context.measureText(end.peer).width;
    const x = Math.min(end.x + 4, chart.width - width - 2);
    context.fillRect(x - 1, end.labelY - 6, width + 2, 12);
    context.fillStyle = processColor(end.peer);
    context.fillText(end.peer, x, end.labelY);
  }
}

/** Label heights for line ends: in y order, at least LABEL_GAP_PX apart, within [top, bottom]. Pure. */
export function placeEndLabels<T extends { x: number; y: number }>(
  ends: readonly T[],
  bounds: { top: number; bottom: number },
): (T & { labelY: number })[] {
  const sorted = [...ends].sort((a, b) => a.y - b.y || a.x - b.x);
  const placed = sorted.map((end) => ({ ...end, labelY: Math.min(bounds.bottom, Math.max(bounds.top, end.y)) }));
  for (let i = 1; i < placed.length; i++) {
    // Only labels that end near each other horizontally can collide.
    const previous = placed[i - 1]!;
    if (Math.abs(previous.x - placed[i]!.x) < 30) placed[i]!.labelY = Math.max(placed[i]!.labelY, previous.labelY + LABEL_GAP_PX);
  }
  // Pushed past the bottom: shift the column back up.
  for (let i = placed.length - 1; i >= 0; i--) {
    const next = placed[i + 1];
    const limit = next !== undefined && Math.abs(next.x - placed[i]!.x) < 30 ? next.labelY - LABEL_GAP_PX : bounds.bottom;
    placed[i]!.labelY = Math.min(placed[i]!.labelY, limit);
  }
  return placed;
}
