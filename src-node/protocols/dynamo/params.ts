// Parameters of the Dynamo-style store, as a scenario gives them. Defaults follow the paper's
// common configuration (N = 3, R = 2, W = 2) and the book's description.

import { overlayParams } from '../support/outbox.ts';
import type { ConflictPolicy } from './versions.ts';

export type ReadFanout = 'all' | 'minimum';

export interface DynamoParams {
  /** Replicas per key: the preference list's length. */
  n: number;
  /** Default read quorum (a request may ask for another). */
  r: number;
  /** Default write quorum (a request may ask for another). */
  w: number;
  /** Virtual nodes (tokens) per physical node on the ring. */
  tokensPerNode: number;
  conflictPolicy: ConflictPolicy;
  /** 'all': send to every replica, wait for the fastest R or W; 'minimum': send to R or W only. */
  fanout: ReadFanout;
  /** When preference-list nodes are unreachable, write to the next healthy nodes with a hint. */
  sloppyQuorum: boolean;
  /** After a read, push the reconciled versions to replicas that answered with less. */
  readRepair: boolean;
  /** Every interval each node compares Merkle trees with one random peer (0: off). */
  antiEntropyIntervalMs: number;
  merkleDepth: number;
  /** Every interval each node gossips its membership table to one random peer. */
  gossipIntervalMs: number;
  /** A node whose gossip heartbeat has not advanced for this long is taken as down. */
  gossipFailAfterMs: number;
  /** Every interval a node hands hinted writes back to owners it believes are up. */
  handoffIntervalMs: number;
  /** A coordinator gives up waiting for R or W answers after this long. */
  requestTimeoutMs: number;
  /** Vector clocks past this many nodes are pruned (Riak's big_vclock); 0 never prunes. */
  contextMaxNodes: number;
}

export const DEFAULT_DYNAMO_PARAMS: Readonly<DynamoParams> = Object.freeze({
  n: 3,
  r: 2,
  w: 2,
  tokensPerNode: 8,
  conflictPolicy: 'vector-clock',
  fanout: 'all',
  sloppyQuorum: true,
  readRepair: true,
  antiEntropyIntervalMs: 1_000,
  merkleDepth: 6,
  gossipIntervalMs: 200,
  gossipFailAfterMs: 1_500,
  handoffIntervalMs: 500,
  requestTimeoutMs: 1_000,
  contextMaxNodes: 0,
});

export const DYNAMO_LIMITS = Object.freeze({
  replicasMax: 15,
  tokensPerNodeMax: 256,
  intervalMsMax: 600_000,
  merkleDepthMax: 12,
  /** Requests one coordinator keeps open at once. */
  pendingRequestsMax: 10_000,
  /** Keys one node stores, at most (a lab store, not a database). */
  keysMax: 100_000,
  /** Siblings of one key, at most: past it the oldest are folded (a visible, traced loss). */
  siblingsMax: 64,
  /** Keys one anti-entropy exchange syncs at most. */
  syncKeysMax: 1_000,
});

function fail(message: string): never {
  throw new Error(`dynamo: ${message}`);
}

function integer(input: Record<string, unknown>, name: keyof DynamoParams, min: number, max: number): number {
  const value = input[name] ?? DEFAULT_DYNAMO_PARAMS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return value;
}

function boolean(input: Record<string, unknown>, name: keyof DynamoParams): boolean {
  const value = input[name] ?? DEFAULT_DYNAMO_PARAMS[name];
  if (typeof value !== 'boolean') fail(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf<T extends string>(input: Record<string, unknown>, name: keyof DynamoParams, options: readonly T[]): T {
  const value = input[name] ?? DEFAULT_DYNAMO_PARAMS[name];
  if (typeof value !== 'string' || !options.includes(value as T)) fail(`${name} must be one of ${options.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** Validates a scenario's parameters and fills in defaults; throws an Error that says what is wrong. */
export function parseDynamoParams(raw: unknown): DynamoParams {
  const input = overlayParams('dynamo', raw, DEFAULT_DYNAMO_PARAMS) as unknown as Record<string, unknown>;
  const limits = DYNAMO_LIMITS;
  const n = integer(input, 'n', 1, limits.replicasMax);
  const params: DynamoParams = {
    n,
    r: integer(input, 'r', 1, n),
    w: integer(input, 'w', 1, n),
    tokensPerNode: integer(input, 'tokensPerNode', 1, limits.tokensPerNodeMax),
    conflictPolicy: oneOf(input, 'conflictPolicy', ['vector-clock', 'lww'] as const),
    fanout: oneOf(input, 'fanout', ['all', 'minimum'] as const),
    sloppyQuorum: boolean(input, 'sloppyQuorum'),
    readRepair: boolean(input, 'readRepair'),
    antiEntropyIntervalMs: integer(input, 'antiEntropyIntervalMs', 0, limits.intervalMsMax),
    merkleDepth: integer(input, 'merkleDepth', 0, limits.merkleDepthMax),
    gossipIntervalMs: integer(input, 'gossipIntervalMs', 10, limits.intervalMsMax),
    gossipFailAfterMs: integer(input, 'gossipFailAfterMs', 20, limits.intervalMsMax),
    handoffIntervalMs: integer(input, 'handoffIntervalMs', 10, limits.intervalMsMax),
    requestTimeoutMs: integer(input, 'requestTimeoutMs', 1, limits.intervalMsMax),
    contextMaxNodes: integer(input, 'contextMaxNodes', 0, 64),
  };
  if (params.gossipFailAfterMs <= 2 * params.gossipIntervalMs) fail(`gossipFailAfterMs (${params.gossipFailAfterMs}) must exceed two gossip intervals (${2 * params.gossipIntervalMs}), or every node looks down between rounds`);
  return params;
}
