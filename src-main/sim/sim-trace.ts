// The simulated run's trace: TraceEvents of the same schema as a real run's (docs/trace-schema.md),
// stamped with each process's sequence, Lamport and vector clocks, its (skewed) node clock and
// the simulated time as lab time. Processes are the nodes, the clients and `lab` (faults).
//
// Every event also feeds a running hash of the stream, which is how a test proves that one
// seed gives one run, event for event. In `full` mode events are kept and the hash covers each
// event's whole JSON (vector clocks and details included); in `light` mode — seed sweeps —
// nothing is kept, vector clocks are not built, and the hash covers each event's identity
// (process, seq, kind, Lamport time, times, message id, peer, type).

import type { ProcessId, VectorClock } from '../../src-node/contract/clock.ts';
import { CAUSAL_KINDS, type EventFields, type Stamp, type TraceEvent, type TraceKind } from '../../src-node/contract/trace.ts';
import { merge, tick } from '../../src-node/protocols/clocks/vector-clock.ts';

export type { Stamp } from '../../src-node/contract/trace.ts';
export type TraceFields = EventFields;

export type TraceMode = 'full' | 'light';

interface ProcessClocks {
  seq: number;
  lamport: number;
  vclock: VectorClock;
}

const EMPTY_CLOCK: VectorClock = Object.freeze({}) as VectorClock;

/** A 64-bit running hash (two 32-bit FNV-1a lanes with different offsets), hex. */
export class StreamHash {
  private a = 0x811c9dc5;
  private b = 0xcbf29ce4;

  update(text: string): void {
    let a = this.a;
    let b = this.b;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x01000193) ^ (b >>> 13);
    }
    this.a = a;
    this.b = b;
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

export class SimTrace {
  readonly events: TraceEvent[] = [];
  readonly counts = new Map<TraceKind, number>();
  private readonly clocks = new Map<ProcessId, ProcessClocks>();
  private readonly hash = new StreamHash();
  total = 0;
  /** Sees every event as it is recorded, in both modes (the simulator's Raft invariant monitor). */
  listener: ((event: TraceEvent) => void) | null = null;

  constructor(readonly mode: TraceMode) {}

  get digest(): string {
    return this.hash.hex();
  }

  /** Records one event of `process` at simulated time `labTimeMs`, its own clock reading `nodeTimeMs`. */
  record(process: ProcessId, kind: TraceKind, labTimeMs: number, nodeTimeMs: number, fields: TraceFields = {}): TraceEvent {
    let clocks = this.clocks.get(process);
    if (clocks === undefined) {
      clocks = { seq: 0, lamport: 0, vclock: EMPTY_CLOCK };
      this.clocks.set(process, clocks);
    }
    clocks.seq += 1;
    const full = this.mode === 'full';
    if (CAUSAL_KINDS.has(kind)) {
      const received = fields.received;
      clocks.lamport = received === undefined ? clocks.lamport + 1 : Math.max(clocks.lamport, received.lamport) + 1;
      if (full) clocks.vclock = tick(received === undefined ? clocks.vclock : merge(clocks.vclock, received.vclock), process);
    }
    const event: TraceEvent = {
      node: process, seq: clocks.seq, kind, lamport: clocks.lamport, vclock: clocks.vclock,
      nodeTimeMs: roundMs(nodeTimeMs), labTimeMs: roundMs(labTimeMs),
    };
    if (fields.newMessage === true) event.msgId = `${process}:${clocks.seq}`;
    else if (fields.msgId !== undefined) event.msgId = fields.msgId;
    if (fields.peer !== undefined) event.peer = fields.peer;
    if (fields.msgType !== undefined) event.msgType = fields.msgType;
    if (fields.detail !== undefined) event.detail = fields.detail;
    this.total += 1;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.listener?.(event);
    if (full) {
      this.events.push(event);
      this.hash.update(JSON.stringify(event));
    } else {
      this.hash.update(`${process}|${event.seq}|${kind}|${event.lamport}|${event.labTimeMs}|${event.nodeTimeMs}|${event.msgId ?? ''}|${event.peer ?? ''}|${event.msgType ?? ''};`);
    }
    return event;
  }

  /** The stamp a message sent by `process` carries (its clocks after the send event). */
  stampOf(process: ProcessId): Stamp {
    const clocks = this.clocks.get(process);
    return clocks === undefined ? { lamport: 0, vclock: EMPTY_CLOCK } : { lamport: clocks.lamport, vclock: clocks.vclock };
  }
}

/** Times are kept to the microsecond, so that the trace's JSON is short and the hash stable. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
