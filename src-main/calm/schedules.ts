// The schedule search of the CALM lesson (book §5; Hellerstein and Alvaro, "Keeping CALM",
// CACM 2020): run a calm program (src-node/protocols/calm/) on a simulated cluster whose every
// link reorders, duplicates and delays messages, seed after seed, and look for a schedule that
// leaves two replicas different. The CALM theorem predicts the outcome from the program text:
// a program without points of order ends alike on every schedule; one with a point of order
// ends differently on some schedule — unless the coordination the analysis asks for is added
// (the core's `coordinate`: the points of order wait for their inputs to be sealed). The
// network may also lose messages: the nodes send each one again until it is acknowledged
// (delivery.ts), which gives the theorem its eventually-delivering network.
//
// Two things are compared, both with the lab's convergence checker: each replica's final
// tables and scratch collections (`state`), and what each point of order concluded along the
// way (`conclusions`: a cart that showed milk on one node and never on another, a count that
// said 1 here and went straight to 2 there). The first is the divergence that stays; the second
// is the one a reader could have acted on.
//
// Swarm testing: for a shipped example, the seed also draws how unreliable the network is —
// loss, duplication, reordering, extra delay and jitter, each up to SEARCH_NETWORK_MAX. A scenario
// file keeps its own network; its seed draws the simulated LAN's timings, as `distlab sim`.
// A diverging seed is reported with the command that replays it.
//
// Pure like the simulator: no clock, no I/O.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ProtocolDefinition } from '../../src-node/contract/core.ts';
import { analyze } from '../../src-node/protocols/calm/analysis.ts';
import { CALM, CalmCore } from '../../src-node/protocols/calm/core.ts';
import type { Tuple } from '../../src-node/protocols/calm/evaluate.ts';
import { CALM_EXAMPLES, type Divergence } from '../../src-node/protocols/calm/examples.ts';
import { parseProgram } from '../../src-node/protocols/calm/language.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { checkConvergence, type ConvergenceCheck } from '../checkers/convergence.ts';
import { parseScenario, type Scenario, type ScenarioNetwork } from '../scenario/scenario.ts';
import { configFromScenario, type SimConfig } from '../sim/config.ts';
import { simulate } from '../sim/simulator.ts';

/** Seeds one search may run. */
export const CALM_SEEDS_MAX = 100_000;
/** How unreliable the swarm may draw a link (per seed, each uniformly up to this). */
export const SEARCH_NETWORK_MAX = Object.freeze({ lossPct: 30, duplicatePct: 40, reorderPct: 60, delayMs: 30, jitterMs: 120 });
/** Nodes of an example's cluster in the search (the scenarios choose their own). */
export const SEARCH_NODES = 3;
/** Facts of one collection listed per replica in a divergence report. */
export const DIFFERING_FACTS_MAX = 20;
/** Mixed into the seed for the swarm's own stream, apart from every stream the simulator forks from the seed. */
const SWARM_SALT = 0xca1a5eed;

/** What to search: a shipped example (with or without coordination), or a scenario file. */
export type SearchTarget =
  | { kind: 'example'; example: string; coordinate: boolean }
  | { kind: 'scenario'; name: string; scenario: Scenario };

export interface DifferingFacts {
  /** The collection (state) or point of order (`line 13`) on which the replicas differ. */
  where: string;
  replicas: [NodeId, NodeId];
  /** What each of the two holds that the other does not. */
  onlyIn: Record<NodeId, Tuple[]>;
}

export interface CalmSeedOutcome {
  seed: number;
  diverged: Divergence;
  state: ConvergenceCheck;
  conclusions: ConvergenceCheck;
  /** The first difference between two replicas, fact by fact (null when they agree). */
  differing: DifferingFacts | null;
  /** Every replica at the end: its tables and scratch collections, and each point of order's conclusions. */
  replicas: Record<NodeId, { state: Record<string, Tuple[]>; concluded: Record<string, Tuple[]> }>;
  /** Replicas whose coordinated rules were still waiting at the end (a seal never came). */
  waiting: NodeId[];
  network: ScenarioNetwork;
  replay: string;
  digest: string;
  simulatedMs: number;
}

export interface CalmSearchResult {
  target: string;
  coordinate: boolean;
  summary: string;
  pointsOfOrder: number[];
  /** What the example declares the search must find (examples.ts); null for a scenario target. */
  expected: Divergence | 'none' | null;
  from: number;
  seedsRun: number;
  diverging: { state: number[]; conclusions: number[] };
  /** The first diverging seed, with its differing facts; null when every seed converged. */
  found: CalmSeedOutcome | null;
  verdict: 'converges' | 'diverges';
}

