// Stable storage of one node: `<dataDir>/node.sqlite`, WAL with synchronous=FULL, so a
// committed transaction survives a SIGKILL and a power cut (the book, §4: what a node
// promised must outlive its crash). Two tables:
//   stable(key, value)  — the protocol core's durable state, JSON values;
//   meta(key, value)    — the runtime's own facts (clock reservations).
//
// Two connections. The core's writes go to a worker_thread (storage-worker.ts) that commits
// them in order, group by group, and reports each group durable: the event loop need not wait
// for an fsync, and every group that arrives during one fsync shares the next. The event
// loop keeps a connection of its own for what must be synchronous: loading the state at
// start, the clock's rare reservations (causal-clock.ts), which must be durable before the
// values they cover are used, and `writeNow`, a group it commits itself when nothing is in
// flight at the worker (core-host.ts says when). SQLite's WAL lets both write to one file;
// a second writer waits (busy timeout) for the other's commit. Only the worker checkpoints.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StableWrite } from '../contract/core.ts';
import type { MetaStore } from './causal-clock.ts';
import { MAX_STORAGE_GROUPS_IN_FLIGHT, STORAGE_CLOSE_TIMEOUT_MS, WAL_CHECKPOINT_INTERVAL_MS } from './limits.ts';

/** One group of writes, as the worker gets it: values already JSON (null deletes the key). */
export interface WriteGroup {
  seq: number;
  writes: [key: string, json: string | null][];
  /** Wall-clock ms (timeOrigin + now) before which the worker does not commit it: the slow-disk fault. */
  notBeforeMs: number;
}

export type StorageRequest = { t: 'write'; group: WriteGroup } | { t: 'close' };

export type StorageReply =
  | { t: 'durable'; seq: number; groups: number; writes: number; durationMs: number }
  | { t: 'error'; message: string }
  | { t: 'closed' };

export interface StorageWorkerData {
  file: string;
  checkpointIntervalMs: number;
}

/** Every group up to `seq` is on disk; `groups` of them went in this one transaction of `writes` rows. */
export interface DurableNotice {
  seq: number;
  groups: number;
  writes: number;
  durationMs: number;
}

export interface StorageEvents {
  onDurable(notice: DurableNotice): void;
  /** The worker failed (a failed commit, a thread that died): the node must crash visibly. */
  onError(error: Error): void;
}

export interface StableStorage extends MetaStore {
  readonly file: string;
  /**
   * Hands one group of writes to the worker and returns its sequence number (1, 2, …).
   * `onDurable` reports it once it and every earlier group are committed and fsynced.
   * `delayMs` > 0 holds it that long first (a slow disk). `value: undefined` deletes the key.
   */
  write(writes: readonly StableWrite[], delayMs: number): number;
  /**
   * Commits one group on the calling thread, fsynced before it returns, and returns its
   * sequence number and notice (which `onDurable` does not repeat). Only when nothing is in
   * flight at the worker, so the order of groups holds.
   */
  writeNow(writes: readonly StableWrite[]): DurableNotice;
  /** Groups handed over and not yet reported durable. */
  readonly inFlight: number;
  loadAll(): Map<string, unknown>;
  /** Commits what the worker holds, then closes both connections. */
  close(): Promise<void>;
}

export const STABLE_FILE_NAME = 'node.sqlite';
export const STORAGE_WORKER_FILE = 'storage-worker.cjs';

/** The worker's bundle beside this node's bundle (scripts/child-bundles.mjs puts it there). */
function defaultWorkerFile(): string {
  if (typeof __dirname !== 'string') {
    throw new Error('stable storage outside a bundle: pass workerFile (a storage-worker.cjs built by scripts/child-bundles.mjs)');
  }
  return path.join(__dirname, STORAGE_WORKER_FILE);
}

export interface StableStorageOptions {
  /** The storage worker's script; default: storage-worker.cjs beside the running bundle. */
  workerFile?: string;
}

