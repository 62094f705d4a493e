// A scenario run headless, start to finish: the cluster comes up, the schedule and the
// workload play, the cluster settles, the lab reads back what clients wrote, and the
// scenario's checks judge the run. `distlab run` and the tests use this.

import type { Scenario, ScenarioCheck } from '../scenario/scenario.ts';
import { checkSplitBrain, checkSuspicion, judged, type CheckResult, type Verdict } from '../checks/run-checks.ts';
import { checkDurability } from '../checkers/durability.ts';
import { checkConvergence } from '../checkers/convergence.ts';
import { storedVersions } from '../sim/checks.ts';
import { checkCarts } from '../checkers/cart.ts';
import { checkCredits, finalBalances } from '../checkers/crdt-credits.ts';
import { RaftInvariantMonitor, type RaftInvariantsResult } from '../checkers/raft-invariants.ts';
import { ConsensusMonitor } from '../checkers/consensus.ts';
import { BankLedgerMonitor, bankSetup, checkBank } from '../checkers/bank.ts';
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
  if (!scenario.checks.some((check) => check.kind === 'durability' || check.kind === 'linearizability' || check.kind === 'cart')) return reads;
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
  /** Single-decree Paxos: the `learned` notes, judged with the history in `judge`. */
  consensus: ConsensusMonitor | null;
  /** 2PC bank runs: each transaction's notes, judged with the final balances in `judge`. */
  bank: BankLedgerMonitor | null;
}

/**
 * The checks judged from the whole recorded trace, read once: Raft's invariants (state notes
 * and AppendEntries sends) and the scenario's event and leader assertions.
 */
async function readTrace(run: LabRun, scenario: Scenario): Promise<TraceJudgements> {
  const assertionChecks = scenario.checks.filter((check): check is TraceAssertion & ScenarioCheck => check.kind === 'events' || check.kind === 'leaders');
  const wantsRaft = scenario.checks.some((check) => check.kind === 'raft-invariants');
  const consensus = scenario.checks.some((check) => check.kind === 'consensus') ? new ConsensusMonitor(run.playedAtMs ?? 0) : null;
  const bank = scenario.checks.some((check) => check.kind === 'bank') ? new BankLedgerMonitor() : null;
  if (!wantsRaft && assertionChecks.length === 0 && consensus === null && bank === null) return { raft: null, assertions: new Map(), consensus, bank };
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
      consensus?.observe(event);
      bank?.observe(event);
    }
    if (page.length < TRACE_PAGE_EVENTS) break;
    afterId = page.at(-1)!.id;
  }
  return { raft: raft?.result() ?? null, assertions: assertions.results(), consensus, bank };
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
        // A failed attempt did not happen; a redirected write sends the same value again, which
        // the checker (one value per write and key) must not count twice.
        const attempted = historyFromCompletedOps(observed.operations.filter((op) => op.result.type !== 'fail'));
        const result = checkDurability(attempted, finalReadsFromCompletedOps(finalReads.values()));
        // Each lost write is named as the trace names it (its op id) with the node that acknowledged it.
        return judged('durability', check.expect, asVerdict(result.verdict), result.summary, result.lost);
      }
      case 'cart': {
        const finals = [...finalReads.values()].filter((read) => read.result.type === 'ok' && read.op.key !== undefined)
          .map((read) => ({ key: read.op.key!, source: `read-back via ${read.node}`, siblings: cartSiblings(read.result) }));
        const result = checkCarts(observed.operations, finals);
        return judged('cart', check.expect, asVerdict(result.verdict), result.summary, result.lost);
      }
      case 'credits': {
        // Each replica's balance as its status reports it, after the settle period.
        const replicas = run.cluster.nodes().filter((node) => node.state === 'up' && node.status?.data !== undefined)
          .map((node) => ({ id: node.id, data: node.status?.data ?? {} }));
        const result = checkCredits(observed.operations, finalBalances(observed.operations, replicas));
        return judged('credits', check.expect, asVerdict(result.verdict), result.summary, [...result.lost, ...result.shortfalls]);
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
        // A cart's replicas hold merged carts and siblings, which no single write wrote as is;
        // a calm node's collections hold facts its rules derived from the inputs.
        const values = scenario.workload?.kind === 'cart' || scenario.workload?.kind === 'crdt' || scenario.workload?.kind === 'input' ? 'merged' : 'written';
        // A Dynamo replica shows concurrent versions as {siblings: [...]}: each sibling is traced to its write.
        const result = checkConvergence({ replicas, history, values, versions: storedVersions, ...(holdersOf ? { holders: holdersOf } : {}) });
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
      case 'consensus': {
        if (fromTrace.consensus === null) return judged('consensus', check.expect, 'unknown', 'the trace was not read');
        const finals = run.cluster.nodes().map((node) => ({ node: node.id, up: node.state === 'up', data: node.status?.data }));
        const result = fromTrace.consensus.result({ history, finals });
        return judged('consensus', check.expect, asVerdict(result.verdict), result.summary, result.violations);
      }
      case 'bank': {
        if (fromTrace.bank === null) return judged('bank', check.expect, 'unknown', 'the trace was not read');
        const setup = bankSetup(scenario.protocol.params, run.cluster.nodeIds);
        const statuses = new Map(run.cluster.nodes().map((node) => [node.id, node]));
        const finals = setup.participants.map((node) => {
          const view = statuses.get(node);
          return { node, balances: view?.state === 'up' && view.status?.data !== undefined ? view.status.data : null };
        });
        // A node killed with SIGKILL may not have reported its last notes: what only those could explain is unknown.
        const killed = observed.faults.some((fault) => fault.request.kind === 'crash' || fault.request.kind === 'stop' || fault.request.kind === 'wipe');
        const result = checkBank({ ...setup, finals, transactions: fromTrace.bank.transactions, operations: observed.operations, traceComplete: !killed });
        return judged('bank', check.expect, asVerdict(result.verdict), result.summary, [...result.violations, ...result.inDoubt.map((entry) => ({ inDoubt: entry }))]);
      }
      case 'log-size': {
        const result = checkLogSize(run, check.maxEntries);
        return judged('log-size', check.expect, result.verdict, result.summary, [result.observed]);
      }
    }
  });
}

/** What a read found: its siblings when it has them (Dynamo), else its one value; nothing for null. */
function cartSiblings(result: CompletedOp['result']): unknown[] {
  if (Array.isArray(result.siblings) && result.siblings.length > 0) return result.siblings;
  return result.value === null || result.value === undefined ? [] : [result.value];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
