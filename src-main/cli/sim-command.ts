// `distlab sim`: the deterministic simulator from a terminal. One seed is replayed and
// explained (and its trace written, if asked); many seeds are swept with a progress bar, and
// every failing seed is listed with the exact command that replays it. This file is the
// simulator's only contact with the outside world: the wall clock (for the progress bar and
// seeds/s), the file system and the trace recorder. src-main/sim/ itself reads none of them.
//
// Exit codes: 0 every run's checks gave the expected verdicts, 1 some did not, 2 bad input.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunMetadata } from '../../src-node/contract/trace.ts';
import { LAB_VERSION } from '../lab/run.ts';
import { startRecorder } from '../recorder/recorder-client.ts';
import { resolveScenario, shippedScenarioNames } from '../scenario/scenario.ts';
import { SIM_PROFILES, configFromScenario, type SimConfig } from '../sim/config.ts';
import { simulate, type SimResult } from '../sim/simulator.ts';
import { sweep, type SweepSummary } from '../sim/sweep.ts';

export const SIM_EXIT_OK = 0;
export const SIM_EXIT_CHECK_FAILED = 1;
export const SIM_EXIT_BAD_INPUT = 2;

/** Most seeds one sweep may ask for. */
export const SIM_SEEDS_MAX = 10_000_000;
/** Trace events per recorder append. */
const TRACE_CHUNK_EVENTS = 5_000;
/** Failing seeds printed in full after a sweep (the JSON output has them all, up to SWEEP_KEPT_MAX). */
const PRINTED_FAILURES_MAX = 20;
const PRINTED_ANOMALY_SEEDS_MAX = 5;

export function simHelp(): string {
  const profiles = [...SIM_PROFILES.values()].map((profile) => `  ${profile.name}\n      ${profile.summary}`).join('\n');
  return `distlab sim — the deterministic simulator: the same protocol cores in one process, on
simulated time, network and disks. One seed gives one run, event for event.

Usage:
  distlab sim <scenario> --seed N [--out trace.sqlite] [--json]
      replay one seed: the events summary, every check and why, the replay command;
      --out writes the run's trace (same schema as a real run; the UI and exports open it)
  distlab sim <scenario> --seeds COUNT [--from N] [--json]
      sweep seeds N … N+COUNT−1 (default N = 1) with a progress bar on stderr; prints
      the seeds that passed and failed, each failing one with its replay command

<scenario> is a simulator profile (below; the seed also draws cluster size, fault rates and
the workload mix), a shipped scenario (${safeScenarioNames()}; the seed draws
network and disk timings, the schedule is the scenario's) or a scenario file.

Every run has two phases: safety under faults, then liveness — the network heals, crashed
nodes restart, faults stop, and the cluster must converge within a bound.

Profiles:
${profiles}

Exit codes: 0 every run's checks gave the expected verdicts, 1 some did not, 2 bad input.`;
}

function safeScenarioNames(): string {
  try {
    return shippedScenarioNames().join(', ');
  } catch {
    return '(none found)';
  }
}

class BadInput extends Error {}

/** Runs `distlab sim …` with the arguments after `sim`; resolves to the exit code. */
export async function simCommand(args: string[]): Promise<number> {
  try {
    return await run(args);
  } catch (error) {
    if (error instanceof BadInput) {
      console.error(`distlab sim: ${error.message}`);
      return SIM_EXIT_BAD_INPUT;
    }
    throw error;
  }
}

