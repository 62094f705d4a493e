// A sweep: one simulated run per seed, judged, summarised. Pure like the rest of the
// simulator; the caller (the CLI) measures wall time and draws the progress bar through
// `onRun`.

import type { SimConfig } from './config.ts';
import { simulate, type SimResult } from './simulator.ts';

export interface SeedOutcome {
  seed: number;
  ok: boolean;
  /** The checks whose verdict was not the expected one, with why. */
  failures: string[];
  /** Checks that found an anomaly (expected or not): lost writes, split brain, … */
  anomalies: string[];
  replay: string;
  digest: string;
  events: number;
}

export interface SweepSummary {
  source: string;
  from: number;
  count: number;
  passed: number;
  failed: SeedOutcome[];
  /** Seeds whose run showed an anomaly, per check kind. */
  anomalies: Record<string, number[]>;
  events: number;
}

/** Outcomes kept per category; a sweep of a million seeds must not hold a million of them. */
export const SWEEP_KEPT_MAX = 1000;

export function outcomeOf(result: SimResult): SeedOutcome {
  return {
    seed: result.config.seed,
    ok: result.ok,
    failures: result.checks.filter((check) => !check.ok).map((check) => `${check.kind}: ${check.verdict} (expected ${check.expect}) — ${check.summary}`),
    anomalies: result.anomalies,
    replay: result.replay,
    digest: result.digest,
    events: result.stats.events,
  };
}

export function sweep(options: {
  source: string;
  from: number;
  count: number;
  build: (seed: number) => SimConfig;
  onRun?: (outcome: SeedOutcome, done: number) => void;
}): SweepSummary {
  const summary: SweepSummary = { source: options.source, from: options.from, count: options.count, passed: 0, failed: [], anomalies: {}, events: 0 };
  for (let index = 0; index < options.count; index += 1) {
    const seed = options.from + index;
    let outcome: SeedOutcome;
    try {
      outcome = outcomeOf(simulate(options.build(seed)));
    } catch (error) {
      // The simulator itself failed (a limit, a bug): the seed fails, with the replay to see it.
      outcome = { seed, ok: false, failures: [`simulator: ${(error as Error).message}`], anomalies: [], replay: `npx distlab sim ${options.source} --seed ${seed}`, digest: '', events: 0 };
    }
    summary.events += outcome.events;
    if (outcome.ok) summary.passed += 1;
    else if (summary.failed.length < SWEEP_KEPT_MAX) summary.failed.push(outcome);
    for (const kind of outcome.anomalies) {
      const seeds = (summary.anomalies[kind] ??= []);
      if (seeds.length < SWEEP_KEPT_MAX) seeds.push(seed);
    }
    options.onRun?.(outcome, index + 1);
  }
  return summary;
}
