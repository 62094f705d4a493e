// The diagram's window onto time: where it starts, how many pixels a unit takes, and
// whether it follows the newest events. Pure functions of plain values, so zooming and
// panning can be tested without a canvas.

import type { TimeAxis } from './space-time-layout.ts';

export interface TimeView {
  axis: TimeAxis;
  /** Axis value (ms of lab time, or Lamport time) at the left edge of the plot. */
  start: number;
  pxPerUnit: number;
  /** Keep the newest event at the right edge as events arrive. */
  follow: boolean;
  /**
   * While following, let the span grow with the run: early on the plot shows [0, now]
   * (at least MIN_SPAN), so that the first seconds fill the width instead of sitting
   * in a corner of a 20 s window; once the run is longer than the default span it scrolls.
   * Zooming or fitting by hand turns it off; a fresh view turns it on.
   */
  grow: boolean;
}

/** How far one can zoom: from about half an hour (or 20,000 Lamport ticks) across a
 * screen to a few microseconds per pixel (or 200 px per tick). */
export const ZOOM_LIMITS: Record<TimeAxis, { min: number; max: number }> = {
  lab: { min: 0.0005, max: 40 },
  lamport: { min: 0.05, max: 200 },
};

/** What a fresh view shows across the plot once the run is long enough: 20 s of lab time, or 120 Lamport ticks. */
export const DEFAULT_SPAN: Record<TimeAxis, number> = { lab: 20_000, lamport: 120 };
/** The narrowest span a growing view shows, so that the first events are not stretched across the screen. */
export const MIN_SPAN: Record<TimeAxis, number> = { lab: 4_000, lamport: 20 };

/** Room left right of the newest event while following, in pixels. */
export const FOLLOW_MARGIN_PX = 24;

export function clampZoom(axis: TimeAxis, pxPerUnit: number): number {
  const limits = ZOOM_LIMITS[axis];
  return Math.min(limits.max, Math.max(limits.min, pxPerUnit));
}

export function initialView(axis: TimeAxis, plotWidthPx: number): TimeView {
  return { axis, start: 0, pxPerUnit: clampZoom(axis, Math.max(1, plotWidthPx) / MIN_SPAN[axis]), follow: true, grow: true };
}

/** The span a growing view shows when the newest event is at `latest`: clamp(latest, MIN_SPAN, DEFAULT_SPAN). */
export function growingSpan(axis: TimeAxis, latest: number): number {
  const fitted = Number.isFinite(latest) ? latest : 0;
  return Math.min(DEFAULT_SPAN[axis], Math.max(MIN_SPAN[axis], fitted));
}

/** Zooms by `factor` keeping the axis value under `anchorPx` (from the plot's left edge) in place. */
export function zoomView(view: TimeView, factor: number, anchorPx: number): TimeView {
  const pxPerUnit = clampZoom(view.axis, view.pxPerUnit * factor);
  const anchorValue = view.start + anchorPx / view.pxPerUnit;
  return { ...view, pxPerUnit, start: anchorValue - anchorPx / pxPerUnit, grow: false };
}

/** Drags the content `dxPx` to the right; a person who pans wants to stay where they are. */
export function panView(view: TimeView, dxPx: number): TimeView {
  return { ...view, start: view.start - dxPx / view.pxPerUnit, follow: false };
}

/** Puts `latest` at the right edge of a plot `plotWidthPx` wide (only while following). */
export function followLatest(view: TimeView, latest: number, plotWidthPx: number): TimeView {
  if (!view.follow || !Number.isFinite(latest)) return view;
  const usable = Math.max(1, plotWidthPx - FOLLOW_MARGIN_PX);
  const pxPerUnit = view.grow ? clampZoom(view.axis, usable / growingSpan(view.axis, latest)) : view.pxPerUnit;
  const start = latest - usable / pxPerUnit;
  // Time starts at 0 with the run: a short trace sits at the left edge, not floating right.
  return { ...view, pxPerUnit, start: Math.max(0, start) };
}

/** Round tick positions (1, 2 or 5 × 10ⁿ apart) covering [from, to], about `count` of them. */
export function niceTicks(from: number, to: number, count: number): { step: number; values: number[] } {
  const span = to - from;
  if (!(span > 0) || count < 1) return { step: 1, values: [] };
  const rough = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const values: number[] = [];
  for (let value = Math.ceil(from / step) * step; value <= to; value += step) values.push(Number(value.toPrecision(12)));
  return { step, values };
}

/** A tick label: seconds of lab time with as many decimals as the step needs, or a Lamport time. */
export function formatTick(value: number, axis: TimeAxis, step: number): string {
  if (axis === 'lamport') return String(Math.round(value));
  const decimals = Math.max(0, Math.min(3, -Math.floor(Math.log10(step / 1000))));
  return `${(value / 1000).toFixed(decimals)} s`;
}
