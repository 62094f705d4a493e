// Hosts one protocol core (the etcd-raft "Ready" loop, with `step` returning the Ready).
// Every input runs to completion: the core steps, then its effects are applied in the
// contract's order — persist (one fsynced transaction) before any message or reply of the
// same step leaves, then state notes, messages, replies, timers. Nothing awaits in between.
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

interface DelayedStep {
  dueMs: number;
  ready: Ready;
}

export class CoreHost {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delayed: DelayedStep[] = [];
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
      this.submit(ready);
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
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private submit(ready: Ready): void {
    const slowDisk = this.persistDelayMs > 0 && ready.persist.length > 0;
    if (!slowDisk && this.delayed.length === 0) return this.apply(ready);
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

  private apply(ready: Ready): void {
    const { storage, tracer } = this.options;
    if (ready.persist.length > 0) {
      const { keys, durationMs } = storage.persist(ready.persist);
      tracer.record('persist', {
        detail: { keys: keys.slice(0, TRACE_PERSIST_KEYS_MAX), count: keys.length, durationMs: Math.round(durationMs * 1000) / 1000 },
      });
    }
    for (const note of ready.notes) tracer.record('state', { detail: { name: note.name, ...note.detail } });
    for (const message of ready.messages) this.options.sendMessage(message);
    for (const reply of ready.replies) this.options.reply(reply);
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
