// Hosts one protocol core (the etcd-raft "Ready" loop, with `step` returning the Ready).
// Every input runs to completion: the core steps, and its effects are applied in the
// contract's order — a step's state notes, messages and replies leave only once its writes,
// and those of every step before it, are durable. Nothing awaits in between.
//
// The writes of one turn of the event loop (every client request and peer message that
// arrived together) go to the disk as one group at the end of the turn (setImmediate, after
// the poll phase handed over all the input that was ready). The disk is a worker thread
// (stable-storage.ts), so the event loop need not wait for an fsync: it keeps receiving and
// stepping while the disk syncs, and the worker commits every group that arrived during one
// fsync in the next transaction — group commit at two levels, so one fsync covers many steps.
// One exception (handOver): when a held message or reply waits for the group and nothing is
// in flight at the worker, the event loop commits the group itself, since the wait is then on
// the critical path and two thread hand-offs would only lengthen it (a follower answering an
// append). A step's held effects apply, in step order, once its group is durable. Timer
// commands apply at once: they are the core's own schedule, not I/O.
//
// Pipelined cores (CoreContext.pipelined, contract/core.ts): a step's `early` messages and
// replies leave at once, without waiting for any write; at the end of every turn the host
// calls `flush` (a core batches work there, e.g. one AppendEntries per follower for all the
// turn's proposals), and once a step's writes are durable it calls `persisted` with the token
// the step handed out. Cores that implement neither see the plain contract.
//
// Status: the core's status goes to the supervisor when it changed, checked every STATUS_CHECK_MS
// but within a time share (STATUS_TIME_SHARE_MAX): a big status (Raft's holds the whole map)
// is reported less often under load instead of costing the node a fixed slice of its time.
// With `statusNotes`, a changed status is also recorded in the trace (a `status` note,
// contract/status-note.ts), rate-limited and always the newest, from the JSON already built
// to see the change: a recorded run then shows every protocol's view.
//
// A slow disk (`persistDelayMs`) holds each group that long in the worker before it commits
// (and the groups behind it): the writes, and every held effect, come that much later. The
// core has moved on meanwhile, exactly as a process whose fsync is slow; a crash during the
// delay loses the writes and the held messages together.

import type { CoreInput, CoreStatus, OutMessage, ProtocolCore, Ready, Reply, StableWrite } from '../contract/core.ts';
import type { TraceEvent, TraceKind } from '../contract/trace.ts';
import type { TraceFields } from './tracer.ts';
import type { DurableNotice, StableStorage } from './stable-storage.ts';
import { statusNoteDetail } from '../contract/status-note.ts';
import { StatusNoteLimiter, type StatusNoteLimits } from './status-note-limiter.ts';
import {
  MAX_CORE_TIMERS, MAX_HELD_STEPS, MAX_INLINE_GROUP_WRITES, STATUS_CHECK_MS, STATUS_DELAY_MS_MAX, STATUS_TIME_SHARE_MAX,
  TRACE_PERSIST_KEYS_MAX,
} from './limits.ts';

/** A core input without its time: the host stamps `nowMs` from the node clock. */
export type HostInput = CoreInput extends infer Input ? (Input extends CoreInput ? Omit<Input, 'nowMs'> : never) : never;

export interface CoreHostOptions {
  /** Created with `CoreContext.pipelined: true` when it implements `flush` or `persisted`. */
  core: ProtocolCore;
  storage: Pick<StableStorage, 'write' | 'writeNow' | 'inFlight'>;
  tracer: { record(kind: TraceKind, fields?: TraceFields): TraceEvent };
  nodeNowMs: () => number;
  persistDelayMs: number;
  sendMessage(message: OutMessage): void;
  reply(reply: Reply): void;
  onStatus(status: CoreStatus): void;
  /** A core threw (a failed assertion): the node must crash visibly. */
  onFatal(error: unknown): void;
  /** Called at the end of every turn that stepped the core, after its flush (the transport sends its batches now). */
  afterTurn?(): void;
  /** Record changed statuses in the trace within these limits; omitted: never. */
  statusNotes?: StatusNoteLimits;
}

/** A step's notes, messages and replies, waiting for the group `afterSeq` to be durable. */
interface HeldStep {
  afterSeq: number;
  ready: Ready;
}

