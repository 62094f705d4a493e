// `distlab bench soak`: the kill -9 loop of raft-crash-loop, stretched to `cycles` crash and
// restart cycles (200 by default), on real processes, judged as the scenario judges it:
// every acknowledged write still there at the end, the history linearizable, Raft's
// invariants in the trace, the replicas equal. A soak, not a speed figure: it answers
// whether Raft survives a long kill -9 loop on this machine, and how long the loop took.

import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import { parseScenario, resolveScenario, type Scenario } from '../scenario/scenario.ts';
import { runScenario } from '../lab/run-scenario.ts';
import { startRecorder } from '../recorder/recorder-client.ts';
import type { CheckResult } from '../checks/run-checks.ts';

export const SOAK_SCENARIO = 'raft-crash-loop';
export const SOAK_CYCLES_DEFAULT = 200;
/**
 * Run time per cycle asked for. The loop makes about two cycles a second on an idle machine
 * of two cores and one and a half under heavy load; this leaves room for a slower one, and
 * the cluster works on, calm, once the cycles are done.
 */
export const SOAK_MS_PER_CYCLE = 900;
/** The shortest stretched run (a few cycles still get a cluster that settles between them). */
export const SOAK_RUN_MS_MIN = 8_000;
/** Keeps a run within the scenario limit of 30 minutes. */
export const SOAK_CYCLES_MAX = 1_500;
const TRACE_PAGE_EVENTS = 10_000;

