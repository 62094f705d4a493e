// The effects of one step of the Raft core, as data (etcd-raft's Ready): the stable writes
// it asks for, the messages, replies, timers and trace notes. The core fills the outbox while
// an input runs and hands the host the Ready at the end; nothing here does I/O. Which message
// or reply may leave `early` (before the step's writes are durable, on a pipelined host) is the
// core's decision: see pipeline.ts.

import type { NodeId } from '../../contract/clock.ts';
import { emptyReady, type Ready, type TimerCommand } from '../../contract/core.ts';
import type { ClientResult } from '../../contract/envelope.ts';
import { STABLE_KEY, type HardState } from './log.ts';

export class Outbox {
  private ready: Ready = emptyReady();
  /** Stable writes of this step by key: a key written twice goes once, where first written, with its last value. */
  private readonly writes = new Map<string, unknown>();

  /** A new input: an empty Ready. */
  begin(): void {
    this.ready = emptyReady();
  }

  write(key: string, value: unknown): void {
    this.writes.set(key, value);
  }

  send(message: { target: NodeId; type: string; payload: unknown }, early: boolean): void {
    (early ? this.earlyEffects().messages : this.ready.messages).push(message);
  }

  reply(requestId: string, result: ClientResult, early: boolean): void {
    (early ? this.earlyEffects().replies : this.ready.replies).push({ requestId, result });
  }

  timer(...commands: TimerCommand[]): void {
    this.ready.timers.push(...commands);
  }

  note(name: string, detail: Record<string, unknown>): void {
    this.ready.notes.push({ name, detail });
  }

  /** The step's Ready, its writes in the order made and the hard state (term, vote) last, if it changed. */
  finish(hardState: HardState | null): Ready {
    if (hardState !== null) this.writes.set(STABLE_KEY.hard, hardState);
    for (const [key, value] of this.writes) this.ready.persist.push({ key, value });
    this.writes.clear();
    return this.ready;
  }

  private earlyEffects(): NonNullable<Ready['early']> {
    this.ready.early ??= { messages: [], replies: [] };
    return this.ready.early;
  }
}