/** A group of writes at the worker: what its `persist` trace event will say. */
interface GroupInFlight {
  seq: number;
  keys: string[];
  count: number;
  steps: number;
  /** The latest `persistedToken` of its steps, if any. */
  token: number | undefined;
}

export class CoreHost {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly held: HeldStep[] = [];
  private readonly groups: GroupInFlight[] = [];
  /** This turn's writes, handed to the worker as one group at the end of the turn. */
  private turnWrites: StableWrite[] = [];
  private turnWriteSteps = 0;
  private turnToken: number | undefined;
  private turnScheduled = false;
  /** The last group handed to the worker, and the last one it reported durable. */
  private lastSeq = 0;
  private durableSeq = 0;
  private persistDelayMs: number;
  private statusDirty = true;
  private lastStatusJson = '';
  /** performance.now() before which no periodic status report is made (the time share). */
  private nextStatusAtMs = 0;
  private readonly statusTimer: NodeJS.Timeout;
  /** Status JSON to record in the trace, rate-limited; null when statuses are not traced. */
  private readonly statusNotes: StatusNoteLimiter<string> | null;
  private closed = false;

  constructor(private readonly options: CoreHostOptions) {
    this.persistDelayMs = options.persistDelayMs;
    this.statusNotes = options.statusNotes === undefined ? null : new StatusNoteLimiter(options.statusNotes);
    this.statusTimer = setInterval(() => {
      const nowMs = performance.now();
      if (nowMs >= this.nextStatusAtMs) this.reportStatus();
      const due = this.statusNotes?.due(performance.now());
      if (due !== undefined) this.recordStatus(due);
    }, STATUS_CHECK_MS);
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

  /** The storage worker committed every group up to `notice.seq`. */
  onDurable(notice: DurableNotice): void {
    if (this.closed) return;
    try {
      this.durableSeq = notice.seq;
      let token: number | undefined;
      const keys: string[] = [];
      let count = 0;
      let steps = 0;
      while (this.groups.length > 0 && this.groups[0]!.seq <= notice.seq) {
        const group = this.groups.shift()!;
        for (const key of group.keys) if (keys.length < TRACE_PERSIST_KEYS_MAX) keys.push(key);
        count += group.count;
        steps += group.steps;
        token = group.token ?? token;
      }
      this.options.tracer.record('persist', {
        detail: { keys, count, durationMs: Math.round(notice.durationMs * 1000) / 1000, ...(steps > 1 ? { steps } : {}) },
      });
      while (this.held.length > 0 && this.held[0]!.afterSeq <= notice.seq) this.applyEffects(this.held.shift()!.ready);
      const core = this.options.core;
      if (token !== undefined && core.persisted !== undefined) {
        const ready = core.persisted(token, this.options.nodeNowMs());
        this.statusDirty = true;
        this.submit(ready);
      }
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
    const startedMs = performance.now();
    let status: CoreStatus;
    try {
      status = this.options.core.status();
    } catch (error) {
      this.options.onFatal(error);
      return;
    }
    const json = JSON.stringify(status);
    if (json !== this.lastStatusJson) {
      this.lastStatusJson = json;
      this.options.onStatus(status);
      const now = this.statusNotes?.offer(json, performance.now());
      if (now !== undefined) this.recordStatus(now);
    }
    const endedMs = performance.now();
    this.nextStatusAtMs = endedMs + Math.min((endedMs - startedMs) / STATUS_TIME_SHARE_MAX, STATUS_DELAY_MS_MAX);
  }

  close(): void {
    // The newest status still waiting for its interval is the node's last: recorded now or never.
    const waiting = this.closed ? undefined : this.statusNotes?.takeWaiting();
    if (waiting !== undefined) this.recordStatus(waiting);
    this.closed = true;
    clearInterval(this.statusTimer);
    // Held effects are lost with the process, as in a crash; writes the worker holds are
    // committed by the storage's close (an orderly stop), or lost with it (a crash).
    this.held.length = 0;
    this.turnWrites = [];
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * One status note. It is parsed back from its JSON rather than kept as the object: the
   * event waits in the tracer's batch (and a kept-back one up to an interval), and a core may
   * hand out parts of its live state in its status, which would change under the event.
   */
  private recordStatus(json: string): void {
    const detail = statusNoteDetail(JSON.parse(json) as CoreStatus, json);
    this.options.tracer.record('state', { detail });
    // What the note holds counts against the budget, not the data it left out.
    this.statusNotes?.spent(detail.omitted === undefined ? json.length : JSON.stringify(detail.status).length);
  }

  private submit(ready: Ready): void {
    this.applyTimers(ready);
    if (ready.persist.length > 0) {
      for (const write of ready.persist) this.turnWrites.push(write);
      this.turnWriteSteps += 1;
      if (ready.persistedToken !== undefined) this.turnToken = ready.persistedToken;
    }
    this.scheduleTurnEnd();
    if (ready.early !== undefined) {
      for (const message of ready.early.messages) this.options.sendMessage(message);
      for (const reply of ready.early.replies) this.options.reply(reply);
    }
    // The group that carries this turn's writes, or the last one in flight; never before an earlier held step.
    const afterSeq = Math.max(this.turnWrites.length > 0 ? this.lastSeq + 1 : this.lastSeq, this.held.at(-1)?.afterSeq ?? 0);
    if (afterSeq <= this.durableSeq) {
      this.applyEffects(ready);
      return;
    }
    if (ready.notes.length === 0 && ready.messages.length === 0 && ready.replies.length === 0) return;
    if (this.held.length >= MAX_HELD_STEPS) {
      // Effects cannot be dropped (a persisted write is a promise): fail visibly instead.
      throw new Error(`more than ${MAX_HELD_STEPS} steps wait for the disk`);
    }
    this.held.push({ afterSeq, ready });
  }

  private scheduleTurnEnd(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.onTurnEnd());
  }

  /** The end of a turn: the core's flush, then this turn's writes to the worker as one group. */
  private onTurnEnd(): void {
    if (this.closed) return;
    try {
      const core = this.options.core;
      if (core.flush !== undefined) {
        const ready = core.flush(this.options.nodeNowMs());
        this.statusDirty = true;
        this.submit(ready);
      }
      this.turnScheduled = false;
      // What waits in the transport now is early or belongs to steps already durable: it may
      // leave before this turn's writes are handed over (a follower's disk is on the critical path, ours not).
      this.options.afterTurn?.();
      if (this.turnWrites.length > 0) this.handOver();
    } catch (error) {
      this.options.onFatal(error);
    }
  }

  /**
   * This turn's writes to the disk as one group. Where it commits: on this thread, when a
   * message or reply waits for it and the worker is idle (a follower's answer to an append:
   * the fsync is on the critical path, and two thread hand-offs would only add to it); else in
   * the worker, so the event loop goes on (a leader's own log write, which its early appends
   * do not wait for, a big group such as a snapshot, or a group behind others in flight).
   */
  private handOver(): void {
    const writes = this.turnWrites;
    const storage = this.options.storage;
    const nextSeq = this.lastSeq + 1;
    const inline = this.persistDelayMs === 0 && storage.inFlight === 0 && writes.length <= MAX_INLINE_GROUP_WRITES
      && this.someoneWaitsFor(nextSeq);
    const notice = inline ? storage.writeNow(writes) : undefined;
    const seq = notice?.seq ?? storage.write(writes, this.persistDelayMs);
    if (seq !== nextSeq) throw new Error(`storage returned group ${seq} after ${this.lastSeq}`);
    this.lastSeq = seq;
    this.groups.push({
      seq, keys: writes.slice(0, TRACE_PERSIST_KEYS_MAX).map((write) => write.key), count: writes.length,
      steps: this.turnWriteSteps, token: this.turnToken,
    });
    this.turnWrites = [];
    this.turnWriteSteps = 0;
    this.turnToken = undefined;
    if (notice === undefined) return;
    this.onDurable(notice);
    // What was waiting leaves now, not a loop iteration later.
    this.options.afterTurn?.();
  }

  /** A held message or reply waits for group `seq` (held steps are in order: look from the end). */
  private someoneWaitsFor(seq: number): boolean {
    for (let index = this.held.length - 1; index >= 0 && this.held[index]!.afterSeq === seq; index -= 1) {
      const ready = this.held[index]!.ready;
      if (ready.messages.length > 0 || ready.replies.length > 0) return true;
    }
    return false;
  }

  /** What leaves the process; only after the step's writes (and every earlier step's) are durable. */
  private applyEffects(ready: Ready): void {
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
