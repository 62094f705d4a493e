// The process's logical clocks and event sequence (the book, §3 "Time and order").
//
// A restarted node must never hand out a Lamport value, an own vector-clock entry or a
// sequence number (message ids are `${node}:${seq}`) that it may have used before it
// crashed — the events of the lost last batch may have reached peers even if they never
// reached the trace. So the clock reserves blocks in stable storage: before a value passes
// the persisted ceiling, a new ceiling (value + block) is written and fsynced; a restart
// starts above the ceiling. That costs one tiny transaction per block of events; the
// three ceilings move together in it, and the block doubles each time (up to a bound), so
// a busy node fsyncs rarely while a quiet one leaves only a small gap after a restart.

import type { ProcessId, VectorClock } from '../contract/clock.ts';
import type { Stamp } from '../contract/trace.ts';
import { lamportReceive, lamportTick } from '../protocols/clocks/lamport.ts';
import { merge, tick as tickVector } from '../protocols/clocks/vector-clock.ts';
import { CLOCK_RESERVATION_BLOCK, CLOCK_RESERVATION_BLOCK_MAX } from './limits.ts';

/** The runtime's own durable facts (the `meta` table of stable storage). */
export interface MetaStore {
  getMeta(key: string): number | undefined;
  /** Writes every entry in one durable transaction. */
  setMeta(entries: Record<string, number>): void;
}

export type { Stamp } from '../contract/trace.ts';

const CEILING_KEYS = { seq: 'seqCeiling', lamport: 'lamportCeiling', vclock: 'vclockCeiling' } as const;
type Counter = keyof typeof CEILING_KEYS;

export interface CausalClockOptions {
  self: ProcessId;
  meta: MetaStore;
  /** The supervisor's idea of the first free sequence number. */
  seqStart: number;
}

export class CausalClock {
  private readonly self: ProcessId;
  private readonly meta: MetaStore;
  private readonly ceilings: Record<Counter, number>;
  private seq: number;
  private lamport: number;
  private vclock: VectorClock;
  private block = CLOCK_RESERVATION_BLOCK;

  constructor(options: CausalClockOptions) {
    this.self = options.self;
    this.meta = options.meta;
    this.ceilings = {
      seq: options.meta.getMeta(CEILING_KEYS.seq) ?? 0,
      lamport: options.meta.getMeta(CEILING_KEYS.lamport) ?? 0,
      vclock: options.meta.getMeta(CEILING_KEYS.vclock) ?? 0,
    };
    // Next seq is the larger of the supervisor's start and everything reserved before.
    // seqStart also bounds the own vector entry from below (a process never has more causal
    // events than events, and seq starts at 0 or 1), which keeps the entry fresh even when
    // the data dir was wiped — as far as the supervisor saw this node's events.
    this.seq = Math.max(options.seqStart, this.ceilings.seq + 1) - 1;
    this.lamport = this.ceilings.lamport;
    const ownEntry = Math.max(this.ceilings.vclock, options.seqStart - 1);
    this.vclock = ownEntry > 0 ? { [this.self]: ownEntry } : {};
  }

  /** The sequence number of the next event (every event, causal or not). */
  nextSeq(): number {
    this.seq += 1;
    this.reserve('seq', this.seq);
    return this.seq;
  }

  /** A local or send event. */
  tick(): Stamp {
    this.lamport = lamportTick(this.lamport);
    this.vclock = tickVector(this.vclock, this.self);
    this.reserveStamp();
    return this.current();
  }

  /** A receive event carrying the sender's stamp. */
  receive(received: Stamp): Stamp {
    this.lamport = lamportReceive(this.lamport, received.lamport);
    this.vclock = tickVector(merge(this.vclock, received.vclock), this.self);
    this.reserveStamp();
    return this.current();
  }

  current(): Stamp {
    return { lamport: this.lamport, vclock: this.vclock };
  }

  private reserveStamp(): void {
    this.reserve('lamport', this.lamport);
    this.reserve('vclock', this.vclock[this.self] ?? 0);
  }

  private reserve(counter: Counter, value: number): void {
    if (value <= this.ceilings[counter]) return;
    const next: Record<Counter, number> = {
      seq: this.seq + this.block,
      lamport: this.lamport + this.block,
      vclock: (this.vclock[this.self] ?? 0) + this.block,
    };
    next[counter] = Math.max(next[counter], value + this.block);
    this.meta.setMeta({
      [CEILING_KEYS.seq]: next.seq,
      [CEILING_KEYS.lamport]: next.lamport,
      [CEILING_KEYS.vclock]: next.vclock,
    });
    Object.assign(this.ceilings, next);
    this.block = Math.min(this.block * 2, CLOCK_RESERVATION_BLOCK_MAX);
  }
}
