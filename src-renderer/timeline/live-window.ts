// The time window of a live chart (suspicion, history): it fits what exists until the
// window fills, then scrolls. Pure.

/** The narrowest time window the chart shows: a run's first seconds fill it instead of a corner of a minute. */
export const MIN_WINDOW_MS = 5_000;

/**
 * The time window of a live chart: while the run is shorter than `windowMs` it shows
 * [0, max(latest, MIN_WINDOW_MS)], so the first samples use the whole width; then the
 * last `windowMs` scroll. An infinite window shows everything from the earliest sample.
 */
export function chartWindow(options: { latestMs: number; earliestMs: number; windowMs: number }): { fromMs: number; toMs: number } {
  const latestMs = Number.isFinite(options.latestMs) ? Math.max(0, options.latestMs) : 0;
  if (!Number.isFinite(options.windowMs)) {
    const fromMs = Number.isFinite(options.earliestMs) ? Math.min(0, options.earliestMs) : 0;
    return { fromMs, toMs: Math.max(latestMs, fromMs + MIN_WINDOW_MS) };
  }
  const spanMs = Math.min(Math.max(MIN_WINDOW_MS, options.windowMs), Math.max(MIN_WINDOW_MS, latestMs));
  const toMs = Math.max(latestMs, spanMs);
  return { fromMs: toMs - spanMs, toMs };
}
