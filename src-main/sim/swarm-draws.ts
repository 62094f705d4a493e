// What the swarm profiles draw from a seed (src-main/sim/config.ts, dynamo-swarm.ts): node ids,
// delay models and networks with slow links, clock faults, a workload mix, and the nemesis
// that keeps a majority up. Each function draws from the stream in a fixed order, so a seed
// replays the run it always gave.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClockFaults } from '../../src-node/contract/faults.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import type { DelayModel, NemesisConfig, NetworkConfig, SimWorkload } from './config.ts';

export const between = (random: Random, min: number, max: number): number => min + random.next() * (max - min);
export const round = (value: number): number => Math.round(value * 1000) / 1000;

export function nodeIds(count: number): NodeId[] {
  return Array.from({ length: count }, (_, index) => `n${index + 1}`);
}

/** A delay model drawn by the swarm: uniform, exponential or long-tailed, LAN-like scales. */
export function drawDelayModel(random: Random): DelayModel {
  const kind = random.int(0, 2);
  const minMs = round(between(random, 0.2, 2));
  if (kind === 0) return { kind: 'uniform', minMs, maxMs: round(minMs + between(random, 1, 20)) };
  if (kind === 1) return { kind: 'exponential', minMs, meanMs: round(between(random, 1, 15)), maxMs: 400 };
  return { kind: 'long-tail', minMs: round(minMs + 0.5), alpha: round(between(random, 1.1, 2.5)), maxMs: 600 };
}

export function drawNetwork(random: Random, nodes: readonly NodeId[], faults: { lossPct: number; duplicatePct: number; reorderPct: number }): NetworkConfig {
  const delay = drawDelayModel(random);
  const slowLinks: Record<string, DelayModel> = {};
  const slowCount = random.chance(30) ? random.int(1, 3) : 0;
  for (let index = 0; index < slowCount; index += 1) {
    const source = nodes[random.int(0, nodes.length - 1)]!;
    const target = nodes[random.int(0, nodes.length - 1)]!;
    if (source !== target) slowLinks[`${source}>${target}`] = { kind: 'uniform', minMs: 5, maxMs: round(between(random, 20, 150)) };
  }
  return {
    delay, slowLinks,
    lossPct: round(between(random, 0, faults.lossPct)),
    duplicatePct: round(between(random, 0, faults.duplicatePct)),
    reorderPct: round(between(random, 0, faults.reorderPct)),
    reorderMaxMs: round(between(random, 5, 50)),
    clientDelay: { kind: 'uniform', minMs: 0.2, maxMs: round(between(random, 0.5, 3)) },
  };
}

export function drawClocks(random: Random, nodes: readonly NodeId[], skewMaxMs: number, driftMaxPpm: number): Record<NodeId, ClockFaults> {
  const clocks: Record<NodeId, ClockFaults> = {};
  for (const node of nodes) {
    clocks[node] = { skewMs: round(between(random, -skewMaxMs, skewMaxMs)), driftPpm: round(between(random, -driftMaxPpm, driftMaxPpm)) };
  }
  return clocks;
}

export function drawWorkload(random: Random): SimWorkload {
  return {
    clients: random.int(1, 5),
    ratePerSec: random.int(5, 60),
    keys: random.int(1, 20),
    uniqueKeys: true,
    writeShare: round(between(random, 0.5, 0.95)),
    startMs: random.int(0, 300),
    timeoutMs: random.int(800, 3000),
  };
}

/**
 * The swarm profiles' nemesis: faults by `weights` at a drawn mean interval, half the crash
 * and pause victims the node that leads, at most a minority down at once, drawn durations.
 * The draws come in a fixed order (interval, then down, pause and partition spans): a seed
 * replays the run it always gave.
 */
export function drawMinorityNemesis(random: Random, nodes: readonly NodeId[], weights: NemesisConfig['weights']): NemesisConfig {
  const meanIntervalMs = random.int(250, 2000);
  return {
    meanIntervalMs,
    weights,
    leaderPct: 50, maxActions: null, startMs: 0, stopMs: null,
    maxDown: Math.max(1, Math.floor((nodes.length - 1) / 2)),
    downMs: [100, random.int(500, 4000)],
    pauseMs: [100, random.int(500, 3000)],
    partitionMs: [200, random.int(1000, 5000)],
    linkMs: [200, 3000],
    linkLossPctMax: 60,
    clockSkewMaxMs: 5000,
    clockDriftPpmMax: 20_000,
    slowDiskMsMax: 200,
  };
}
