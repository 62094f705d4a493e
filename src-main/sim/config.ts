// What one simulated run is: the cluster, the protocol, the network and disk models, the
// clocks, the workload, the faults (a random nemesis and/or a fixed schedule), the two phases
// and what the checks are expected to say. A run is a pure function of its SimConfig, and a
// SimConfig is a pure function of (profile or scenario, seed): swarm testing (Groce et al.
// 2012, FoundationDB) lets the seed draw the cluster size, the fault rates and the workload
// mix too, so that a sweep of seeds explores configurations nobody thought to write down.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { PhiOptions } from '../../src-node/contract/control.ts';
import type { ClockFaults, FaultRequest } from '../../src-node/contract/faults.ts';
import { LAB_HEARTBEAT_INTERVAL_MS, LAB_PHI_OPTIONS, validatePhiOptions } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { Scenario, ScenarioNetwork } from '../scenario/scenario.ts';
import { isScenarioAssertion, type ScenarioAssertion } from '../checkers/trace-assertions.ts';
import type { WorkloadSpec } from '../workload/generators.ts';
import { PAXOS_SWARM } from './paxos-swarm.ts';
import { DYNAMO_SWARM } from './dynamo-swarm.ts';
import { between, drawClocks, drawMinorityNemesis, drawNetwork, drawWorkload, nodeIds, round } from './swarm-draws.ts';

export { drawDelayModel, nodeIds } from './swarm-draws.ts';

/** A distribution of delays (ms). */
export type DelayModel =
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** minMs + an exponential with mean `meanMs`, capped at maxMs. */
  | { kind: 'exponential'; minMs: number; meanMs: number; maxMs: number }
  /** Pareto: minMs / U^(1/alpha), capped at maxMs: most delays near minMs, a few very long. */
  | { kind: 'long-tail'; minMs: number; alpha: number; maxMs: number }
  /** Another model's delay plus `addMs` and a uniform jitter in [0, jitterMs) (a scenario's `network`). */
  | { kind: 'plus'; base: DelayModel; addMs: number; jitterMs: number };

export function drawDelay(random: Random, model: DelayModel): number {
  switch (model.kind) {
    case 'uniform':
      return model.minMs + random.next() * (model.maxMs - model.minMs);
    case 'exponential':
      return Math.min(model.maxMs, model.minMs - model.meanMs * Math.log(1 - random.next()));
    case 'long-tail':
      return Math.min(model.maxMs, model.minMs / Math.pow(1 - random.next(), 1 / model.alpha));
    case 'plus':
      // No draw for a zero jitter: the jitter-free model keeps the base model's stream.
      return drawDelay(random, model.base) + model.addMs + (model.jitterMs > 0 ? random.next() * model.jitterMs : 0);
  }
}

export type Expect = 'pass' | 'fail' | 'either';

export interface NetworkConfig {
  /** Delay of every node-to-node link, unless `slowLinks` names it. */
  delay: DelayModel;
  /** Directed links (`n1>n2`) with a delay model of their own. */
  slowLinks: Record<string, DelayModel>;
  lossPct: number;
  duplicatePct: number;
  /** Share of messages held back by up to `reorderMaxMs` extra so that later ones overtake them. */
  reorderPct: number;
  reorderMaxMs: number;
  /** Client ↔ node (the lab's side of the network: never partitioned, never lossy). */
  clientDelay: DelayModel;
}

/** The simulator's clients run the same generators as the real lab's (src-main/workload/generators.ts). */
export type SimWorkload = WorkloadSpec;

export type NemesisAction = 'crash' | 'pause' | 'partition' | 'one-way' | 'link' | 'clock' | 'slow-disk';

