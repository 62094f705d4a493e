// A scenario is a data file: the cluster, the protocol and its parameters, a client
// workload, a timed schedule of faults, and the checks that must pass (or the anomaly the
// scenario is meant to show). The app ships its scenarios in resources/scenarios/; the CLI
// runs any file headless. Every field is checked here, with errors that name the field.

import { readFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { appRoot } from '../supervisor/child-entry.ts';
import { CART_ITEMS_MAX, WORKLOAD_KINDS } from '../workload/generators.ts';
import { completeCrdtWorkload, crdtWorkloadSchema } from '../workload/crdt.ts';
import { bankWorkloadProblem } from '../workload/bank.ts';

export const MAX_SCENARIO_BYTES = 1_000_000;
export const MAX_SCHEDULE_STEPS = 1_000;
export const MAX_RUN_MS = 30 * 60_000;
export const MAX_CLIENTS = 32;

const nodeId = z.string().regex(/^n[1-9][0-9]?$/, 'a node id is n1, n2, … n15');

const linkFaults = z.strictObject({
  cut: z.boolean(),
  lossPct: z.number().min(0).max(100),
  delayMs: z.number().min(0).max(60_000),
  jitterMs: z.number().min(0).max(60_000),
  duplicatePct: z.number().min(0).max(100),
  reorderPct: z.number().min(0).max(100),
}).partial();

const fault = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['crash', 'restart', 'pause', 'resume', 'stop', 'wipe']), node: nodeId }),
  z.strictObject({
    kind: z.literal('partition'),
    spec: z.strictObject({ groups: z.array(z.array(nodeId)).min(2), oneWay: z.boolean().default(false) }),
  }),
  z.strictObject({ kind: z.literal('heal') }),
  z.strictObject({ kind: z.literal('link'), source: nodeId, target: nodeId, faults: linkFaults }),
  z.strictObject({
    kind: z.literal('clock'),
    node: nodeId,
    clock: z.strictObject({ skewMs: z.number(), driftPpm: z.number() }).partial(),
  }),
  z.strictObject({ kind: z.literal('slow-disk'), node: nodeId, persistDelayMs: z.number().min(0).max(10_000) }),
]);

const range = z.tuple([z.number().min(0).max(MAX_RUN_MS), z.number().min(0).max(MAX_RUN_MS)])
  .refine(([min, max]) => min <= max, 'a range is [min, max] with min ≤ max');

/**
 * A random nemesis (Jepsen's word), seeded by the scenario's seed: at exponentially
 * distributed intervals it picks a fault by `weights`, applies it, and undoes it after a
 * drawn duration. The same shape drives the simulator and the real processes (kill -9 loops,
 * Raft's Figure 8: `leaderPct: 100` crashes whoever leads right after it accepted entries).
 */
const nemesis = z.strictObject({
  /** When the nemesis starts and stops, ms from the start of the run; `stopMs` defaults to durationMs. */
  startMs: z.number().min(0).max(MAX_RUN_MS).default(0),
  stopMs: z.number().positive().max(MAX_RUN_MS).optional(),
  meanIntervalMs: z.number().min(10).max(600_000),
  /** The nemesis stops after this many fault actions (a crash with its restart is one action). */
  maxActions: z.number().int().positive().max(100_000).optional(),
  weights: z.strictObject({
    crash: z.number().min(0), pause: z.number().min(0), partition: z.number().min(0), 'one-way': z.number().min(0),
    link: z.number().min(0), clock: z.number().min(0), 'slow-disk': z.number().min(0),
  }).partial().refine((weights) => Object.values(weights).some((weight) => weight > 0), 'at least one weight must be positive'),
  /** Share of crash and pause victims chosen to be the node that leads (or is primary) at that moment. */
  leaderPct: z.number().min(0).max(100).default(50),
  /** Nodes down (crashed or paused) at once, at most; defaults to a minority, ⌊(n − 1) / 2⌋. */
  maxDown: z.number().int().min(0).max(15).optional(),
  downMs: range.default([500, 2_000]),
  pauseMs: range.default([500, 2_000]),
  partitionMs: range.default([500, 3_000]),
  linkMs: range.default([500, 3_000]),
  linkLossPctMax: z.number().min(0).max(100).default(30),
  clockSkewMaxMs: z.number().min(0).max(3_600_000).default(2_000),
  clockDriftPpmMax: z.number().min(0).max(100_000).default(5_000),
  slowDiskMsMax: z.number().min(0).max(10_000).default(100),
});

