// `distlab bench gossip --real`: the simulator bench's convergence time (gossip-bench.ts)
// measured on real node processes (issue 7). Per node count and gossip mode, one cluster of
// crdt-gossip processes (OR-set, fanout 1, 100 ms rounds — the simulator bench's parameters),
// started by the lab's supervisor as `distlab run` starts one; per loss rate, every directed
// link drops that share of messages through the nodes' fault filters (the `link` fault the
// UI's link panel sets), and `runs` bursts are measured one after the other, each on a fresh
// key, as the CRDT panel measures (src-main/gossip/convergence.ts): time from the last update
// applied to the last change of any replica's state, read from the trace.
//
// Figures, not assertions. Nodes of different clusters never run at once; a machine with few
// cores runs 9 node processes, the lab and its recorder on them.

import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { GossipMode } from '../../src-node/protocols/crdt-gossip/core.ts';
import { parseScenario } from '../scenario/scenario.ts';
import { LabRun } from '../lab/run.ts';
import { measureConvergenceOnRun } from '../gossip/convergence.ts';
import { GOSSIP_BENCH_MODES, GOSSIP_BURST, gossipWindowMs, summarizeConvergence, type GossipBenchResults } from './gossip-bench.ts';

export const GOSSIP_REAL_NODES = [3, 5, 9] as const;
export const GOSSIP_REAL_LOSS_PCTS = [0, 10, 30] as const;
export const GOSSIP_REAL_RUNS_DEFAULT = 3;
export const GOSSIP_REAL_RUNS_MAX = 100;
/** Rounds the gossip runs after the loss changes before the first burst (the fault filters are programmed by then). */
const SETTLE_ROUNDS = 3;
const INTERVAL_MS = 100;

export interface GossipRealRow {
  nodes: number;
  lossPct: number;
  mode: GossipMode;
  runs: number;
  p50Ms: number | null;
  p99Ms: number | null;
  censored: number;
}

export interface GossipRealResults {
  method: string;
  intervalMs: number;
  fanout: number;
  elapsedMs: number;
  rows: GossipRealRow[];
}

export async function runRealGossipBench(options: {
  runs: number;
  nodes?: readonly number[];
  lossPcts?: readonly number[];
  modes?: readonly GossipMode[];
  log?: (line: string) => void;
}): Promise<GossipRealResults> {
  if (!Number.isInteger(options.runs) || options.runs < 1 || options.runs > GOSSIP_REAL_RUNS_MAX) throw new Error(`runs must be an integer in [1, ${GOSSIP_REAL_RUNS_MAX}]`);
  const started = performance.now();
  const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-gossip-bench-'));
  const rows: GossipRealRow[] = [];
  try {
    for (const nodes of options.nodes ?? GOSSIP_REAL_NODES) {
      for (const mode of options.modes ?? GOSSIP_BENCH_MODES) {
        rows.push(...await benchCluster({ nodes, mode, lossPcts: options.lossPcts ?? GOSSIP_REAL_LOSS_PCTS, runs: options.runs, dataRoot, log: options.log }));
      }
    }
  } finally {
    await rm(dataRoot, { recursive: true, force: true });
  }
  return {
    method: `real node processes (one cluster per node count and mode); or-set, fanout 1, intervalMs ${INTERVAL_MS}; ${GOSSIP_BURST.clients} clients × ${GOSSIP_BURST.updatesPerClient} updates on a fresh key per run; loss on every directed link (link faults); time = last update applied → last replica state change (from the trace), confirmed by equal state digests; censored after ${gossipWindowMs(INTERVAL_MS)} ms`,
    intervalMs: INTERVAL_MS, fanout: 1, elapsedMs: Math.round(performance.now() - started), rows,
  };
}

async function benchCluster(spec: { nodes: number; mode: GossipMode; lossPcts: readonly number[]; runs: number; dataRoot: string; log: ((line: string) => void) | undefined }): Promise<GossipRealRow[]> {
  const scenario = parseScenario({
    name: `gossip-bench-${spec.nodes}-${spec.mode}`, title: 'gossip convergence bench', summary: 'distlab bench gossip --real',
    cluster: { nodes: spec.nodes }, protocol: { name: 'crdt-gossip', params: { type: 'or-set', mode: spec.mode, fanout: 1, intervalMs: INTERVAL_MS } },
  }, 'the gossip bench');
  const run = await LabRun.start({ scenario, dataRoot: spec.dataRoot, host: '127.0.0.1', autoplay: false });
  const rows: GossipRealRow[] = [];
  try {
    for (const lossPct of spec.lossPcts) {
      for (const source of run.cluster.nodeIds) {
        for (const target of run.cluster.nodeIds) if (source !== target) await run.fault({ kind: 'link', source, target, faults: { lossPct } }, 'cli');
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_ROUNDS * INTERVAL_MS));
      spec.log?.(`n=${spec.nodes} loss=${lossPct}% ${spec.mode}:`);
      const measured = await measureConvergenceOnRun(run, { runs: spec.runs, seed: lossPct + 1, log: spec.log });
      const summary = summarizeConvergence(measured.timesMs);
      rows.push({ nodes: spec.nodes, lossPct, mode: spec.mode, runs: summary.runs, p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, censored: summary.censored });
    }
  } finally {
    await run.close();
  }
  return rows;
}

/** The real table beside the simulated one, row by row (a configuration the simulator did not run shows —). */
export function formatGossipComparison(real: GossipRealResults, sim: GossipBenchResults): string {
  const cell = (p50: number | null, p99: number | null, censored: number, runs: number): string => {
    const times = p50 === null ? 'none converged' : `${p50} / ${p99 ?? '—'}`;
    return `${times}${censored > 0 ? ` (${censored}/${runs} censored)` : ''}`;
  };
  const lines = [
    'convergence time, p50 / p99 ms (last update applied → every replica equal)',
    `${'nodes'.padEnd(6)}${'loss'.padEnd(6)}${'mode'.padEnd(11)}${`real (${real.rows[0]?.runs ?? 0} runs)`.padEnd(30)}simulated (${sim.rows[0]?.seeds ?? 0} seeds)`,
  ];
  for (const row of real.rows) {
    const simulated = sim.rows.find((candidate) => candidate.nodes === row.nodes && candidate.lossPct === row.lossPct && candidate.mode === row.mode);
    lines.push(`${String(row.nodes).padEnd(6)}${`${row.lossPct}%`.padEnd(6)}${row.mode.padEnd(11)}${cell(row.p50Ms, row.p99Ms, row.censored, row.runs).padEnd(30)}${simulated === undefined ? '—' : cell(simulated.p50Ms, simulated.p99Ms, simulated.censored, simulated.seeds)}`);
  }
  lines.push(`real: ${real.method}; ${(real.elapsedMs / 1000).toFixed(1)} s`, `simulated: ${sim.method}`);
  return lines.join('\n');
}