/** Random faults during the safety phase. Each action is undone after a drawn duration. */
export interface NemesisConfig {
  /** Mean time between two fault actions (exponential). */
  meanIntervalMs: number;
  weights: Partial<Record<NemesisAction, number>>;
  /**
   * Share (%) of crash and pause victims that are the node leading (or primary) at that
   * moment; the profiles use 50. At 100 only leaders are hit: with no leader at the moment,
   * the move waits for the next turn.
   */
  leaderPct: number;
  /** The nemesis stops after this many actions (a crash with its restart is one); null: no limit. */
  maxActions: number | null;
  /** The first action comes after startMs; at stopMs (capped by the safety phase) the nemesis stops and undoes what is pending. */
  startMs: number;
  stopMs: number | null;
  /** Nodes crashed or paused at once, at most. */
  maxDown: number;
  downMs: [number, number];
  pauseMs: [number, number];
  partitionMs: [number, number];
  linkMs: [number, number];
  /** Link degradation: loss up to this. */
  linkLossPctMax: number;
  clockSkewMaxMs: number;
  clockDriftPpmMax: number;
  slowDiskMsMax: number;
}

export interface SimExpectations {
  durability: Expect;
  /** The client history against the lab-kv model (key-value protocols only). */
  linearizability: Expect;
  splitBrain: Expect;
  /** Liveness: after healing, convergence within the bound. */
  liveness: Expect;
  suspicion: { expect: Expect; withinMs: number } | null;
  /** Raft's safety properties, from the trace (src-main/checkers/raft-invariants.ts); 'pass' when absent. */
  raftInvariants?: Expect;
  /** A scenario's `events`, `leaders` and `log-size` checks (src-main/checkers/trace-assertions.ts), each with its expected verdict. */
  assertions?: (ScenarioAssertion & { expect: Expect })[];
  /** A cart workload's items: none added in an acknowledged put is missing at the end (src-main/checkers/cart.ts); absent: not judged. */
  cart?: Expect;
  /** Consensus safety from the trace's `learned` notes and the history (src-main/checkers/consensus.ts); absent: not judged. */
  consensus?: Expect;
  /** A bank workload under 2PC: conservation and atomicity (src-main/checkers/bank.ts); absent: not judged. */
  bank?: Expect;
  /** A crdt workload's balance: every acknowledged credit and debit counted at the end (src-main/checkers/crdt-credits.ts); absent: not judged. */
  credits?: Expect;
}

export interface SimConfig {
  /** The profile or scenario this run comes from (for the replay command). */
  source: string;
  seed: number;
  protocol: { name: string; params: Record<string, unknown> };
  nodes: NodeId[];
  heartbeatIntervalMs: number;
  suspicionSampleMs: number;
  failureDetector: PhiOptions;
  network: NetworkConfig;
  /** fsync latency of one stable-storage transaction. */
  persistLatency: DelayModel;
  /** Clock faults of each node at start. */
  clocks: Record<NodeId, ClockFaults>;
  workload: SimWorkload | null;
  nemesis: NemesisConfig | null;
  /** Faults at fixed times (a scenario's schedule), `by: 'scenario'`. */
  schedule: { atMs: number; fault: FaultRequest }[];
  /** Phase 1 (safety under faults) lasts this long; then the liveness phase begins. */
  safetyMs: number;
  liveness: {
    /** Clients keep working this long after the heal, then stop issuing operations. */
    workMs: number;
    /** Convergence must be reached within this many ms after the heal. */
    boundMs: number;
  };
  expect: SimExpectations;
}

/** Bounds checked when a config is built (TIGER_STYLE: a limit on everything). */
export const SIM_LIMITS = Object.freeze({
  nodesMin: 1,
  nodesMax: 15,
  clientsMax: 32,
  runMsMax: 30 * 60_000,
});

