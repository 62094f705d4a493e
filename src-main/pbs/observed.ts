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

//
// Two things on real processes make the run-wide leg distributions a poor model, and the
// observer records what corrects them (docs/protocols.md, "## PBS"):
//
// * The client's legs. The experiment's t starts when the client sees the ack, the paper's at
//   the commit. Per client operation the observer keeps when its coordinator received it and
//   when it sent the answer, so a trial's read is known to reach its coordinator some time
//   after the write's commit (`trialTimes`): t plus the client lag.
// * Latency is not stationary. A loaded machine stalls all its processes now and then, and a
//   stall delays every message in flight — the write to a replica and the read to it alike,
//   which keeps their order. Drawing each leg from the whole run's distribution pairs a
//   stalled write with an unstalled read and predicts stale reads that never happen. So each
//   leg is kept with the moment it was observed (`timed`), and `momentModel` draws all the
//   legs of a WARS trial from one moment of the run (wars.ts `moments`).

import type { PbsLegSummary } from '../../src-node/contract/pbs.ts';
import { CLIENT_REPLY_TYPE } from '../../src-node/contract/control.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import type { LatencyMixture, WarsModel, WarsMoment, WarsMoments } from './wars.ts';

export type Leg = 'w' | 'a' | 'r' | 's';

/** Samples kept per leg at most (a bound on memory; the first ones are kept). */
export const LEG_SAMPLES_MAX = 200_000;
/** Client operations whose coordinator times are kept at most (same bound). */
export const CLIENT_OPS_MAX = 200_000;

/** One observed leg: how long it took, when it began (lab ms) and the key of its request. */
export interface TimedLeg {
  atMs: number;
  ms: number;
  key: string;
}

const TYPES = new Set(['write', 'write-ack', 'read', 'read-reply']);

interface SendEnd {
  type: string;
  source: string;
  target: string;
  request: string;
  key: string;
  atMs: number;
}

/** A client operation as its coordinator saw it: when the request arrived and the answer left. */
interface ClientOpTimes {
  key: string;
  f: string;
  arrivedAtMs?: number;
  answeredAtMs?: number;
}

export class LegObserver {
  readonly samples: Record<Leg, number[]> = { w: [], a: [], r: [], s: [] };
  /** The same samples with when and for which key they were observed. */
  readonly timed: Record<Leg, TimedLeg[]> = { w: [], a: [], r: [], s: [] };
  /** Client operations by request id, and the first put and get of each key. */
  private readonly clientOps = new Map<string, ClientOpTimes>();
  private readonly firstOps = new Map<string, { put?: string; get?: string }>();
  /** Messages of the four types whose send was seen: msgId → what it was. */
  private readonly sends = new Map<string, SendEnd>();
  /** Receives seen before their send (real traces interleave processes): msgId → receive. */
  private readonly early = new Map<string, { node: string; atMs: number }>();
  /** When request `request`'s write (or read) reached replica `node`: `${request}|${node}` → ms. */
  private readonly arrivals = new Map<string, number>();
  /** Answers (ack, reply) that arrived before we knew when their request had reached the replica. */
  private readonly answers = new Map<string, { leg: Leg; atMs: number }>();

