// How a recorded run reads in the page: the banner's line and a run's start time. Pure.
import type { RunMetadata } from '../../src-node/contract/trace.ts';

/** "failure-detector · 2026-…-a1b2c3 · real", or "… · simulated (seed 8421)": the seed replays a simulated run. */
export function describeRecordedRun(run: Pick<RunMetadata, 'scenario' | 'runId' | 'mode' | 'seed'>): string {
  const how = run.mode === 'sim' ? `simulated (seed ${run.seed})` : 'real';
  return `${run.scenario} · ${run.runId} · ${how}`;
}

/** A run's start as a local date and time, to the second (runs a minute apart are common). */
export function formatStartedAt(epochMs: number, locale?: string): string {
  if (!Number.isFinite(epochMs) || epochMs <= 0) return 'unknown time';
  return new Date(epochMs).toLocaleString(locale, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}
