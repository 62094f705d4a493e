// The WARS latencies as the lab observed them (PBS, Bailis et al., VLDB 2012, §5): from a run's
// trace, the `send` and `receive` events of Dynamo's `write`, `write-ack`, `read` and
// `read-reply` messages (one msgId per message, `labTimeMs` on the lab's shared clock). Per
// replica i of a request:
//
//   W_i = the write reaches i         receive(write) − send(write)
//   A_i = i's ack reaches the coord.  receive(write-ack) − receive(write)
//   R_i = the read reaches i          receive(read) − send(read)
//   S_i = i's answer comes back       receive(read-reply) − receive(read)
//
// A and S run from the arrival of the request, not from the send of the answer: the replica's
// fsync (and any step queued behind its disk) sits between the two, and WARS needs the ack's
// arrival time, W_i + A_i, not the wire time alone. The write is visible on i from its
// receive on (the core stores it in memory before the fsync), which is what W_i measures.
//
// A coordinator that is itself a replica sends its own copy no message: its legs are 0, and the
// model says how often that happens (WarsModel.localReplica), as the paper's WAN model treats
// the local replica. Events arrive in any order (a receive may come before its send in a real
// trace; a killed node may never report one): a leg is counted once both ends are known.

import type { PbsLegSummary } from '../../src-node/contract/pbs.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import type { LatencyMixture, WarsModel } from './wars.ts';

export type Leg = 'w' | 'a' | 'r' | 's';

/** Samples kept per leg at most (a bound on memory; the first ones are kept). */
export const LEG_SAMPLES_MAX = 200_000;

const TYPES = new Set(['write', 'write-ack', 'read', 'read-reply']);

interface SendEnd {
  type: string;
  source: string;
  target: string;
  request: string;
  atMs: number;
}

export class LegObserver {
  readonly samples: Record<Leg, number[]> = { w: [], a: [], r: [], s: [] };
  /** Messages of the four types whose send was seen: msgId → what it was. */
  private readonly sends = new Map<string, SendEnd>();
  /** Receives seen before their send (real traces interleave processes): msgId → receive. */
  private readonly early = new Map<string, { node: string; atMs: number }>();
  /** When request `request`'s write (or read) reached replica `node`: `${request}|${node}` → ms. */
  private readonly arrivals = new Map<string, number>();
  /** Answers (ack, reply) that arrived before we knew when their request had reached the replica. */
  private readonly answers = new Map<string, { leg: Leg; atMs: number }>();

  /** Feeds one trace event; anything but a send or receive of the four message types is ignored. */
  observe(event: TraceEvent): void {
    if (event.kind === 'send' && event.msgId !== undefined && event.msgType !== undefined && TYPES.has(event.msgType)) {
      const request = requestOf(event.detail);
      if (request === null || event.peer === undefined) return;
      const send: SendEnd = { type: event.msgType, source: event.node, target: event.peer, request, atMs: event.labTimeMs };
      this.sends.set(event.msgId, send);
      const received = this.early.get(event.msgId);
      if (received !== undefined) {
        this.early.delete(event.msgId);
        this.delivered(send, received.atMs);
      }
    } else if (event.kind === 'receive' && event.msgId !== undefined && event.msgType !== undefined && TYPES.has(event.msgType)) {
      const send = this.sends.get(event.msgId);
      if (send === undefined) this.early.set(event.msgId, { node: event.node, atMs: event.labTimeMs });
      else this.delivered(send, event.labTimeMs);
    }
  }

  observeAll(events: Iterable<TraceEvent>): this {
    for (const event of events) this.observe(event);
    return this;
  }

  private delivered(send: SendEnd, atMs: number): void {
    // A duplicated message is received twice: only its first arrival counts.
    if (send.atMs < 0) return;
    const oneWayMs = Math.max(0, atMs - send.atMs);
    if (send.type === 'write' || send.type === 'read') {
      const leg: Leg = send.type === 'write' ? 'w' : 'r';
      this.push(leg, oneWayMs);
      const where = `${send.request}|${send.target}`;
      this.arrivals.set(where, atMs);
      const answer = this.answers.get(where);
      if (answer !== undefined) {
        this.answers.delete(where);
        this.push(answer.leg, Math.max(0, answer.atMs - atMs));
      }
    } else {
      // An answer: the replica is its source; its request reached the replica at `arrivals`.
      const leg: Leg = send.type === 'write-ack' ? 'a' : 's';
      const where = `${send.request}|${send.source}`;
      const arrived = this.arrivals.get(where);
      if (arrived === undefined) this.answers.set(where, { leg, atMs });
      else {
        this.arrivals.delete(where);
        this.push(leg, Math.max(0, atMs - arrived));
      }
    }
    send.atMs = -1;
  }

  private push(leg: Leg, ms: number): void {
    if (this.samples[leg].length < LEG_SAMPLES_MAX) this.samples[leg].push(ms);
  }
}

function requestOf(detail: unknown): string | null {
  if (typeof detail !== 'object' || detail === null) return null;
  const payload = (detail as { payload?: unknown }).payload;
  if (typeof payload !== 'object' || payload === null) return null;
  const request = (payload as { request?: unknown }).request;
  return typeof request === 'string' ? request : null;
}

export type LegSummary = PbsLegSummary;

export function summarizeLeg(samples: readonly number[]): LegSummary {
  if (samples.length === 0) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (pct: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1))]!;
  return { count: sorted.length, p50Ms: at(50), p99Ms: at(99), maxMs: sorted.at(-1)! };
}

export interface ObservedModelOptions {
  /** Replicas per key (Dynamo's N). */
  n: number;
  /** Nodes in the cluster: a read's coordinator is a replica with probability N / nodes. */
  nodes: number;
  name?: string;
}

/**
 * The WARS model with the observed legs as empirical distributions. A write's coordinator is
 * always a replica in the lab's Dynamo (it numbers the key's versions); a read's is one when the
 * client happened to ask a replica, N / nodes of the time for a coordinator drawn uniformly (as
 * the experiment draws it). A leg with no sample at all is an error unless no message of it
 * could exist (N = 1: every replica is local).
 */
export function observedModel(samples: Record<Leg, readonly number[]>, options: ObservedModelOptions): WarsModel {
  const { n, nodes } = options;
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(nodes) && nodes >= n)) throw new Error(`observed model: need 1 ≤ N ≤ nodes, got N = ${n}, nodes = ${nodes}`);
  const legs = {} as Record<Leg, LatencyMixture>;
  for (const leg of ['w', 'a', 'r', 's'] as const) {
    const observed = samples[leg];
    if (observed.length === 0 && n > 1) throw new Error(`observed model: no ${leg.toUpperCase()} latency was observed (no ${leg === 'w' || leg === 'a' ? 'write' : 'read'} reached another replica); run more operations`);
    legs[leg] = [{ weight: 1, kind: 'empirical', samplesMs: observed.length === 0 ? [0] : [...observed] }];
  }
  const counts = (['w', 'a', 'r', 's'] as const).map((leg) => `${leg.toUpperCase()} ${samples[leg].length}`).join(', ');
  return {
    name: options.name ?? 'observed',
    summary: `the lab's observed one-way latencies (${counts} samples), coordinator's own replica at 0 ms`,
    ...legs,
    remoteLegMs: 0,
    localReplica: { writeProbability: 1, readProbability: n / nodes },
  };
}
