// A small probe protocol for the simulator's host tests: every node ticks every 100 ms,
// persists its tick count, and pings every peer with it. Every input the host feeds it is
// logged with the node's own clock reading, so a test can see exactly what a core saw.

import type { CoreContext, CoreInput, ProtocolCore, ProtocolDefinition, Ready } from '../../src-node/contract/core.ts';
import { emptyReady } from '../../src-node/contract/core.ts';
import type { SimConfig } from '../../src-main/sim/config.ts';
import { nodeIds } from '../../src-main/sim/config.ts';
import { LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';

export const TICK_MS = 100;

export type Seen =
  | { kind: 'recover'; node: string; nowMs: number; stable: Record<string, unknown> }
  | { kind: 'tick'; node: string; nowMs: number; ticks: number }
  | { kind: 'ping'; node: string; nowMs: number; source: string; ticks: number; sentAtMs: number }
  | { kind: 'suspicion'; node: string; nowMs: number; peer: string; suspected: boolean };

export function probeProtocol(seen: Seen[]): ProtocolDefinition {
  return {
    name: 'probe',
    summary: 'ticks, persists, pings (simulator tests)',
    parseParams: () => ({}),
    create: (context: CoreContext): ProtocolCore => {
      let ticks = 0;
      return {
        step(input: CoreInput): Ready {
          const ready = emptyReady();
          const node = context.self;
          if (input.kind === 'recover') {
            ticks = Number(input.stable.get('ticks') ?? 0);
            seen.push({ kind: 'recover', node, nowMs: input.nowMs, stable: Object.fromEntries(input.stable) });
            ready.timers.push({ kind: 'set', timer: 'tick', afterMs: TICK_MS });
          } else if (input.kind === 'timer') {
            ticks += 1;
            seen.push({ kind: 'tick', node, nowMs: input.nowMs, ticks });
            ready.persist.push({ key: 'ticks', value: ticks });
            for (const peer of context.peers) ready.messages.push({ target: peer, type: 'ping', payload: { ticks, sentAtMs: input.nowMs } });
            ready.timers.push({ kind: 'set', timer: 'tick', afterMs: TICK_MS });
          } else if (input.kind === 'message') {
            const payload = input.payload as { ticks: number; sentAtMs: number };
            seen.push({ kind: 'ping', node, nowMs: input.nowMs, source: input.source, ticks: payload.ticks, sentAtMs: payload.sentAtMs });
          } else if (input.kind === 'suspicion') {
            seen.push({ kind: 'suspicion', node, nowMs: input.nowMs, peer: input.peer, suspected: input.suspected });
          }
          return ready;
        },
        status: () => ({ role: 'member', facts: {}, data: {} }),
      };
    },
  };
}

/** Three probe nodes, a calm fast network, a disk whose fsync takes exactly `persistMs`. */
export function probeConfig(overrides: Partial<SimConfig> & { persistMs?: number } = {}): SimConfig {
  const nodes = overrides.nodes ?? nodeIds(3);
  const persistMs = overrides.persistMs ?? 1;
  const clocks: SimConfig['clocks'] = {};
  for (const node of nodes) clocks[node] = { skewMs: 0, driftPpm: 0 };
  const { persistMs: _persistMs, ...rest } = overrides;
  return {
    source: 'probe', seed: 1, protocol: { name: 'probe', params: {} }, nodes,
    heartbeatIntervalMs: 100, suspicionSampleMs: 200, failureDetector: { ...LAB_PHI_OPTIONS },
    network: { delay: { kind: 'uniform', minMs: 1, maxMs: 2 }, slowLinks: {}, lossPct: 0, duplicatePct: 0, reorderPct: 0, reorderMaxMs: 0, clientDelay: { kind: 'uniform', minMs: 0.5, maxMs: 1 } },
    persistLatency: { kind: 'uniform', minMs: persistMs, maxMs: persistMs },
    clocks, workload: null, nemesis: null, schedule: [],
    safetyMs: 2000, liveness: { workMs: 0, boundMs: 1000 },
    expect: { durability: 'either', linearizability: 'either', splitBrain: 'either', liveness: 'pass', suspicion: null },
    ...rest,
  };
}