export function validateConfig(config: SimConfig): SimConfig {
  const problems: string[] = [];
  if (config.nodes.length < SIM_LIMITS.nodesMin || config.nodes.length > SIM_LIMITS.nodesMax) problems.push(`nodes: ${config.nodes.length} is not in [${SIM_LIMITS.nodesMin}, ${SIM_LIMITS.nodesMax}]`);
  if ((config.workload?.clients ?? 0) > SIM_LIMITS.clientsMax) problems.push(`workload.clients above ${SIM_LIMITS.clientsMax}`);
  if (!(config.safetyMs > 0) || config.safetyMs + config.liveness.boundMs > SIM_LIMITS.runMsMax) problems.push('safetyMs + liveness.boundMs must be in (0, 30 min]');
  if (config.liveness.workMs > config.liveness.boundMs) problems.push('liveness.workMs must not exceed liveness.boundMs');
  if (!(config.heartbeatIntervalMs > 0) || !(config.suspicionSampleMs > 0)) problems.push('heartbeat and sample intervals must be positive');
  if (config.nemesis !== null && !(config.nemesis.meanIntervalMs > 0)) problems.push('nemesis.meanIntervalMs must be positive');
  if (config.nemesis !== null && !(config.nemesis.leaderPct >= 0 && config.nemesis.leaderPct <= 100)) problems.push('nemesis.leaderPct must be in [0, 100]');
  if (problems.length > 0) throw new Error(`invalid simulation config (${config.source}, seed ${config.seed}):\n  ${problems.join('\n  ')}`);
  return config;
}

// ---- the sim-only profiles ---------------------------------------------------------------

export interface SimProfile {
  name: string;
  summary: string;
  build(seed: number): SimConfig;
}

/**
 * The network a scenario runs on in the simulator unless its `network` says otherwise: a LAN,
 * like the lab's own cluster on loopback — every delay far below any protocol's timeout, no
 * slow links. (The swarm profiles draw long tails on purpose; a scenario's predictions —
 * "no election in this window" — are about the faults it names, not about gray links it
 * never asked for.)
 */
function drawLanNetwork(random: Random): NetworkConfig {
  const minMs = round(between(random, 0.1, 0.5));
  return {
    delay: { kind: 'exponential', minMs, meanMs: round(between(random, 0.3, 2)), maxMs: LAN_DELAY_MAX_MS },
    slowLinks: {},
    lossPct: 0,
    duplicatePct: 0,
    reorderPct: 0,
    reorderMaxMs: round(between(random, 5, 20)),
    clientDelay: { kind: 'uniform', minMs: 0.2, maxMs: round(between(random, 0.5, 3)) },
  };
}

/** The longest one-way delay of a scenario's base network in the simulator. */
export const LAN_DELAY_MAX_MS = 20;

interface PrimaryBackupSwarm {
  name: string;
  mode: 'sync' | 'async';
  network: { lossPct: number; duplicatePct: number; reorderPct: number };
  weights: NemesisConfig['weights'];
  /** Most nodes down at once, given the cluster size. */
  maxDown: (nodes: number) => number;
  expect: SimExpectations;
}

function primaryBackupProfile(swarm: PrimaryBackupSwarm): (seed: number) => SimConfig {
  return (seed) => {
    // The swarm's own stream: the config does not shift when the run's other streams change.
    const random = createRandom(seed).fork();
    const nodes = nodeIds(random.int(3, 7));
    const params: Record<string, unknown> = {
      mode: swarm.mode,
      ackTimeoutMs: random.int(300, 2000),
      shipDelayMs: swarm.mode === 'async' ? random.int(0, 300) : 100,
      announceIntervalMs: random.int(200, 1000),
    };
    const network = drawNetwork(random, nodes, swarm.network);
    const persistLatency: DelayModel = { kind: 'uniform', minMs: 0.1, maxMs: round(between(random, 0.5, 10)) };
    const clocks = drawClocks(random, nodes, random.chance(50) ? 500 : 0, random.chance(50) ? 200 : 0);
    const workload = drawWorkload(random);
    const nemesis: NemesisConfig = {
      meanIntervalMs: random.int(250, 2000),
      weights: swarm.weights,
      leaderPct: 50, maxActions: null, startMs: 0, stopMs: null,
      maxDown: Math.max(1, swarm.maxDown(nodes.length)),
      downMs: [100, random.int(500, 4000)],
      pauseMs: [100, random.int(500, 3000)],
      partitionMs: [200, random.int(1000, 5000)],
      linkMs: [200, 3000],
      linkLossPctMax: 60,
      clockSkewMaxMs: 2000,
      clockDriftPpmMax: 5000,
      slowDiskMsMax: 200,
    };
    return validateConfig({
      source: swarm.name, seed, protocol: { name: 'primary-backup', params }, nodes,
      heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS, suspicionSampleMs: 200, failureDetector: { ...LAB_PHI_OPTIONS },
      network, persistLatency, clocks, workload, nemesis, schedule: [],
      safetyMs: random.int(3000, 8000),
      liveness: { workMs: 1500, boundMs: 10_000 },
      expect: swarm.expect,
    });
  };
}