async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    throw new BadInput(`${(error as Error).message} (try distlab sim --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(simHelp());
    return SIM_EXIT_OK;
  }
  const [name, ...extra] = positionals;
  if (name === undefined) throw new BadInput('which scenario or profile? (try distlab sim --help)');
  if (extra.length > 0) throw new BadInput(`unexpected argument(s): ${extra.join(' ')}`);
  if (values.seed !== undefined && values.seeds !== undefined) throw new BadInput('give --seed (one run) or --seeds (a sweep), not both');
  if (values.seeds !== undefined && values.out !== undefined) throw new BadInput('--out writes the trace of one run: use it with --seed');
  if (values.from !== undefined && values.seeds === undefined) throw new BadInput('--from goes with --seeds');
  const build = await builder(name);
  const json = values.json === true;
  if (values.seeds !== undefined) {
    const count = integer('--seeds', values.seeds, 1, SIM_SEEDS_MAX);
    const from = values.from === undefined ? 1 : integer('--from', values.from, 0, 2 ** 32 - 1);
    if (from + count - 1 > 2 ** 32 - 1) throw new BadInput('--from + --seeds goes past the largest seed (2³²−1)');
    return runSweep(name, build.build, from, count, json);
  }
  const seed = values.seed === undefined ? build.defaultSeed : integer('--seed', values.seed, 0, 2 ** 32 - 1);
  const out = values.out;
  if (out !== undefined && existsSync(out)) throw new BadInput(`${out} exists: choose another --out (a trace is never overwritten)`);
  return replay(build.build(seed), json, out === undefined ? undefined : path.resolve(out));
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      seed: { type: 'string' }, seeds: { type: 'string' }, from: { type: 'string' },
      out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadInput(`${flag} must be an integer in [${min}, ${max}], not ${JSON.stringify(text)}`);
  }
  return value;
}

/** A profile name, else a shipped scenario or a scenario file. */
async function builder(name: string): Promise<{ build: (seed: number) => SimConfig; defaultSeed: number }> {
  const profile = SIM_PROFILES.get(name);
  if (profile !== undefined) return { build: (seed) => profile.build(seed), defaultSeed: 1 };
  let scenario;
  try {
    scenario = await resolveScenario(name);
  } catch (error) {
    throw new BadInput(`${(error as Error).message}; simulator profiles: ${[...SIM_PROFILES.keys()].join(', ')}`);
  }
  try {
    configFromScenario(scenario, scenario.seed, name);
  } catch (error) {
    throw new BadInput((error as Error).message);
  }
  return { build: (seed) => configFromScenario(scenario, seed, name), defaultSeed: scenario.seed };
}

// ---- one seed ----------------------------------------------------------------------------

async function replay(config: SimConfig, json: boolean, tracePath: string | undefined): Promise<number> {
  let result: SimResult;
  try {
    result = simulate(config, { trace: tracePath === undefined && !json ? 'light' : 'full' });
  } catch (error) {
    throw new BadInput(`${config.source} seed ${config.seed}: ${(error as Error).message}`);
  }
  if (tracePath !== undefined) await writeSimTrace(result, tracePath);
  if (json) {
    console.log(JSON.stringify({
      source: config.source, seed: config.seed, ok: result.ok, checks: result.checks, anomalies: result.anomalies,
      stats: result.stats, digest: result.digest, replay: result.replay, events: Object.fromEntries(result.trace.counts),
      config, ...(tracePath === undefined ? {} : { tracePath }),
    }, null, 2));
  } else {
    printRun(result, tracePath);
  }
  return result.ok ? SIM_EXIT_OK : SIM_EXIT_CHECK_FAILED;
}

function printRun(result: SimResult, tracePath: string | undefined): void {
  const { config, stats } = result;
  const ops = stats.operations;
  const settled = stats.convergedAtMs === null ? 'did not converge' : `converged ${Math.round(stats.convergedAtMs - (stats.healAtMs ?? 0))} ms after healing`;
  console.log(`sim ${config.source} seed ${config.seed}: ${result.ok ? 'PASSED' : 'FAILED'}`);
  console.log(`  ${config.nodes.length} nodes, ${config.protocol.name} ${JSON.stringify(config.protocol.params)}; ${config.workload?.clients ?? 0} client(s)`);
  console.log(`  ${Math.round(stats.simulatedMs)} ms simulated: ${config.safetyMs} ms under faults (${stats.faults} fault events), then ${settled}`);
  console.log(`  ${ops.total} operations: ${ops.ok} ok, ${ops.fail} fail, ${ops.info} info`);
  const kinds = [...result.trace.counts.entries()].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${kind} ${count}`).join(', ');
  console.log(`  ${stats.traceEvents} trace events (${kinds}); ${stats.events} simulator events; digest ${result.digest}`);
  for (const check of result.checks) {
    console.log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.kind}: ${check.verdict} (expected ${check.expect}) — ${check.summary}`);
  }
  if (tracePath !== undefined) console.log(`trace: ${tracePath}`);
  console.log(`replay: ${result.replay}`);
}

/** Writes a simulated run's trace with the recorder: the real runs' schema, mode `sim`, the seed. */
export async function writeSimTrace(result: SimResult, tracePath: string): Promise<void> {
  if (result.trace.mode !== 'full') throw new Error('writeSimTrace needs a run simulated with trace: full');
  const { config } = result;
  const run: RunMetadata = {
    runId: `sim-${path.basename(config.source, '.json')}-${config.seed}`,
    scenario: config.source,
    protocol: config.protocol.name,
    // Metadata only: the events' lab times are simulated time from 0.
    startedAtEpochMs: Date.now(),
    labVersion: LAB_VERSION,
    seed: config.seed,
    mode: 'sim',
    config,
  };
  const recorder = await startRecorder({ tracePath, mode: 'create', run });
  try {
    const events = result.trace.events;
    for (let start = 0; start < events.length; start += TRACE_CHUNK_EVENTS) recorder.append(events.slice(start, start + TRACE_CHUNK_EVENTS));
    // Each node's last status (a handful of events, after the digest): what a recorded run's views show.
    if (result.statusNotes.length > 0) recorder.append(result.statusNotes);
    await recorder.setRunMeta({ simChecks: result.checks.map(({ kind, verdict, expect, ok, summary }) => ({ kind, verdict, expect, ok, summary })), simDigest: result.digest, replay: result.replay });
    await recorder.flush();
  } finally {
    await recorder.close();
  }
}

// ---- a sweep -----------------------------------------------------------------------------

function runSweep(source: string, build: (seed: number) => SimConfig, from: number, count: number, json: boolean): number {
  const startedMs = performance.now();
  const progress = new ProgressBar(count);
  let failures = 0;
  const summary = sweep({
    source, from, count, build,
    onRun: (outcome, done) => {
      if (!outcome.ok) failures += 1;
      progress.update(done, failures, performance.now() - startedMs);
    },
  });
  progress.finish();
  const seconds = (performance.now() - startedMs) / 1000;
  const seedsPerSecond = count / Math.max(seconds, 1e-9);
  if (json) console.log(JSON.stringify({ ...summary, failedCount: count - summary.passed, seconds, seedsPerSecond }, null, 2));
  else printSweep(summary, seconds, seedsPerSecond);
  return summary.passed === count ? SIM_EXIT_OK : SIM_EXIT_CHECK_FAILED;
}

function printSweep(summary: SweepSummary, seconds: number, seedsPerSecond: number): void {
  const failed = summary.count - summary.passed;
  const last = summary.from + summary.count - 1;
  console.log(`sim ${summary.source} seeds ${summary.from}…${last}: ${summary.passed} passed, ${failed} failed (${seconds.toFixed(1)} s, ${seedsPerSecond.toFixed(1)} seeds/s, ${summary.events} simulator events)`);
  const anomalyKinds = Object.keys(summary.anomalies).sort();
  if (anomalyKinds.length > 0) {
    console.log('anomalies found:');
    for (const kind of anomalyKinds) {
      const seeds = summary.anomalies[kind]!;
      console.log(`  ${kind}: in ${seeds.length} seed(s); e.g. ${seeds.slice(0, PRINTED_ANOMALY_SEEDS_MAX).map((seed) => `npx distlab sim ${summary.source} --seed ${seed}`).join(' ; ')}`);
    }
  }
  if (failed > 0) {
    console.log('failing seeds:');
    for (const outcome of summary.failed.slice(0, PRINTED_FAILURES_MAX)) {
      console.log(`  seed ${outcome.seed}: ${outcome.failures.join(' | ').slice(0, 400)}`);
      console.log(`    ${outcome.replay}`);
    }
    if (failed > PRINTED_FAILURES_MAX) console.log(`  … and ${failed - PRINTED_FAILURES_MAX} more (--json lists up to 1000)`);
  }
}

/** A one-line progress bar on stderr, redrawn at most ten times a second, only on a terminal. */
class ProgressBar {
  private lastDrawMs = -Infinity;
  private readonly enabled = process.stderr.isTTY === true;

  constructor(private readonly total: number) {}

  update(done: number, failures: number, elapsedMs: number): void {
    if (!this.enabled || (elapsedMs - this.lastDrawMs < 100 && done < this.total)) return;
    this.lastDrawMs = elapsedMs;
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    const rate = done / Math.max(elapsedMs / 1000, 1e-9);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} seeds, ${failures} failed, ${rate.toFixed(1)} seeds/s `);
  }

  finish(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
