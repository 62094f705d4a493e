// What a simulated run is judged by. The durability and split-brain judgements are the real
// lab's (src-main/checks/run-checks.ts), fed with what the simulator observed; liveness is
// the simulator's own: after the heal, the cluster must settle within the bound.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { CoreStatus } from '../../src-node/contract/core.ts';
import type { FaultSample, NodeSample, SuspicionSample } from '../lab/observations.ts';
import type { CompletedOp } from '../workload/client.ts';
import { checkDurability, checkSplitBrain, checkSuspicion, judged, type CheckResult } from '../checks/run-checks.ts';
import type { SimExpectations } from './config.ts';

export interface NodeEnd {
  id: NodeId;
  state: 'up' | 'down' | 'stopped';
  paused: boolean;
  status: CoreStatus | null;
}

/**
 * Why the cluster has not settled yet, or null once it has. For a protocol whose status names
 * a primary (primary/backup): exactly one node is primary and serving, every up node follows it
 * in the same epoch, in sync, with no acknowledgement pending. For every protocol: every node
 * that should run is running, and all of them hold the same data.
 */
export function unsettledReason(nodes: readonly NodeEnd[]): string | null {
  const missing = nodes.filter((node) => node.state === 'down' || node.paused);
  if (missing.length > 0) return `${missing.map((node) => node.id).join(', ')} not running`;
  const up = nodes.filter((node) => node.state === 'up' && node.status !== null);
  if (up.length === 0) return 'no node is up';
  const primaryFacts = up.some((node) => node.status!.facts['primary'] !== undefined);
  if (primaryFacts) {
    const primaries = up.filter((node) => node.status!.role === 'primary');
    if (primaries.length !== 1) return `${primaries.length} primaries (${primaries.map((node) => node.id).join(', ') || 'none'})`;
    const primary = primaries[0]!;
    const facts = primary.status!.facts;
    if (facts['serving'] === false) return `${primary.id} is primary but not serving yet`;
    for (const node of up) {
      const own = node.status!.facts;
      if (own['epoch'] !== facts['epoch'] || own['primary'] !== primary.id) return `${node.id} is in view ${String(own['epoch'])}/${String(own['primary'])}, not ${String(facts['epoch'])}/${primary.id}`;
      if (own['inSync'] === false) return `${node.id} is not in sync`;
    }
    if (typeof facts['pendingAcks'] === 'number' && facts['pendingAcks'] > 0) return `${primary.id} waits for ${facts['pendingAcks']} acknowledgement(s)`;
  }
  const first = canonical(up[0]!.status!.data);
  const differing = up.filter((node) => canonical(node.status!.data) !== first);
  if (differing.length > 0) return `data differs: ${up[0]!.id} vs ${differing.map((node) => node.id).join(', ')}`;
  return null;
}

/** The node whose data is the cluster's answer at the end: the primary, else the first up node. */
export function authority(nodes: readonly NodeEnd[]): NodeEnd | null {
  const up = nodes.filter((node) => node.state === 'up' && node.status !== null);
  return up.find((node) => node.status!.role === 'primary' || node.status!.role === 'leader') ?? up[0] ?? null;
}

function canonical(data: unknown): string {
  if (data === undefined) return 'undefined';
  const record = (data ?? {}) as Record<string, unknown>;
  return JSON.stringify(Object.keys(record).sort().map((key) => [key, record[key]]));
}

export interface RunObservations {
  nodes: readonly NodeEnd[];
  operations: readonly CompletedOp[];
  nodeSamples: readonly NodeSample[];
  suspicions: readonly SuspicionSample[];
  faults: readonly FaultSample[];
  fatals: readonly { node: NodeId; atMs: number; message: string }[];
  healAtMs: number | null;
  convergedAtMs: number | null;
  unsettled: string | null;
  endMs: number;
  boundMs: number;
}

export function judgeRun(observed: RunObservations, expect: SimExpectations): CheckResult[] {
  const checks: CheckResult[] = [];
  checks.push(judged('assertions', 'pass', observed.fatals.length === 0 ? 'pass' : 'fail',
    observed.fatals.length === 0 ? 'no core failed an assertion' : `core failure: ${observed.fatals.slice(0, 3).map((fatal) => `${fatal.node} at ${Math.round(fatal.atMs)} ms: ${fatal.message}`).join('; ')}`,
    [...observed.fatals]));
  checks.push(judgeLiveness(observed, expect));
  const writes = observed.operations.some((op) => op.op.f === 'put');
  if (writes) {
    const source = authority(observed.nodes);
    const finalReads = new Map<string, CompletedOp>();
    if (source !== null) {
      const data = (source.status?.data ?? {}) as Record<string, unknown>;
      for (const op of observed.operations) {
        const key = op.op.key;
        if (op.op.f !== 'put' || typeof key !== 'string' || finalReads.has(key)) continue;
        finalReads.set(key, {
          client: 'lab', node: source.id, op: { f: 'get', key }, opId: `final:${key}`,
          result: { type: 'ok', value: Object.hasOwn(data, key) ? data[key] : null },
          invokedAtMs: observed.endMs, completedAtMs: observed.endMs,
        });
      }
    }
    const durability = checkDurability(observed.operations, finalReads);
    const from = source === null ? ' (no node up to read from)' : ` (read back from ${source.id})`;
    checks.push(judged('durability', expect.durability, durability.verdict, durability.summary + from, durability.lost));
  }
  const splitBrain = checkSplitBrain(observed.nodeSamples, observed.operations, observed.endMs);
  checks.push(judged('split-brain', expect.splitBrain, splitBrain.verdict, splitBrain.summary, splitBrain.windows));
  if (expect.suspicion !== null) {
    const suspicion = checkSuspicion({
      faults: observed.faults, samples: observed.nodeSamples, suspicions: observed.suspicions,
      nodes: observed.nodes.map((node) => node.id), withinMs: expect.suspicion.withinMs, endMs: observed.healAtMs ?? observed.endMs,
    });
    checks.push(judged('suspicion', expect.suspicion.expect, suspicion.verdict, suspicion.summary, suspicion.problems));
  }
  return checks;
}

function judgeLiveness(observed: RunObservations, expect: SimExpectations): CheckResult {
  if (observed.healAtMs === null) return judged('liveness', expect.liveness, 'unknown', 'the run ended before the liveness phase');
  if (observed.convergedAtMs !== null) {
    const ms = Math.round(observed.convergedAtMs - observed.healAtMs);
    return judged('liveness', expect.liveness, 'pass', `converged ${ms} ms after healing (bound ${observed.boundMs} ms): one view, equal data, every client operation completed`);
  }
  return judged('liveness', expect.liveness, 'fail', `not converged within ${observed.boundMs} ms of healing: ${observed.unsettled ?? 'unknown'}`, [observed.unsettled]);
}
