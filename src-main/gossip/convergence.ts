// Gossip convergence time on a live cluster of real node processes (issue 7): the CRDT panel's
// "Measure convergence" and `distlab bench gossip --real` (src-main/bench/gossip-real-bench.ts).
//
// One run: the simulator bench's burst (src-main/bench/gossip-bench.ts GOSSIP_BURST: three lab
// clients, four of the type's own updates each, 100 ms apart, client i at node i) on a key of
// its own, written for this run only — the cluster may be running its own workload on other
// keys, and a fresh key starts every run from the bottom of the lattice as the simulator's
// runs do. Then the lab watches the replicas: once every replica reports the same value of the
// key (its status, which nodes push anyway), it asks each for the digest of the key's whole
// state (equal values can hide states that still differ: an OR-set's tags). With every update
// acknowledged and every digest equal, nothing can change the key any more, so the replicas
// have converged. When they did is read from the run's trace, as in the simulator: the last
// change of the key's state at any replica (`persist`) after the last update applied
// (`convergenceFromTrace`). The browser's clock plays no part; the lab's own clock stamps
// every event of every process. A run not converged `gossipWindowMs` after its burst began is
// censored, as a simulated run that has not converged when the lossy window closes.
//
// The cluster is measured as it is: its link faults stay as they were set (the UI's link
// panel, a scenario's network, or the real bench's loss).

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import {
  CONVERGENCE_INTERVAL_MS_MAX, CONVERGENCE_RUNS_DEFAULT, CONVERGENCE_RUNS_MAX, CONVERGENCE_SEEDS_DEFAULT, CONVERGENCE_SEEDS_MAX,
  type ConvergenceFigures, type ConvergenceMeasurement, type ConvergenceRequest,
} from '../../src-node/contract/gossip.ts';
import { CRDT_TYPES } from '../../src-node/protocols/crdt/index.ts';
import { parseCrdtGossipParams, type CrdtGossipParams } from '../../src-node/protocols/crdt-gossip/core.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import { GOSSIP_BURST, convergenceFromTrace, gossipWindowMs, predictGossipConvergence, summarizeConvergence } from '../bench/gossip-bench.ts';
import type { LabRun } from '../lab/run.ts';
import { CrdtGenerator } from '../workload/crdt.ts';

/** The burst's clients and the one that asks for digests: ids no scenario workload uses (they have at most a few clients). */
const BURST_CLIENTS = ['c91', 'c92', 'c93'] as const;
const DIGEST_CLIENT = 'c99';
const CLIENT_TIMEOUT_MS = 1_000;
/** Events read from the trace per query. */
const PAGE_EVENTS = 5_000;

export interface LiveConvergence {
  params: CrdtGossipParams;
  nodes: number;
  windowMs: number;
  timesMs: (number | null)[];
  keys: string[];
}

/** Runs measured on one cluster: at most one measurement at a time, since each reads the others' traffic as load. */
const measuring = new WeakSet<LabRun>();

/** The run's crdt-gossip parameters, or why it cannot be measured. */
export function gossipParamsOf(run: LabRun): CrdtGossipParams {
  const { protocol } = run.options.scenario;
  if (protocol.name !== 'crdt-gossip') throw new Error(`convergence is measured on a crdt-gossip run; this run is ${protocol.name}`);
  const params = parseCrdtGossipParams(protocol.params);
  if (!CRDT_TYPES.has(params.type)) throw new Error(`${params.type} is not a CRDT: its replicas never agree, so there is no convergence time to measure`);
  if (params.intervalMs > CONVERGENCE_INTERVAL_MS_MAX) {
    throw new Error(`gossip every ${params.intervalMs} ms: a measurement waits up to 60 rounds per run; measure with rounds of at most ${CONVERGENCE_INTERVAL_MS_MAX} ms`);
  }
  return params;
}

/** `runs` bursts on the live cluster, one after the other, each on a fresh key. */
export async function measureConvergenceOnRun(run: LabRun, options: { runs: number; seed: number; log?: (line: string) => void }): Promise<LiveConvergence> {
  const params = gossipParamsOf(run);
  if (measuring.has(run)) throw new Error('a convergence measurement is already running on this cluster');
  measuring.add(run);
  try {
    const windowMs = gossipWindowMs(params.intervalMs);
    const random = createRandom(options.seed);
    const reader = new TraceReader(run, await lastEventId(run));
    const label = Math.round(run.now());
    const timesMs: (number | null)[] = [];
    const keys: string[] = [];
    for (let index = 1; index <= options.runs; index += 1) {
      requireAllUp(run);
      // '~' sorts after letters and digits: the CRDT panel lists the cluster's own keys first.
      const key = `~convergence-${label}-${index}`;
      keys.push(key);
      const startMs = run.now();
      await burst(run, { key, params, random: random.fork() });
      const converged = await waitForEqualStates(run, key, startMs + windowMs, pollMs(params.intervalMs));
      await run.flush();
      const measure = convergenceFromTrace(await reader.next(), startMs + windowMs, { key });
      timesMs.push(converged ? measure.convergenceMs : null);
      options.log?.(`  ${key}: ${converged ? `${Math.round(measure.convergenceMs ?? 0)} ms` : `not converged within ${windowMs} ms (censored)`}`);
    }
    return { params, nodes: run.cluster.nodeIds.length, windowMs, timesMs, keys };
  } finally {
    measuring.delete(run);
  }
}

