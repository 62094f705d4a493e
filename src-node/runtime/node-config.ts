// Reads and checks the NodeConfig that the supervisor passes in DISTLAB_NODE_CONFIG.
// A config that breaks a limit is a programmer error in the lab: the node refuses to start
// and says which field is wrong.

import type { NodeConfig, PhiOptions } from '../contract/control.ts';
import type { ClockFaults, LinkFaults } from '../contract/faults.ts';
import { HEALTHY_LINK, TRUE_CLOCK } from '../contract/faults.ts';
import { MAX_CLUSTER_SIZE, MAX_NAME_CHARS } from './limits.ts';

export const NODE_CONFIG_ENV = 'DISTLAB_NODE_CONFIG';

function fail(field: string, why: string): never {
  throw new Error(`invalid node config: ${field} ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberIn(raw: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = raw[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'must be a finite number');
  if (value < min || value > max) fail(field, `must be in [${min}, ${max}], got ${value}`);
  return value;
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_CHARS) {
    fail(field, `must be a non-empty string of at most ${MAX_NAME_CHARS} characters`);
  }
  return value;
}

function dataDir(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) fail('dataDir', 'must be a path');
  return value;
}

/** Completes a partial link-fault record with healthy values and checks the ranges. */
export function parseLinkFaults(raw: unknown, field: string): LinkFaults {
  if (!isRecord(raw)) fail(field, 'must be an object');
  const merged = { ...HEALTHY_LINK, ...raw } as Record<string, unknown>;
  if (typeof merged.cut !== 'boolean') fail(`${field}.cut`, 'must be a boolean');
  return {
    cut: merged.cut,
    lossPct: numberIn(merged, 'lossPct', 0, 100),
    delayMs: numberIn(merged, 'delayMs', 0, 60_000),
    jitterMs: numberIn(merged, 'jitterMs', 0, 60_000),
    duplicatePct: numberIn(merged, 'duplicatePct', 0, 100),
    reorderPct: numberIn(merged, 'reorderPct', 0, 100),
  };
}

export function parseLinks(raw: unknown, cluster: readonly string[], field: string): Record<string, LinkFaults> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) fail(field, 'must be an object keyed by target node');
  const links: Record<string, LinkFaults> = {};
  for (const [target, faults] of Object.entries(raw)) {
    if (!cluster.includes(target)) fail(`${field}.${target}`, 'is not a node of the cluster');
    links[target] = parseLinkFaults(faults, `${field}.${target}`);
  }
  return links;
}

export function parseClockFaults(raw: unknown, field: string): ClockFaults {
  if (raw === undefined) return { ...TRUE_CLOCK };
  if (!isRecord(raw)) fail(field, 'must be an object');
  const merged = { ...TRUE_CLOCK, ...raw } as Record<string, unknown>;
  return {
    skewMs: numberIn(merged, 'skewMs', -1e9, 1e9),
    // ±50 % is far beyond any real oscillator and keeps the node clock running forward.
    driftPpm: numberIn(merged, 'driftPpm', -500_000, 500_000),
  };
}

function parsePhiOptions(raw: unknown): PhiOptions {
  if (!isRecord(raw)) fail('failureDetector', 'must be an object');
  return {
    threshold: numberIn(raw, 'threshold', 0.1, 1000),
    maxSampleSize: Math.floor(numberIn(raw, 'maxSampleSize', 1, 100_000)),
    minStdDeviationMs: numberIn(raw, 'minStdDeviationMs', 0, 600_000),
    acceptableHeartbeatPauseMs: numberIn(raw, 'acceptableHeartbeatPauseMs', 0, 600_000),
    firstHeartbeatEstimateMs: numberIn(raw, 'firstHeartbeatEstimateMs', 1, 600_000),
  };
}

export function parseNodeConfig(raw: unknown): NodeConfig {
  if (!isRecord(raw)) fail('(root)', 'must be an object');
  const id = name(raw.id, 'id');
  if (!Array.isArray(raw.cluster) || raw.cluster.length === 0 || raw.cluster.length > MAX_CLUSTER_SIZE) {
    fail('cluster', `must list 1..${MAX_CLUSTER_SIZE} node ids`);
  }
  const cluster = raw.cluster.map((node, index) => name(node, `cluster[${index}]`));
  if (new Set(cluster).size !== cluster.length) fail('cluster', 'has duplicate ids');
  if (!cluster.includes(id)) fail('cluster', `must include the node's own id ${id}`);
  if (!isRecord(raw.protocol)) fail('protocol', 'must be {name, params}');
  const params = raw.protocol.params ?? {};
  if (!isRecord(params)) fail('protocol.params', 'must be an object');
  return {
    id,
    cluster,
    dataDir: dataDir(raw.dataDir),
    host: name(raw.host ?? '127.0.0.1', 'host'),
    port: Math.floor(numberIn({ port: raw.port ?? 0 }, 'port', 0, 65_535)),
    runStartEpochMs: numberIn(raw, 'runStartEpochMs', 0, 1e15),
    protocol: { name: name(raw.protocol.name, 'protocol.name'), params },
    heartbeatIntervalMs: numberIn(raw, 'heartbeatIntervalMs', 5, 60_000),
    failureDetector: parsePhiOptions(raw.failureDetector),
    suspicionSampleMs: numberIn(raw, 'suspicionSampleMs', 10, 600_000),
    traceFlushMs: numberIn(raw, 'traceFlushMs', 1, 60_000),
    traceBatchMax: Math.floor(numberIn(raw, 'traceBatchMax', 1, 100_000)),
    seed: Math.floor(numberIn(raw, 'seed', -(2 ** 53), 2 ** 53)),
    seqStart: Math.floor(numberIn(raw, 'seqStart', 0, Number.MAX_SAFE_INTEGER)),
    restart: Math.floor(numberIn(raw, 'restart', 0, 1e9)),
    links: parseLinks(raw.links, cluster, 'links'),
    clock: parseClockFaults(raw.clock, 'clock'),
    persistDelayMs: numberIn({ persistDelayMs: raw.persistDelayMs ?? 0 }, 'persistDelayMs', 0, 600_000),
  };
}

export function readNodeConfigFromEnv(env: NodeJS.ProcessEnv): NodeConfig {
  const text = env[NODE_CONFIG_ENV];
  if (text === undefined) throw new Error(`${NODE_CONFIG_ENV} is not set`);
  return parseNodeConfig(JSON.parse(text));
}