const PB_SYNC_CRASHES: SimProfile = {
  name: 'pb-sync-crashes',
  summary: 'sync primary/backup, 3–7 nodes; crashes and restarts of up to f = ⌊(n−1)/2⌋ nodes at once, clock faults, slow disks; delay, duplication and reordering but no loss and no partition. Every acknowledged write must survive, never two primaries, convergence after healing.',
  build: primaryBackupProfile({
    name: 'pb-sync-crashes', mode: 'sync',
    network: { lossPct: 0, duplicatePct: 5, reorderPct: 10 },
    weights: { crash: 3, clock: 1, 'slow-disk': 1 },
    maxDown: (nodes) => Math.floor((nodes - 1) / 2),
    expect: { durability: 'pass', linearizability: 'pass', splitBrain: 'pass', liveness: 'pass', suspicion: null },
  }),
};

const PB_SYNC_MASS_CRASHES: SimProfile = {
  name: 'pb-sync-mass-crashes',
  summary: 'as pb-sync-crashes, but up to n−1 nodes down at once (the book\'s bound for sync P/B). Expected to pass; it finds a core bug (see the sim report): an out-of-sync backup that promotes itself while every in-sync node is down.',
  build: primaryBackupProfile({
    name: 'pb-sync-mass-crashes', mode: 'sync',
    network: { lossPct: 0, duplicatePct: 5, reorderPct: 10 },
    weights: { crash: 3, clock: 1, 'slow-disk': 1 },
    maxDown: (nodes) => nodes - 1,
    expect: { durability: 'pass', linearizability: 'pass', splitBrain: 'pass', liveness: 'pass', suspicion: null },
  }),
};

const PB_ASYNC_PARTITIONS: SimProfile = {
  name: 'pb-async-partitions',
  summary: 'async primary/backup, 3–7 nodes; partitions (symmetric and one-way), lossy links, crashes, pauses. Lost acknowledged writes and split brain are expected and shown per seed; convergence after healing is still required.',
  build: primaryBackupProfile({
    name: 'pb-async-partitions', mode: 'async',
    network: { lossPct: 3, duplicatePct: 5, reorderPct: 10 },
    weights: { partition: 3, 'one-way': 1.5, link: 1, crash: 1.5, pause: 1, clock: 0.5 },
    maxDown: (nodes) => Math.floor((nodes - 1) / 2),
    expect: { durability: 'either', linearizability: 'either', splitBrain: 'either', liveness: 'pass', suspicion: null },
  }),
};

const PB_SYNC_PARTITIONS: SimProfile = {
  name: 'pb-sync-partitions',
  summary: 'sync primary/backup under partitions, lossy links and pauses: failover by failure detector is not consensus, so split brain and lost writes may appear even in sync mode; convergence is required.',
  build: primaryBackupProfile({
    name: 'pb-sync-partitions', mode: 'sync',
    network: { lossPct: 3, duplicatePct: 5, reorderPct: 10 },
    weights: { partition: 3, 'one-way': 1.5, link: 1, crash: 1, pause: 1.5 },
    maxDown: (nodes) => Math.floor((nodes - 1) / 2),
    expect: { durability: 'either', linearizability: 'either', splitBrain: 'either', liveness: 'pass', suspicion: null },
  }),
};

// ---- Raft ---------------------------------------------------------------------------------

interface RaftSwarm {
  name: string;
  network: { lossPct: number; duplicatePct: number; reorderPct: number };
  weights: NemesisConfig['weights'];
  /** Draw clock skew and drift at start (Raft must not care: it reads no clock across nodes). */
  clockFaults: boolean;
  /** The seed may also turn off pre-vote and check quorum (safety must not depend on them). */
  toggleExtensions: boolean;
}

