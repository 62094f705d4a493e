// The simulator's swarm for single-decree Paxos: the seed draws the cluster (3–7 nodes), how
// many clients propose and how tightly their first proposals bunch, the back-off policy and
// timeouts, the network (delay model, loss, duplication, reordering) and a nemesis of
// crashes, pauses, partitions, lossy links and clock faults — up to a majority of the nodes
// down at once, which must cost liveness only. The one promise checked on every seed is
// safety: agreement, validity and integrity (src-main/checkers/consensus.ts). Liveness after
// healing means only that the nodes agree on what they know (the same value, or none yet: a
// duel with back-off 'none' may still be going on, which FLP allows).
//
// It imports nothing but types from config.ts, so config.ts can list it in SIM_PROFILES.

import { LAB_HEARTBEAT_INTERVAL_MS, LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { DelayModel, NemesisConfig, SimConfig, SimProfile } from './config.ts';

const round = (value: number): number => Math.round(value * 1000) / 1000;
const between = (random: Random, min: number, max: number): number => min + random.next() * (max - min);

function drawDelay(random: Random): DelayModel {
  const minMs = round(between(random, 0.2, 2));
  switch (random.int(0, 2)) {
    case 0: return { kind: 'uniform', minMs, maxMs: round(minMs + between(random, 1, 20)) };
    case 1: return { kind: 'exponential', minMs, meanMs: round(between(random, 1, 15)), maxMs: 400 };
    default: return { kind: 'long-tail', minMs: round(minMs + 0.5), alpha: round(between(random, 1.1, 2.5)), maxMs: 600 };
  }
}

export function paxosSwarm(seed: number): SimConfig {
  const random = createRandom(seed).fork();
  const nodes = Array.from({ length: random.int(3, 7) }, (_, index) => `n${index + 1}`);
  // 'none' is drawn less often and with fewer rivals: a livelocked run is valid, but long.
  const backoff = random.chance(25) ? 'none' : 'random';
  const clients = backoff === 'none' ? random.int(1, 3) : random.int(1, nodes.length);
  const params = {
    backoff,
    backoffMaxMs: random.int(5, 200),
    phaseTimeoutMs: random.int(50, 1000),
    learnIntervalMs: random.int(100, 1000),
  };
  const nemesis: NemesisConfig = {
    meanIntervalMs: random.int(100, 1000),
    weights: { crash: 3, pause: 1, partition: 2, 'one-way': 1, link: 1, clock: 1, 'slow-disk': 1 },
    // Single-decree Paxos has no leader role, so leaderPct changes nothing; 50 as every profile has.
    leaderPct: 50, maxActions: null, startMs: 0, stopMs: null,
    // Up to a majority down at once: Paxos must stay safe (it only stops deciding).
    maxDown: random.int(1, Math.ceil(nodes.length / 2)),
    downMs: [50, random.int(300, 3000)],
    pauseMs: [50, random.int(300, 2000)],
    partitionMs: [100, random.int(500, 3000)],
    linkMs: [100, 2000],
    linkLossPctMax: 60,
    clockSkewMaxMs: 5000,
    clockDriftPpmMax: 20_000,
    slowDiskMsMax: 200,
  };
  const clocks = Object.fromEntries(nodes.map((node) => [node, { skewMs: round(between(random, -1000, 1000)), driftPpm: round(between(random, -5000, 5000)) }]));
  return {
    source: PAXOS_SWARM.name, seed, protocol: { name: 'paxos', params }, nodes,
    heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS, suspicionSampleMs: 200, failureDetector: { ...LAB_PHI_OPTIONS },
    network: {
      delay: drawDelay(random), slowLinks: {},
      lossPct: round(between(random, 0, 10)), duplicatePct: round(between(random, 0, 10)), reorderPct: round(between(random, 0, 20)),
      reorderMaxMs: round(between(random, 5, 50)),
      clientDelay: { kind: 'uniform', minMs: 0.2, maxMs: round(between(random, 0.5, 3)) },
    },
    persistLatency: { kind: 'uniform', minMs: 0.1, maxMs: round(between(random, 0.5, 10)) },
    clocks,
    // A high rate bunches the clients' first proposals into a few ms (a duel); a low one spreads them.
    workload: { kind: 'propose', clients, ratePerSec: random.chance(50) ? random.int(500, 2000) : random.int(5, 50), keys: 1, uniqueKeys: false, writeShare: round(between(random, 0.3, 1)), startMs: random.int(0, 500), timeoutMs: random.int(300, 2000) },
    nemesis,
    schedule: [],
    safetyMs: random.int(2000, 5000),
    liveness: { workMs: 1000, boundMs: 10_000 },
    expect: { durability: 'either', linearizability: 'either', splitBrain: 'either', liveness: 'pass', suspicion: null, consensus: 'pass' },
  };
}

export const PAXOS_SWARM: SimProfile = {
  name: 'paxos-swarm',
  summary: 'single-decree Paxos, 3–7 nodes, 1–n proposers (bunched or spread), back-off none or random, drawn timeouts; crashes and pauses of up to a majority, partitions, lossy and duplicating links, clock faults, slow disks. Agreement, validity and integrity must hold on every seed.',
  build: paxosSwarm,
};
