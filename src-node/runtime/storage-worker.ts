// The storage worker: a worker_thread that owns the node's writes to stable storage, so that
// the node's event loop keeps receiving and sending while the disk syncs (bundled to
// storage-worker.cjs beside every node bundle, see scripts/child-bundles.mjs).
//
// It commits groups of writes in the order they came, each group one SQLite transaction in
// WAL mode with synchronous=FULL (fsynced before the commit returns), and answers `durable`
// with the last group's sequence number. Group commit: every group that arrived while a
// transaction was syncing goes into the next transaction together, so the number of fsyncs
// adapts to the load by itself. A slow disk (the `slow-disk` fault) holds a group until its
// `notBeforeMs`; the groups behind it wait too, so the order holds.
//
// A SIGKILL of the process ends this thread too: a group not yet committed is lost, exactly as
// in a crash before an fsync.

import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { StorageReply, StorageRequest, StorageWorkerData, WriteGroup } from './stable-storage.ts';

function wallNowMs(): number {
  return performance.timeOrigin + performance.now();
}

function runStorageWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error('storage-worker.ts runs as a worker_thread');
  const { file, checkpointIntervalMs } = workerData as StorageWorkerData;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // Per connection: without it this connection's commits would not be fsynced.
  db.pragma('synchronous = FULL');
  const upsert = db.prepare('INSERT INTO stable (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const remove = db.prepare('DELETE FROM stable WHERE key = ?');
  const commit = db.transaction((groups: readonly WriteGroup[]) => {
    for (const group of groups) {
      for (const [key, json] of group.writes) {
        if (json === null) remove.run(key);
        else upsert.run(key, json);
      }
    }
  });

  const queue: WriteGroup[] = [];
  let scheduled = false;
  let waitTimer: NodeJS.Timeout | undefined;
  let closing = false;
  let closed = false;
  const post = (reply: StorageReply): void => port.postMessage(reply);

  function schedule(): void {
    if (scheduled || waitTimer !== undefined) return;
    scheduled = true;
    // After the poll phase: every group that arrived meanwhile is in the queue.
    setImmediate(drain);
  }

  function drain(): void {
    scheduled = false;
    if (closed) return;
    const nowMs = wallNowMs();
    let due = 0;
    while (due < queue.length && (closing || queue[due]!.notBeforeMs <= nowMs)) due += 1;
    if (due === 0) {
      const head = queue[0];
      if (head !== undefined) {
        waitTimer = setTimeout(() => {
          waitTimer = undefined;
          drain();
        }, Math.max(1, head.notBeforeMs - nowMs));
      }
      return;
    }
    const groups = queue.splice(0, due);
    const startedMs = performance.now();
    try {
      commit(groups);
    } catch (error) {
      post({ t: 'error', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    let writes = 0;
    for (const group of groups) writes += group.writes.length;
    post({ t: 'durable', seq: groups.at(-1)!.seq, groups: groups.length, writes, durationMs: performance.now() - startedMs });
    if (queue.length > 0) schedule();
  }

  // The event loop's connection commits too (writeNow) but never checkpoints: this thread
  // copies the WAL into the database now and then, passively (no writer waits for it).
  const checkpointTimer = setInterval(() => {
    if (closed || queue.length > 0) return;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      post({ t: 'error', message: `checkpoint: ${error instanceof Error ? error.message : String(error)}` });
    }
  }, checkpointIntervalMs);

  port.on('message', (request: StorageRequest) => {
    if (request.t === 'write') {
      queue.push(request.group);
      schedule();
      return;
    }
    // close: commit what is queued (a slow disk no longer holds it), then let the thread end.
    closing = true;
    clearTimeout(waitTimer);
    waitTimer = undefined;
    if (queue.length > 0) drain();
    closed = true;
    clearInterval(checkpointTimer);
    db.close();
    post({ t: 'closed' });
    port.close();
  });
}

runStorageWorker();
