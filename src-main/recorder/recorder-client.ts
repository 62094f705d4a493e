// The lab's handle on the trace recorder, a child process that owns the run's SQLite file
// (recorder-main.ts). The lab runs inside Electron's main process, which loads no native
// module (VERSIONS.md), so this side only speaks IPC: no better-sqlite3 here.
//
// Ordering: appends and calls travel one channel and the child handles them in order, so
// every call sees every event appended before it (read-your-writes), and `flush()`
// resolves once all of them are committed.
//
// Backpressure: at most APPEND_IN_FLIGHT_MAX batches wait for the child's commit. While the
// child is behind, new events gather here and leave as one bigger batch when a commit
// comes back, so a slow disk costs fewer, larger transactions rather than a growing queue
// of small messages. Past APPEND_PENDING_MAX_EVENTS waiting events, new ones are dropped
// and counted: the trace says so (`recorderDroppedEvents`), the lab keeps its memory.

import { fork, type ChildProcess } from 'node:child_process';
import { serialize } from 'node:v8';
import { childEntry, nodeBinary } from '../supervisor/child-entry.ts';
import type { EventQuery } from '../../src-node/contract/lab-api.ts';
import type { RunMetadata, StoredEvent, TraceEvent } from '../../src-node/contract/trace.ts';
import {
  APPEND_BATCH_MAX_EVENTS, APPEND_IN_FLIGHT_MAX, APPEND_PENDING_MAX_EVENTS, CLOSE_TIMEOUT_MS, OPEN_TIMEOUT_MS,
  type ExportOutcome, type ExportRequest, type FromRecorder, type NodeInfo, type NodeRecord, type RecorderCalls,
  type RecorderMethod, type RunRecord, type ToRecorder,
} from './recorder-protocol.ts';

export type { ExportOutcome, ExportRequest, NodeInfo, NodeRecord, RunRecord } from './recorder-protocol.ts';

/** Bytes of the child's stderr kept to explain an unexpected exit. */
const STDERR_TAIL_BYTES = 4_096;

export interface RecorderOptions {
  tracePath: string;
  /** `create`: a new trace (the path must not hold one); `read`: an existing trace, never modified. */
  mode: 'create' | 'read';
  /** Written to the run table when a trace is created. */
  run?: RunMetadata;
  /** The Node binary to run the child with; default nodeBinary(). */
  nodeBinary?: string;
  /** The bundled child; default recorderEntry(). */
  entry?: string;
  /** Events held while the recorder is behind before new ones are dropped; default APPEND_PENDING_MAX_EVENTS. */
  pendingMaxEvents?: number;
  /** Where warnings go (dropped or rejected events); default console.warn. */
  onWarning?: (message: string) => void;
}

export interface RecorderStats {
  /** Events handed to append(). */
  appended: number;
  /** Events committed to the trace. */
  committed: number;
  /** Malformed events the recorder refused (a producer bug; the warning quotes them). */
  rejected: number;
  /** Events dropped here: the recorder was too far behind, gone, or closed. */
  dropped: number;
  /** Events of batches the recorder could not commit (e.g. disk full). */
  lost: number;
  /** Events waiting here to be sent. */
  pending: number;
  inFlightBatches: number;
  /** Append messages sent: far fewer than append() calls when the recorder is behind. */
  batches: number;
}

export interface Recorder {
  readonly tracePath: string;
  readonly mode: 'create' | 'read';
  /** The child's process id (undefined if it could not be started). */
  readonly pid: number | undefined;
  /**
   * Queues events for the trace, in order. Fire-and-forget: problems show in stats(), in
   * warnings, and as a rejection of the next flush(). The array is not copied: do not
   * change it afterwards. Throws only on a read-only recorder (a programmer error).
   */
  append(events: readonly TraceEvent[]): void;
  upsertNode(info: NodeInfo): Promise<void>;
  setRunMeta(partial: Partial<RunMetadata> & Record<string, unknown>): Promise<void>;
  run(): Promise<RunRecord>;
  nodes(): Promise<NodeRecord[]>;
  query(query: EventQuery): Promise<StoredEvent[]>;
  count(): Promise<number>;
  /** A consistent copy of the trace (SQLite online backup) while appends go on; resolves to its size in bytes. */
  copyTo(path: string): Promise<number>;
  exportTo(request: ExportRequest): Promise<ExportOutcome>;
  /** Resolves when every event appended so far is committed; rejects if some could not be. */
  flush(): Promise<void>;
  /** Commits, closes the database and waits for the child to exit. Idempotent. */
  close(): Promise<void>;
  stats(): RecorderStats;
}

