// `distlab compare`: the book's comparison table (§4), measured in the simulator — one
// scenario's workload and faults on async and sync primary/backup, Multi-Paxos and Raft
// (src-main/compare/compare.ts). One variant and one seed can be replayed, and its trace
// written, to see in the lab where an anomaly the table counts came from.
//
// Exit codes: 0 done, 2 bad input.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { COMPARE_SEEDS_MAX, COMPARE_VARIANTS, compareCommandFor, compareProtocols, formatCompareTable, variantConfig } from '../compare/compare.ts';
import { COMPARE_REAL_RUNS_MAX, compareProtocolsReal } from '../compare/compare-real.ts';
import { defaultDataRoot } from '../lab/lab.ts';
import { resolveScenario, type Scenario } from '../scenario/scenario.ts';
import { simulate } from '../sim/simulator.ts';
import { writeSimTrace } from './sim-command.ts';

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 2;
const DEFAULT_SCENARIO = 'compare-leader-crash';
const DEFAULT_SEEDS = 10;

export function compareHelp(): string {
  return `distlab compare — one workload, one fault schedule, several replication protocols
(the book's table, §4: messages per operation, latency, availability, anomalies).

Usage:
  distlab compare [<scenario>] [--seeds ${DEFAULT_SEEDS}] [--from 1] [--variants ${COMPARE_VARIANTS.map((variant) => variant.id).join(',')}] [--json]
  distlab compare [<scenario>] --variant ID --seed N [--out trace.sqlite]
      replay one protocol on one seed (the table lists such commands for its anomalies)
  distlab compare [<scenario>] --real [--runs 1] [--variants …] [--json]
      the same table on real node processes, one protocol after another (about
      the scenario's duration and settle time per run); traces kept under the lab's data dir

<scenario> defaults to ${DEFAULT_SCENARIO}; its protocol is replaced by each variant's.`;
}

class BadInput extends Error {}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadInput(`${flag} must be an integer in [${min}, ${max}], not ${JSON.stringify(text)}`);
  }
  return value;
}

export async function compareCommand(args: string[]): Promise<number> {
  try {
    return await runCompare(args);
  } catch (error) {
    if (!(error instanceof BadInput)) throw error;
    console.error(`distlab compare: ${error.message}`);
    return EXIT_BAD_INPUT;
  }
}

async function runCompare(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        seeds: { type: 'string' }, from: { type: 'string' }, variants: { type: 'string' }, variant: { type: 'string' },
        seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        real: { type: 'boolean' }, runs: { type: 'string' },
      },
    });
  } catch (error) {
    throw new BadInput((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(compareHelp());
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new BadInput(`one scenario at most, not ${positionals.join(' ')}`);
  const name = positionals[0] ?? DEFAULT_SCENARIO;
  let scenario: Scenario;
  try {
    scenario = await resolveScenario(name);
  } catch (error) {
    throw new BadInput((error as Error).message);
  }
  if (values.variant !== undefined || values.seed !== undefined || values.out !== undefined) {
    if (values.variant === undefined || values.seed === undefined) throw new BadInput('a replay needs both --variant and --seed');
    return replayOne(scenario, values.variant, integer('--seed', values.seed, 0, 2 ** 31), values.out);
  }
  const wanted = values.variants?.split(',').map((id) => id.trim()).filter((id) => id !== '');
  const variants = wanted === undefined ? COMPARE_VARIANTS : wanted.map((id) => variantById(id));
  if (values.real === true) {
    if (values.seeds !== undefined || values.from !== undefined) throw new BadInput('real runs have no seeds: use --runs');
    const runs = values.runs === undefined ? 1 : integer('--runs', values.runs, 1, COMPARE_REAL_RUNS_MAX);
    const dataRoot = path.join(defaultDataRoot(), 'compare', `${new Date().toISOString().replace(/[:.]/g, '-')}-${scenario.name}`);
    const report = await compareProtocolsReal({ scenario, dataRoot, runs, variants, onProgress: (message) => process.stderr.write(`compare: ${message}\n`) });
    if (values.json === true) console.log(JSON.stringify({ ...report, mode: 'real', dataRoot }, null, 2));
    else {
      console.log(`${scenario.name} on real processes, ${runs} run(s) per protocol; traces in ${dataRoot}\n`);
      console.log(formatCompareTable(report));
    }
    return EXIT_OK;
  }
  if (values.runs !== undefined) throw new BadInput('--runs goes with --real');
  const count = values.seeds === undefined ? DEFAULT_SEEDS : integer('--seeds', values.seeds, 1, COMPARE_SEEDS_MAX);
  const from = values.from === undefined ? 1 : integer('--from', values.from, 0, 2 ** 31);
  const seeds = Array.from({ length: count }, (_, index) => from + index);
  const report = compareProtocols({
    scenario, seeds, variants,
    onProgress: (done, total) => process.stderr.write(`\rcompare: ${done}/${total} runs`),
  });
  process.stderr.write('\n');
  if (values.json === true) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`${scenario.name}, seeds ${seeds[0]}–${seeds.at(-1)}; msgs/op: node-to-node messages per completed operation, idle traffic taken out\n`);
    console.log(formatCompareTable(report));
    const examples = report.rows.flatMap((row) => row.examples);
    if (examples.length > 0) console.log(`\nreplay an anomaly:\n${examples.map((command) => `  ${command}`).join('\n')}`);
  }
  return EXIT_OK;
}

function variantById(id: string): (typeof COMPARE_VARIANTS)[number] {
  const variant = COMPARE_VARIANTS.find((candidate) => candidate.id === id);
  if (variant === undefined) throw new BadInput(`unknown variant ${JSON.stringify(id)}; known: ${COMPARE_VARIANTS.map((known) => known.id).join(', ')}`);
  return variant;
}

async function replayOne(scenario: Scenario, id: string, seed: number, out: string | undefined): Promise<number> {
  const variant = variantById(id);
  const tracePath = out === undefined ? undefined : path.resolve(out);
  if (tracePath !== undefined && existsSync(tracePath)) throw new BadInput(`--out ${tracePath}: the file exists`);
  const result = simulate(variantConfig(scenario, variant, seed), { trace: tracePath === undefined ? 'light' : 'full' });
  if (tracePath !== undefined) await writeSimTrace(result, tracePath);
  console.log(`${variant.label} on ${scenario.name}, seed ${seed}: ${result.stats.operations.ok}/${result.stats.operations.total} operations ok`);
  for (const check of result.checks) console.log(`  ${check.kind}: ${check.verdict} — ${check.summary}`);
  if (tracePath !== undefined) console.log(`trace: ${tracePath}`);
  console.log(`replay: ${compareCommandFor(scenario.name, variant.id, seed)}`);
  return EXIT_OK;
}