  /**
   * Feeds one trace event: sends and receives of the four message types, and of client
   * operations their `invoke`, the coordinator's receive of the request and its reply.
   * Anything else is ignored.
   */
  observe(event: TraceEvent): void {
    if (event.msgId === undefined) return;
    if (event.kind === 'invoke' || event.msgType === CLIENT_REQUEST_TYPE || event.msgType === CLIENT_REPLY_TYPE) return this.observeClient(event);
    if (event.kind === 'send' && event.msgType !== undefined && TYPES.has(event.msgType)) {
      const payload = payloadOf(event.detail);
      if (payload === null || event.peer === undefined) return;
      const send: SendEnd = { type: event.msgType, source: event.node, target: event.peer, request: payload.request, key: payload.key, atMs: event.labTimeMs };
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

  /**
   * For the first put and the first get of `key`: when the put committed (its coordinator sent
   * the ack) and when the get reached its own coordinator; null while either end is unknown.
   * The lab's clock is one clock for every process of a run (lab-time.ts), so the two compare.
   */
  trialTimes(key: string): { commitAtMs: number; readAtMs: number } | null {
    const first = this.firstOps.get(key);
    const put = first?.put === undefined ? undefined : this.clientOps.get(first.put);
    const get = first?.get === undefined ? undefined : this.clientOps.get(first.get);
    if (put?.answeredAtMs === undefined || get?.arrivedAtMs === undefined) return null;
    return { commitAtMs: put.answeredAtMs, readAtMs: get.arrivedAtMs };
  }

  private observeClient(event: TraceEvent): void {
    const requestId = event.msgId!;
    if (event.kind === 'invoke') {
      const op = (event.detail as { op?: { f?: unknown; key?: unknown } } | undefined)?.op;
      if (typeof op?.key !== 'string' || (op.f !== 'put' && op.f !== 'get') || this.clientOps.size >= CLIENT_OPS_MAX) return;
      const times = this.clientOps.get(requestId);
      if (times === undefined) this.clientOps.set(requestId, { key: op.key, f: op.f });
      else Object.assign(times, { key: op.key, f: op.f });
      const first = this.firstOps.get(op.key) ?? {};
      if (first[op.f] === undefined) first[op.f] = requestId;
      this.firstOps.set(op.key, first);
      return;
    }
    // The coordinator's ends may be reported before the client's invoke (other processes).
    const reply = event.kind === 'send' && event.msgType === CLIENT_REPLY_TYPE;
    const arrival = event.kind === 'receive' && event.msgType === CLIENT_REQUEST_TYPE;
    if (!reply && !arrival) return;
    const id = reply ? requestIdOf(event.detail) : requestId;
    if (id === null) return;
    let times = this.clientOps.get(id);
    if (times === undefined) {
      if (this.clientOps.size >= CLIENT_OPS_MAX) return;
      times = { key: '', f: '' };
      this.clientOps.set(id, times);
    }
    if (reply) times.answeredAtMs ??= event.labTimeMs;
    else times.arrivedAtMs ??= event.labTimeMs;
  }

  private delivered(send: SendEnd, atMs: number): void {
    // A duplicated message is received twice: only its first arrival counts.
    if (send.atMs < 0) return;
    const oneWayMs = Math.max(0, atMs - send.atMs);
    if (send.type === 'write' || send.type === 'read') {
      const leg: Leg = send.type === 'write' ? 'w' : 'r';
      this.push(leg, { atMs: send.atMs, ms: oneWayMs, key: send.key });
      const where = `${send.request}|${send.target}`;
      this.arrivals.set(where, atMs);
      const answer = this.answers.get(where);
      if (answer !== undefined) {
        this.answers.delete(where);
        this.push(answer.leg, { atMs, ms: Math.max(0, answer.atMs - atMs), key: send.key });
      }
    } else {
      // An answer: the replica is its source; its request reached the replica at `arrivals`.
      const leg: Leg = send.type === 'write-ack' ? 'a' : 's';
      const where = `${send.request}|${send.source}`;
      const arrived = this.arrivals.get(where);
      if (arrived === undefined) this.answers.set(where, { leg, atMs });
      else {
        this.arrivals.delete(where);
        this.push(leg, { atMs: arrived, ms: Math.max(0, atMs - arrived), key: send.key });
      }
    }
    send.atMs = -1;
  }

  private push(leg: Leg, sample: TimedLeg): void {
    if (this.samples[leg].length >= LEG_SAMPLES_MAX) return;
    this.samples[leg].push(sample.ms);
    this.timed[leg].push(sample);
  }
}

/** The envelope type of a client's request (workload/client.ts), as its coordinator traces the receive. */
const CLIENT_REQUEST_TYPE = 'client-request';

function payloadOf(detail: unknown): { request: string; key: string } | null {
  if (typeof detail !== 'object' || detail === null) return null;
  const payload = (detail as { payload?: unknown }).payload;
  if (typeof payload !== 'object' || payload === null) return null;
  const { request, key } = payload as { request?: unknown; key?: unknown };
  return typeof request === 'string' ? { request, key: typeof key === 'string' ? key : '' } : null;
}

function requestIdOf(detail: unknown): string | null {
  const requestId = typeof detail === 'object' && detail !== null ? (detail as { requestId?: unknown }).requestId : undefined;
  return typeof requestId === 'string' ? requestId : null;
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

/** A measured trial as a moment of the run: its key, when its write committed, its client lag. */
export interface TrialMoment {
  key: string;
  commitAtMs: number;
  clientLagMs: number;
}

/**
 * Legs observed within this much of a trial's commit make its moment. Stalls on a loaded
 * machine last tens to hundreds of ms; a wider window mixes moments again (on the 2-core lab
 * machine ±250 ms left every grid point within 2 standard errors, ±1 s not).
 */
export const MOMENT_HALF_WINDOW_MS = 250;
/** A moment holds at least this many samples of each leg (not its own): the window widens until it does. */
export const MOMENT_SAMPLES_MIN = 20;

export interface MomentModelOptions extends ObservedModelOptions {
  halfWindowMs?: number;
  samplesMin?: number;
}

/**
 * The observed model, with moments: one per measured trial, holding the legs observed within
 * `halfWindowMs` of its commit (widened until each leg has `samplesMin` samples) but not the
 * trial's own, and the trial's client lag. A WARS trial draws a moment, then all its legs from
 * it (wars.ts), so legs delayed together by one stall are drawn together. Without trials it is
 * the plain observed model.
 */
export function momentModel(timed: Record<Leg, readonly TimedLeg[]>, trials: readonly TrialMoment[], options: MomentModelOptions): WarsModel {
  const legs = ['w', 'a', 'r', 's'] as const;
  const base = observedModel({ w: timed.w.map((sample) => sample.ms), a: timed.a.map((sample) => sample.ms), r: timed.r.map((sample) => sample.ms), s: timed.s.map((sample) => sample.ms) }, options);
  if (trials.length === 0) return base;
  const halfWindowMs = options.halfWindowMs ?? MOMENT_HALF_WINDOW_MS;
  const samplesMin = options.samplesMin ?? MOMENT_SAMPLES_MIN;
  if (!(halfWindowMs > 0) || !(Number.isInteger(samplesMin) && samplesMin >= 1)) throw new Error('moment model: halfWindowMs must be > 0 and samplesMin an integer ≥ 1');
  const ownerOf = new Map(trials.map((trial, index) => [trial.key, index]));
  const sorted = {} as Record<Leg, { at: Float64Array; ms: Float64Array; owner: Int32Array }>;
  for (const leg of legs) {
    const samples = [...timed[leg]].sort((a, b) => a.atMs - b.atMs);
    sorted[leg] = {
      at: Float64Array.from(samples, (sample) => sample.atMs),
      ms: Float64Array.from(samples, (sample) => sample.ms),
      owner: Int32Array.from(samples, (sample) => ownerOf.get(sample.key) ?? -1),
    };
  }
  const moments: WarsMoment[] = trials.map((trial, index) => {
    if (!(Number.isFinite(trial.commitAtMs) && trial.clientLagMs >= 0 && Number.isFinite(trial.clientLagMs))) throw new Error(`moment model: trial ${trial.key} needs a finite commit time and a client lag ≥ 0`);
    const slices = {} as Record<Leg, readonly [number, number]>;
    for (const leg of legs) slices[leg] = windowAround(sorted[leg], trial.commitAtMs, index, halfWindowMs, samplesMin);
    return { slices, owner: index, clientLagMs: trial.clientLagMs };
  });
  const samples = Object.fromEntries(legs.map((leg) => [leg, { ms: sorted[leg].ms, owner: sorted[leg].owner }])) as WarsMoments['samples'];
  return {
    ...base,
    summary: `${base.summary}; each trial's legs from one of ${moments.length} moments (±${halfWindowMs} ms of a measured trial's commit), plus its client lag`,
    moments: { samples, moments },
  };
}

/** The slice of samples observed within `halfWindowMs` of `atMs`, widened until it holds `samplesMin` not owned by `owner`. */
function windowAround(sorted: { at: Float64Array; owner: Int32Array }, atMs: number, owner: number, halfWindowMs: number, samplesMin: number): [number, number] {
  const count = sorted.at.length;
  for (let half = halfWindowMs; ; half *= 2) {
    const from = firstIndex(sorted.at, (value) => value >= atMs - half);
    const to = firstIndex(sorted.at, (value) => value > atMs + half);
    let others = 0;
    for (let index = from; index < to && others < samplesMin; index += 1) if (sorted.owner[index] !== owner) others += 1;
    if (others >= samplesMin || (from === 0 && to === count)) return [from, to];
  }
}

/** The first index whose value passes `test` (values ascending, `test` monotone); the length if none does. */
function firstIndex(values: Float64Array, test: (value: number) => boolean): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (test(values[middle]!)) high = middle;
    else low = middle + 1;
  }
  return low;
}