/** How long a failed send waits for the child's exit to explain it. */
export const SEND_FAILURE_GRACE_MS = 1_000;

/** The bundled recorder, out/node/recorder.cjs; DISTLAB_RECORDER_ENTRY overrides it (tests). */
export function recorderEntry(): string {
  const override = process.env['DISTLAB_RECORDER_ENTRY'];
  return override !== undefined && override !== '' ? override : childEntry('recorder');
}

export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  if (typeof options?.tracePath !== 'string' || options.tracePath === '') {
    throw new Error('startRecorder: tracePath is required');
  }
  if (options.mode !== 'create' && options.mode !== 'read') {
    throw new Error(`startRecorder: mode must be 'create' or 'read', got ${String(options.mode)}`);
  }
  const binary = options.nodeBinary ?? nodeBinary();
  const child = fork(options.entry ?? recorderEntry(), [], {
    execPath: binary,
    // Not the parent's flags: under tsx or Electron they mean nothing to a bundled child.
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const client = new RecorderClient(child, options, binary);
  await client.open();
  return client;
}

interface PendingCall {
  method: RecorderMethod;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

class RecorderClient implements Recorder {
  readonly tracePath: string;
  readonly mode: 'create' | 'read';
  private readonly child: ChildProcess;
  private readonly options: RecorderOptions;
  private readonly binary: string;
  private readonly warn: (message: string) => void;
  private readonly calls = new Map<number, PendingCall>();
  private readonly exited: Promise<void>;
  private nextCallId = 1;
  private nextBatch = 1;
  private readonly batchSizes = new Map<number, number>();
  private pending: (readonly TraceEvent[])[] = [];
  private pendingCount = 0;
  private pumpScheduled = false;
  private dropping = false;
  /** Set once the child is gone or closing: the reason later calls are refused. */
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private lostSinceFlush: string[] = [];
  private lostCountSinceFlush = 0;
  private stderrTail = '';
  private opened: ((error: Error | null) => void) | null = null;
  private readonly counters = { appended: 0, committed: 0, rejected: 0, dropped: 0, lost: 0, batches: 0 };

  constructor(child: ChildProcess, options: RecorderOptions, binary: string) {
    this.child = child;
    this.options = options;
    this.binary = binary;
    this.tracePath = options.tracePath;
    this.mode = options.mode;
    this.warn = options.onWarning ?? ((message) => console.warn(`[recorder] ${message}`));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      process.stderr.write(chunk);
    });
    child.on('message', (message: FromRecorder) => this.receive(message));
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        this.fail(new Error(`cannot run the trace recorder with ${this.binary}: ${error.message}`));
        if (child.exitCode !== null || child.pid === undefined) resolve();
      });
      child.on('exit', (code, signal) => {
        this.fail(new Error(
          `the trace recorder exited (${signal ?? `code ${String(code)}`})` +
          (this.stderrTail.trim() === '' ? '' : `: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}`),
        ));
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends the open request and waits for the child's answer; on failure, for its exit too. */
  async open(): Promise<void> {
    const outcome = new Promise<Error | null>((resolve) => { this.opened = resolve; });
    const timer = setTimeout(() => this.opened?.(new Error(`no answer within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    this.post({ t: 'open', request: { tracePath: this.tracePath, mode: this.mode, run: this.options.run } });
    const error = await outcome;
    clearTimeout(timer);
    this.opened = null;
    if (error === null) return;
    this.child.kill('SIGKILL');
    await this.exited;
    throw new Error(`cannot open trace ${this.tracePath}: ${error.message}`);
  }

  append(events: readonly TraceEvent[]): void {
    if (this.mode === 'read') throw new Error(`cannot append to ${this.tracePath}: it is open read-only`);
    if (events.length === 0) return;
    this.counters.appended += events.length;
    if (this.failure !== null || this.closing !== null) {
      this.drop(events.length, this.failure?.message ?? 'the recorder is closing');
      return;
    }
    if (this.pendingCount + events.length > (this.options.pendingMaxEvents ?? APPEND_PENDING_MAX_EVENTS)) {
      this.drop(events.length, `the recorder is ${this.pendingCount} events behind`);
      return;
    }
    this.dropping = false;
    this.pending.push(events);
    this.pendingCount += events.length;
    if (!this.pumpScheduled) {
      // Appends made in the same turn of the event loop leave as one batch.
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        this.pump(APPEND_IN_FLIGHT_MAX);
      });
    }
  }

  upsertNode(info: NodeInfo): Promise<void> {
    return this.call('upsertNode', info);
  }

  setRunMeta(partial: Partial<RunMetadata> & Record<string, unknown>): Promise<void> {
    return this.call('setRunMeta', partial);
  }

  run(): Promise<RunRecord> {
    return this.call('run', null);
  }

  nodes(): Promise<NodeRecord[]> {
    return this.call('nodes', null);
  }

  query(query: EventQuery): Promise<StoredEvent[]> {
    return this.call('query', query);
  }

  count(): Promise<number> {
    return this.call('count', null);
  }

  copyTo(target: string): Promise<number> {
    return this.call('copyTo', { path: target });
  }

  exportTo(request: ExportRequest): Promise<ExportOutcome> {
    return this.call('exportTo', request);
  }

  async flush(): Promise<void> {
    await this.call('flush', null);
    if (this.lostCountSinceFlush === 0) return;
    const message = `${this.lostCountSinceFlush} events could not be stored: ${this.lostSinceFlush.join('; ')}`;
    this.lostSinceFlush = [];
    this.lostCountSinceFlush = 0;
    throw new Error(message);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): RecorderStats {
    return {
      ...this.counters,
      pending: this.pendingCount,
      inFlightBatches: this.batchSizes.size,
    };
  }

  /**
   * Asks the child to commit and close, then waits for it to exit. A child that has not
   * exited CLOSE_TIMEOUT_MS after close() began (a hung disk, a huge export) is killed:
   * close() must not leave a process behind.
   */
  private async shutdown(): Promise<void> {
    const killer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
    try {
      if (this.failure === null) {
        const reply = this.call('close', { droppedEvents: this.counters.dropped }, true);
        this.failure = new Error(`the trace recorder of ${this.tracePath} is closed`);
        try {
          await reply;
        } finally {
          if (this.child.connected) this.child.disconnect();
        }
      }
      await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }

  private call<M extends RecorderMethod>(
    method: M, args: RecorderCalls[M]['args'], evenWhenClosing = false,
  ): Promise<RecorderCalls[M]['result']> {
    if (this.failure !== null) return Promise.reject(new Error(`${method}: ${this.failure.message}`));
    if (this.closing !== null && !evenWhenClosing) {
      return Promise.reject(new Error(`${method}: the trace recorder of ${this.tracePath} is closing`));
    }
    // Everything appended before this call goes first, so the call sees it.
    this.pump(Number.POSITIVE_INFINITY);
    const id = this.nextCallId++;
    return new Promise((resolve, reject) => {
      try {
        this.post({ t: 'call', id, method, args });
      } catch (error) {
        reject(new Error(`${method}: its arguments cannot be sent to the recorder: ${(error as Error).message}`));
        return;
      }
      this.calls.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Sends waiting events while fewer than `inFlightMax` batches await their commit. */
  private pump(inFlightMax: number): void {
    while (this.pendingCount > 0 && this.batchSizes.size < inFlightMax && this.failure === null) {
      const events = this.takeBatch();
      const batch = this.nextBatch++;
      this.batchSizes.set(batch, events.length);
      this.counters.batches++;
      try {
        this.post({ t: 'append', batch, events });
      } catch {
        // Something in the batch cannot cross the channel (a function, a class instance with
        // private fields…). Refuse those events alone; the rest of the batch goes on.
        const cloneable = events.filter((event) => this.cloneable(event));
        this.batchSizes.set(batch, cloneable.length);
        this.post({ t: 'append', batch, events: cloneable });
      }
    }
  }

  private cloneable(event: TraceEvent): boolean {
    try {
      serialize(event);
      return true;
    } catch (error) {
      this.counters.rejected++;
      this.warn(`trace event ${String(event?.node)}#${String(event?.seq)} refused: ${(error as Error).message}`);
      return false;
    }
  }

  private takeBatch(): TraceEvent[] {
    const batch: TraceEvent[] = [];
    while (this.pending.length > 0 && batch.length < APPEND_BATCH_MAX_EVENTS) {
      const head = this.pending[0]!;
      const room = APPEND_BATCH_MAX_EVENTS - batch.length;
      if (head.length <= room) {
        for (const event of head) batch.push(event);
        this.pending.shift();
      } else {
        for (let i = 0; i < room; i++) batch.push(head[i]!);
        this.pending[0] = head.slice(room);
      }
    }
    this.pendingCount -= batch.length;
    return batch;
  }

  private receive(message: FromRecorder): void {
    switch (message.t) {
      case 'opened':
        this.opened?.(null);
        return;
      case 'open-failed':
        this.opened?.(new Error(message.message));
        return;
      case 'appended':
        this.onAppended(message);
        return;
      case 'result': {
        const call = this.calls.get(message.id);
        if (call === undefined) return;
        this.calls.delete(message.id);
        if (message.ok) call.resolve(message.value);
        else call.reject(new Error(`${call.method}: ${message.message}`));
        return;
      }
    }
  }

  private onAppended(message: Extract<FromRecorder, { t: 'appended' }>): void {
    const size = this.batchSizes.get(message.batch) ?? 0;
    this.batchSizes.delete(message.batch);
    this.counters.committed += message.stored;
    if (message.rejected > 0) {
      this.counters.rejected += message.rejected;
      this.warn(`${message.rejected} malformed trace events refused, e.g. ${message.problems.join('; ')}`);
    }
    if (message.error !== undefined) {
      this.counters.lost += size;
      this.lostCountSinceFlush += size;
      if (this.lostSinceFlush.length < 3) this.lostSinceFlush.push(message.error);
      this.warn(`a batch of ${size} trace events was lost: ${message.error}`);
    }
    this.pump(APPEND_IN_FLIGHT_MAX);
  }

  private drop(count: number, reason: string): void {
    this.counters.dropped += count;
    if (this.dropping) return;
    this.dropping = true;
    this.warn(`dropping trace events: ${reason}`);
  }

  /** Throws when the message cannot be serialized; a closed channel is the exit handler's to explain. */
  private post(message: ToRecorder): void {
    if (!this.child.connected) return;
    this.child.send(message, (error) => {
      if (error === null || error === undefined) return;
      // A send that fails (EPIPE) usually means the child just died: let its exit, which
      // says why, come first; fail on the send error only if no exit follows.
      const unreachable = new Error(`cannot reach the trace recorder: ${error.message}`);
      setTimeout(() => this.fail(unreachable), SEND_FAILURE_GRACE_MS).unref();
    });
  }

  /** The child is gone (or unreachable): refuse what waits and what comes. */
  private fail(error: Error): void {
    this.opened?.(error);
    if (this.failure === null) this.failure = error;
    const unsent = this.pendingCount + [...this.batchSizes.values()].reduce((sum, size) => sum + size, 0);
    if (unsent > 0 && this.closing === null) this.drop(unsent, `${error.message}; these events may be lost`);
    this.pending = [];
    this.pendingCount = 0;
    this.batchSizes.clear();
    for (const [id, call] of this.calls) {
      this.calls.delete(id);
      call.reject(new Error(`${call.method}: ${error.message}`));
    }
  }
}
