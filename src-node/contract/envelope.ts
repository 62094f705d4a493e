import type { NodeId, ProcessId, VectorClock } from './clock.ts';

/**
 * What travels on a link between two processes (node to node, client to node).
 * The runtime stamps the clocks; protocol cores only choose `type` and `payload`.
 */
export interface Envelope<Payload = unknown> {
  source: ProcessId;
  target: ProcessId;
  /** Protocol message type, e.g. `replicate`, `ack`. */
  type: string;
  /** Unique per run: `${source}:${seq}` where seq is the sender's local event sequence. */
  id: string;
  lamport: number;
  vclock: VectorClock;
  /** The sender's (possibly skewed) clock when it sent, in ms since the run began. */
  sentAtNodeMs: number;
  payload: Payload;
}

/** A client operation, Jepsen-style: `f` names the function, `key`/`value` its arguments. */
export interface ClientOp {
  f: string;
  key?: string;
  value?: unknown;
  /**
   * What the client read before this write (Dynamo's context: the versions it supersedes).
   * Protocols without versions ignore it.
   */
  context?: unknown;
  /** Per-request quorum sizes (Dynamo's R and W); protocols without partial quorums ignore them. */
  quorum?: { r?: number; w?: number };
}

/** A node's answer to a client operation. `info` = the node does not know whether it took effect. */
export interface ClientResult {
  type: 'ok' | 'fail' | 'info';
  value?: unknown;
  error?: string;
  /** Where the client should go instead (e.g. the primary), when the node knows. */
  redirect?: NodeId;
  /** Concurrent versions a read found (Dynamo with vector clocks): every value, for the client to merge. */
  siblings?: unknown[];
  /** The context to send back with the next write of this key (Dynamo). */
  context?: unknown;
}
