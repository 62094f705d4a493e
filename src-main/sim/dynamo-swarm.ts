// The simulator's swarm for the Dynamo-style store: the seed draws the cluster (3–7 nodes),
// N, R and W (R + W ≤ N too), tokens, fan-out, sloppy quorum, read repair, conflict policy,
// context pruning and repair intervals, and a nemesis that keeps a majority up. Every
// acknowledged write must survive and every key's replicas agree after healing.
//
// It imports nothing but types from config.ts, so config.ts can list it in SIM_PROFILES
// (which validates what it builds).

import { LAB_HEARTBEAT_INTERVAL_MS, LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { DelayModel, SimConfig, SimProfile } from './config.ts';
import { between, drawClocks, drawMinorityNemesis, drawNetwork, drawWorkload, nodeIds, round } from './swarm-draws.ts';

/**
 * Dynamo's parameters as the swarm draws them: N, R, W (any partial quorum, R + W ≤ N too),
 * ring tokens, fan-out, sloppy quorum, read repair, conflict policy and the repair intervals.
 * Anti-entropy is always on: it is the one mechanism that repairs a key nobody reads again,
 * so without it convergence after healing is not promised.
 */
function drawDynamoParams(random: Random, nodes: number): Record<string, unknown> {
  const n = random.int(1, Math.min(3, nodes));
  const gossipIntervalMs = random.int(50, 300);
  return {
    n, r: random.int(1, n), w: random.int(1, n),
    tokensPerNode: random.int(1, 16),
    fanout: random.chance(50) ? 'all' : 'minimum',
    sloppyQuorum: random.chance(70),
    readRepair: random.chance(70),
    conflictPolicy: random.chance(75) ? 'vector-clock' : 'lww',
    antiEntropyIntervalMs: random.int(200, 1500),
    merkleDepth: random.int(0, 8),
    gossipIntervalMs,
    gossipFailAfterMs: gossipIntervalMs * random.int(3, 10),
    handoffIntervalMs: random.int(100, 1000),
    requestTimeoutMs: random.int(300, 2000),
    contextMaxNodes: random.chance(30) ? random.int(1, 3) : 0,
  };
}

function dynamoSwarm(seed: number): SimConfig {
  const random = createRandom(seed).fork();
  const nodes = nodeIds(random.int(3, 7));
  const params = drawDynamoParams(random, nodes.length);
  const network = drawNetwork(random, nodes, { lossPct: 5, duplicatePct: 5, reorderPct: 15 });
  const persistLatency: DelayModel = { kind: 'uniform', minMs: 0.1, maxMs: round(between(random, 0.5, 10)) };
  const clocks = drawClocks(random, nodes, random.chance(50) ? 2000 : 0, random.chance(50) ? 5000 : 0);
  const workload = drawWorkload(random);
  // Any minority down at once; an acknowledged write is on disk on W nodes, which all come back.
  // No Dynamo node leads, so leaderPct has no effect (and draws nothing): victims are uniform.
  const nemesis = drawMinorityNemesis(random, nodes, { crash: 2, pause: 1, partition: 2, 'one-way': 1, link: 1, clock: 1, 'slow-disk': 1 });
  return {
    source: DYNAMO_SWARM.name, seed, protocol: { name: 'dynamo', params }, nodes,
    heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS, suspicionSampleMs: 200, failureDetector: { ...LAB_PHI_OPTIONS },
    network, persistLatency, clocks, workload, nemesis, schedule: [],
    safetyMs: random.int(3000, 8000),
    liveness: { workMs: 1500, boundMs: 10_000 },
    // Dynamo gives up consistency (stale reads are its nature: linearizability is not expected),
    // never acknowledged writes (each key is written once: siblings or LWW lose nothing), and
    // it converges once healed.
    expect: { durability: 'pass', linearizability: 'either', splitBrain: 'either', liveness: 'pass', suspicion: null },
  };
}

export const DYNAMO_SWARM: SimProfile = {
  name: 'dynamo-swarm',
  summary: 'Dynamo, 3–7 nodes, drawn N, R, W, tokens, fan-out, sloppy quorum, read repair, conflict policy, context pruning and repair intervals; crashes and pauses of a minority, partitions, lossy links, clock faults, slow disks. Every acknowledged write must survive and every key\'s replicas must agree after healing.',
  build: dynamoSwarm,
};
