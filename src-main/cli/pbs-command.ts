// `distlab pbs`: the PBS prediction from a terminal (src-main/pbs/wars.ts). One profile, one
// (N, R, W), a seed; prints t-visibility by both estimators, the chance of a consistent read
// right after commit, and the read and write latency tails.
//
// Exit codes: 0 done, 2 bad input.

import { parseArgs } from 'node:util';
import { PBS_PROFILES, WARS_DEFAULTS, predictStaleness, type ReadFanout, type WarsResult } from '../pbs/wars.ts';

export const PBS_EXIT_OK = 0;
export const PBS_EXIT_BAD_INPUT = 2;

export function pbsHelp(): string {
  const profiles = [...PBS_PROFILES.values()].map((model) => `  ${model.name.padEnd(10)} ${model.summary}`).join('\n');
  return `distlab pbs — Probabilistically Bounded Staleness (Bailis et al., VLDB 2012): how long after
a write commits does a read of R out of N replicas see it, with W acks per write?

Usage:
  distlab pbs [--profile ymmr] [--n 3] [--r 1] [--w 1] [--trials 1000000] [--seed 1]
              [--target 99.9] [--trials-per-t 50000] [--fanout all|minimum] [--json]

--fanout all sends each read to all N and takes the first R answers (Dynamo); minimum sends
it to R replicas only. --trials-per-t 0 skips the paper's grid estimator.

Profiles (the paper's latency fits, ms):
${profiles}`;
}

function integer(name: string, raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer, not '${String(raw)}'`);
  return value;
}

export function parsePbsArgs(args: string[]): { profile: string; options: Parameters<typeof predictStaleness>[1] & object; json: boolean; help: boolean } {
  const { values } = parseArgs({
    args, allowPositionals: false, strict: true,
    options: {
      profile: { type: 'string' }, n: { type: 'string' }, r: { type: 'string' }, w: { type: 'string' },
      trials: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string' }, 'trials-per-t': { type: 'string' },
      fanout: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const profile = values.profile ?? 'ymmr';
  if (!PBS_PROFILES.has(profile)) throw new Error(`unknown profile '${profile}' (known: ${[...PBS_PROFILES.keys()].join(', ')})`);
  const target = values.target === undefined ? WARS_DEFAULTS.targetPct : Number(values.target);
  if (!Number.isFinite(target)) throw new Error(`--target must be a number, not '${values.target}'`);
  const fanout = values.fanout ?? WARS_DEFAULTS.readFanout;
  if (fanout !== 'all' && fanout !== 'minimum') throw new Error(`--fanout must be all or minimum, not '${fanout}'`);
  return {
    profile,
    json: values.json === true,
    help: values.help === true,
    options: {
      n: integer('n', values.n, WARS_DEFAULTS.n),
      r: integer('r', values.r, WARS_DEFAULTS.r),
      w: integer('w', values.w, WARS_DEFAULTS.w),
      trials: integer('trials', values.trials, WARS_DEFAULTS.trials),
      seed: integer('seed', values.seed, WARS_DEFAULTS.seed),
      trialsPerT: integer('trials-per-t', values['trials-per-t'], WARS_DEFAULTS.trialsPerT),
      targetPct: target,
      readFanout: fanout as ReadFanout,
    },
  };
}

function describe(result: WarsResult, elapsedMs: number): string {
  const ms = (value: number | null): string => (value === null ? 'skipped' : `${value.toFixed(2)} ms`);
  return [
    `PBS ${result.model}: N=${result.n} R=${result.r} W=${result.w} (reads to ${result.readFanout === 'all' ? 'all N, first R count' : 'R replicas'}), ${result.trials.toLocaleString('en-US')} trials, seed ${result.seed}`,
    `  t-visibility at ${result.targetPct}%: ${ms(result.tVisibilityExactMs)} (exact quantile), ${ms(result.tVisibilityPaperMs)} (paper's grid estimator)`,
    `  P(consistent read right after commit): ${(result.pConsistentAtZero * 100).toFixed(3)}%`,
    `  read latency p50 ${ms(result.readLatencyP50Ms)}, p99.9 ${ms(result.readLatencyP999Ms)}; write latency p50 ${ms(result.writeLatencyP50Ms)}, p99.9 ${ms(result.writeLatencyP999Ms)}`,
    result.r + result.w > result.n ? '  R + W > N: every read overlaps the write\'s quorum, so t-visibility is 0 (with a fixed replica set)' : '',
    `  (${Math.round(elapsedMs)} ms)`,
  ].filter((line) => line !== '').join('\n');
}

export function pbsCommand(args: string[]): number {
  let parsed: ReturnType<typeof parsePbsArgs>;
  try {
    parsed = parsePbsArgs(args);
    if (parsed.help) {
      console.log(pbsHelp());
      return PBS_EXIT_OK;
    }
    const started = performance.now();
    const result = predictStaleness(PBS_PROFILES.get(parsed.profile)!, parsed.options);
    const elapsedMs = performance.now() - started;
    if (parsed.json) {
      // Infinity (a grid that never reached the target) is not JSON: say null.
      console.log(JSON.stringify({ ...result, elapsedMs: Math.round(elapsedMs) }, (_, value: unknown) => (value === Number.POSITIVE_INFINITY ? null : value), 2));
    } else {
      console.log(describe(result, elapsedMs));
    }
    return PBS_EXIT_OK;
  } catch (error) {
    console.error(`distlab pbs: ${(error as Error).message}`);
    return PBS_EXIT_BAD_INPUT;
  }
}
