// A scenario run headless, start to finish: the cluster comes up, the schedule and the
// workload play, the cluster settles, the lab reads back what clients wrote, and the
// scenario's checks judge the run. `distlab run` and the tests use this.

import type { Scenario, ScenarioCheck } from '../scenario/scenario.ts';
import { checkSplitBrain, checkSuspicion, judged, type CheckResult, type Verdict } from '../checks/run-checks.ts';
import { checkDurability } from '../checkers/durability.ts';
import { checkConvergence } from '../checkers/convergence.ts';
import { RaftInvariantMonitor, type RaftInvariantsResult } from '../checkers/raft-invariants.ts';
import { TraceAssertionMonitor, logSizeVerdict, type AssertionResult, type TraceAssertion } from '../checkers/trace-assertions.ts';
import type { TraceKind } from '../../src-node/contract/trace.ts';
import type { CheckVerdict, HistoryEntry } from '../../src-node/contract/history.ts';
import type { CompletedOp } from '../workload/client.ts';
import { finalReadsFromCompletedOps, historyFromCompletedOps } from '../workload/history.ts';
import { LabRun } from './run.ts';
import { protocolByName } from '../../src-node/protocols/registry.ts';
import { checkRunHistory } from './history-check.ts';

export interface ScenarioReport {
  scenario: string;
  runId: string;
  tracePath: string;
  ok: boolean;
  checks: CheckResult[];
  operations: { total: number; ok: number; fail: number; info: number };
  durationMs: number;
}

export async function runScenario(scenario: Scenario, options: {
  dataRoot: string;
  host?: string;
  tracePath?: string;
  progress?: (message: string) => void;
}): Promise<ScenarioReport> {
  const progress = options.progress ?? (() => undefined);
  const run = await LabRun.start({
    scenario, dataRoot: options.dataRoot, host: options.host ?? '127.0.0.1',
    ...(options.tracePath ? { tracePath: options.tracePath } : {}), autoplay: true,
  });
  try {
    progress(`cluster of ${scenario.cluster.nodes} up after ${Math.round(run.now())} ms; running for ${scenario.durationMs} ms`);
    await sleep(scenario.durationMs);
    await run.workloadFinished();
    progress(`settling for ${scenario.settleMs} ms`);
    await sleep(scenario.settleMs);
    const finalReads = await readBack(run, scenario);
    const fromTrace = await readTrace(run, scenario);
    const checks = judge(run, scenario, finalReads, fromTrace);
    await run.flush();
    const operations = run.observations.operations;
    return {
      scenario: scenario.name,
      runId: run.meta.runId,
      tracePath: run.tracePath,
      ok: checks.every((check) => check.ok),
      checks,
      operations: {
        total: operations.length,
        ok: operations.filter((op) => op.result.type === 'ok').length,
        fail: operations.filter((op) => op.result.type === 'fail').length,
        info: operations.filter((op) => op.result.type === 'info').length,
      },
      durationMs: run.now(),
    };
  } finally {
    await run.close();
  }
}

/** Reads every written key back through the node that now says it is primary. */
async function readBack(run: LabRun, scenario: Scenario): Promise<Map<string, CompletedOp>> {
  const reads = new Map<string, CompletedOp>();
  if (!scenario.checks.some((check) => check.kind === 'durability' || check.kind === 'linearizability')) return reads;
  const keys = new Set(run.observations.operations.filter((op) => op.op.f === 'put').map((op) => op.op.key as string));
  const reader = `c${(scenario.workload?.clients ?? 1) + 1}`;
  const before = run.observations.operations.length;
  for (const key of [...keys].sort()) {
    await run.clientOp({ op: { f: 'get', key }, client: reader, timeoutMs: 2_000 });
  }
  // The read-back is not part of the workload's history; keep it apart.
  for (const read of run.observations.operations.splice(before)) {
    if (read.op.key !== undefined) reads.set(read.op.key, read);
  }
  return reads;
}

/** Events read from the trace per query (the recorder's QUERY_LIMIT_MAX). */
const TRACE_PAGE_EVENTS = 10_000;

interface TraceJudgements {
  raft: RaftInvariantsResult | null;
  assertions: Map<TraceAssertion, AssertionResult>;
}

/**
 * The checks judged from the whole recorded trace, read once: Raft's invariants (state notes
 * and AppendEntries sends) and the scenario's event and leader assertions.
 */
