// How long gossip takes to make CRDT replicas agree (issue 7, the book §5): the convergence
// time, measured in the deterministic simulator for cluster sizes × loss rates × gossip modes,
// many seeds each, reported as p50 and p99.
//
// One run: `clients` clients make `updatesPerClient` OR-set updates each in the first second
// (adds and removes of a few elements, so states differ everywhere), then only read. Every
// link drops `lossPct` of the messages for the whole measured window. The time is read from
// the run's trace: from the last update applied at a replica (its client request received) to
// the last change of any replica's stored state (its last `persist`). No state changes after
// that one and the run ends with equal replicas (the simulator's liveness check), so that is the
// moment all replicas became equal. A run whose last change falls after the window (the
// simulator then heals the network and calms it) did not converge under loss and counts as
// censored, never as a time.
//
// The same measurement on real node processes (`--real`: src-main/bench/gossip-real-bench.ts,
// and the CRDT panel's "Measure convergence": src-main/gossip/convergence.ts) reads its trace
// with `convergenceFromTrace` too, so the two tables are comparable.
//
// Pure like the simulator; the CLI (`npx distlab bench gossip`) prints what it returns.

import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { STATE_PREFIX, type GossipMode } from '../../src-node/protocols/crdt-gossip/core.ts';
import { nodeIds, validateConfig, type SimConfig } from '../sim/config.ts';
import { simulate } from '../sim/simulator.ts';

export const GOSSIP_BENCH_NODES = [3, 5, 9, 15] as const;
export const GOSSIP_BENCH_LOSS_PCTS = [0, 10, 30] as const;
export const GOSSIP_BENCH_MODES: readonly GossipMode[] = ['push', 'pull', 'push-pull'];
export const GOSSIP_BENCH_SEEDS_DEFAULT = 30;
export const GOSSIP_BENCH_SEEDS_MAX = 10_000;

/** The measured window: gossip rounds under loss after the updates, before the simulator heals. */
const WINDOW_MS = 6_000;
/** With rounds longer than 100 ms the window is this many rounds (6 s at the bench's 100 ms). */
const WINDOW_ROUNDS = 60;
/** After the window, the simulator heals and gives the replicas this many rounds (at least 5 s) to agree. */
const LIVENESS_ROUNDS = 50;

/**
 * The burst of updates one measurement makes, the same in the simulator and on real processes:
 * `clients` clients, each `updatesPerClient` of the type's own updates (from `elements`
 * set elements) paced `intervalMs` apart, client i at node i (mod the cluster).
 */
export const GOSSIP_BURST = Object.freeze({ clients: 3, updatesPerClient: 4, elements: 4, intervalMs: 100 });
const { clients: CLIENTS, updatesPerClient: UPDATES_PER_CLIENT } = GOSSIP_BURST;

/** How long a run may take to converge before it counts as censored: 6 s, or 60 gossip rounds if they are longer than 100 ms. */
export function gossipWindowMs(intervalMs: number): number {
  return Math.max(WINDOW_MS, WINDOW_ROUNDS * intervalMs);
}

export interface GossipRunSpec {
  nodes: number;
  lossPct: number;
  mode: GossipMode;
  seed: number;
  fanout?: number;
  intervalMs?: number;
  /** The CRDT type (default `or-set`, the bench's). */
  type?: string;
}

export interface GossipRunMeasure {
  /** Last update applied → replicas equal, ms; null: not within the lossy window (censored). */
  convergenceMs: number | null;
  lastUpdateAtMs: number;
  equalAtMs: number | null;
  /** Gossip messages sent in the whole run. */
  messages: number;
}

