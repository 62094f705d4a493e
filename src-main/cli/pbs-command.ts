// `distlab pbs`: the PBS prediction from a terminal (src-main/pbs/wars.ts). One profile, one
// (N, R, W), a seed; prints t-visibility by both estimators, the chance of a consistent read
// right after commit, and the read and write latency tails.
//
// Exit codes: 0 done, 2 bad input.

import { parseArgs } from 'node:util';
import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';
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
${profiles}

Measured beside predicted (on the lab's own Dynamo store):
  distlab pbs --measure [--sim] [--scenario dynamo-pbs] [--delay-ms X] [--jitter-ms J]
              [--n 3 --r 1 --w 1] [--fanout all|minimum] [--trials-per-t 200] [--seed S] [--json]

--measure writes fresh keys and reads them back t ms after each write is acknowledged, many
times per t, and runs write sequences on one key for k-staleness; beside it, the WARS
prediction from the W, A, R, S latencies observed in the same run. --sim runs the
deterministic simulator (seconds; the seed gives the same figures); without it, real node
processes (as distlab run does; about a minute). --delay-ms and --jitter-ms set the link
delay on every link (the scenario's network); --trials-per-t is the reads per t.`;
}

function integer(name: string, raw: unknown, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`--${name} must be an integer, not '${String(raw)}'`);
  return value;
}

/** `--measure`: what to measure on, and what to change of the scenario. */
export interface PbsMeasureArgs {
  sim: boolean;
  scenario: string;
  delayMs: number | undefined;
  jitterMs: number | undefined;
  n: number | undefined;
  r: number | undefined;
  w: number | undefined;
  fanout: ReadFanout | undefined;
  trialsPerT: number | undefined;
  seed: number | undefined;
}

function milliseconds(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(Number.isFinite(value) && value >= 0 && value <= 60_000)) throw new Error(`--${name} must be a number of ms in [0, 60000], not '${raw}'`);
  return value;
}

