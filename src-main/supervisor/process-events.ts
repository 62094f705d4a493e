// Stamps the events that a lab-side process (the lab itself, or a client) records, with
// the same clocks a node uses: a local sequence, a Lamport clock and a vector clock.

import type { ProcessId, VectorClock } from '../../src-node/contract/clock.ts';
import { CAUSAL_KINDS, type EventFields as SharedEventFields, type TraceEvent, type TraceKind } from '../../src-node/contract/trace.ts';
import { lamportReceive, lamportTick } from '../../src-node/protocols/clocks/lamport.ts';
import { merge, tick } from '../../src-node/protocols/clocks/vector-clock.ts';
import { labTimeMs } from '../lab/lab-time.ts';

type EventFields = Omit<SharedEventFields, 'received' | 'newMessage'>;

export class ProcessClock {
  private seq = 0;
  private lamport = 0;
  private vclock: VectorClock = {};

  constructor(
    readonly process: ProcessId,
    private readonly runStartEpochMs: number,
    private readonly sink: (event: TraceEvent) => void,
  ) {}

  /** Records an event; a causal one ticks the clocks. Returns it, e.g. to stamp a message. */
  record(kind: TraceKind, fields: EventFields = {}): TraceEvent {
    if (CAUSAL_KINDS.has(kind)) {
      this.lamport = lamportTick(this.lamport);
      this.vclock = tick(this.vclock, this.process);
    }
    return this.emit(kind, fields);
  }

  /** Records the receipt of a message stamped with the sender's clocks. */
  receive(kind: TraceKind, stamp: { lamport: number; vclock: VectorClock }, fields: EventFields): TraceEvent {
    this.lamport = lamportReceive(this.lamport, stamp.lamport);
    this.vclock = tick(merge(this.vclock, stamp.vclock), this.process);
    return this.emit(kind, fields);
  }

  private emit(kind: TraceKind, fields: EventFields): TraceEvent {
    this.seq += 1;
    const now = labTimeMs(this.runStartEpochMs);
    const event: TraceEvent = {
      node: this.process,
      seq: this.seq,
      kind,
      lamport: this.lamport,
      vclock: this.vclock,
      nodeTimeMs: now,
      labTimeMs: now,
      ...fields,
    };
    this.sink(event);
    return event;
  }
}
