// The book's comparison table measured on real node processes: each variant runs the
// scenario as `distlab run` does (its own cluster, SIGKILL for a crash, fsynced SQLite,
// socket.io on loopback), one after another, and its trace gives the same figures as the
// simulator's runs (compare.ts). Real runs have no seed to replay: the table lists none.
//
// Idle traffic cannot come from a second, client-free run here without doubling the time:
// it is measured in the same run, after the last client operation completed (the scenario's
// settle time), when only heartbeats and the like are sent.

import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { CompareReport } from '../../src-node/contract/compare.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { runScenario } from '../lab/run-scenario.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { startRecorder } from '../recorder/recorder-client.ts';
import { QUERY_LIMIT_MAX } from '../trace/event-query.ts';
import { operationsFromTrace } from '../trace/history-from-trace.ts';
import { historyFromCompletedOps } from '../workload/history.ts';
import { COMPARE_VARIANTS, peerMessages, summarizeVariant, type CompareVariant, type VariantRun } from './compare.ts';

/** Real runs one comparison may make per variant (each takes the scenario's duration and settle time). */
export const COMPARE_REAL_RUNS_MAX = 10;
/** Idle traffic is measured only over a quiet window at least this long; shorter: reported as 0. */
export const IDLE_WINDOW_MIN_MS = 500;

export interface CompareRealOptions {
  scenario: Scenario;
  /** Where the runs' node disks and traces go (a run folder per variant and run). */
  dataRoot: string;
  runs: number;
  variants?: readonly CompareVariant[];
  onProgress?: (message: string) => void;
}

export async function compareProtocolsReal(options: CompareRealOptions): Promise<CompareReport> {
  const variants = options.variants ?? COMPARE_VARIANTS;
  if (!Number.isInteger(options.runs) || options.runs < 1 || options.runs > COMPARE_REAL_RUNS_MAX) {
    throw new Error(`compare --real: 1 to ${COMPARE_REAL_RUNS_MAX} runs per protocol, not ${options.runs}`);
  }
  if (options.scenario.workload === null) throw new Error(`compare: scenario ${options.scenario.name} has no workload to compare protocols on`);
  if (variants.length === 0) throw new Error('compare: no protocol to run');
  await mkdir(options.dataRoot, { recursive: true });
  const rows = [];
  for (const variant of variants) {
    const runs: VariantRun[] = [];
    for (let index = 0; index < options.runs; index += 1) {
      options.onProgress?.(`${variant.label}: run ${index + 1} of ${options.runs} on real processes`);
      const scenario = { ...options.scenario, protocol: variant.protocol };
      const report = await runScenario(scenario, {
        dataRoot: options.dataRoot,
        tracePath: path.join(options.dataRoot, `${options.scenario.name}-${variant.id}-${index + 1}.sqlite`),
      });
      runs.push(realRun(await readTrace(report.tracePath), report.checks, { nodes: scenario.cluster.nodes, clients: scenario.workload!.clients }));
    }
    rows.push(summarizeVariant(variant, runs));
  }
  return { scenario: options.scenario.name, seeds: Array.from({ length: options.runs }, (_, index) => index + 1), rows };
}

/**
 * A real run's figures, from its trace. Only the workload's clients (c1 … cN) count: the
 * checks' read-back after the run is a client of its own and not an operation of the run.
 */
function realRun(events: readonly StoredEvent[], checks: VariantRun['checks'], cluster: { nodes: number; clients: number }): VariantRun {
  const nodes = Array.from({ length: cluster.nodes }, (_, index) => `n${index + 1}`);
  const workloadClients = new Set(Array.from({ length: cluster.clients }, (_, index) => `c${index + 1}`));
  const operations = operationsFromTrace(events).filter((operation) => workloadClients.has(operation.client));
  const times = events.map((event) => event.labTimeMs);
  const startMs = Math.min(...times);
  const endMs = Math.max(...times);
  // Quiet: from the workload's last completion until the read-back (or the trace) begins.
  const quietFromMs = operations.reduce((latest, operation) => Math.max(latest, operation.completedAtMs), startMs);
  const readBackMs = events.find((event) => event.kind === 'invoke' && event.labTimeMs > quietFromMs && !workloadClients.has(event.node))?.labTimeMs;
  const quietToMs = Math.min(readBackMs ?? endMs, endMs);
  const quietMs = quietToMs - quietFromMs;
  const quietMessages = peerMessages(events.filter((event) => event.labTimeMs > quietFromMs && event.labTimeMs <= quietToMs), nodes);
  return {
    history: historyFromCompletedOps(operations),
    events,
    checks,
    messages: peerMessages(events, nodes),
    idleMessagesPerSec: quietMs >= IDLE_WINDOW_MIN_MS ? (quietMessages / quietMs) * 1000 : 0,
    runMs: endMs - startMs,
    replay: null,
  };
}

/** Every event of a trace, through the recorder (the lab's process loads no SQLite of its own). */
async function readTrace(tracePath: string): Promise<StoredEvent[]> {
  const recorder = await startRecorder({ tracePath, mode: 'read' });
  try {
    const events: StoredEvent[] = [];
    for (;;) {
      const page = await recorder.query({ afterId: events.at(-1)?.id ?? 0, limit: QUERY_LIMIT_MAX });
      events.push(...page);
      if (page.length < QUERY_LIMIT_MAX) return events;
    }
  } finally {
    await recorder.close();
  }
}
