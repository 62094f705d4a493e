// How often a node records its status in the trace (contract/status-note.ts): at most once
// per interval, and always the newest. The interval grows with the size of the status just
// recorded, so that a node's notes add at most `charsPerSecond` to its trace on average: a
// small status (Paxos, 2PC) every `intervalMs`, a big one (Dynamo's ring and Merkle trees)
// less often. A status offered too early waits (replacing any older one waiting) until its
// time has come, so the last status of a quiet node reaches the trace too. Pure: the caller
// passes the time.

export interface StatusNoteLimits {
  /** The shortest time between two notes. */
  intervalMs: number;
  /** Characters of status notes per second, on average, that a node may add to its trace. */
  charsPerSecond: number;
}

export class StatusNoteLimiter<T> {
  private lastAtMs = Number.NEGATIVE_INFINITY;
  private nextAtMs = Number.NEGATIVE_INFINITY;
  private waiting: { item: T } | null = null;

  constructor(private readonly limits: StatusNoteLimits) {
    const { intervalMs, charsPerSecond } = limits;
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new Error(`status note interval must be finite and ≥ 0, got ${intervalMs}`);
    if (!(charsPerSecond > 0)) throw new Error(`status note budget must be > 0 characters per second, got ${charsPerSecond}`);
  }

  /**
   * A new status at `nowMs`: returned when it is to be recorded now (then say how big the
   * note was with `spent`), else kept until `due`.
   */
  offer(item: T, nowMs: number): T | undefined {
    if (nowMs >= this.nextAtMs) {
      this.waiting = null;
      this.recorded(nowMs);
      return item;
    }
    this.waiting = { item };
    return undefined;
  }

  /** The status kept back, once its time has come. */
  due(nowMs: number): T | undefined {
    if (this.waiting === null || nowMs < this.nextAtMs) return undefined;
    const { item } = this.waiting;
    this.waiting = null;
    this.recorded(nowMs);
    return item;
  }

  /** The status kept back, whatever the time (the node stops: its last status is recorded now or never). */
  takeWaiting(): T | undefined {
    const item = this.waiting?.item;
    this.waiting = null;
    return item;
  }

  /** The note just recorded had `chars` characters: the next one waits until the budget allows it. */
  spent(chars: number): void {
    this.nextAtMs = this.lastAtMs + Math.max(this.limits.intervalMs, (chars * 1000) / this.limits.charsPerSecond);
  }

  private recorded(nowMs: number): void {
    this.lastAtMs = nowMs;
    this.nextAtMs = nowMs + this.limits.intervalMs;
  }
}