/**
 * Faults on every directed link from the start of the run (an unreliable network); the
 * schedule and the nemesis can still change single links. Real runs apply them as `link`
 * faults by 'scenario'; the simulator folds them into its network model.
 */
const network = z.strictObject({
  lossPct: z.number().min(0).max(100).default(0),
  duplicatePct: z.number().min(0).max(100).default(0),
  reorderPct: z.number().min(0).max(100).default(0),
  delayMs: z.number().min(0).max(60_000).default(0),
  jitterMs: z.number().min(0).max(60_000).default(0),
});

const phi = z.strictObject({
  threshold: z.number().positive(),
  maxSampleSize: z.number().int().min(2).max(10_000),
  minStdDeviationMs: z.number().positive(),
  acceptableHeartbeatPauseMs: z.number().min(0),
  firstHeartbeatEstimateMs: z.number().positive(),
}).partial();

const check = z.discriminatedUnion('kind', [
  /**
   * Every write a client saw acknowledged is still there at the end (read back after healing),
   * unless a later write replaced it; a read that finds siblings (Dynamo) keeps every one of
   * them. A failing verdict names each lost write: key, value, client, op id, the node that
   * acknowledged it, when, and the write whose value won instead (src-main/checkers/durability.ts).
   * `expect: 'fail'` predicts such a loss (last-writer-wins under clock skew, an async primary
   * killed).
   */
  z.strictObject({ kind: z.literal('durability'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /**
   * A `cart` workload's promise (Dynamo's "add to cart" is never lost): every item carried by
   * an acknowledged put is in the final merged cart — the union of its siblings — of its key;
   * a failing verdict names each missing item, the client that added it and the acknowledged
   * puts that carried it (src-main/checkers/cart.ts). Needs `workload.kind: 'cart'`.
   */
  z.strictObject({ kind: z.literal('cart'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /**
   * A `bank` workload's promise under 2PC (src-main/checkers/bank.ts): money is conserved, no
   * account goes negative, every transaction is all or nothing across its participants, every
   * acknowledged transfer is committed and every reported abort applied nowhere. Transactions
   * still in doubt (blocked) are listed, not counted as violations. Needs `workload.kind: 'bank'`.
   */
  z.strictObject({ kind: z.literal('bank'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /**
   * A balance kept by a crdt workload's credits and debits (`workload.crdt`, src-main/workload/crdt.ts)
   * holds, on every replica at the end, the sum of every acknowledged credit and debit; a failing
   * verdict names each lost credit and the write that buried it (src-main/checkers/crdt-credits.ts).
   */
  z.strictObject({ kind: z.literal('credits'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /** Two nodes claimed to be primary in overlapping periods and accepted different writes. */
  z.strictObject({ kind: z.literal('split-brain'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /** Every node suspects a node that is down or paused, within `withinMs`, and no up node is suspected. */
  z.strictObject({
    kind: z.literal('suspicion'),
    expect: z.enum(['pass', 'fail', 'either']).default('pass'),
    withinMs: z.number().positive().default(5_000),
  }),
  /** The client history is linearizable as a key-value map (model lab-kv). */
  z.strictObject({
    kind: z.literal('linearizability'),
    expect: z.enum(['pass', 'fail', 'either']).default('pass'),
    deadlineMs: z.number().positive().max(600_000).default(30_000),
  }),
  /** At the end, every node that is up holds the same data. */
  z.strictObject({ kind: z.literal('convergence'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /** Raft's safety properties hold in the trace: one leader per term, no two entries applied at one index, leader completeness (src-main/checkers/raft-invariants.ts). */
  z.strictObject({ kind: z.literal('raft-invariants'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /**
   * Consensus safety for single-decree Paxos (src-main/checkers/consensus.ts): agreement (no two
   * nodes or client answers name different chosen values), validity (the value was proposed),
   * integrity (a node learns once and keeps it). Whether anything was decided is liveness, which
   * a scenario predicts with `events` checks on the `learned` notes.
   */
  z.strictObject({ kind: z.literal('consensus'), expect: z.enum(['pass', 'fail', 'either']).default('pass') }),
  /**
   * Counts trace events in a window and passes when the count is within [min, max]: state
   * notes named `name` (e.g. 'elected', 'commit', 'log-truncated', 'snapshot-installed'), or
   * messages sent (`what: 'send'`, of type `name` if given: a message budget). `nodes`
   * limits whose events count; the window is lab time, ms from the start of the run.
   */
  z.strictObject({
    kind: z.literal('events'),
    expect: z.enum(['pass', 'fail', 'either']).default('pass'),
    /** What the count shows, for the report ("no commit while the leader has no majority"). */
    label: z.string().min(1).max(200).optional(),
    what: z.enum(['note', 'send']),
    name: z.string().min(1).max(100).optional(),
    nodes: z.array(nodeId).min(1).optional(),
    fromMs: z.number().min(0).max(MAX_RUN_MS).default(0),
    toMs: z.number().min(0).max(MAX_RUN_MS).optional(),
    min: z.number().int().min(0).default(0),
    max: z.number().int().min(0).optional(),
  }),
  /**
   * How many of `nodes` (default: all) believe they lead at lab time `atMs`, from their last
   * role note before it (a crashed or stopped node leads nothing); passes when that is `count`.
   */
  z.strictObject({
    kind: z.literal('leaders'),
    expect: z.enum(['pass', 'fail', 'either']).default('pass'),
    label: z.string().min(1).max(200).optional(),
    atMs: z.number().min(0).max(MAX_RUN_MS),
    nodes: z.array(nodeId).min(1).optional(),
    count: z.number().int().min(0).max(15),
  }),
  /** At the end, no running node keeps more than `maxEntries` log entries past its snapshot (compaction works). */
  z.strictObject({
    kind: z.literal('log-size'),
    expect: z.enum(['pass', 'fail', 'either']).default('pass'),
    maxEntries: z.number().int().min(0),
  }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name is lowercase words joined by dashes'),
  title: z.string().min(1),
  summary: z.string().min(1),
  /** What to watch, in a sentence or two: shown in the UI beside the scenario. */
  lesson: z.string().default(''),
  cluster: z.strictObject({
    nodes: z.number().int().min(1).max(15).default(5),
    heartbeatIntervalMs: z.number().min(10).max(10_000).default(100),
    failureDetector: phi.default({}),
    suspicionSampleMs: z.number().min(20).max(10_000).default(200),
  }).default({ nodes: 5, heartbeatIntervalMs: 100, failureDetector: {}, suspicionSampleMs: 200 }),
  protocol: z.strictObject({ name: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) }),
  /**
   * The lab's clients (src-main/workload/generators.ts generates their operations, in the
   * simulator and on real processes alike). `kind` says what they do:
   * - `kv` (the default): independent puts and gets of `keys` keys, `writeShare` of them puts;
   *   every put's value is unique per key (`<client>-<n>`), so the checkers know which write
   *   a value came from.
   * - `cart`: Dynamo's shopping cart. Each client loops read-modify-write on one of `keys`
   *   carts (`cart-1`, …): it gets the cart (the reply carries every sibling and a context),
   *   merges the siblings (the union of their items), adds one item of its own (`<client>-<n>`)
   *   and puts the merged cart back with the context. `writeShare` and `uniqueKeys` do not
   *   apply. Judge it with the `cart` check (no added item is lost) and `durability`.
   * - `input`: a calm node program's clients (src-main/workload/calm.ts): input tuples drawn
   *   from the program's declared inputs, then a seal of the node's inputs, then reads. One
   *   client per node (`clients` = nodes); `keys`, `writeShare` and `uniqueKeys` do not apply.
   */
  workload: z.strictObject({
    kind: z.enum(WORKLOAD_KINDS).default('kv'),
    clients: z.number().int().min(1).max(MAX_CLIENTS).default(2),
    /** Operations per second, over all clients. */
    ratePerSec: z.number().positive().max(5_000).default(10),
    keys: z.number().int().min(1).max(10_000).default(5),
    /**
     * Every write goes to a key of its own (Jepsen's "set" workload): nothing overwrites an
     * acknowledged write, so reading every key back at the end finds each lost one.
     */
    uniqueKeys: z.boolean().default(false),
    /** Share of writes among operations (the rest are reads). */
    writeShare: z.number().min(0).max(1).default(0.6),
    startMs: z.number().min(0).default(0),
    durationMs: z.number().positive().max(MAX_RUN_MS),
    timeoutMs: z.number().positive().max(60_000).default(1_500),
    /** `crdt`: the type's updates or a balance's credits, drawn or scripted (src-main/workload/crdt.ts). */
    crdt: crdtWorkloadSchema.optional(),
  }).nullable().default(null),
  schedule: z.array(z.strictObject({ atMs: z.number().min(0).max(MAX_RUN_MS), fault })).max(MAX_SCHEDULE_STEPS).default([]),
  nemesis: nemesis.nullable().default(null),
  network: network.default({ lossPct: 0, duplicatePct: 0, reorderPct: 0, delayMs: 0, jitterMs: 0 }),
  /** How long a headless run lasts before the final checks, ms from the cluster being up. */
  durationMs: z.number().positive().max(MAX_RUN_MS).default(10_000),
  /** How long a headless run lets the cluster settle after the schedule, before reading back. */
  settleMs: z.number().min(0).max(60_000).default(2_000),
  checks: z.array(check).default([]),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioCheck = Scenario['checks'][number];
export type ScenarioNemesis = NonNullable<Scenario['nemesis']>;
export type ScenarioNetwork = Scenario['network'];

/** Validates a parsed scenario; throws an Error listing every problem with its path. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return `  ${where}: ${issue.message}`;
    });
    throw new Error(`${source} is not a valid scenario:\n${problems.join('\n')}`);
  }
  const scenario = parsed.data;
  const nodes = new Set(Array.from({ length: scenario.cluster.nodes }, (_, index) => `n${index + 1}`));
  const unknown = (node: string, where: string): Error =>
    new Error(`${source} is not a valid scenario:\n  ${where}: node '${node}' is not in a cluster of ${nodes.size}`);
  scenario.schedule.forEach((step, index) => {
    const named = namedNodes(step.fault);
    for (const node of named) if (!nodes.has(node)) throw unknown(node, `schedule.${index}.fault`);
  });
  scenario.checks.forEach((check, index) => {
    const named = 'nodes' in check ? check.nodes ?? [] : [];
    for (const node of named) if (!nodes.has(node)) throw unknown(node, `checks.${index}.nodes`);
    if (check.kind === 'events' && check.max !== undefined && check.max < check.min) {
      throw new Error(`${source} is not a valid scenario:\n  checks.${index}: max (${check.max}) is below min (${check.min})`);
    }
  });
  const stopMs = scenario.nemesis?.stopMs;
  if (scenario.nemesis !== null && stopMs !== undefined && stopMs <= scenario.nemesis.startMs) {
    throw new Error(`${source} is not a valid scenario:\n  nemesis.stopMs: must be after nemesis.startMs`);
  }
  const faultProblem = nemesisProblem(scenario) ?? networkProblem(scenario) ?? workloadProblem(scenario) ?? completeCrdtWorkload(scenario) ?? bankWorkloadProblem(scenario);
  if (faultProblem !== null) throw new Error(`${source} is not a valid scenario:\n  ${faultProblem}`);
  return scenario;
}

/** A nemesis that could never act in this cluster and run, or one that outlives the run. */
function nemesisProblem(scenario: Scenario): string | null {
  const nemesis = scenario.nemesis;
  if (nemesis === null) return null;
  const nodes = scenario.cluster.nodes;
  const maxDown = nemesis.maxDown ?? Math.floor((nodes - 1) / 2);
  if (maxDown > nodes) return `nemesis.maxDown: ${maxDown} is more than the ${nodes} node(s) of the cluster`;
  if (nemesis.startMs >= scenario.durationMs) return `nemesis.startMs: ${nemesis.startMs} is not before durationMs (${scenario.durationMs}): the nemesis would never act`;
  if (nemesis.stopMs !== undefined && nemesis.stopMs > scenario.durationMs) {
    return `nemesis.stopMs: ${nemesis.stopMs} is after durationMs (${scenario.durationMs}): the nemesis stops (and undoes its faults) before the run settles`;
  }
  const possible = (action: keyof typeof nemesis.weights): boolean => {
    if (action === 'crash' || action === 'pause') return maxDown >= 1;
    if (action === 'partition' || action === 'one-way' || action === 'link') return nodes >= 2;
    return true;
  };
  const weighted = (Object.keys(nemesis.weights) as (keyof typeof nemesis.weights)[]).filter((action) => (nemesis.weights[action] ?? 0) > 0);
  if (!weighted.some(possible)) {
    return `nemesis.weights: none of ${weighted.join(', ')} can happen in a cluster of ${nodes} with maxDown ${maxDown}`
      + ' (crash and pause need maxDown ≥ 1, which a cluster of 1 or 2 does not have by default; partitions and links need 2 nodes)';
  }
  return null;
}

/**
 * A cart workload keys by cart and alternates get and put: `uniqueKeys` has no meaning for it.
 * Its carts grow by one item per put and are written whole, so a run's puts (half of its
 * operations, with the simulator's liveness phase on top) must fit CART_ITEMS_MAX per cart.
 * A `cart` check judges a cart workload only.
 */
function workloadProblem(scenario: Scenario): string | null {
  const workload = scenario.workload;
  const cartCheck = scenario.checks.findIndex((check) => check.kind === 'cart');
  if (workload?.kind !== 'cart') return cartCheck >= 0 ? `checks.${cartCheck}: a cart check needs a cart workload (workload.kind: "cart")` : null;
  if (workload.uniqueKeys) return 'workload.uniqueKeys: a cart workload writes carts, not a key per write; leave uniqueKeys out';
  const puts = (workload.ratePerSec / 2) * ((workload.durationMs + CART_LIVENESS_MS) / 1000);
  if (puts > CART_ITEMS_MAX * workload.keys) {
    return `workload: about ${Math.ceil(puts)} puts would add more than ${CART_ITEMS_MAX} items to each of ${workload.keys} cart(s); use more keys, a lower ratePerSec or a shorter durationMs`;
  }
  return null;
}

/** The simulator's clients keep working this long after the heal (SimConfig.liveness.workMs), adding items. */
const CART_LIVENESS_MS = 1_500;

/** An unreliable network needs links: a single node has none. */
function networkProblem(scenario: Scenario): string | null {
  const { network } = scenario;
  const faulty = network.lossPct > 0 || network.duplicatePct > 0 || network.reorderPct > 0 || network.delayMs > 0 || network.jitterMs > 0;
  if (faulty && scenario.cluster.nodes < 2) return 'network: a cluster of 1 node has no links to make unreliable';
  return null;
}

function namedNodes(fault: Scenario['schedule'][number]['fault']): string[] {
  switch (fault.kind) {
    case 'partition': return fault.spec.groups.flat();
    case 'heal': return [];
    case 'link': return [fault.source, fault.target];
    default: return [fault.node];
  }
}

export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read scenario ${file}: ${(error as Error).message}`);
  }
  if (text.length > MAX_SCENARIO_BYTES) throw new Error(`${file} is larger than ${MAX_SCENARIO_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(raw, file);
}

export function scenariosDir(): string {
  return path.join(appRoot(), 'resources', 'scenarios');
}

export function shippedScenarioNames(): string[] {
  return readdirSync(scenariosDir())
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** Loads a shipped scenario by name, or any scenario file by path. */
export async function resolveScenario(nameOrPath: string): Promise<Scenario> {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json');
  if (looksLikePath) return loadScenarioFile(nameOrPath);
  const known = shippedScenarioNames();
  if (!known.includes(nameOrPath)) {
    throw new Error(`no shipped scenario '${nameOrPath}' (known: ${known.join(', ')}); give a path to use your own file`);
  }
  return loadScenarioFile(path.join(scenariosDir(), `${nameOrPath}.json`));
}

export const DEFAULT_SCENARIO = 'primary-backup';
