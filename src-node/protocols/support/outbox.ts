// The effects a core gathers during one step, handed to the host as its `Ready` (the
// etcd-raft idea: effects are data). Every core of the lab needs the same six verbs; this is
// the one place they are written.

import type { NodeId } from '../../contract/clock.ts';
import { emptyReady, type Ready } from '../../contract/core.ts';
import type { ClientResult } from '../../contract/envelope.ts';

export class Outbox {
  private ready: Ready = emptyReady();

  send(target: NodeId, type: string, payload: unknown): void {
    this.ready.messages.push({ target, type, payload });
  }

  reply(requestId: string, result: ClientResult): void {
    this.ready.replies.push({ requestId, result });
  }

  /** A stable-storage write; `undefined` deletes the key. The step's writes form one transaction. */
  persist(key: string, value: unknown): void {
    this.ready.persist.push({ key, value });
  }

  setTimer(timer: string, afterMs: number): void {
    this.ready.timers.push({ kind: 'set', timer, afterMs });
  }

  cancelTimer(timer: string): void {
    this.ready.timers.push({ kind: 'cancel', timer });
  }

  note(name: string, detail: Record<string, unknown>): void {
    this.ready.notes.push({ name, detail });
  }

  /** The effects gathered since the last take; the outbox starts empty again. */
  take(): Ready {
    const ready = this.ready;
    this.ready = emptyReady();
    return ready;
  }
}

/**
 * The common start of every parameter parser: `raw` must be an object (or absent) naming only
 * known parameters; returns the defaults overlaid with it. Throws an Error that names the
 * protocol and the offending parameter.
 */
export function overlayParams<T extends object>(protocol: string, raw: unknown, defaults: Readonly<T>): T {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw new Error(`${protocol}: params must be an object`);
  const input = (raw ?? {}) as Record<string, unknown>;
  const known = Object.keys(defaults);
  for (const name of Object.keys(input)) if (!known.includes(name)) throw new Error(`${protocol}: unknown param "${name}"; known: ${known.join(', ')}`);
  return { ...defaults, ...input } as T;
}
