// Eventual delivery for the CALM node's messages. The CALM theorem (Hellerstein and Alvaro,
// "Keeping CALM", CACM 2020) speaks of an asynchronous network that may delay, reorder and
// duplicate messages but eventually delivers each one (Dedalus's async rules: "at some later
// time"); it says nothing of a network that loses them for good. The lab's links do lose
// messages (a loss fault, a partition), so without retransmission even set union would end
// with replicas apart — a lesson about lost messages, not about order. This layer restores
// the theorem's network: every tuple batch and every seal is numbered per target and sent
// again every `retransmitMs` until the target acknowledges it.
//
// What it must not do is hide the disorder the lesson is about: a message the network
// duplicated still arrives twice, as before. Only a retransmission (marked `retry`) of a
// message the target already took is dropped there, so the layer adds no duplicates of its own.
// The sender's unacknowledged messages and the receiver's record of what it took are
// persisted with the node's state: a restart neither forgets what it still owes nor takes a
// retransmission as new.

import type { NodeId } from '../../contract/clock.ts';

/** Messages kept for retransmission, at most; past it the oldest is given up (and noted). */
export const UNACKED_MAX = 10_000;
/** Sequence numbers above the contiguous prefix a receiver remembers per sender. */
export const SEEN_ABOVE_MAX = 10_000;
/** Sequence numbers one acknowledgement carries, at most. */
export const ACK_SEQS_MAX = 10_000;

export interface Unacked {
  target: NodeId;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

/** What a receiver took from one sender: every seq below `below`, and these above it. */
interface Seen {
  below: number;
  above: Set<number>;
}

export interface DeliveryJson {
  nextSeq: Record<NodeId, number>;
  unacked: Unacked[];
  seen: Record<NodeId, { below: number; above: number[] }>;
}

export class Delivery {
  private readonly nextSeq = new Map<NodeId, number>();
  /** By `${target} ${seq}`, in the order they were first sent. */
  private readonly unacked = new Map<string, Unacked & { lastSentMs: number }>();
  private readonly seen = new Map<NodeId, Seen>();

  constructor(private readonly retransmitMs: number) {}

  /**
   * Numbers a message to `target` and keeps it until acknowledged; returns the payload to send
   * (the message's own fields and its `seq`), and the message given up to make room, if any.
   */
  send(target: NodeId, type: string, fields: Record<string, unknown>, nowMs: number): { payload: Record<string, unknown>; gaveUp: Unacked | null } {
    const seq = this.nextSeq.get(target) ?? 1;
    this.nextSeq.set(target, seq + 1);
    const payload = { ...fields, seq };
    let gaveUp: Unacked | null = null;
    if (this.unacked.size >= UNACKED_MAX) {
      const [oldestKey, oldest] = this.unacked.entries().next().value!;
      this.unacked.delete(oldestKey);
      gaveUp = { target: oldest.target, seq: oldest.seq, type: oldest.type, payload: oldest.payload };
    }
    this.unacked.set(`${target} ${seq}`, { target, seq, type, payload, lastSentMs: nowMs });
    return { payload, gaveUp };
  }

  /** The messages not acknowledged within `retransmitMs` of their last sending, marked `retry`; each counts as sent now. */
  due(nowMs: number): { target: NodeId; type: string; payload: Record<string, unknown> }[] {
    const due: { target: NodeId; type: string; payload: Record<string, unknown> }[] = [];
    for (const message of this.unacked.values()) {
      if (nowMs - message.lastSentMs < this.retransmitMs) continue;
      message.lastSentMs = nowMs;
      due.push({ target: message.target, type: message.type, payload: { ...message.payload, retry: true } });
    }
    return due;
  }

  /** `source` took these of our messages. */
  acked(source: NodeId, seqs: readonly number[]): void {
    for (const seq of seqs) this.unacked.delete(`${source} ${seq}`);
  }

  /**
   * A numbered message from `source` arrived: records it, and says whether to take it — always,
   * unless it is a retransmission of one already taken.
   */
  receive(source: NodeId, seq: number, retry: boolean): boolean {
    let seen = this.seen.get(source);
    if (seen === undefined) {
      seen = { below: 1, above: new Set() };
      this.seen.set(source, seen);
    }
    const known = seq < seen.below || seen.above.has(seq);
    if (!known) {
      seen.above.add(seq);
      while (seen.above.delete(seen.below)) seen.below += 1;
      // A sender that gave up on a message leaves a hole forever: past the bound, skip over the oldest hole.
      while (seen.above.size > SEEN_ABOVE_MAX) {
        seen.below += 1;
        while (seen.above.delete(seen.below)) seen.below += 1;
      }
    }
    return !(known && retry);
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  toJson(): DeliveryJson {
    return {
      nextSeq: Object.fromEntries(this.nextSeq),
      unacked: [...this.unacked.values()].map(({ target, seq, type, payload }) => ({ target, seq, type, payload })),
      seen: Object.fromEntries([...this.seen].map(([source, seen]) => [source, { below: seen.below, above: [...seen.above].sort((a, b) => a - b) }])),
    };
  }

  /** Restores a persisted state; what was unacknowledged is due at once (`lastSentMs` 0 is long past). */
  static fromJson(json: DeliveryJson | undefined, retransmitMs: number): Delivery {
    const delivery = new Delivery(retransmitMs);
    if (json === undefined) return delivery;
    for (const [target, seq] of Object.entries(json.nextSeq)) delivery.nextSeq.set(target, seq);
    for (const message of json.unacked) delivery.unacked.set(`${message.target} ${message.seq}`, { ...message, lastSentMs: Number.NEGATIVE_INFINITY });
    for (const [source, seen] of Object.entries(json.seen)) delivery.seen.set(source, { below: seen.below, above: new Set(seen.above) });
    return delivery;
  }
}

/** A message's numbering, if it carries one: `{ seq, retry }`, or null when absent, or 'malformed'. */
export function numbering(payload: unknown): { seq: number; retry: boolean } | null | 'malformed' {
  const { seq, retry } = (payload ?? {}) as { seq?: unknown; retry?: unknown };
  if (seq === undefined) return retry === undefined ? null : 'malformed';
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return 'malformed';
  if (retry !== undefined && typeof retry !== 'boolean') return 'malformed';
  return { seq: seq as number, retry: retry === true };
}