/** The simulated run of one measurement (exported for the tests, which check it the same way). */
export function gossipRunConfig(spec: GossipRunSpec): SimConfig {
  const type = spec.type ?? 'or-set';
  const intervalMs = spec.intervalMs ?? 100;
  return validateConfig({
    source: `gossip-bench n=${spec.nodes} loss=${spec.lossPct}% ${spec.mode}`, seed: spec.seed,
    protocol: { name: 'crdt-gossip', params: { type, mode: spec.mode, fanout: spec.fanout ?? 1, intervalMs } },
    nodes: nodeIds(spec.nodes),
    // Heartbeats feed only the failure detector, which gossip does not use: rare, to keep runs cheap.
    heartbeatIntervalMs: 1_000, suspicionSampleMs: 1_000, failureDetector: { ...LAB_PHI_OPTIONS },
    network: {
      delay: { kind: 'exponential', minMs: 0.2, meanMs: 1, maxMs: 20 }, slowLinks: {},
      lossPct: spec.lossPct, duplicatePct: 0, reorderPct: 0, reorderMaxMs: 10,
      clientDelay: { kind: 'uniform', minMs: 0.2, maxMs: 1 },
    },
    persistLatency: { kind: 'uniform', minMs: 0.1, maxMs: 1 },
    clocks: Object.fromEntries(nodeIds(spec.nodes).map((node) => [node, { skewMs: 0, driftPpm: 0 }])),
    workload: {
      kind: 'crdt', clients: Math.min(CLIENTS, spec.nodes), ratePerSec: (1_000 / GOSSIP_BURST.intervalMs) * Math.min(CLIENTS, spec.nodes), keys: 1, uniqueKeys: false, writeShare: 1, startMs: 0, timeoutMs: 1_000,
      crdt: { type, ops: 'updates', elements: GOSSIP_BURST.elements, updatesPerClient: UPDATES_PER_CLIENT, script: null },
    },
    nemesis: null, schedule: [],
    safetyMs: gossipWindowMs(intervalMs),
    liveness: { workMs: 0, boundMs: Math.max(5_000, LIVENESS_ROUNDS * intervalMs) },
    expect: { durability: 'either', linearizability: 'either', splitBrain: 'either', liveness: 'pass', suspicion: null },
  });
}

/** One run, measured from its trace. Throws if the replicas do not agree even after the heal (a bug, not a figure). */
export function measureGossipRun(spec: GossipRunSpec): GossipRunMeasure {
  const result = simulate(gossipRunConfig(spec), { trace: 'full' });
  const liveness = result.checks.find((check) => check.kind === 'liveness');
  if (liveness?.verdict !== 'pass') throw new Error(`${result.config.source} seed ${spec.seed}: replicas never agreed: ${liveness?.summary ?? 'no liveness check'}`);
  return convergenceFromTrace(result.trace.events, gossipWindowMs(spec.intervalMs ?? 100));
}

/**
 * From a run's trace: the last update applied at a replica, the last change of any replica's
 * stored state, and the time between them if that change came before `windowEndMs` (the end of
 * the lossy window); gossip messages counted. Valid for runs without crashes (a restart
 * rewrites nothing, but a wiped disk would).
 *
 * `key`: only updates of that key and changes of its state count — a live cluster's trace also
 * holds its own workload's keys and earlier measurements (each measurement writes a fresh key).
 * A `persist` event names at most TRACE_PERSIST_KEYS_MAX keys; one that names fewer than it
 * wrote might have written the key, and counts as a change of it.
 */
export function convergenceFromTrace(events: readonly TraceEvent[], windowEndMs: number, options: { key?: string } = {}): GossipRunMeasure {
  const { key } = options;
  const stableKey = key === undefined ? undefined : STATE_PREFIX + key;
  let lastUpdateAtMs = 0;
  let lastChangeAtMs = 0;
  let messages = 0;
  for (const event of events) {
    if (event.kind === 'receive' && event.msgType === 'client-request') {
      const op = (event.detail as { op?: { f?: string; key?: string } } | undefined)?.op;
      if (op?.f === 'update' && (key === undefined || op.key === key)) lastUpdateAtMs = Math.max(lastUpdateAtMs, event.labTimeMs);
    } else if (event.kind === 'persist' && event.node.startsWith('n') && (stableKey === undefined || persistMayHoldKey(event, stableKey))) {
      lastChangeAtMs = Math.max(lastChangeAtMs, event.labTimeMs);
    } else if (event.kind === 'send' && (event.msgType === 'state' || event.msgType === 'digest')) messages += 1;
  }
  const equalAtMs = lastChangeAtMs < windowEndMs ? lastChangeAtMs : null;
  return { convergenceMs: equalAtMs === null ? null : Math.max(0, equalAtMs - lastUpdateAtMs), lastUpdateAtMs, equalAtMs, messages };
}

function persistMayHoldKey(event: TraceEvent, stableKey: string): boolean {
  const detail = event.detail as { keys?: unknown; count?: unknown } | undefined;
  const keys = Array.isArray(detail?.keys) ? detail.keys : [];
  return keys.includes(stableKey) || (typeof detail?.count === 'number' && detail.count > keys.length);
}

