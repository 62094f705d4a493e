// The replicated state machine that Raft drives: a key-value map, plus the client session
// table that makes retried writes apply once (Raft dissertation §6.3).
//
// De-duplication convention: a client that wants exactly-once writes puts `client` (its id,
// a string) and `seq` (a positive integer, increasing by one per new write, reused by every
// retry of that write) on the op, beside `f`, `key` and `value`:
//   { f: 'put', key: 'x', value: 1, client: 'c1', seq: 7 }
// The table keeps, per client, the highest seq applied and its result. A command whose seq is
// ≤ that seq is not applied again: the same seq gets the cached result; an older one gets
// `info` (the client moved on long ago, so nobody waits for it). A client has one write
// outstanding at a time, as Jepsen clients do. Ops without `client`/`seq` are applied as they
// come (at-least-once under retries). The table is part of the snapshot, so it survives
// compaction; it is bounded, evicting the session idle longest (the same on every replica,
// because it only depends on the log).

import type { ClientResult } from '../../contract/envelope.ts';

/** A client write as it travels in the log. */
export interface Command {
  f: 'put' | 'cas';
  key: string;
  value: unknown;
  client?: string;
  seq?: number;
}

export interface Session {
  seq: number;
  result: ClientResult;
  /** Log index of the last command of this session: the eviction order. */
  index: number;
}

export interface MachineSnapshot {
  data: Record<string, unknown>;
  sessions: Record<string, Session>;
}

export const SESSIONS_MAX = 10_000;
export const KEYS_MAX = 100_000;

/** Values compare as JSON: a missing key is null, as Jepsen's nil. */
function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export class KvStateMachine {
  readonly data = new Map<string, unknown>();
  readonly sessions = new Map<string, Session>();

  /** The result that a retry of (client, seq) gets without being applied, or null when it must be applied. */
  duplicateResult(client: string | undefined, seq: number | undefined): ClientResult | null {
    if (client === undefined || seq === undefined) return null;
    const session = this.sessions.get(client);
    if (session === undefined || seq > session.seq) return null;
    if (seq === session.seq) return session.result;
    return { type: 'info', error: `stale-seq: client ${client} is at seq ${session.seq}` };
  }

  apply(command: Command, index: number): ClientResult {
    const duplicate = this.duplicateResult(command.client, command.seq);
    if (duplicate !== null) return duplicate;
    const result = this.execute(command);
    if (command.client !== undefined && command.seq !== undefined) {
      this.sessions.delete(command.client);
      this.sessions.set(command.client, { seq: command.seq, result, index });
      // Map order is the order of last use, so the first session is the one idle longest.
      if (this.sessions.size > SESSIONS_MAX) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return result;
  }

  read(key: string): unknown {
    return this.data.has(key) ? this.data.get(key) : null;
  }

  snapshot(): MachineSnapshot {
    return { data: Object.fromEntries(this.data), sessions: Object.fromEntries(this.sessions) };
  }

  restore(snapshot: MachineSnapshot): void {
    this.data.clear();
    this.sessions.clear();
    for (const [key, value] of Object.entries(snapshot.data)) this.data.set(key, value);
    const sessions = Object.entries(snapshot.sessions).sort((a, b) => a[1].index - b[1].index);
    for (const [client, session] of sessions) this.sessions.set(client, session);
  }

  private execute(command: Command): ClientResult {
    if (!this.data.has(command.key) && this.data.size >= KEYS_MAX) return { type: 'fail', error: 'too-many-keys' };
    if (command.f === 'put') {
      this.data.set(command.key, command.value);
      return { type: 'ok' };
    }
    const { from, to } = command.value as { from: unknown; to: unknown };
    const current = this.read(command.key);
    if (!sameValue(current, from)) return { type: 'fail', error: 'cas-mismatch', value: current };
    this.data.set(command.key, to);
    return { type: 'ok' };
  }
}
