// `distlab calm`: the CALM lesson from a terminal. For each shipped example (or the one named),
// without and with coordination, the schedule search (schedules.ts) runs seeds until it finds a
// schedule where replicas end different, and prints it with the command that replays it and
// the facts the two replicas disagree on; `--seed N` replays one seed and shows every replica.
// The wall clock is read here only, for the seeds/s figure.
//
// Exit codes: 0 every verdict is the expected one (an example's declared divergence without
// coordination, convergence with it; a scenario's convergence check), 1 some is not, 2 bad input.

import { parseArgs } from 'node:util';
import { CALM_EXAMPLES } from '../../src-node/protocols/calm/examples.ts';
import { resolveScenario } from '../scenario/scenario.ts';
import { runSeed, searchSchedules, type CalmSearchResult, type CalmSeedOutcome, type DifferingFacts, type SearchTarget } from './schedules.ts';

export const CALM_EXIT_OK = 0;
export const CALM_EXIT_UNEXPECTED = 1;
export const CALM_EXIT_BAD_INPUT = 2;
export const CALM_SEEDS_DEFAULT = 50;

export function calmHelp(): string {
  return `distlab calm — the CALM theorem on the simulator: run node programs on a network that
reorders, duplicates and delays every message, and find the schedule where replicas disagree.

Usage:
  distlab calm [--example NAME] [--coordinate | --both] [--seeds ${CALM_SEEDS_DEFAULT}] [--from 1] [--json]
      search seeds for a diverging schedule; without --example, every example, each
      without and with coordination (--both is then implied)
  distlab calm --example NAME [--coordinate] --seed N [--json]
      replay one seed: every replica's tables and conclusions, and where they differ
  distlab calm --scenario NAME|FILE [--seeds N | --seed N] [--json]
      the same for a calm scenario (its own network; 'distlab sim' replays it with a trace)

Examples: ${CALM_EXAMPLES.map((example) => example.name).join(', ')}.
The seed draws the network of an example's run: duplication, reordering, delay and jitter.
A divergence is 'state' (final tables differ) or 'conclusions' (the tables agree, but a
point of order concluded different things on the way: what a reader could have seen).

Exit codes: 0 every verdict is the expected one, 1 some is not, 2 bad input.`;
}

class CalmUsageError extends Error {}

export async function calmCommand(args: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args, allowPositionals: false, strict: true,
      options: {
        example: { type: 'string' }, scenario: { type: 'string' }, coordinate: { type: 'boolean' }, both: { type: 'boolean' },
        seeds: { type: 'string' }, seed: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`distlab calm: ${(error as Error).message}\n\n${calmHelp()}`);
    return CALM_EXIT_BAD_INPUT;
  }
  if (values['help'] === true) {
    console.log(calmHelp());
    return CALM_EXIT_OK;
  }
  try {
    return await calmRun(values);
  } catch (error) {
    console.error(`distlab calm: ${(error as Error).message}`);
    return CALM_EXIT_BAD_INPUT;
  }
}

function integerOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new CalmUsageError(`--${name} must be a whole number, not ${String(raw)}`);
  return value;
}

async function targetsOf(values: Record<string, unknown>): Promise<SearchTarget[]> {
  const example = values['example'] as string | undefined;
  const scenario = values['scenario'] as string | undefined;
  if (example !== undefined && scenario !== undefined) throw new CalmUsageError('give --example or --scenario, not both');
  if (scenario !== undefined) {
    if (values['coordinate'] === true || values['both'] === true) throw new CalmUsageError('a scenario says itself whether it coordinates (protocol.params.coordinate)');
    return [{ kind: 'scenario', name: scenario, scenario: await resolveScenario(scenario) }];
  }
  if (example !== undefined && !CALM_EXAMPLES.some((candidate) => candidate.name === example)) {
    throw new CalmUsageError(`no calm example '${example}' (examples: ${CALM_EXAMPLES.map((candidate) => candidate.name).join(', ')})`);
  }
  const names = example === undefined ? CALM_EXAMPLES.map((candidate) => candidate.name) : [example];
  const modes = example === undefined || values['both'] === true ? [false, true] : [values['coordinate'] === true];
  return names.flatMap((name) => modes.map((coordinate) => ({ kind: 'example' as const, example: name, coordinate })));
}

