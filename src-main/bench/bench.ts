// `distlab bench`: the runtime's speed on this machine, on real processes. Figures, not
// assertions: the tests never time anything. Each measure starts its own cluster.
//   coldStartMs            5 nodes forked until every directed link is up (median of runs)
//   tracedMessagesPerSec   flood messages carried and recorded (send + receive in the trace)
//   crashDetectionMs       SIGKILL until every other node's phi is over the threshold (100 ms heartbeats)
//   falseSuspicions        suspicions of live, reachable peers during a calm period

import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import type { NodeId } from '../../src-node/contract/clock.ts';
import { LAB_HEARTBEAT_INTERVAL_MS, LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { startRecorder } from '../recorder/recorder-client.ts';
import { Supervisor, type ClusterOptions } from '../supervisor/supervisor.ts';
import { LabClient } from '../workload/client.ts';
import { epochNowMs, labTimeMs } from '../lab/lab-time.ts';

export const COLD_START_RUNS = 5;
export const FLOOD_MESSAGES_PER_NODE = 20_000;
export const FLOOD_TIMEOUT_MS = 120_000;
export const CALM_SECONDS_DEFAULT = 30;
export const CALM_SECONDS_FULL = 600;

export interface BenchResults {
  coldStartMs: number;
  coldStartRunsMs: number[];
  tracedMessagesPerSec: number;
  tracedEvents: number;
  crashDetectionMs: number;
  falseSuspicions: number;
  calmSeconds: number;
  heartbeatIntervalMs: number;
  machine: { cpus: number; node: string; platform: string };
}

function clusterOptions(dataRoot: string, protocol: ClusterOptions['protocol'], runStartEpochMs: number): ClusterOptions {
  return {
    nodes: ['n1', 'n2', 'n3', 'n4', 'n5'], dataRoot, host: '127.0.0.1', protocol,
    heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS, failureDetector: LAB_PHI_OPTIONS,
    suspicionSampleMs: 20, traceFlushMs: 50, traceBatchMax: 1_024, seed: 1, runStartEpochMs,
  };
}

const PB = { name: 'primary-backup', params: { mode: 'sync' } };

async function withTempDir<T>(action: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'distlab-bench-'));
  try {
    return await action(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function measureColdStart(): Promise<number[]> {
  const runs: number[] = [];
  for (let run = 0; run < COLD_START_RUNS; run += 1) {
    await withTempDir(async (dir) => {
      const started = epochNowMs();
      const supervisor = await Supervisor.start(clusterOptions(dir, PB, started), { events: () => undefined, changed: () => undefined });
      runs.push(epochNowMs() - started);
      await supervisor.close();
    });
  }
  return runs;
}

export async function measureTracedMessages(): Promise<{ perSec: number; events: number }> {
  return withTempDir(async (dir) => {
    const started = epochNowMs();
    const recorder = await startRecorder({ tracePath: path.join(dir, 'trace.sqlite'), mode: 'create' });
    let receives = 0;
    const sink = (events: TraceEvent[]): void => {
      recorder.append(events);
      for (const event of events) if (event.kind === 'receive' && event.msgType === 'flood') receives += 1;
    };
    const supervisor = await Supervisor.start(
      clusterOptions(path.join(dir, 'nodes'), { name: 'flood', params: {} }, started),
      { events: sink, changed: () => undefined },
    );
    const client = new LabClient('c1', started, (event) => sink([event]));
    try {
      const nodes = supervisor.nodes();
      const expected = nodes.length * FLOOD_MESSAGES_PER_NODE;
      const begin = epochNowMs();
      await Promise.all(nodes.map((node) => client.request({
        node: node.id, url: node.url, op: { f: 'flood', value: { count: FLOOD_MESSAGES_PER_NODE } }, timeoutMs: 30_000,
      })));
      await pollUntil('every flood message to be received', () => receives >= expected, FLOOD_TIMEOUT_MS);
      // Counted once the trace file holds every event.
      await recorder.flush();
      const seconds = (epochNowMs() - begin) / 1000;
      return { perSec: Math.round(expected / seconds), events: await recorder.count() };
    } finally {
      client.close();
      await supervisor.close();
      await recorder.close();
    }
  });
}

/** Crash detection and false suspicions share one cluster: calm first, then a crash. */
export async function measureDetection(calmSeconds: number): Promise<{ crashDetectionMs: number; falseSuspicions: number }> {
  return withTempDir(async (dir) => {
    const started = epochNowMs();
    const suspected = new Map<NodeId, Set<NodeId>>();
    let falseSuspicions = 0;
    let calm = true;
    const sink = (events: TraceEvent[]): void => {
      for (const event of events) {
        if (event.kind !== 'suspicion') continue;
        const now = new Set(((event.detail as { suspected?: NodeId[] }).suspected ?? []));
        const before = suspected.get(event.node) ?? new Set();
        // A suspicion counts once when it starts, not once per sample.
        if (calm) for (const peer of now) if (!before.has(peer)) falseSuspicions += 1;
        suspected.set(event.node, now);
      }
    };
    const supervisor = await Supervisor.start(clusterOptions(dir, PB, started), { events: sink, changed: () => undefined });
    try {
      await new Promise((resolve) => setTimeout(resolve, calmSeconds * 1000));
      calm = false;
      const victim = 'n2';
      const killedAt = labTimeMs(started);
      await supervisor.apply({ kind: 'crash', node: victim }, 'cli');
      const observers = supervisor.nodeIds.filter((node) => node !== victim);
      let detectedAt = 0;
      await pollUntil('every node to suspect the crashed one', () => {
        const all = observers.every((observer) => suspected.get(observer)?.has(victim));
        if (all && detectedAt === 0) detectedAt = labTimeMs(started);
        return all;
      }, 30_000);
      return { crashDetectionMs: Math.round(detectedAt - killedAt), falseSuspicions };
    } finally {
      await supervisor.close();
    }
  });
}

/** Events arrive without a supervisor change, so this polls rather than waiting on one. */
async function pollUntil(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = epochNowMs() + timeoutMs;
  while (!predicate()) {
    if (epochNowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function runBenchmarks(options: { full: boolean; log: (line: string) => void }): Promise<BenchResults> {
  const calmSeconds = options.full ? CALM_SECONDS_FULL : CALM_SECONDS_DEFAULT;
  options.log('bench: cold start of 5 nodes…');
  const coldStartRunsMs = (await measureColdStart()).map((ms) => Math.round(ms));
  const sorted = [...coldStartRunsMs].sort((a, b) => a - b);
  options.log(`bench: traced messages (${5 * FLOOD_MESSAGES_PER_NODE} flood messages)…`);
  const traced = await measureTracedMessages();
  options.log(`bench: ${calmSeconds} s calm run, then a crash…`);
  const detection = await measureDetection(calmSeconds);
  return {
    coldStartMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    coldStartRunsMs,
    tracedMessagesPerSec: traced.perSec,
    tracedEvents: traced.events,
    crashDetectionMs: detection.crashDetectionMs,
    falseSuspicions: detection.falseSuspicions,
    calmSeconds,
    heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS,
    machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
  };
}