/** Entries in flight to one follower (per append × appends in flight), at least, in swarm configs. */
const RAFT_SWARM_PIPELINE_MIN = 4;

/** Raft's parameters as the swarm draws them: timeouts, batching, pipelining, snapshot threshold. */
function drawRaftParams(random: Random, toggleExtensions: boolean): Record<string, unknown> {
  const electionTimeoutMsMin = random.int(150, 400);
  const electionTimeoutMsMax = electionTimeoutMsMin + random.int(100, 300);
  const heartbeatIntervalMs = random.int(20, Math.floor(electionTimeoutMsMin / 3));
  const maxEntriesPerAppend = random.chance(30) ? random.int(1, 4) : random.int(8, 64);
  // At least RAFT_SWARM_PIPELINE_MIN entries in flight per follower. With one entry per round
  // trip (seed 3924 drew 1 × 1) a follower that fell 60 entries behind over a long-tail link
  // needs longer than the liveness bound to catch up while clients keep writing: a throughput
  // limit of that configuration, not a liveness bug. The clamp draws nothing, so every
  // other seed replays as before.
  const maxInflightAppends = Math.max(random.int(1, 8), Math.ceil(RAFT_SWARM_PIPELINE_MIN / maxEntriesPerAppend));
  return {
    electionTimeoutMsMin,
    electionTimeoutMsMax,
    heartbeatIntervalMs,
    maxEntriesPerAppend,
    maxInflightAppends,
    // Small thresholds make snapshots and InstallSnapshot happen within a run.
    snapshotThresholdEntries: random.chance(50) ? random.int(5, 60) : 1000,
    preVote: toggleExtensions ? random.chance(80) : true,
    checkQuorum: toggleExtensions ? random.chance(80) : true,
  };
}

function raftProfile(swarm: RaftSwarm): (seed: number) => SimConfig {
  return (seed) => {
    const random = createRandom(seed).fork();
    const nodes = nodeIds(random.int(3, 7));
    const params = drawRaftParams(random, swarm.toggleExtensions);
    const network = drawNetwork(random, nodes, swarm.network);
    const persistLatency: DelayModel = { kind: 'uniform', minMs: 0.1, maxMs: round(between(random, 0.5, 10)) };
    const clocks = swarm.clockFaults ? drawClocks(random, nodes, random.chance(50) ? 2000 : 0, random.chance(50) ? 5000 : 0) : drawClocks(random, nodes, 0, 0);
    const workload = drawWorkload(random);
    // A minority crashed or paused at once: a majority can always elect and commit.
    const nemesis = drawMinorityNemesis(random, nodes, swarm.weights);
    return validateConfig({
      source: swarm.name, seed, protocol: { name: 'raft', params }, nodes,
      heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS, suspicionSampleMs: 200, failureDetector: { ...LAB_PHI_OPTIONS },
      network, persistLatency, clocks, workload, nemesis, schedule: [],
      safetyMs: random.int(3000, 8000),
      liveness: { workMs: 1500, boundMs: 10_000 },
      // Raft is consensus: under any of these faults nothing acknowledged is lost, no two leaders share a term.
      expect: { durability: 'pass', linearizability: 'pass', splitBrain: 'pass', liveness: 'pass', suspicion: null, raftInvariants: 'pass' },
    });
  };
}

const RAFT_CRASHES: SimProfile = {
  name: 'raft-crashes',
  summary: 'Raft, 3–7 nodes, drawn timeouts, batching and snapshot thresholds; crashes and restarts of up to a minority at once, slow disks; delay, duplication and reordering, no loss, no partition. Durability, linearizability, Raft\'s invariants and liveness after healing must pass.',
  build: raftProfile({
    name: 'raft-crashes',
    network: { lossPct: 0, duplicatePct: 5, reorderPct: 10 },
    weights: { crash: 3, 'slow-disk': 1 },
    clockFaults: false,
    toggleExtensions: false,
  }),
};