async function calmRun(values: Record<string, unknown>): Promise<number> {
  const targets = await targetsOf(values);
  const json = values['json'] === true;
  if (values['seed'] !== undefined) {
    if (targets.length !== 1) throw new CalmUsageError('--seed replays one run: name --example (with or without --coordinate) or --scenario');
    if (values['seeds'] !== undefined) throw new CalmUsageError('give --seed (one run) or --seeds (a search), not both');
    const outcome = runSeed(targets[0]!, integerOption(values, 'seed', 1));
    if (json) console.log(JSON.stringify(outcome, null, 2));
    else printSeed(outcome);
    return CALM_EXIT_OK;
  }
  const seeds = integerOption(values, 'seeds', CALM_SEEDS_DEFAULT);
  const from = integerOption(values, 'from', 1);
  const results: (CalmSearchResult & { expectedMet: boolean; seedsPerSec: number })[] = [];
  for (const target of targets) {
    const started = performance.now();
    const result = searchSchedules({ target, from, seeds });
    const seconds = (performance.now() - started) / 1000;
    const expectedMet = met(result, target);
    results.push({ ...result, expectedMet, seedsPerSec: Math.round((result.seedsRun / Math.max(seconds, 1e-3)) * 10) / 10 });
    if (!json) printSearch(results.at(-1)!);
  }
  if (json) console.log(JSON.stringify(results, null, 2));
  return results.every((result) => result.expectedMet) ? CALM_EXIT_OK : CALM_EXIT_UNEXPECTED;
}

/** Whether the search found what was expected: an example's declaration, or a scenario's convergence check. */
function met(result: CalmSearchResult, target: SearchTarget): boolean {
  if (result.expected !== null) {
    if (result.expected === 'none') return result.found === null;
    // 'conclusions' expects that no seed's state diverges and some seed's conclusions do.
    return result.expected === 'state' ? result.diverging.state.length > 0 : result.diverging.state.length === 0 && result.diverging.conclusions.length > 0;
  }
  const check = target.kind === 'scenario' ? target.scenario.checks.find((candidate) => candidate.kind === 'convergence') : undefined;
  if (check === undefined || check.expect === 'either') return true;
  return check.expect === 'pass' ? result.found === null : result.found !== null;
}

function factsText(facts: DifferingFacts): string[] {
  const [a, b] = facts.replicas;
  const show = (node: string): string => (facts.onlyIn[node]!.length === 0 ? 'nothing the other lacks' : facts.onlyIn[node]!.map((tuple) => `(${tuple.join(', ')})`).join(' '));
  return [`${facts.where}: only ${a} holds ${show(a)}`, `${' '.repeat(facts.where.length)}  only ${b} holds ${show(b)}`];
}

function networkText(outcome: CalmSeedOutcome): string {
  const network = outcome.network;
  return `duplicate ${network.duplicatePct}%, reorder ${network.reorderPct}%, +${network.delayMs} ms delay, ${network.jitterMs} ms jitter on every link`;
}

function printSearch(result: CalmSearchResult & { expectedMet: boolean; seedsPerSec: number }): void {
  const mode = result.coordinate ? 'with coordination' : 'without coordination';
  console.log(`${result.target} — ${mode}`);
  console.log(`  analysis: ${result.summary}`);
  const to = result.from + result.seedsRun - 1;
  const counts = `${result.diverging.state.length} diverge in state, ${result.diverging.conclusions.length} only in conclusions`;
  const expected = result.expected === null ? '' : ` — expected ${result.expected === 'none' ? 'no divergence' : `divergence in ${result.expected}`}: ${result.expectedMet ? 'ok' : 'NOT MET'}`;
  console.log(`  seeds ${result.from}–${to} (${result.seedsPerSec} seeds/s): ${counts}${expected}`);
  const found = result.found;
  if (found === null) {
    console.log('  every schedule ended with the replicas equal, conclusions included');
    return;
  }
  console.log(`  seed ${found.seed} diverges in ${found.diverged} (${networkText(found)}):`);
  if (found.differing !== null) for (const line of factsText(found.differing)) console.log(`    ${line}`);
  console.log(`  replay: ${found.replay}`);
}

function printSeed(outcome: CalmSeedOutcome): void {
  console.log(`seed ${outcome.seed}: ${outcome.diverged === null ? 'the replicas agree' : `the replicas diverge in ${outcome.diverged}`} (${networkText(outcome)}; ${Math.round(outcome.simulatedMs)} simulated ms)`);
  if (outcome.differing !== null) for (const line of factsText(outcome.differing)) console.log(`  ${line}`);
  const tuples = (list: readonly (readonly (string | number)[])[]): string => (list.length === 0 ? '∅' : list.map((tuple) => `(${tuple.join(', ')})`).join(' '));
  for (const [node, replica] of Object.entries(outcome.replicas)) {
    console.log(`  ${node}:`);
    for (const [name, list] of Object.entries(replica.state)) console.log(`    ${name.padEnd(12)} ${tuples(list)}`);
    for (const [where, list] of Object.entries(replica.concluded)) console.log(`    ${where.padEnd(12)} concluded ${tuples(list)}`);
  }
  console.log(`  state: ${outcome.state.summary}`);
  console.log(`  conclusions: ${outcome.conclusions.summary}`);
  if (outcome.waiting.length > 0) console.log(`  still waiting for seals: ${outcome.waiting.join(', ')}`);
  console.log(`  replay: ${outcome.replay}`);
}