export interface SoakResults {
  scenario: string;
  /** Crash/restart cycles asked for, and done (a crash by the nemesis followed by its restart). */
  cyclesRequested: number;
  cycles: number;
  /** Crashes whose victim led at the time (from its last role note). */
  leaderCrashes: number;
  operations: { total: number; ok: number; fail: number; info: number };
  acknowledgedWrites: number;
  lostWrites: number;
  linearizability: string;
  raftInvariants: string;
  invariantViolations: number;
  convergence: string;
  /** Every check passed, every cycle asked for was done, and every crash was restarted. */
  ok: boolean;
  /** Wall time of the whole bench (cluster start, loop, settle, read-back, checks); runMs: the scenario's duration. */
  elapsedMs: number;
  runMs: number;
  /** From the first crash to the last restart: how long the cycles themselves took. */
  loopMs: number;
  checks: { kind: string; verdict: string; summary: string }[];
  machine: { cpus: number; node: string; platform: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
}

/** raft-crash-loop with `cycles` nemesis actions and a run stretched to fit them. */
export function soakScenario(base: Scenario, cycles: number): Scenario {
  if (base.nemesis === null) throw new Error(`${base.name} has no nemesis to stretch`);
  const durationMs = Math.max(SOAK_RUN_MS_MIN, cycles * SOAK_MS_PER_CYCLE);
  const workload = base.workload === null ? null : { ...base.workload, durationMs: durationMs - (base.durationMs - base.workload.durationMs) };
  return parseScenario({
    ...base, name: `${base.name}-soak`, durationMs, workload,
    // The nemesis stops at the stretched durationMs.
    nemesis: { ...base.nemesis, maxActions: cycles, stopMs: undefined },
  }, `${base.name} stretched to ${cycles} cycles`);
}

export async function runSoakBench(options: { cycles: number; log: (line: string) => void }): Promise<SoakResults> {
  if (!Number.isInteger(options.cycles) || options.cycles < 1 || options.cycles > SOAK_CYCLES_MAX) {
    throw new Error(`cycles must be an integer from 1 to ${SOAK_CYCLES_MAX}, not ${options.cycles}`);
  }
  const scenario = soakScenario(await resolveScenario(SOAK_SCENARIO), options.cycles);
  const dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-soak-'));
  const loadAverageBefore = os.loadavg().map(round2);
  const startedAt = performance.now();
  try {
    options.log(`bench soak: ${options.cycles} kill -9 cycles of ${scenario.cluster.nodes} Raft nodes over ${Math.round(scenario.durationMs / 1000)} s…`);
    const tracePath = path.join(dataRoot, 'trace.sqlite');
    const report = await runScenario(scenario, { dataRoot, tracePath, progress: (message) => options.log(`bench soak: ${message}`) });
    const elapsedMs = Math.round(performance.now() - startedAt);
    const trace = await readLoop(tracePath);
    if (trace.crashes < options.cycles) options.log(`bench soak: only ${trace.crashes} of ${options.cycles} cycles fit in ${scenario.durationMs} ms on this machine`);
    const check = (kind: string): CheckResult | undefined => report.checks.find((candidate) => candidate.kind === kind);
    const verdict = (kind: string): string => check(kind)?.verdict ?? 'not judged';
    return {
      scenario: SOAK_SCENARIO,
      cyclesRequested: options.cycles,
      cycles: Math.min(trace.crashes, trace.restarts),
      leaderCrashes: trace.leaderCrashes,
      operations: report.operations,
      acknowledgedWrites: trace.acknowledgedWrites,
      lostWrites: check('durability')?.details.length ?? 0,
      linearizability: verdict('linearizability'),
      raftInvariants: verdict('raft-invariants'),
      invariantViolations: check('raft-invariants')?.details.length ?? 0,
      convergence: verdict('convergence'),
      ok: report.ok && trace.crashes === trace.restarts && trace.crashes === options.cycles,
      elapsedMs,
      runMs: scenario.durationMs,
      loopMs: Math.round(trace.loopMs),
      checks: report.checks.map((result) => ({ kind: result.kind, verdict: result.verdict, summary: result.summary })),
      machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`, loadAverageBefore, loadAverageAfter: os.loadavg().map(round2) },
    };
  } finally {
    await rm(dataRoot, { recursive: true, force: true });
  }
}

/** The loop as the trace tells it: the nemesis's crashes and restarts, leaders hit, writes acknowledged. */
async function readLoop(tracePath: string): Promise<{ crashes: number; restarts: number; leaderCrashes: number; acknowledgedWrites: number; loopMs: number }> {
  const recorder = await startRecorder({ tracePath, mode: 'read' });
  const events = [];
  try {
    for (let afterId = 0; ;) {
      const page = await recorder.query({ afterId, limit: TRACE_PAGE_EVENTS, kinds: ['fault', 'state', 'ok'] });
      events.push(...page);
      if (page.length < TRACE_PAGE_EVENTS) break;
      afterId = page.at(-1)!.id;
    }
  } finally {
    await recorder.close();
  }
  const role = new Map<string, unknown>();
  let crashes = 0;
  let restarts = 0;
  let leaderCrashes = 0;
  let acknowledgedWrites = 0;
  let firstCrashMs: number | null = null;
  let lastRestartMs = 0;
  for (const event of events.sort((a, b) => a.labTimeMs - b.labTimeMs)) {
    const detail = (event.detail ?? {}) as Record<string, unknown>;
    if (event.kind === 'ok' && event.msgType === 'put' && /^c\d+$/.test(event.node)) acknowledgedWrites += 1;
    if (event.kind === 'state' && detail['name'] === 'role') role.set(event.node, detail['role']);
    if (event.kind !== 'fault' || detail['by'] !== 'nemesis') continue;
    const request = detail['request'] as FaultRequest;
    if (request.kind === 'restart') {
      restarts += 1;
      lastRestartMs = event.labTimeMs;
    }
    if (request.kind !== 'crash') continue;
    crashes += 1;
    firstCrashMs ??= event.labTimeMs;
    if (role.get(request.node) === 'leader') leaderCrashes += 1;
    role.set(request.node, 'crashed');
  }
  return { crashes, restarts, leaderCrashes, acknowledgedWrites, loopMs: firstCrashMs === null ? 0 : lastRestartMs - firstCrashMs };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
