// Stable storage of one node: `<dataDir>/node.sqlite`, WAL with synchronous=FULL, so a
// committed transaction survives a SIGKILL and a power cut (the book, §4: what a node
// promised must outlive its crash). Two tables:
//   stable(key, value)  — the protocol core's durable state, JSON values;
//   meta(key, value)    — the runtime's own facts (clock reservations).

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { StableWrite } from '../contract/core.ts';
import type { MetaStore } from './causal-clock.ts';

export interface PersistResult {
  keys: string[];
  durationMs: number;
}

export interface StableStorage extends MetaStore {
  readonly file: string;
  /** One transaction, fsynced before it returns. `value: undefined` deletes the key. */
  persist(writes: readonly StableWrite[]): PersistResult;
  loadAll(): Map<string, unknown>;
  close(): void;
}

export const STABLE_FILE_NAME = 'node.sqlite';

export function openStableStorage(dataDir: string): StableStorage {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, STABLE_FILE_NAME);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS stable (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
  const upsert = db.prepare('INSERT INTO stable (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const remove = db.prepare('DELETE FROM stable WHERE key = ?');
  const selectAll = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM stable');
  const metaUpsert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const metaSelect = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const writeAll = db.transaction((writes: readonly StableWrite[]) => {
    for (const write of writes) {
      if (write.value === undefined) remove.run(write.key);
      else upsert.run(write.key, JSON.stringify(write.value));
    }
  });
  const writeMeta = db.transaction((entries: Record<string, number>) => {
    for (const [key, value] of Object.entries(entries)) metaUpsert.run(key, JSON.stringify(value));
  });
  let open = true;

  return {
    file,
    persist(writes) {
      const startedMs = performance.now();
      writeAll(writes);
      return { keys: writes.map((write) => write.key), durationMs: performance.now() - startedMs };
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
    close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}