/** Status is pushed every 50 ms at best; a quarter round keeps the wait short without flooding the nodes with digest requests. */
function pollMs(intervalMs: number): number {
  return Math.min(100, Math.max(25, intervalMs / 4));
}

function requireAllUp(run: LabRun): void {
  const notUp = run.cluster.nodes().filter((node) => node.state !== 'up');
  if (notUp.length > 0) throw new Error(`every replica must be up to measure convergence: ${notUp.map((node) => `${node.id} is ${node.state}`).join(', ')}`);
}

/** The simulator bench's burst, through the lab's own clients (so it is in the trace and the history like any operation). */
async function burst(run: LabRun, spec: { key: string; params: CrdtGossipParams; random: Random }): Promise<void> {
  const nodes = run.cluster.nodeIds;
  const clients = Math.min(GOSSIP_BURST.clients, nodes.length);
  const crdt = { type: spec.params.type, ops: 'updates' as const, elements: GOSSIP_BURST.elements, updatesPerClient: GOSSIP_BURST.updatesPerClient, script: null };
  await Promise.all(Array.from({ length: clients }, async (_, index) => {
    const client = BURST_CLIENTS[index]!;
    const random = spec.random.fork();
    const generator = new CrdtGenerator({ keys: 1, writeShare: 1, crdt }, client, random);
    // As the simulator's clients: the first operation within one pacing interval, then one per interval.
    await sleep(random.next() * GOSSIP_BURST.intervalMs);
    for (let update = 0; update < GOSSIP_BURST.updatesPerClient; update += 1) {
      const started = run.now();
      const op: ClientOp = { ...generator.next(), key: spec.key };
      const outcome = await run.clientOp({ op, node: nodes[index % nodes.length]!, client, timeoutMs: CLIENT_TIMEOUT_MS });
      generator.completed({ op, result: outcome.result });
      await sleep(Math.max(0, GOSSIP_BURST.intervalMs - (run.now() - started)));
    }
  }));
}

/** Until every replica's state of `key` is the same (true), or `deadlineMs` (false). */
async function waitForEqualStates(run: LabRun, key: string, deadlineMs: number, everyMs: number): Promise<boolean> {
  while (run.now() < deadlineMs) {
    // A replica crashed, paused or stopped meanwhile (or the run was closed): nothing left to time.
    requireAllUp(run);
    const nodes = run.cluster.nodes();
    if (valuesAgree(nodes, key) && await digestsAgree(run, nodes.map((node) => node.id), key)) return true;
    await sleep(everyMs);
  }
  return false;
}

/** Every replica is up and reports one value of `key` (absent counts as a value: a replica that never heard of it). */
export function valuesAgree(nodes: readonly NodeView[], key: string): boolean {
  const values = new Set<string>();
  for (const node of nodes) {
    if (node.state !== 'up' || node.status === null) return false;
    const data = node.status.data as Record<string, unknown> | undefined;
    values.add(data !== undefined && key in data ? JSON.stringify(data[key]) : 'absent');
  }
  return values.size === 1;
}

/**
 * Asks each replica for the digest of its state of `key`, one after the other. States only
 * grow once the burst is acknowledged, so equal answers mean equal states even though they were
 * not taken at one instant: no replica can be ahead of the others without answering differently.
 */
async function digestsAgree(run: LabRun, nodes: readonly NodeId[], key: string): Promise<boolean> {
  let first: unknown;
  for (const [index, node] of nodes.entries()) {
    const outcome = await run.clientOp({ op: { f: 'digest', key }, node, client: DIGEST_CLIENT, timeoutMs: CLIENT_TIMEOUT_MS });
    if (outcome.result.type !== 'ok') return false;
    if (index === 0) first = outcome.result.value;
    else if (outcome.result.value !== first) return false;
  }
  return true;
}

/** The id of the run's last recorded event (0 for none): a measurement reads only what follows. */
async function lastEventId(run: LabRun): Promise<number> {
  await run.flush();
  const [last] = await run.store.query({ beforeId: Number.MAX_SAFE_INTEGER, limit: 1 });
  return last?.id ?? 0;
}