const RAFT_PARTITIONS: SimProfile = {
  name: 'raft-partitions',
  summary: 'Raft, 3–7 nodes; partitions (symmetric and one-way), lossy links, pauses of up to a minority, clock skew, drift and jumps (which must not matter); no crashes. Everything must pass.',
  build: raftProfile({
    name: 'raft-partitions',
    network: { lossPct: 3, duplicatePct: 5, reorderPct: 10 },
    weights: { partition: 3, 'one-way': 1.5, link: 1, pause: 1, clock: 1 },
    clockFaults: true,
    toggleExtensions: false,
  }),
};

const RAFT_SWARM: SimProfile = {
  name: 'raft-swarm',
  summary: 'Raft under everything: crashes, pauses, partitions (symmetric and one-way), lossy links, clock faults, slow disks; the seed may also turn pre-vote and check quorum off. Everything must pass.',
  build: raftProfile({
    name: 'raft-swarm',
    network: { lossPct: 5, duplicatePct: 5, reorderPct: 15 },
    weights: { crash: 2, pause: 1, partition: 2, 'one-way': 1, link: 1, clock: 1, 'slow-disk': 1 },
    clockFaults: true,
    toggleExtensions: true,
  }),
};

// ---- Dynamo ------------------------------------------------------------------------------

/** Every profile's config is validated as it is built (the profiles in their own files build it plain). */
export const SIM_PROFILES: ReadonlyMap<string, SimProfile> = new Map(
  [PB_SYNC_CRASHES, PB_SYNC_MASS_CRASHES, PB_ASYNC_PARTITIONS, PB_SYNC_PARTITIONS, RAFT_CRASHES, RAFT_PARTITIONS, RAFT_SWARM, DYNAMO_SWARM, PAXOS_SWARM]
    .map((profile): [string, SimProfile] => [profile.name, { ...profile, build: (seed) => validateConfig(profile.build(seed)) }]),
);

// ---- a scenario file, simulated ----------------------------------------------------------

/** How long the liveness phase may take for a scenario run. */
export const SCENARIO_LIVENESS_BOUND_MS = 10_000;

/**
 * A scenario's random nemesis as the simulator and the real lab's nemesis runner
 * (src-main/lab/nemesis-runner.ts) both run it; null when the scenario has none. maxDown
 * defaults to a minority, ⌊(n − 1) / 2⌋; stopMs to the scenario's durationMs.
 */
export function nemesisFromScenario(scenario: Scenario): NemesisConfig | null {
  const nemesis = scenario.nemesis;
  if (nemesis === null) return null;
  return {
    meanIntervalMs: nemesis.meanIntervalMs,
    weights: { ...nemesis.weights },
    leaderPct: nemesis.leaderPct,
    maxActions: nemesis.maxActions ?? null,
    startMs: nemesis.startMs,
    stopMs: Math.min(nemesis.stopMs ?? scenario.durationMs, scenario.durationMs),
    maxDown: nemesis.maxDown ?? Math.floor((scenario.cluster.nodes - 1) / 2),
    downMs: [...nemesis.downMs], pauseMs: [...nemesis.pauseMs], partitionMs: [...nemesis.partitionMs], linkMs: [...nemesis.linkMs],
    linkLossPctMax: nemesis.linkLossPctMax,
    clockSkewMaxMs: nemesis.clockSkewMaxMs,
    clockDriftPpmMax: nemesis.clockDriftPpmMax,
    slowDiskMsMax: nemesis.slowDiskMsMax,
  };
}

/**
 * The drawn network with a scenario's unreliable network on every link: its loss,
 * duplication and reordering exactly, its delay and jitter on top of the drawn delays (the
 * real lab puts the same values in every link's fault filter). A calm network is returned
 * unchanged, so a scenario without `network` replays as before.
 */
