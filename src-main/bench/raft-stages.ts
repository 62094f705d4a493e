// Where a put's time goes in `distlab bench raft`, read from the nodes' own trace as it
// streams to the supervisor: the issue asks for the time split between the disk, the network
// and the event loop, and a figure anyone can re-measure beats one worked out once by hand.
//
// The stages of one put, in order (a leader L, a follower F):
//   leader: request → append        L received the client's request … L sent the AppendEntries
//   hop: append                     L sent it … F received it
//   follower: append → durable      F received it … F's write of the entries was durable
//   fsync                           of that, the SQLite commit itself (F's `persist` event)
//   follower: durable → reply       … F sent its reply
//   hop: reply                      … L received it
//   leader: reply → answer          L received the latest reply … L answered the client (the commit)
//   leader: request → answer        the leader's whole share, request by request
// A hop is measured between two processes' clocks: each event carries lab time, the
// machine's monotonic clock offset by one origin shared by every process (node-clock.ts), so
// two processes agree to within the precision of their time origins (microseconds to tens
// of microseconds). Heartbeats are appends too: they count in the hops, and a follower that
// answers one without writing counts in no disk stage. With many clients, one append carries
// many requests and one reply commits many puts: the stages stay per message, and the
// request → answer stage stays per request.

import type { TraceEvent } from '../../src-node/contract/trace.ts';

export interface StageFigures {
  stage: string;
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Samples kept per stage (the rest are counted out: a 64-client phase makes ~10⁶ events). */
export const STAGE_SAMPLES_MAX = 200_000;
/** Messages seen at one end only (and requests not yet answered); past it the oldest are forgotten (a dropped message has one end). */
export const STAGE_IN_FLIGHT_MAX = 100_000;

export const STAGES = [
  'leader: request → append', 'hop: append', 'follower: append → durable', 'fsync',
  'follower: durable → reply', 'hop: reply', 'leader: reply → answer', 'leader: request → answer',
] as const;
type Stage = (typeof STAGES)[number];

const APPEND = 'append-entries';
const APPEND_REPLY = 'append-entries-reply';
const CLIENT_REQUEST = 'client-request';
const CLIENT_REPLY = 'client-reply';

/** Per node: what the next stage is measured from. */
interface NodeMarks {
  requestsSinceAppend: number[];
  appendReceivedAt: number | null;
  durableAt: number | null;
  replyReceivedAt: number | null;
}

export class PutStages {
  private readonly samples = new Map<Stage, number[]>(STAGES.map((stage) => [stage, []]));
  private readonly sentAt = new Map<string, number>();
  private readonly receivedAt = new Map<string, number>();
  private readonly requestAt = new Map<string, number>();
  private readonly marks = new Map<string, NodeMarks>();

  /** Feeds a batch of trace events, in each node's order (as the supervisor receives them). */
  add(events: readonly TraceEvent[]): void {
    for (const event of events) this.addOne(event);
  }

  figures(): StageFigures[] {
    return STAGES.map((stage) => summarize(stage, this.samples.get(stage)!));
  }

  private addOne(event: TraceEvent): void {
    const at = event.labTimeMs;
    const marks = this.marksOf(event.node);
    if (event.kind === 'persist') {
      const durationMs = (event.detail as { durationMs?: unknown } | undefined)?.durationMs;
      if (marks.appendReceivedAt !== null) {
        this.sample('follower: append → durable', at - marks.appendReceivedAt);
        if (typeof durationMs === 'number') this.sample('fsync', durationMs);
        marks.appendReceivedAt = null;
        marks.durableAt = at;
      }
      return;
    }
    if (event.kind === 'send') this.onSend(event, marks, at);
    else if (event.kind === 'receive') this.onReceive(event, marks, at);
  }

