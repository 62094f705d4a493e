// Geometry of the PBS panel's charts (pure: the component only draws what this returns).
// The curve chart: P(consistent read) against t, the prediction as a line, the measurement as
// points with their 95 % intervals, the target (99.9 %) as a dashed line, and where each
// curve reaches it. The k-staleness chart: per k, the measured share beside the paper's bound.

import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';

export const CHART = Object.freeze({ width: 560, height: 250, left: 46, right: 14, top: 12, bottom: 36 });
export const BARS = Object.freeze({ width: 560, height: 150, left: 46, right: 14, top: 12, bottom: 30 });

export interface CurveChart {
  predictedPath: string;
  measured: { x: number; y: number; yLow: number; yHigh: number; label: string }[];
  targetY: number;
  /** Vertical markers at each t-visibility (absent when not reached or off the chart). */
  predictedTvX: number | null;
  measuredTvX: number | null;
  xTicks: { x: number; label: string }[];
  yTicks: { y: number; label: string }[];
  plot: { x: number; y: number; width: number; height: number };
}

export interface BarChart {
  bars: { k: number; x: number; width: number; measuredY: number; boundY: number; lowY: number; highY: number; label: string }[];
  yTicks: { y: number; label: string }[];
  plot: { x: number; y: number; width: number; height: number };
}

/** A round step for about `count` ticks over [0, span]. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

const percent = (value: number): string => `${(value * 100).toFixed(value === 1 || value === 0 ? 0 : 1)} %`;

export function curveChart(result: PbsMeasurement): CurveChart {
  const plot = { x: CHART.left, y: CHART.top, width: CHART.width - CHART.left - CHART.right, height: CHART.height - CHART.top - CHART.bottom };
  const lastT = result.measured.curve.at(-1)?.tMs ?? 0;
  const tMax = Math.max(lastT, 1);
  // The y axis starts at the lowest share seen (rounded down to 10 %), so a curve near 1 is not flattened.
  const lowest = Math.min(...result.measured.curve.map((point) => point.low), ...result.predicted.atGrid.map((point) => point.pConsistent), 1);
  const yMin = Math.max(0, Math.floor(lowest * 10) / 10 - 0.1);
  const x = (tMs: number): number => plot.x + (Math.min(tMs, tMax) / tMax) * plot.width;
  const y = (p: number): number => plot.y + (1 - (p - yMin) / (1 - yMin)) * plot.height;
  const points = result.predicted.curve.filter((point) => point.tMs <= tMax);
  // The prediction is flat at its last value up to the end of the grid.
  const last = points.at(-1);
  if (last !== undefined && last.tMs < tMax) points.push({ tMs: tMax, pConsistent: last.pConsistent });
  const predictedPath = points.map((point, index) => `${index === 0 ? 'M' : 'L'}${x(point.tMs).toFixed(1)},${y(point.pConsistent).toFixed(1)}`).join(' ');
  const measured = result.measured.curve.map((point) => ({
    x: x(point.tMs), y: y(point.pConsistent), yLow: y(point.low), yHigh: y(point.high),
    label: `t = ${point.tMs} ms: ${percent(point.pConsistent)} of ${point.trials} reads (95 %: ${percent(point.low)}–${percent(point.high)})`,
  }));
  const xStep = niceStep(tMax, 6);
  const xTicks: CurveChart['xTicks'] = [];
  for (let tMs = 0; tMs <= tMax + 1e-9; tMs += xStep) xTicks.push({ x: x(tMs), label: `${Math.round(tMs * 100) / 100}` });
  const yStep = niceStep(1 - yMin, 5);
  const yTicks: CurveChart['yTicks'] = [];
  for (let p = 1; p >= yMin - 1e-9; p -= yStep) yTicks.push({ y: y(p), label: percent(Math.round(p * 1000) / 1000) });
  const onChart = (tMs: number | null): number | null => (tMs === null || tMs > tMax ? null : x(tMs));
  return {
    predictedPath, measured, targetY: y(result.targetPct / 100),
    predictedTvX: onChart(result.predicted.tVisibilityMs), measuredTvX: onChart(result.measured.tVisibilityMs),
    xTicks, yTicks, plot,
  };
}

export function kStalenessChart(result: PbsMeasurement): BarChart {
  const plot = { x: BARS.left, y: BARS.top, width: BARS.width - BARS.left - BARS.right, height: BARS.height - BARS.top - BARS.bottom };
  const rows = result.kStaleness.rows;
  const slot = plot.width / Math.max(1, rows.length);
  const y = (p: number): number => plot.y + (1 - p) * plot.height;
  const bars = rows.map((row, index) => ({
    k: row.k, x: plot.x + index * slot + slot * 0.15, width: slot * 0.35,
    measuredY: y(row.measured), boundY: y(row.bound), lowY: y(row.low), highY: y(row.high),
    label: `k = ${row.k}: ${percent(row.measured)} of reads saw one of the last ${row.k} versions (bound ${percent(row.bound)})`,
  }));
  const yTicks = [0, 0.5, 1].map((p) => ({ y: y(p), label: percent(p) }));
  return { bars, yTicks, plot };
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const allOf = (value: unknown, keys: readonly string[]): boolean => Array.isArray(value) && value.every((item) => isObject(item) && keys.every((key) => isNumber(item[key])));

/**
 * A PBS result read back from a trace (recorded-measurements.ts) has what the panel draws: its
 * figures and both curves, the k-staleness rows and the caveats. A trace is a file from
 * anywhere, so this is checked, not assumed.
 */
export function isPbsMeasurement(value: unknown): value is PbsMeasurement {
  if (!isObject(value) || (value['mode'] !== 'sim' && value['mode'] !== 'live')) return false;
  if (!['n', 'r', 'w', 'seed', 'targetPct'].every((key) => isNumber(value[key]))) return false;
  const { predicted, measured, kStaleness, caveats } = value;
  if (!isObject(predicted) || !isNumber(predicted['tVisibilityMs']) || !isNumber(predicted['pConsistentAtZero'])) return false;
  if (!allOf(predicted['curve'], ['tMs', 'pConsistent']) || !allOf(predicted['atGrid'], ['tMs', 'pConsistent'])) return false;
  if (!isObject(measured) || !(measured['tVisibilityMs'] === null || isNumber(measured['tVisibilityMs']))) return false;
  if (!allOf(measured['curve'], ['tMs', 'pConsistent', 'low', 'high', 'trials', 'consistent'])) return false;
  if (!isObject(kStaleness) || !isNumber(kStaleness['reads']) || !allOf(kStaleness['rows'], ['k', 'measured', 'low', 'high', 'bound'])) return false;
  return Array.isArray(caveats) && caveats.every((caveat) => typeof caveat === 'string');
}