export function withScenarioNetwork(drawn: NetworkConfig, extra: ScenarioNetwork): NetworkConfig {
  const plus = (base: DelayModel): DelayModel => (extra.delayMs > 0 || extra.jitterMs > 0 ? { kind: 'plus', base, addMs: extra.delayMs, jitterMs: extra.jitterMs } : base);
  return {
    ...drawn,
    delay: plus(drawn.delay),
    slowLinks: Object.fromEntries(Object.entries(drawn.slowLinks).map(([link, model]) => [link, plus(model)])),
    lossPct: Math.max(drawn.lossPct, extra.lossPct),
    duplicatePct: Math.max(drawn.duplicatePct, extra.duplicatePct),
    reorderPct: Math.max(drawn.reorderPct, extra.reorderPct),
  };
}

/**
 * A scenario as the simulator runs it: its cluster, protocol, workload, schedule, nemesis,
 * network and checks; the seed draws the LAN's base delays and the disk's latency (loss,
 * duplication, reordering and extra delay come only from the scenario's `network`). The
 * safety phase is the scenario's durationMs.
 */
export function configFromScenario(scenario: Scenario, seed: number, source = scenario.name): SimConfig {
  const random = createRandom(seed).fork();
  const nodes = nodeIds(scenario.cluster.nodes);
  const network = withScenarioNetwork(drawLanNetwork(random), scenario.network);
  const clocks: Record<NodeId, ClockFaults> = {};
  for (const node of nodes) clocks[node] = { skewMs: 0, driftPpm: 0 };
  const expectOf = (kind: string): Expect | null => {
    const check = scenario.checks.find((candidate) => candidate.kind === kind);
    return check === undefined ? null : check.expect;
  };
  const suspicion = scenario.checks.find((check) => check.kind === 'suspicion');
  const workload = scenario.workload;
  return validateConfig({
    source, seed, protocol: { name: scenario.protocol.name, params: scenario.protocol.params }, nodes,
    heartbeatIntervalMs: scenario.cluster.heartbeatIntervalMs,
    suspicionSampleMs: scenario.cluster.suspicionSampleMs,
    failureDetector: validatePhiOptions({ ...LAB_PHI_OPTIONS, ...scenario.cluster.failureDetector }),
    network,
    persistLatency: { kind: 'uniform', minMs: 0.1, maxMs: round(between(random, 0.5, 5)) },
    clocks,
    workload: workload === null ? null : {
      kind: workload.kind, clients: workload.clients, ratePerSec: workload.ratePerSec, keys: workload.keys, uniqueKeys: workload.uniqueKeys,
      writeShare: workload.writeShare, startMs: workload.startMs, timeoutMs: workload.timeoutMs,
      ...(workload.crdt === undefined ? {} : { crdt: workload.crdt }),
    },
    nemesis: nemesisFromScenario(scenario),
    schedule: scenario.schedule.map((step) => ({ atMs: step.atMs, fault: step.fault as FaultRequest })),
    safetyMs: scenario.durationMs,
    liveness: { workMs: Math.min(1500, SCENARIO_LIVENESS_BOUND_MS), boundMs: SCENARIO_LIVENESS_BOUND_MS },
    expect: {
      durability: expectOf('durability') ?? 'either',
      // A safety promise ('pass') holds on every seed; an anomaly a scenario shows on real
      // processes ('fail') needs timings that not every seed draws, so it is not required here.
      linearizability: expectOf('linearizability') === 'pass' ? 'pass' : 'either',
      splitBrain: expectOf('split-brain') ?? 'either',
      liveness: expectOf('convergence') ?? 'pass',
      suspicion: suspicion === undefined || suspicion.kind !== 'suspicion' ? null : { expect: suspicion.expect, withinMs: suspicion.withinMs },
      ...(expectOf('raft-invariants') === null ? {} : { raftInvariants: expectOf('raft-invariants')! }),
      assertions: scenario.checks.filter(isScenarioAssertion),
      ...(expectOf('cart') === null ? {} : { cart: expectOf('cart')! }),
      ...(expectOf('credits') === null ? {} : { credits: expectOf('credits')! }),
      ...(expectOf('consensus') === null ? {} : { consensus: expectOf('consensus')! }),
      ...(expectOf('bank') === null ? {} : { bank: expectOf('bank')! }),
    },
  });
}