/** p50 and p99 (nearest rank, whole ms) of the runs that converged; how many did not. */
export interface ConvergenceSummary {
  runs: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  censored: number;
}

export function summarizeConvergence(timesMs: readonly (number | null)[]): ConvergenceSummary {
  const times = timesMs.filter((time): time is number => time !== null).sort((a, b) => a - b);
  const round = (value: number | null): number | null => (value === null ? null : Math.round(value));
  return {
    runs: timesMs.length, p50Ms: round(quantile(times, 0.5)), p99Ms: round(quantile(times, 0.99)), maxMs: round(times.at(-1) ?? null),
    censored: timesMs.length - times.length,
  };
}

/**
 * The simulator's prediction for one configuration: `seeds` runs (seeds 1…), giving the event
 * loop back after each — the lab's main process supervises a live cluster meanwhile. One run
 * of 15 nodes takes some 20 ms on an idle core.
 */
export async function predictGossipConvergence(spec: Omit<GossipRunSpec, 'seed'>, seeds: number): Promise<ConvergenceSummary & { timesMs: (number | null)[] }> {
  if (!Number.isInteger(seeds) || seeds < 1 || seeds > GOSSIP_BENCH_SEEDS_MAX) throw new Error(`seeds must be an integer in [1, ${GOSSIP_BENCH_SEEDS_MAX}]`);
  const timesMs: (number | null)[] = [];
  for (let seed = 1; seed <= seeds; seed += 1) {
    timesMs.push(measureGossipRun({ ...spec, seed }).convergenceMs);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { ...summarizeConvergence(timesMs), timesMs };
}

export interface GossipBenchRow {
  nodes: number;
  lossPct: number;
  mode: GossipMode;
  seeds: number;
  /** Convergence time over the seeds that converged within the lossy window. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** p50 in gossip rounds (intervalMs each). */
  p50Rounds: number | null;
  /** Runs that had not converged when the window closed. */
  censored: number;
  messagesPerRun: number;
}

export interface GossipBenchResults {
  method: string;
  intervalMs: number;
  fanout: number;
  rows: GossipBenchRow[];
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function runGossipBench(options: {
  seeds: number;
  nodes?: readonly number[];
  lossPcts?: readonly number[];
  modes?: readonly GossipMode[];
  log?: (line: string) => void;
}): GossipBenchResults {
  const rows: GossipBenchRow[] = [];
  for (const nodes of options.nodes ?? GOSSIP_BENCH_NODES) {
    for (const lossPct of options.lossPcts ?? GOSSIP_BENCH_LOSS_PCTS) {
      for (const mode of options.modes ?? GOSSIP_BENCH_MODES) {
        const times: number[] = [];
        let censored = 0;
        let messages = 0;
        for (let seed = 1; seed <= options.seeds; seed += 1) {
          const measure = measureGossipRun({ nodes, lossPct, mode, seed });
          messages += measure.messages;
          if (measure.convergenceMs === null) censored += 1;
          else times.push(measure.convergenceMs);
        }
        times.sort((a, b) => a - b);
        const round = (value: number | null): number | null => (value === null ? null : Math.round(value));
        const p50 = quantile(times, 0.5);
        const row: GossipBenchRow = {
          nodes, lossPct, mode, seeds: options.seeds, p50Ms: round(p50), p99Ms: round(quantile(times, 0.99)), maxMs: round(times.at(-1) ?? null),
          p50Rounds: p50 === null ? null : Math.round((p50 / 100) * 10) / 10, censored, messagesPerRun: Math.round(messages / options.seeds),
        };
        rows.push(row);
        options.log?.(`n=${nodes} loss=${lossPct}% ${mode}: p50 ${String(row.p50Ms)} ms, p99 ${String(row.p99Ms)} ms${censored > 0 ? `, ${censored} censored` : ''}`);
      }
    }
  }
  return {
    method: `simulator; or-set, fanout 1, intervalMs 100; ${CLIENTS} clients × ${UPDATES_PER_CLIENT} updates, then reads; loss on every link for ${WINDOW_MS} ms; time = last update applied → last replica state change (from the trace)`,
    intervalMs: 100, fanout: 1, rows,
  };
}
