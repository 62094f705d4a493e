// Geometry of the CRDT panel's convergence chart (pure: the component only draws what this
// returns): gossip convergence time against the links' loss rate, one series per cluster size
// measured in this session. Each measurement is a filled point at the live cluster's p50 with a
// whisker up to its p99, and beside it (a few pixels to the right, so that neither hides the
// other) a hollow point with whisker for the simulator's prediction of the same parameters.
// The live points of a series are joined by a solid line, the predictions by a dashed one,
// both in loss order. A measurement whose runs all missed the window has no p50: its point
// sits on the top edge, marked censored.

import type { ConvergenceFigures, ConvergenceMeasurement } from '../../src-node/contract/gossip.ts';

export const CONVERGENCE_CHART = Object.freeze({ width: 560, height: 240, left: 50, right: 96, top: 14, bottom: 36 });
/** Series colours by cluster size, in the order the sizes sort (beyond the palette they repeat). */
export const SERIES_COLORS = Object.freeze(['#2f6fd0', '#d0702f', '#2a9d5b', '#9b4fc9', '#c93f5f', '#7a7a2a']);
/** How far right of its live point a prediction is drawn, px. */
export const SIM_OFFSET_PX = 6;
/** Room inside the plot at either end of the loss axis, so points at 0 % and at the last tick (and their predictions) stay inside. */
export const X_PAD_PX = 14;
/** The y axis reaches at least this far, ms (a chart of 30 ms and 40 ms is not a chart of noise). */
const Y_MIN_SPAN_MS = 100;

export interface ChartPoint {
  x: number;
  /** At the p50, or on the top edge when every run was censored. */
  y: number;
  /** At the p99 (equal to y when there is none). */
  yHigh: number;
  censored: boolean;
  label: string;
}

export interface ChartSeries {
  nodes: number;
  color: string;
  live: ChartPoint[];
  sim: ChartPoint[];
  livePath: string;
  simPath: string;
  legendY: number;
}

export interface ConvergenceChart {
  plot: { x: number; y: number; width: number; height: number };
  series: ChartSeries[];
  xTicks: { x: number; label: string }[];
  yTicks: { y: number; label: string }[];
}

/** A round step for about `count` ticks over [0, span]. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function figuresText(figures: ConvergenceFigures, unit: 'runs' | 'seeds'): string {
  const times = figures.p50Ms === null ? 'none converged' : `p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms ?? '—'} ms`;
  return `${times} of ${figures.runs} ${unit}${figures.censored > 0 ? ` (${figures.censored} censored)` : ''}`;
}

/** What a measurement's point says when pointed at. */
export function measurementLabel(measurement: ConvergenceMeasurement): string {
  const { nodes, lossPct, mode, fanout, intervalMs } = measurement;
  return `${nodes} nodes, ${lossPct} % loss, ${mode} (fanout ${fanout}, every ${intervalMs} ms): live ${figuresText(measurement.live, 'runs')}; simulator ${figuresText(measurement.sim, 'seeds')}`;
}

function path(points: readonly ChartPoint[]): string {
  return [...points].sort((a, b) => a.x - b.x).map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x.toFixed(1)},${point.y.toFixed(1)}`).join(' ');
}

export function convergenceChart(measurements: readonly ConvergenceMeasurement[]): ConvergenceChart {
  const box = CONVERGENCE_CHART;
  const plot = { x: box.left, y: box.top, width: box.width - box.left - box.right, height: box.height - box.top - box.bottom };
  const maxLoss = Math.max(30, ...measurements.map((measurement) => measurement.lossPct));
  const lossMax = Math.min(100, Math.ceil(maxLoss / 10) * 10);
  const times = measurements.flatMap((measurement) => [measurement.live, measurement.sim].flatMap((figures) => [figures.p50Ms, figures.p99Ms]))
    .filter((time): time is number => time !== null);
  const yStep = niceStep(Math.max(Y_MIN_SPAN_MS, ...times), 5);
  const yMax = Math.max(yStep, Math.ceil(Math.max(Y_MIN_SPAN_MS, ...times) / yStep) * yStep);
  const x = (lossPct: number): number => plot.x + X_PAD_PX + (Math.min(lossPct, lossMax) / lossMax) * (plot.width - 2 * X_PAD_PX);
  const y = (ms: number): number => plot.y + (1 - Math.min(ms, yMax) / yMax) * plot.height;
  const point = (figures: ConvergenceFigures, atX: number, label: string): ChartPoint => ({
    x: atX,
    y: figures.p50Ms === null ? plot.y : y(figures.p50Ms),
    yHigh: figures.p99Ms === null ? (figures.p50Ms === null ? plot.y : y(figures.p50Ms)) : y(figures.p99Ms),
    censored: figures.p50Ms === null,
    label,
  });
  const sizes = [...new Set(measurements.map((measurement) => measurement.nodes))].sort((a, b) => a - b);
  const series = sizes.map((nodes, index): ChartSeries => {
    const mine = measurements.filter((measurement) => measurement.nodes === nodes);
    const live = mine.map((measurement) => point(measurement.live, x(measurement.lossPct), measurementLabel(measurement)));
    const sim = mine.map((measurement) => point(measurement.sim, x(measurement.lossPct) + SIM_OFFSET_PX, measurementLabel(measurement)));
    return {
      nodes, color: SERIES_COLORS[index % SERIES_COLORS.length]!, live, sim, livePath: path(live), simPath: path(sim),
      legendY: plot.y + 10 + index * 16,
    };
  });
  const xStep = lossMax <= 50 ? 10 : 20;
  const xTicks: ConvergenceChart['xTicks'] = [];
  for (let loss = 0; loss <= lossMax; loss += xStep) xTicks.push({ x: x(loss), label: `${loss} %` });
  const yTicks: ConvergenceChart['yTicks'] = [];
  for (let ms = 0; ms <= yMax + 1e-9; ms += yStep) yTicks.push({ y: y(ms), label: `${ms}` });
  return { plot, series, xTicks, yTicks };
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isMs = (value: unknown): value is number | null => value === null || isCount(value);

function isFigures(value: unknown): value is ConvergenceMeasurement['live'] {
  if (typeof value !== 'object' || value === null) return false;
  const figures = value as Record<string, unknown>;
  return isCount(figures['runs']) && isCount(figures['censored']) && isMs(figures['p50Ms']) && isMs(figures['p99Ms'])
    && Array.isArray(figures['timesMs']) && figures['timesMs'].every(isMs);
}

/** A convergence measurement read back from a trace has what the chart and its summary draw (a trace is a file from anywhere). */
export function isConvergenceMeasurement(value: unknown): value is ConvergenceMeasurement {
  if (typeof value !== 'object' || value === null) return false;
  const measurement = value as Record<string, unknown>;
  return ['nodes', 'fanout', 'intervalMs', 'lossPct', 'windowMs', 'atLabMs'].every((key) => isCount(measurement[key]))
    && typeof measurement['type'] === 'string' && typeof measurement['mode'] === 'string'
    && isFigures(measurement['live']) && isFigures(measurement['sim'])
    && Array.isArray(measurement['keys']) && measurement['keys'].every((key) => typeof key === 'string')
    && Array.isArray(measurement['caveats']) && measurement['caveats'].every((caveat) => typeof caveat === 'string');
}