function exampleOf(name: string): (typeof CALM_EXAMPLES)[number] {
  const example = CALM_EXAMPLES.find((candidate) => candidate.name === name);
  if (example === undefined) throw new Error(`no calm example '${name}' (examples: ${CALM_EXAMPLES.map((candidate) => candidate.name).join(', ')})`);
  return example;
}

/** An example as a scenario: SEARCH_NODES nodes, one client each, an unreliable network. */
export function exampleScenario(name: string, coordinate: boolean, network: ScenarioNetwork): Scenario {
  const example = exampleOf(name);
  return parseScenario({
    name: `calm-${name}${coordinate ? '-sealed' : ''}`,
    title: example.title,
    summary: example.lesson,
    cluster: { nodes: SEARCH_NODES },
    protocol: { name: 'calm', params: { example: name, coordinate, tickMs: 50 } },
    // Ten operations a second per client: the describe, the inputs and the seals are over in
    // about a second, long before the liveness phase looks, so the end is quiescent.
    workload: { kind: 'input', clients: SEARCH_NODES, ratePerSec: 10 * SEARCH_NODES, durationMs: 3_000, timeoutMs: 1_000 },
    network,
    durationMs: 3_000,
    checks: [{ kind: 'convergence', expect: 'either' }],
  }, `calm example ${name}`);
}

/** The network one seed of the swarm draws. */
export function drawnNetwork(seed: number): ScenarioNetwork {
  const random = createRandom((seed ^ SWARM_SALT) >>> 0);
  const upTo = (max: number): number => Math.round(random.next() * max);
  return {
    lossPct: upTo(SEARCH_NETWORK_MAX.lossPct),
    duplicatePct: upTo(SEARCH_NETWORK_MAX.duplicatePct),
    reorderPct: upTo(SEARCH_NETWORK_MAX.reorderPct),
    delayMs: upTo(SEARCH_NETWORK_MAX.delayMs),
    jitterMs: upTo(SEARCH_NETWORK_MAX.jitterMs),
  };
}

export function targetName(target: SearchTarget): string {
  return target.kind === 'example' ? `${target.example}${target.coordinate ? ' (coordinated)' : ''}` : target.name;
}

export function replayCommand(target: SearchTarget, seed: number): string {
  return target.kind === 'example'
    ? `npx distlab calm --example ${target.example}${target.coordinate ? ' --coordinate' : ''} --seed ${seed}`
    : `npx distlab calm --scenario ${target.name} --seed ${seed}`;
}

function scenarioOf(target: SearchTarget, seed: number): Scenario {
  return target.kind === 'example' ? exampleScenario(target.example, target.coordinate, drawnNetwork(seed)) : target.scenario;
}

/** The simulated run of one seed: the scenario's config, as `distlab sim` builds it. */
export function searchConfig(target: SearchTarget, seed: number): SimConfig {
  const scenario = scenarioOf(target, seed);
  if (scenario.protocol.name !== 'calm') throw new Error(`${targetName(target)}: the schedule search runs calm programs, not ${scenario.protocol.name}`);
  return configFromScenario(scenario, seed, target.kind === 'example' ? scenario.name : target.name);
}

/** Runs one seed and compares the replicas at the end. */
export function runSeed(target: SearchTarget, seed: number): CalmSeedOutcome {
  const config = searchConfig(target, seed);
  // The registry's definition, keeping each node's latest core so that its replica can be read at the end.
  const cores = new Map<NodeId, CalmCore>();
  const definition: ProtocolDefinition = {
    ...CALM,
    create: (context) => {
      const core = new CalmCore(context);
      cores.set(context.self, core);
      return core;
    },
  };
  const result = simulate(config, { definition });
  const failed = result.checks.find((check) => check.kind === 'assertions' && !check.ok);
  if (failed !== undefined) throw new Error(`${targetName(target)} seed ${seed}: ${failed.summary}`);
  const states: Record<NodeId, Record<string, Tuple[]>> = {};
  const concluded: Record<NodeId, Record<string, Tuple[]>> = {};
  const waiting: NodeId[] = [];
  const replicas: CalmSeedOutcome['replicas'] = {};
  for (const node of config.nodes) {
    const core = cores.get(node);
    if (core === undefined) continue;
    const replica = core.replica();
    replicas[node] = replica;
    states[node] = replica.state;
    concluded[node] = replica.concluded;
    if (core.status().facts['waiting'] !== 0) waiting.push(node);
  }
  const state = checkConvergence({ replicas: states, values: 'merged' });
  const conclusions = checkConvergence({ replicas: concluded, values: 'merged' });
  const diverged: Divergence = state.verdict === 'invalid' ? 'state' : conclusions.verdict === 'invalid' ? 'conclusions' : null;
  const differing = diverged === 'state' ? differingFacts(state, states) : diverged === 'conclusions' ? differingFacts(conclusions, concluded) : null;
  return {
    seed, diverged, state, conclusions, differing, replicas, waiting,
    network: scenarioOf(target, seed).network,
    replay: replayCommand(target, seed), digest: result.digest, simulatedMs: result.stats.simulatedMs,
  };
}