  private onSend(event: TraceEvent, marks: NodeMarks, at: number): void {
    if (event.msgType === APPEND || event.msgType === APPEND_REPLY) this.hop(event.msgType, event.msgId, { sentAt: at });
    if (event.msgType === APPEND) {
      for (const requestAt of marks.requestsSinceAppend) this.sample('leader: request → append', at - requestAt);
      marks.requestsSinceAppend = [];
    } else if (event.msgType === APPEND_REPLY) {
      if (marks.durableAt !== null) this.sample('follower: durable → reply', at - marks.durableAt);
      marks.durableAt = null;
      marks.appendReceivedAt = null;
    } else if (event.msgType === CLIENT_REPLY) {
      if (marks.replyReceivedAt !== null) this.sample('leader: reply → answer', at - marks.replyReceivedAt);
      marks.replyReceivedAt = null;
      const requestId = requestIdOf(event);
      const requestAt = requestId === null ? undefined : this.requestAt.get(requestId);
      if (requestAt !== undefined) {
        this.sample('leader: request → answer', at - requestAt);
        this.requestAt.delete(requestId!);
      }
    }
  }

  private onReceive(event: TraceEvent, marks: NodeMarks, at: number): void {
    if (event.msgType === APPEND || event.msgType === APPEND_REPLY) this.hop(event.msgType, event.msgId, { receivedAt: at });
    if (event.msgType === APPEND) {
      marks.appendReceivedAt ??= at;
    } else if (event.msgType === APPEND_REPLY) {
      // The latest: with one client, the slower follower's reply to the previous put comes after its answer.
      marks.replyReceivedAt = at;
    } else if (event.msgType === CLIENT_REQUEST) {
      if (marks.requestsSinceAppend.length < STAGE_IN_FLIGHT_MAX) marks.requestsSinceAppend.push(at);
      const requestId = requestIdOf(event);
      if (requestId !== null) this.remember(this.requestAt, requestId, at);
    }
  }

  /**
   * One end of a hop. The two ends come from two processes whose batches reach the supervisor
   * in either order: whichever comes first waits for the other.
   */
  private hop(type: typeof APPEND | typeof APPEND_REPLY, msgId: string | undefined, end: { sentAt: number } | { receivedAt: number }): void {
    if (msgId === undefined) return;
    const other = 'sentAt' in end ? this.receivedAt : this.sentAt;
    const otherAt = other.get(msgId);
    if (otherAt === undefined) {
      if ('sentAt' in end) this.remember(this.sentAt, msgId, end.sentAt);
      else this.remember(this.receivedAt, msgId, end.receivedAt);
      return;
    }
    other.delete(msgId);
    const durationMs = 'sentAt' in end ? otherAt - end.sentAt : end.receivedAt - otherAt;
    this.sample(type === APPEND ? 'hop: append' : 'hop: reply', durationMs);
  }

  private marksOf(node: string): NodeMarks {
    let marks = this.marks.get(node);
    if (marks === undefined) {
      marks = { requestsSinceAppend: [], appendReceivedAt: null, durableAt: null, replyReceivedAt: null };
      this.marks.set(node, marks);
    }
    return marks;
  }

  private remember(map: Map<string, number>, key: string, at: number): void {
    if (map.size >= STAGE_IN_FLIGHT_MAX) map.delete(map.keys().next().value!);
    map.set(key, at);
  }

  private sample(stage: Stage, durationMs: number): void {
    const samples = this.samples.get(stage)!;
    if (samples.length < STAGE_SAMPLES_MAX) samples.push(durationMs);
  }
}

function requestIdOf(event: TraceEvent): string | null {
  const requestId = (event.detail as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === 'string' ? requestId : null;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

function summarize(stage: string, samples: readonly number[]): StageFigures {
  if (samples.length === 0) return { stage, count: 0, meanMs: 0, p50Ms: 0, p99Ms: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { stage, count: sorted.length, meanMs: round3(mean), p50Ms: round3(at(0.5)), p99Ms: round3(at(0.99)) };
}