/** Reads a run's trace onwards from an event id, the kinds the convergence time is read from. */
class TraceReader {
  constructor(private readonly run: LabRun, private afterId: number) {}

  async next(): Promise<TraceEvent[]> {
    const events: TraceEvent[] = [];
    for (;;) {
      const page = await this.run.store.query({ afterId: this.afterId, kinds: ['receive', 'persist'], limit: PAGE_EVENTS });
      events.push(...page);
      if (page.length > 0) this.afterId = page.at(-1)!.id;
      if (page.length < PAGE_EVENTS) return events;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A LabApi request, checked: a person gets a sentence for a bad one. */
export function parseConvergenceRequest(raw: unknown): Required<ConvergenceRequest> {
  if (raw === undefined || raw === null) return { runs: CONVERGENCE_RUNS_DEFAULT, seeds: CONVERGENCE_SEEDS_DEFAULT };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('a convergence request is an object like {"runs": 3, "seeds": 20}');
  const request = raw as Record<string, unknown>;
  const unknown = Object.keys(request).filter((name) => name !== 'runs' && name !== 'seeds');
  if (unknown.length > 0) throw new Error(`a convergence request has runs and seeds, not ${unknown.join(', ')}`);
  const count = (name: 'runs' | 'seeds', fallback: number, max: number): number => {
    const value = request[name];
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) throw new Error(`${name} must be an integer in [1, ${max}], not ${JSON.stringify(value)}`);
    return value as number;
  };
  return { runs: count('runs', CONVERGENCE_RUNS_DEFAULT, CONVERGENCE_RUNS_MAX), seeds: count('seeds', CONVERGENCE_SEEDS_DEFAULT, CONVERGENCE_SEEDS_MAX) };
}

/** The loss of the cluster's links as the lab's fault filters apply it (a cut link drops everything). */
export function linkLoss(run: LabRun): { meanPct: number; minPct: number; maxPct: number; otherFaults: boolean } {
  const links = run.cluster.links();
  const losses = links.map((link) => (link.faults.cut ? 100 : link.faults.lossPct));
  const otherFaults = links.some((link) => link.faults.delayMs + link.faults.jitterMs + link.faults.duplicatePct + link.faults.reorderPct > 0);
  if (losses.length === 0) return { meanPct: 0, minPct: 0, maxPct: 0, otherFaults };
  const mean = losses.reduce((sum, loss) => sum + loss, 0) / losses.length;
  return { meanPct: Math.round(mean * 10) / 10, minPct: Math.min(...losses), maxPct: Math.max(...losses), otherFaults };
}

function figures(timesMs: (number | null)[]): ConvergenceFigures {
  const summary = summarizeConvergence(timesMs);
  return { runs: summary.runs, timesMs: timesMs.map((time) => (time === null ? null : Math.round(time))), p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, censored: summary.censored };
}

/** What LabApi.measureConvergence does: the live cluster as it is now, beside the simulator's bench on the same parameters. */
export async function measureConvergenceForLab(run: LabRun, raw: unknown): Promise<ConvergenceMeasurement> {
  const request = parseConvergenceRequest(raw);
  gossipParamsOf(run);
  requireAllUp(run);
  const atLabMs = Math.round(run.now());
  const loss = linkLoss(run);
  const live = await measureConvergenceOnRun(run, { runs: request.runs, seed: run.options.scenario.seed });
  const { params } = live;
  const sim = await predictGossipConvergence({ nodes: live.nodes, lossPct: loss.meanPct, mode: params.mode, fanout: params.fanout, intervalMs: params.intervalMs, type: params.type }, request.seeds);
  const caveats: string[] = [];
  if (loss.minPct !== loss.maxPct) caveats.push(`the links drop ${loss.minPct}–${loss.maxPct} % of messages; the simulator was given their mean, ${loss.meanPct} %, on every link`);
  if (loss.otherFaults) caveats.push('some links also delay, duplicate or reorder messages; the simulator modelled loss only (its links take about 1 ms)');
  const workload = run.options.scenario.workload;
  if (workload !== null && run.playedAtMs !== null && atLabMs < run.playedAtMs + workload.startMs + workload.durationMs) {
    caveats.push("the scenario's own workload was running: its operations share the nodes and the links");
  }
  return {
    nodes: live.nodes, type: params.type, mode: params.mode, fanout: params.fanout, intervalMs: params.intervalMs,
    lossPct: loss.meanPct, lossRange: { minPct: loss.minPct, maxPct: loss.maxPct }, windowMs: live.windowMs,
    live: figures(live.timesMs), sim: figures(sim.timesMs), keys: live.keys, atLabMs, caveats,
  };
}