/** The first collection on which replicas differ, as the facts each of the two largest disagreeing groups holds and the other does not. */
export function differingFacts(check: ConvergenceCheck, replicas: Record<NodeId, Record<string, Tuple[]>>): DifferingFacts | null {
  const first = check.differing[0];
  if (first === undefined || first.groups.length < 2) return null;
  const a = first.groups[0]!.replicas[0]!;
  const b = first.groups[1]!.replicas[0]!;
  const keysOf = (node: NodeId): Map<string, Tuple> => new Map((replicas[node]?.[first.key] ?? []).map((tuple) => [JSON.stringify(tuple), tuple]));
  const mineA = keysOf(a);
  const mineB = keysOf(b);
  const only = (mine: Map<string, Tuple>, other: Map<string, Tuple>): Tuple[] => [...mine].filter(([key]) => !other.has(key)).map(([, tuple]) => tuple).slice(0, DIFFERING_FACTS_MAX);
  return { where: first.key, replicas: [a, b], onlyIn: { [a]: only(mineA, mineB), [b]: only(mineB, mineA) } };
}

/** What the analysis says of the target's program. */
function analysisOf(target: SearchTarget): { summary: string; pointsOfOrder: number[]; coordinate: boolean; expected: CalmSearchResult['expected'] } {
  const params = target.kind === 'example' ? { example: target.example, coordinate: target.coordinate } : target.scenario.protocol.params;
  const example = typeof params['example'] === 'string' ? exampleOf(params['example']) : null;
  const source = example?.source ?? (typeof params['source'] === 'string' ? params['source'] : null);
  if (source === null) throw new Error(`${targetName(target)}: its calm params name no example and no source`);
  const report = analyze(parseProgram(source));
  const coordinate = params['coordinate'] === true;
  const expected = target.kind === 'example' && example !== null ? (coordinate ? 'none' : example.diverges ?? 'none') : null;
  return { summary: report.summary, pointsOfOrder: report.pointsOfOrder.map((point) => point.line), coordinate, expected };
}

/**
 * Runs seeds from `from` on; with `stopAtFirst` it stops at the first diverging one. Every
 * diverging seed is listed by kind; the first one carries its differing facts and replay.
 */
export function searchSchedules(options: { target: SearchTarget; from?: number; seeds: number; stopAtFirst?: boolean; onSeed?: (outcome: CalmSeedOutcome) => void }): CalmSearchResult {
  const { target } = options;
  const from = options.from ?? 1;
  if (!Number.isInteger(options.seeds) || options.seeds < 1 || options.seeds > CALM_SEEDS_MAX) throw new Error(`seeds must be an integer from 1 to ${CALM_SEEDS_MAX}, not ${options.seeds}`);
  if (!Number.isInteger(from) || from < 0 || from + options.seeds - 1 > 2 ** 32 - 1) throw new Error(`from must be a seed in [0, 2^32 − seeds], not ${from}`);
  const analysis = analysisOf(target);
  const diverging = { state: [] as number[], conclusions: [] as number[] };
  let found: CalmSeedOutcome | null = null;
  let seedsRun = 0;
  for (let seed = from; seed < from + options.seeds; seed += 1) {
    const outcome = runSeed(target, seed);
    seedsRun += 1;
    options.onSeed?.(outcome);
    if (outcome.diverged === null) continue;
    diverging[outcome.diverged].push(seed);
    // A seed where the state itself differs shows more than one where only conclusions do.
    if (found === null || (found.diverged === 'conclusions' && outcome.diverged === 'state')) found = outcome;
    if (options.stopAtFirst === true) break;
  }
  return {
    target: targetName(target), coordinate: analysis.coordinate, summary: analysis.summary, pointsOfOrder: analysis.pointsOfOrder,
    expected: analysis.expected, from, seedsRun, diverging, found, verdict: found === null ? 'converges' : 'diverges',
  };
}