async function readTrace(run: LabRun, scenario: Scenario): Promise<TraceJudgements> {
  const assertionChecks = scenario.checks.filter((check): check is TraceAssertion & ScenarioCheck => check.kind === 'events' || check.kind === 'leaders');
  const wantsRaft = scenario.checks.some((check) => check.kind === 'raft-invariants');
  if (!wantsRaft && assertionChecks.length === 0) return { raft: null, assertions: new Map() };
  await run.flush();
  const raft = wantsRaft ? new RaftInvariantMonitor() : null;
  const assertions = new TraceAssertionMonitor(assertionChecks, run.playedAtMs ?? 0);
  const kinds: TraceKind[] = assertionChecks.length > 0 ? ['state', 'send', 'start', 'fault'] : ['state', 'send'];
  let afterId = 0;
  for (;;) {
    const page = await run.store.query({ afterId, limit: TRACE_PAGE_EVENTS, kinds });
    for (const event of page) {
      raft?.observe(event);
      assertions.observe(event);
    }
    if (page.length < TRACE_PAGE_EVENTS) break;
    afterId = page.at(-1)!.id;
  }
  return { raft: raft?.result() ?? null, assertions: assertions.results() };
}

/** Whether every running node keeps at most `maxEntries` entries past its snapshot (from its status facts). */
function checkLogSize(run: LabRun, maxEntries: number): { verdict: Verdict; summary: string; observed: unknown } {
  const sizes: Record<string, number> = {};
  for (const node of run.cluster.nodes()) {
    const facts = node.status?.facts;
    if (node.state !== 'up' || typeof facts?.['lastIndex'] !== 'number' || typeof facts['snapshotIndex'] !== 'number') continue;
    sizes[node.id] = facts['lastIndex'] - facts['snapshotIndex'];
  }
  return logSizeVerdict(sizes, maxEntries);
}

/** History checkers say valid/invalid; a scenario's checks pass or fail. */
function asVerdict(verdict: CheckVerdict): Verdict {
  return verdict === 'valid' ? 'pass' : verdict === 'invalid' ? 'fail' : 'unknown';
}

function judge(run: LabRun, scenario: Scenario, finalReads: Map<string, CompletedOp>, fromTrace: TraceJudgements): CheckResult[] {
  const { raft } = fromTrace;
  const observed = run.observations;
  const endMs = run.now();
  const history: HistoryEntry[] = historyFromCompletedOps(observed.operations);
  return scenario.checks.map((check) => {
    switch (check.kind) {
      case 'durability': {
        const result = checkDurability(history, finalReadsFromCompletedOps(finalReads.values()));
        // Name each lost write as the trace does (its op id) and the node that acknowledged it.
        const lost = result.lost.map((write) => ({ ...write, opId: history[write.index]?.id, node: history[write.index]?.node }));
        return judged('durability', check.expect, asVerdict(result.verdict), result.summary, lost);
      }
      case 'split-brain': {
        const result = checkSplitBrain(observed.nodeSamples, observed.operations, endMs);
        return judged('split-brain', check.expect, result.verdict, result.summary, result.windows);
      }
      case 'suspicion': {
        const result = checkSuspicion({
          faults: observed.faults, samples: observed.nodeSamples, suspicions: observed.suspicions,
          nodes: run.cluster.nodeIds, withinMs: check.withinMs, endMs,
        });
        return judged('suspicion', check.expect, result.verdict, result.summary, result.problems);
      }
      case 'linearizability': {
        // The read-back is made of real client reads: it belongs to the history judged here.
        const withReadBack = historyFromCompletedOps([...observed.operations, ...finalReads.values()]);
        const result = checkRunHistory(withReadBack, check.deadlineMs);
        return judged('linearizability', check.expect, asVerdict(result.verdict), result.summary, result.failingWindow ? [result.failingWindow] : []);
      }
      case 'convergence': {
        const replicas = Object.fromEntries(run.cluster.nodes()
          .filter((node) => node.state === 'up' && node.status?.data !== undefined)
          .map((node) => [node.id, node.status?.data ?? {}]));
        const holdersOf = protocolByName(scenario.protocol.name).holdersOf?.(protocolByName(scenario.protocol.name).parseParams(scenario.protocol.params), run.cluster.nodeIds);
        const result = checkConvergence({ replicas, history, ...(holdersOf ? { holders: holdersOf } : {}) });
        return judged('convergence', check.expect, asVerdict(result.verdict), result.summary, result.differing);
      }
      case 'raft-invariants': {
        if (raft === null) return judged('raft-invariants', check.expect, 'unknown', 'the trace was not read');
        return judged('raft-invariants', check.expect, asVerdict(raft.verdict), raft.summary, raft.violations);
      }
      case 'events':
      case 'leaders': {
        const result = fromTrace.assertions.get(check);
        if (result === undefined) return judged(check.kind, check.expect, 'unknown', 'the trace was not read');
        return judged(check.kind, check.expect, result.verdict, result.summary, [result.observed]);
      }
      case 'log-size': {
        const result = checkLogSize(run, check.maxEntries);
        return judged('log-size', check.expect, result.verdict, result.summary, [result.observed]);
      }
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