export function openStableStorage(dataDir: string, events: StorageEvents, options: StableStorageOptions = {}): StableStorage {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, STABLE_FILE_NAME);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Checkpoints are the worker's (storage-worker.ts): none on the event loop.
  db.pragma('wal_autocheckpoint = 0');
  db.exec(`
    CREATE TABLE IF NOT EXISTS stable (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
  const selectAll = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM stable');
  const metaUpsert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const metaSelect = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const upsert = db.prepare('INSERT INTO stable (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const remove = db.prepare('DELETE FROM stable WHERE key = ?');
  const writeNow = db.transaction((writes: readonly StableWrite[]) => {
    for (const write of writes) {
      if (write.value === undefined) remove.run(write.key);
      else upsert.run(write.key, JSON.stringify(write.value));
    }
  });
  const writeMeta = db.transaction((entries: Record<string, number>) => {
    for (const [key, value] of Object.entries(entries)) metaUpsert.run(key, JSON.stringify(value));
  });

  const worker = new Worker(options.workerFile ?? defaultWorkerFile(), { workerData: { file, checkpointIntervalMs: WAL_CHECKPOINT_INTERVAL_MS } satisfies StorageWorkerData });
  let lastSeq = 0;
  let durableSeq = 0;
  let lastNotBeforeMs = 0;
  let state: 'open' | 'closing' | 'closed' = 'open';
  let onClosed: (() => void) | undefined;
  const fail = (error: Error): void => {
    if (state === 'open') events.onError(error);
  };
  worker.on('message', (reply: StorageReply) => {
    if (reply.t === 'durable') {
      durableSeq = reply.seq;
      events.onDurable({ seq: reply.seq, groups: reply.groups, writes: reply.writes, durationMs: reply.durationMs });
    } else if (reply.t === 'error') {
      fail(new Error(`stable storage: ${reply.message}`));
    } else {
      onClosed?.();
    }
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => {
    fail(new Error(`stable storage: the storage worker exited (code ${code})`));
    onClosed?.();
  });

  return {
    file,
    get inFlight() {
      return lastSeq - durableSeq;
    },
    write(writes, delayMs) {
      if (state !== 'open') throw new Error('stable storage is closed');
      if (lastSeq - durableSeq >= MAX_STORAGE_GROUPS_IN_FLIGHT) {
        // A write cannot be dropped (it is a promise): fail visibly instead.
        throw new Error(`more than ${MAX_STORAGE_GROUPS_IN_FLIGHT} groups of writes wait for the disk`);
      }
      lastSeq += 1;
      const nowMs = performance.timeOrigin + performance.now();
      // Groups commit in order, so a later group never comes due before an earlier one.
      lastNotBeforeMs = delayMs > 0 ? Math.max(lastNotBeforeMs, nowMs + delayMs) : lastNotBeforeMs;
      const group: WriteGroup = {
        seq: lastSeq,
        writes: writes.map((write) => [write.key, write.value === undefined ? null : JSON.stringify(write.value)]),
        notBeforeMs: lastNotBeforeMs,
      };
      worker.postMessage({ t: 'write', group } satisfies StorageRequest);
      return lastSeq;
    },
    writeNow(writes) {
      if (state !== 'open') throw new Error('stable storage is closed');
      if (lastSeq !== durableSeq) throw new Error(`writeNow with ${lastSeq - durableSeq} groups in flight at the worker`);
      const startedMs = performance.now();
      writeNow(writes);
      lastSeq += 1;
      durableSeq = lastSeq;
      return { seq: lastSeq, groups: 1, writes: writes.length, durationMs: performance.now() - startedMs };
    },
    loadAll() {
      const stable = new Map<string, unknown>();
      for (const row of selectAll.all()) stable.set(row.key, JSON.parse(row.value));
      return stable;
    },
    getMeta(key) {
      const row = metaSelect.get(key);
      return row === undefined ? undefined : (JSON.parse(row.value) as number);
    },
    setMeta(entries) {
      writeMeta(entries);
    },
    async close() {
      if (state !== 'open') return;
      state = 'closing';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STORAGE_CLOSE_TIMEOUT_MS);
        onClosed = () => {
          clearTimeout(timer);
          resolve();
        };
        worker.postMessage({ t: 'close' } satisfies StorageRequest);
      });
      state = 'closed';
      await worker.terminate();
      db.close();
    },
  };
}