export function parsePbsArgs(args: string[]): { profile: string; options: Parameters<typeof predictStaleness>[1] & object; json: boolean; help: boolean; measure: PbsMeasureArgs | null } {
  const { values } = parseArgs({
    args, allowPositionals: false, strict: true,
    options: {
      profile: { type: 'string' }, n: { type: 'string' }, r: { type: 'string' }, w: { type: 'string' },
      trials: { type: 'string' }, seed: { type: 'string' }, target: { type: 'string' }, 'trials-per-t': { type: 'string' },
      fanout: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      measure: { type: 'boolean' }, sim: { type: 'boolean' }, scenario: { type: 'string' }, 'delay-ms': { type: 'string' }, 'jitter-ms': { type: 'string' },
    },
  });
  if (values.measure !== true) {
    for (const name of ['sim', 'scenario', 'delay-ms', 'jitter-ms'] as const) if (values[name] !== undefined) throw new Error(`--${name} goes with --measure`);
  }
  const profile = values.profile ?? 'ymmr';
  if (!PBS_PROFILES.has(profile)) throw new Error(`unknown profile '${profile}' (known: ${[...PBS_PROFILES.keys()].join(', ')})`);
  const target = values.target === undefined ? WARS_DEFAULTS.targetPct : Number(values.target);
  if (!Number.isFinite(target)) throw new Error(`--target must be a number, not '${values.target}'`);
  const fanout = values.fanout ?? WARS_DEFAULTS.readFanout;
  if (fanout !== 'all' && fanout !== 'minimum') throw new Error(`--fanout must be all or minimum, not '${fanout}'`);
  const optional = (name: 'n' | 'r' | 'w' | 'seed' | 'trials-per-t'): number | undefined => (values[name] === undefined ? undefined : integer(name, values[name], 0));
  const measure: PbsMeasureArgs | null = values.measure !== true ? null : {
    sim: values.sim === true, scenario: values.scenario ?? 'dynamo-pbs',
    delayMs: milliseconds('delay-ms', values['delay-ms']), jitterMs: milliseconds('jitter-ms', values['jitter-ms']),
    n: optional('n'), r: optional('r'), w: optional('w'), seed: optional('seed'), trialsPerT: optional('trials-per-t'),
    fanout: values.fanout === undefined ? undefined : fanout as ReadFanout,
  };
  return {
    profile,
    json: values.json === true,
    help: values.help === true,
    measure,
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

export async function pbsCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parsePbsArgs>;
  try {
    parsed = parsePbsArgs(args);
    if (parsed.help) {
      console.log(pbsHelp());
      return PBS_EXIT_OK;
    }
    if (parsed.measure !== null) return await measureCommand(parsed.measure, parsed.json);
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

/** `--measure`: the experiment on the simulator or on real processes, printed beside the prediction. */
async function measureCommand(measure: PbsMeasureArgs, json: boolean): Promise<number> {
  const { resolveScenario } = await import('../scenario/scenario.ts');
  const { withOverrides, measureInSimulator, measureOnProcesses } = await import('../pbs/run-measure.ts');
  const base = await resolveScenario(measure.scenario);
  const scenario = withOverrides(base, {
    ...(measure.n === undefined ? {} : { n: measure.n }), ...(measure.r === undefined ? {} : { r: measure.r }), ...(measure.w === undefined ? {} : { w: measure.w }),
    ...(measure.delayMs === undefined ? {} : { delayMs: measure.delayMs }), ...(measure.jitterMs === undefined ? {} : { jitterMs: measure.jitterMs }),
  });
  if (measure.fanout !== undefined) scenario.protocol.params = { ...scenario.protocol.params, fanout: measure.fanout };
  const seed = measure.seed ?? scenario.seed;
  const tuning = measure.trialsPerT === undefined ? {} : { trialsPerT: measure.trialsPerT };
  const started = performance.now();
  let tracePath: string | null = null;
  let result: PbsMeasurement;
  if (measure.sim) result = await measureInSimulator(scenario, seed, tuning);
  else {
    const { defaultDataRoot } = await import('../lab/lab.ts');
    const done = await measureOnProcesses(scenario, { dataRoot: defaultDataRoot(), host: '127.0.0.1', seed, tuning });
    result = done.measurement;
    tracePath = done.tracePath;
  }
  const elapsedMs = performance.now() - started;
  if (json) console.log(JSON.stringify({ ...result, scenario: scenario.name, network: scenario.network, tracePath, elapsedMs: Math.round(elapsedMs) }, null, 2));
  else console.log(describeMeasurement(result, scenario.network, tracePath, elapsedMs));
  return PBS_EXIT_OK;
}

function describeMeasurement(result: PbsMeasurement, network: { delayMs: number; jitterMs: number }, tracePath: string | null, elapsedMs: number): string {
  const pct = (value: number): string => `${(value * 100).toFixed(1)}%`.padStart(7);
  const ms = (value: number | null): string => (value === null ? 'not reached' : `${value.toFixed(2)} ms`);
  const lines = [
    `PBS measured (${result.mode === 'sim' ? `simulator, seed ${result.seed}` : 'real node processes'}): ${result.nodes} nodes, N=${result.n} R=${result.r} W=${result.w}, fanout ${result.fanout}, links +${network.delayMs} ms (+ up to ${network.jitterMs} ms jitter)`,
    `  observed one-way latency p50/p99 (ms): W ${legText(result.legs.w)}  A ${legText(result.legs.a)}  R ${legText(result.legs.r)}  S ${legText(result.legs.s)}${result.legs.clientLag === undefined ? '' : `; client lag ${legText(result.legs.clientLag)}`}`,
    '       t (ms)  predicted  measured   95% interval      reads',
    ...result.measured.curve.map((point, index) => `  ${point.tMs.toFixed(2).padStart(11)}   ${pct(result.predicted.atGrid[index]!.pConsistent)}   ${pct(point.pConsistent)}   [${pct(point.low)}, ${pct(point.high)}]  ${String(point.trials).padStart(5)}${point.failed > 0 ? ` (${point.failed} failed)` : ''}`),
    `  t-visibility at ${result.targetPct}%: predicted ${ms(result.predicted.tVisibilityMs)}, measured ${ms(result.measured.tVisibilityMs)} (on the grid)`,
    result.predicted.fromCommit === undefined ? '' : `  t counted from the commit (no client lag), predicted: t-visibility ${ms(result.predicted.fromCommit.tVisibilityMs)}, P(consistent at 0) ${pct(result.predicted.fromCommit.pConsistentAtZero).trim()}`,
    `  k-staleness (${result.kStaleness.reads} reads of ${result.kStaleness.sequences} sequences of ${result.kStaleness.writesPerSequence} writes, ${result.kStaleness.writeIntervalMs} ms apart):`,
    ...result.kStaleness.rows.map((row) => `    k=${row.k}: measured ${pct(row.measured)} [${pct(row.low)}, ${pct(row.high)}]   closed-form bound ${pct(row.bound)}`),
    ...result.caveats.map((caveat) => `  note: ${caveat}`),
    tracePath === null ? '' : `  trace: ${tracePath}`,
    `  (${Math.round(elapsedMs)} ms)`,
  ];
  return lines.filter((line) => line !== '').join('\n');
}

function legText(leg: { count: number; p50Ms: number; p99Ms: number }): string {
  return leg.count === 0 ? '—' : `${leg.p50Ms.toFixed(1)}/${leg.p99Ms.toFixed(1)}`;
}
