// Paints one observer's phi chart: a line per peer on a log scale, the threshold as a
// dashed line, and the observer's own outages and pauses shaded, so that a gap in its
// lines reads as "this node was stopped", not as a glitch.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { CanvasTheme } from '../timeline/canvas-theme.ts';
import { processColor, withAlpha } from '../timeline/colors.ts';
import type { FaultMarker, PartitionBand, ProcessInterval } from '../timeline/fault-intervals.ts';
import { formatTick, niceTicks } from '../timeline/space-time-view.ts';
import { PHI_TICKS, phiToUnit, visibleRuns, type ObserverSeries } from './suspicion-series.ts';

const LEFT_PX = 40;
const RIGHT_PX = 8;
const TOP_PX = 8;
const BOTTOM_PX = 20;
/** Below the plot: when peers were down or paused, the causes of the climbs above. */
const STRIP_PX = 18;

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
  /** The peers' outages and pauses: the causes its lines react to. */
  peerIntervals: readonly ProcessInterval[];
  partitions: readonly PartitionBand[];
  /** Faults on links into the observer (loss, delay…): the cause of a saw-tooth. */
  linkMarkers: readonly FaultMarker[];
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
  const bottom = Math.max(top + 1, chart.height - BOTTOM_PX - STRIP_PX);
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
  drawGrid(chart, frame);
  context.save();
  context.beginPath();
  context.rect(frame.left, frame.top - 2, frame.right - frame.left, frame.bottom - frame.top + 4);
  context.clip();
  drawIntervals(chart, frame);
  drawThreshold(chart, frame);
  drawLines(chart, frame);
  context.restore();
  drawPeerIntervals(chart, frame);
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
  const { step, values } = niceTicks(chart.fromMs, chart.toMs, Math.max(2, Math.floor((frame.right - frame.left) / 90)));
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
    context.fillText(text, Math.min(chart.width - half, Math.max(frame.left + half, x)), frame.bottom + STRIP_PX + 4);
  }
  context.textAlign = 'left';
}

function drawIntervals(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  for (const interval of chart.intervals) {
    const x0 = frame.x(interval.start.labTimeMs);
    const x1 = frame.x(interval.end?.labTimeMs ?? chart.toMs);
    if (x1 < frame.left || x0 > frame.right) continue;
    const color = interval.kind === 'paused' ? theme.warn : theme.fault;
    context.fillStyle = withAlpha(color, 0.1);
    context.fillRect(x0, frame.top, x1 - x0, frame.bottom - frame.top);
    context.font = `600 11px ${theme.fontFamily}`;
    context.textBaseline = 'top';
    context.fillStyle = color;
    context.fillText(intervalLabel(interval), Math.max(x0, frame.left) + 4, frame.top + 2);
  }
}

/** A bar in the peer's color under the plot, labelled: `n3 crashed`. */
function drawPeerIntervals(chart: PhiChart, frame: Frame): void {
  const { context, theme } = chart;
  context.font = `600 11px ${theme.fontFamily}`;
  context.textBaseline = 'top';
  for (const interval of chart.peerIntervals) {
    const x0 = Math.max(frame.left, frame.x(interval.start.labTimeMs));
    const x1 = Math.min(frame.right, frame.x(interval.end?.labTimeMs ?? chart.toMs));
    if (x1 < x0) continue;
    const color = processColor(interval.process);
    context.fillStyle = withAlpha(color, interval.kind === 'paused' ? 0.4 : 0.8);
    context.fillRect(x0, frame.bottom + 3, Math.max(2, x1 - x0), 4);
    context.fillStyle = color;
    context.fillText(`${interval.process} ${intervalLabel(interval)}`, x0 + 2, frame.bottom + 8);
  }
  for (const band of chart.partitions) {
    const x0 = Math.max(frame.left, frame.x(band.start.labTimeMs));
    const x1 = Math.min(frame.right, frame.x(band.end?.labTimeMs ?? chart.toMs));
    if (x1 < x0) continue;
    context.fillStyle = withAlpha(theme.fault, 0.5);
    context.fillRect(x0, frame.bottom + 3, Math.max(2, x1 - x0), 4);
    context.fillStyle = theme.fault;
    context.fillText('partition', x0 + 2, frame.bottom + 8);
  }
  for (const marker of chart.linkMarkers) {
    const x = frame.x(marker.at.labTimeMs);
    if (x < frame.left || x > frame.right) continue;
    context.fillStyle = theme.warn;
    context.beginPath();
    context.moveTo(x - 5, frame.bottom + 2);
    context.lineTo(x + 5, frame.bottom + 2);
    context.lineTo(x, frame.bottom + 9);
    context.closePath();
    context.fill();
    context.fillText(`${marker.process}${marker.label}`, x + 6, frame.bottom + 6);
  }
}

function intervalLabel(interval: ProcessInterval): string {
  if (interval.kind === 'paused') return 'paused';
  return interval.cause === 'crash' ? 'crashed' : interval.cause === 'wipe' ? 'disk lost' : 'stopped';
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
  context.fillStyle = theme.fault;
  context.fillText(`φ ${chart.threshold}`, frame.right - 4, y - 2);
  context.textAlign = 'left';
}

function drawLines(chart: PhiChart, frame: Frame): void {
  const { context } = chart;
  if (chart.series === undefined) return;
  context.lineWidth = 1.6;
  context.lineJoin = 'round';
  for (const peer of chart.peers) {
    const line = chart.series.peers.get(peer);
    if (line === undefined) continue;
    context.strokeStyle = processColor(peer);
    context.fillStyle = processColor(peer);
    context.beginPath();
    for (const [begin, end] of visibleRuns(line, chart.fromMs, chart.toMs)) {
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
  }
}
