// Checks the shape of a LabApi call that arrives over a socket, before the lab sees it.
// The lab validates meaning (is `n9` a node?); this only makes sure that a wrong type
// gets a sentence back instead of an exception deep inside the lab.
import type { LabMethod } from '../../src-node/contract/lab-api.ts';
import { COMPARE_SEEDS_MAX } from '../../src-node/contract/compare.ts';
import { CONVERGENCE_RUNS_MAX, CONVERGENCE_SEEDS_MAX } from '../../src-node/contract/gossip.ts';

const FAULT_KINDS = new Set([
  'crash', 'restart', 'pause', 'resume', 'stop', 'wipe', 'partition', 'heal', 'link', 'clock', 'slow-disk',
]);
const NODE_FAULTS = new Set(['crash', 'restart', 'pause', 'resume', 'stop', 'wipe', 'clock', 'slow-disk']);
const EXPORT_FORMATS = new Set(['sqlite', 'jsonl', 'shiviz']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNodeId(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= 64;
}

function checkFault(request: unknown): string | null {
  if (!isRecord(request)) return 'expects one fault request object, e.g. {kind: "crash", node: "n1"}';
  const kind = request.kind;
  if (typeof kind !== 'string' || !FAULT_KINDS.has(kind)) {
    return `unknown fault kind ${JSON.stringify(kind)}; known: ${[...FAULT_KINDS].join(', ')}`;
  }
  if (NODE_FAULTS.has(kind) && !isNodeId(request.node)) return `a ${kind} fault needs a node id`;
  if (kind === 'partition') {
    const spec = request.spec;
    if (!isRecord(spec) || !Array.isArray(spec.groups) || typeof spec.oneWay !== 'boolean') {
      return 'a partition needs spec: {groups: string[][], oneWay: boolean}';
    }
    if (!spec.groups.every((group) => Array.isArray(group) && group.every(isNodeId))) {
      return 'partition groups must be arrays of node ids';
    }
  }
  if (kind === 'link') {
    if (!isNodeId(request.source) || !isNodeId(request.target)) return 'a link fault needs source and target';
    if (!isRecord(request.faults)) return 'a link fault needs faults: {lossPct, delayMs, …}';
    for (const [name, value] of Object.entries(request.faults)) {
      const ok = name === 'cut' ? typeof value === 'boolean' : typeof value === 'number' && Number.isFinite(value);
      if (!ok) return `link fault ${name} has the wrong type`;
    }
  }
  if (kind === 'clock') {
    if (!isRecord(request.clock)) return 'a clock fault needs clock: {skewMs, driftPpm}';
    for (const value of Object.values(request.clock)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'clock skewMs and driftPpm must be numbers';
    }
  }
  if (kind === 'slow-disk' && (typeof request.persistDelayMs !== 'number' || !Number.isFinite(request.persistDelayMs))) {
    return 'a slow-disk fault needs persistDelayMs: number';
  }
  return null;
}

function checkClientOp(request: unknown): string | null {
  if (!isRecord(request) || !isRecord(request.op) || typeof request.op.f !== 'string') {
    return 'expects {op: {f, key?, value?}, node?, client?, timeoutMs?}';
  }
  if (request.op.key !== undefined && typeof request.op.key !== 'string') return 'op.key must be a string';
  if (request.node !== undefined && !isNodeId(request.node)) return 'node must be a node id';
  if (request.client !== undefined && !isNodeId(request.client)) return 'client must be a process id';
  if (request.timeoutMs !== undefined && (typeof request.timeoutMs !== 'number' || !(request.timeoutMs > 0))) {
    return 'timeoutMs must be a positive number';
  }
  return null;
}

function checkEventQuery(query: unknown): string | null {
  if (!isRecord(query)) return 'expects one query object, e.g. {afterId: 0, limit: 1000}';
  for (const name of ['afterId', 'beforeId', 'limit'] as const) {
    const value = query[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) return `${name} must be a number`;
  }
  for (const name of ['nodes', 'kinds'] as const) {
    const value = query[name];
    if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
      return `${name} must be an array of strings`;
    }
  }
  if (query.text !== undefined && typeof query.text !== 'string') return 'text must be a string';
  return null;
}

/** Null when the arguments fit the method, else a sentence saying what is wrong. */
export function validateCallArgs(method: LabMethod, args: readonly unknown[]): string | null {
  const count = (expected: number): string | null =>
    args.length === expected ? null : `expects ${expected} argument${expected === 1 ? '' : 's'}, got ${args.length}`;
  switch (method) {
    case 'snapshot':
    case 'scenarios':
    case 'checkHistory':
    case 'runs':
      return count(0);
    case 'openTrace':
      return count(1) ?? (typeof args[0] === 'string' && args[0].length > 0 && args[0].length < 4096 ? null : 'expects the path of a trace file');
    case 'fault':
      return count(1) ?? checkFault(args[0]);
    case 'clientOp':
      return count(1) ?? checkClientOp(args[0]);
    case 'events':
      return count(1) ?? checkEventQuery(args[0]);
    case 'exportTrace':
      return count(1) ?? (EXPORT_FORMATS.has(args[0] as string) ? null : `format must be one of ${[...EXPORT_FORMATS].join(', ')}`);
    case 'startScenario':
      return count(1) ?? (typeof args[0] === 'string' && args[0].length > 0 ? null : 'expects a scenario name');
    case 'measurePbs':
      return count(1) ?? (isRecord(args[0]) && (args[0].mode === 'sim' || args[0].mode === 'live') ? null : "expects {mode: 'sim' | 'live', trialsPerT?, seed?}");
    case 'compareProtocols':
      return count(1) ?? (isRecord(args[0]) && typeof args[0].scenario === 'string' && args[0].scenario.length > 0
        && Number.isInteger(args[0].seeds) && (args[0].seeds as number) >= 1 && (args[0].seeds as number) <= COMPARE_SEEDS_MAX
        ? null : `expects {scenario: a scenario name, seeds: 1–${COMPARE_SEEDS_MAX}}`);
    case 'measureConvergence':
      return count(1) ?? checkConvergenceRequest(args[0]);
  }
}

function checkConvergenceRequest(request: unknown): string | null {
  const expected = `expects {runs?: 1–${CONVERGENCE_RUNS_MAX}, seeds?: 1–${CONVERGENCE_SEEDS_MAX}}`;
  if (!isRecord(request) || Object.keys(request).some((name) => name !== 'runs' && name !== 'seeds')) return expected;
  const within = (value: unknown, max: number): boolean => value === undefined || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max);
  return within(request.runs, CONVERGENCE_RUNS_MAX) && within(request.seeds, CONVERGENCE_SEEDS_MAX) ? null : expected;
}
