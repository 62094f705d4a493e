// Hosts one protocol core (the etcd-raft "Ready" loop, with `step` returning the Ready).
// Every input runs to completion: the core steps, then its effects are applied in the
// contract's order — persist (one fsynced transaction) before any message or reply of the
// same step leaves, then state notes, messages, replies, timers. Nothing awaits in between.
//
// Group commit: the steps of one turn of the event loop (every client request and peer
// message that arrived together) each run to completion at once, but their effects are held
// and applied together at the end of the turn (setImmediate, after the poll phase has handed
// over all the input that was ready): the union of their writes in ONE fsynced transaction,
// then each step's notes, messages and replies in step order. Persist-before-send holds for
// every step — none of a step's messages or replies leaves before its writes (and those of
// the steps before it) are on disk — and the order between steps is the order they ran in.
// One fsync then covers a whole turn's puts instead of one each, which is what bounds a
// durable log's throughput (~154 µs per fsync here). Timer commands apply at once: they are
// the core's own schedule, not I/O, and a timer that fires meanwhile queues its step behind.
// The first step (`recover`) applies at once, so a node listens only once it has recovered.
//
// A slow disk (`persistDelayMs`) delays the whole effect of a step that persists — the write,
// and everything it must precede — and every later step's effects queue behind it, so the
// order between steps holds. The core has moved on meanwhile, exactly as a process whose
// fsync is slow; a crash during the delay loses the write and the messages together.

import type { CoreInput, CoreStatus, OutMessage, ProtocolCore, Ready, Reply } from '../contract/core.ts';
import type { Tracer } from './tracer.ts';
import type { StableStorage } from './stable-storage.ts';
import { MAX_CORE_TIMERS, MAX_DELAYED_STEPS, STATUS_CHECK_MS, TRACE_PERSIST_KEYS_MAX } from './limits.ts';

/** A core input without its time: the host stamps `nowMs` from the node clock. */
export type HostInput = CoreInput extends infer Input ? (Input extends CoreInput ? Omit<Input, 'nowMs'> : never) : never;

export interface CoreHostOptions {
  core: ProtocolCore;
  storage: StableStorage;
  tracer: Tracer;
  nodeNowMs: () => number;
  persistDelayMs: number;
  sendMessage(message: OutMessage): void;
  reply(reply: Reply): void;
  onStatus(status: CoreStatus): void;
  /** A core threw (a failed assertion): the node must crash visibly. */
  onFatal(error: unknown): void;
}

/** Steps held for one group commit; past it the group is applied at once (a bound, not a tuning knob). */
export const MAX_GROUP_STEPS = 4_096;

interface DelayedStep {
  dueMs: number;
  ready: Ready;
}

