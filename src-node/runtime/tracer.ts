// Turns everything the node does into TraceEvents, stamped with seq, Lamport and vector
// clocks, the node's (skewed) clock and the lab's monotonic time, and ships them to the
// supervisor in batches: every `traceFlushMs`, or as soon as `traceBatchMax` are waiting.
// A SIGKILL loses at most the batch not yet sent — the trace tolerates that (DESIGN.md).

import type { ProcessId } from '../contract/clock.ts';
import type { EventFields, Stamp, TraceEvent, TraceKind } from '../contract/trace.ts';
import { CAUSAL_KINDS } from '../contract/trace.ts';
import type { CausalClock } from './causal-clock.ts';
import type { NodeClock } from './node-clock.ts';

export type TraceFields = EventFields;

export interface TracerOptions {
  self: ProcessId;
  clock: CausalClock;
  nodeClock: NodeClock;
  flushMs: number;
  batchMax: number;
  ship: (events: TraceEvent[]) => void;
}

export class Tracer {
  private batch: TraceEvent[] = [];
  private readonly interval: NodeJS.Timeout;

  constructor(private readonly options: TracerOptions) {
    this.interval = setInterval(() => this.flush(), options.flushMs);
  }

  /** Records one event. Causal kinds tick (or, with `received`, merge) the logical clocks. */
  record(kind: TraceKind, fields: TraceFields = {}): TraceEvent {
    const { clock, nodeClock } = this.options;
    const seq = clock.nextSeq();
    let stamp: Stamp;
    if (!CAUSAL_KINDS.has(kind)) stamp = clock.current();
    else if (fields.received !== undefined) stamp = clock.receive(fields.received);
    else stamp = clock.tick();
    const event: TraceEvent = {
      node: this.options.self,
      seq,
      kind,
      lamport: stamp.lamport,
      vclock: stamp.vclock,
      nodeTimeMs: nodeClock.nowMs(),
      labTimeMs: nodeClock.labNowMs(),
    };
    if (fields.newMessage === true) event.msgId = `${this.options.self}:${seq}`;
    else if (fields.msgId !== undefined) event.msgId = fields.msgId;
    if (fields.peer !== undefined) event.peer = fields.peer;
    if (fields.msgType !== undefined) event.msgType = fields.msgType;
    if (fields.detail !== undefined) event.detail = fields.detail;
    this.batch.push(event);
    if (this.batch.length >= this.options.batchMax) this.flush();
    return event;
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    this.options.ship(events);
  }

  /** Flushes what is left and stops the interval. */
  close(): void {
    clearInterval(this.interval);
    this.flush();
  }
}