export class CoreHost {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delayed: DelayedStep[] = [];
  /** Readys of this turn's steps, applied together at the end of the turn (group commit). */
  private group: Ready[] = [];
  private groupScheduled = false;
  private delayedTimer: NodeJS.Timeout | undefined;
  private persistDelayMs: number;
  private statusDirty = true;
  private lastStatusJson = '';
  private readonly statusTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: CoreHostOptions) {
    this.persistDelayMs = options.persistDelayMs;
    this.statusTimer = setInterval(() => this.reportStatus(), STATUS_CHECK_MS);
  }

  /** `afterCoreStep` runs between the core's step and its effects (the `recover` event). */
  step(input: HostInput, afterCoreStep?: () => void): void {
    if (this.closed) return;
    try {
      const ready = this.options.core.step({ ...input, nowMs: this.options.nodeNowMs() } as CoreInput);
      this.statusDirty = true;
      afterCoreStep?.();
      this.submit(ready, input.kind === 'recover');
    } catch (error) {
      this.options.onFatal(error);
    }
  }

  setPersistDelay(persistDelayMs: number): void {
    this.persistDelayMs = persistDelayMs;
  }

  /** Sends the status now if it changed (used at start so the supervisor sees it at once). */
  reportStatus(): void {
    if (!this.statusDirty || this.closed) return;
    this.statusDirty = false;
    let status: CoreStatus;
    try {
      status = this.options.core.status();
    } catch (error) {
      this.options.onFatal(error);
      return;
    }
    const json = JSON.stringify(status);
    if (json === this.lastStatusJson) return;
    this.lastStatusJson = json;
    this.options.onStatus(status);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.statusTimer);
    clearTimeout(this.delayedTimer);
    this.delayed.length = 0;
    // Held effects are lost with the process, writes and messages together, as in a crash.
    this.group = [];
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private submit(ready: Ready, now: boolean): void {
    const slowDisk = this.persistDelayMs > 0 && ready.persist.length > 0;
    if (!slowDisk && this.delayed.length === 0) {
      if (now || this.persistDelayMs > 0) {
        this.applyGroup();
        return this.apply(ready);
      }
      this.applyTimers(ready);
      this.group.push(ready);
      if (this.group.length >= MAX_GROUP_STEPS) this.applyGroup();
      else if (!this.groupScheduled) {
        this.groupScheduled = true;
        setImmediate(() => this.onGroupDue());
      }
      return;
    }
    // The slow-disk queue keeps the order too: what this turn held goes first.
    this.applyGroup();
    if (this.delayed.length >= MAX_DELAYED_STEPS) {
      // Effects cannot be dropped (a persisted write is a promise): fail visibly instead.
      throw new Error(`more than ${MAX_DELAYED_STEPS} steps wait behind the slow disk`);
    }
    const nowMs = performance.now();
    const lastDueMs = this.delayed.at(-1)?.dueMs ?? 0;
    this.delayed.push({ dueMs: Math.max(lastDueMs, slowDisk ? nowMs + this.persistDelayMs : nowMs), ready });
    if (this.delayed.length === 1) this.armDelayed();
  }

  private armDelayed(): void {
    const head = this.delayed[0];
    if (head === undefined) return;
    this.delayedTimer = setTimeout(() => {
      this.delayedTimer = undefined;
      const nowMs = performance.now();
      while (!this.closed && (this.delayed[0]?.dueMs ?? Infinity) <= nowMs + 0.5) {
        const step = this.delayed.shift();
        if (step !== undefined) this.apply(step.ready);
      }
      this.armDelayed();
    }, Math.max(0, head.dueMs - performance.now()));
  }

  private onGroupDue(): void {
    this.groupScheduled = false;
    try {
      this.applyGroup();
    } catch (error) {
      this.options.onFatal(error);
    }
  }

  /** One transaction for every write of the held steps, then their effects in step order. */
  private applyGroup(): void {
    const group = this.group;
    if (group.length === 0) return;
    this.group = [];
    this.persist(group.length === 1 ? group[0]!.persist : group.flatMap((ready) => ready.persist), group.length);
    for (const ready of group) this.send(ready);
  }

  private apply(ready: Ready): void {
    this.persist(ready.persist, 1);
    this.send(ready);
    this.applyTimers(ready);
  }

  private persist(writes: Ready['persist'], steps: number): void {
    if (writes.length === 0) return;
    const { keys, durationMs } = this.options.storage.persist(writes);
    this.options.tracer.record('persist', {
      detail: {
        keys: keys.slice(0, TRACE_PERSIST_KEYS_MAX), count: keys.length, durationMs: Math.round(durationMs * 1000) / 1000,
        ...(steps > 1 ? { steps } : {}),
      },
    });
  }

  /** What leaves the process; only after `persist` of the same step (and every earlier one). */
  private send(ready: Ready): void {
    for (const note of ready.notes) this.options.tracer.record('state', { detail: { name: note.name, ...note.detail } });
    for (const message of ready.messages) this.options.sendMessage(message);
    for (const reply of ready.replies) this.options.reply(reply);
  }

  private applyTimers(ready: Ready): void {
    for (const command of ready.timers) {
      clearTimeout(this.timers.get(command.timer));
      this.timers.delete(command.timer);
      if (command.kind === 'set') this.setTimer(command.timer, command.afterMs);
    }
  }

  private setTimer(timer: string, afterMs: number): void {
    if (this.timers.size >= MAX_CORE_TIMERS) throw new Error(`a core set more than ${MAX_CORE_TIMERS} timers`);
    if (!(afterMs >= 0) || !Number.isFinite(afterMs)) throw new Error(`timer ${timer}: afterMs must be finite and ≥ 0, got ${afterMs}`);
    this.timers.set(
      timer,
      setTimeout(() => {
        this.timers.delete(timer);
        this.options.tracer.record('timer', { detail: { timer } });
        this.step({ kind: 'timer', timer });
      }, afterMs),
    );
  }
}
