// The trace file: one SQLite database per run (docs/trace-schema.md). Runs only in the
// recorder child process, the one place of the lab that loads better-sqlite3.

import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { EventQuery } from '../../src-node/contract/lab-api.ts';
import { CAUSAL_KINDS, type RunMetadata, type StoredEvent, type TraceEvent, type TraceKind } from '../../src-node/contract/trace.ts';
import { buildEventQuery } from '../trace/event-query.ts';
import {
  EVENT_INSERT_SQL, EVENT_SELECT_COLUMNS, eventProblem, eventRowValues, processKindOf, rowToStoredEvent,
  type EventRow, type EventRowValues,
} from '../trace/event-row.ts';
import { jsonlEventLine, jsonlRunLine } from '../trace/jsonl.ts';
import {
  SCHEMA_VERSION_KEY, TRACE_APPLICATION_ID, TRACE_SCHEMA_SQL, TRACE_SCHEMA_VERSION, TRACE_TABLES,
} from '../trace/schema.ts';
import { shivizLines, type ShivizEvent } from '../trace/shiviz.ts';
import {
  APPEND_PROBLEMS_QUOTED, EXPORT_PAGE_EVENTS,
  type AppendOutcome, type ExportOutcome, type ExportRequest, type NodeInfo, type NodeRecord, type ProcessKind,
  type RunRecord,
} from './recorder-protocol.ts';

const PREPARED_QUERY_CACHE_MAX = 64;
/**
 * Opening for reading runs SQLite's quick_check (reads every page) on traces up to this
 * size; a larger one opens at once and a damaged page shows up as an error of the query
 * that reaches it.
 */
const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;
/** Lines joined into one write() during an export. */
const EXPORT_WRITE_LINES = 2_000;

interface NodeRow {
  process_id: string;
  kind: ProcessKind;
  url: string | null;
  first_seen_lab_ms: number | null;
  last_seen_lab_ms: number | null;
  restarts: number;
}

export class TraceDb {
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly tracePath: string;
  private readonly insertEvent: Database.Statement;
  private readonly touchNode: Database.Statement;
  private readonly queries = new Map<string, Database.Statement>();
  private eventCount: number;

  /** Creates a new trace. Refuses a path that already holds data: a run never appends to another. */
  static create(tracePath: string, run: RunMetadata | undefined): TraceDb {
    if (existsSync(tracePath) && statSync(tracePath).size > 0) {
      throw new Error(`${tracePath} already exists; a new run needs a new trace file (open an old one with mode 'read')`);
    }
    // A -wal file without its database would be replayed into the new one: it belongs to nothing.
    for (const suffix of ['-wal', '-shm']) rmSync(tracePath + suffix, { force: true });
    mkdirSync(path.dirname(tracePath), { recursive: true });
    const db = new Database(tracePath);
    try {
      db.pragma('journal_mode = WAL');
      // A trace must survive a kill of any process (the lab's included), not a power cut:
      // with NORMAL, a WAL commit is durable once the OS has it; only the checkpoint
      // fsyncs. FULL would fsync every batch and cap the trace far below the ~60,000
      // events/s the lab produces (VERSIONS.md: ~154 µs vs ~11.5 µs per commit).
      db.pragma('synchronous = NORMAL');
      db.pragma(`application_id = ${TRACE_APPLICATION_ID}`);
      db.pragma(`user_version = ${TRACE_SCHEMA_VERSION}`);
      db.transaction(() => {
        db.exec(TRACE_SCHEMA_SQL);
        const setRun = db.prepare('INSERT INTO run (key, value) VALUES (?, ?)');
        setRun.run(SCHEMA_VERSION_KEY, JSON.stringify(TRACE_SCHEMA_VERSION));
        for (const [key, value] of Object.entries(run ?? {})) {
          if (value !== undefined) setRun.run(key, JSON.stringify(value));
        }
      })();
      return new TraceDb(db, tracePath, false);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Opens an existing trace read-only, after checking that it is one; never writes to the file. */
  static openForReading(tracePath: string): TraceDb {
    if (!existsSync(tracePath)) throw new Error(`${tracePath} does not exist`);
    const db = new Database(tracePath, { readonly: true, fileMustExist: true });
    try {
      checkIsTrace(db, tracePath);
      return new TraceDb(db, tracePath, true);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(db: Database.Database, tracePath: string, readonly: boolean) {
    this.db = db;
    this.tracePath = tracePath;
    this.readonly = readonly;
    this.insertEvent = db.prepare(EVENT_INSERT_SQL);
    this.touchNode = db.prepare(
      `INSERT INTO nodes (process_id, kind, first_seen_lab_ms, last_seen_lab_ms, restarts)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (process_id) DO UPDATE SET
         first_seen_lab_ms = min(coalesce(first_seen_lab_ms, excluded.first_seen_lab_ms), excluded.first_seen_lab_ms),
         last_seen_lab_ms = max(coalesce(last_seen_lab_ms, excluded.last_seen_lab_ms), excluded.last_seen_lab_ms),
         restarts = max(restarts, excluded.restarts)`,
    );
    this.eventCount = (db.prepare('SELECT count(*) FROM events').pluck().get() as number);
  }

  /** Stores one batch in one transaction; malformed events are counted and skipped. */
  append(events: readonly unknown[]): AppendOutcome {
    this.assertWritable();
    const outcome: AppendOutcome = { stored: 0, rejected: 0, problems: [] };
    const seen = new Map<string, { first: number; last: number; restarts: number }>();
    this.db.transaction(() => {
      for (const candidate of events) {
        const problem = eventProblem(candidate);
        if (problem !== null) {
          outcome.rejected++;
          if (outcome.problems.length < APPEND_PROBLEMS_QUOTED) outcome.problems.push(problem);
          continue;
        }
        const event = candidate as TraceEvent;
        let values: EventRowValues;
        try {
          values = eventRowValues(event);
        } catch (error) {
          // e.g. a BigInt in the detail: JSON cannot hold it. Refuse this event, keep the batch.
          outcome.rejected++;
          if (outcome.problems.length < APPEND_PROBLEMS_QUOTED) {
            outcome.problems.push(`${event.node}#${event.seq}: ${(error as Error).message}`);
          }
          continue;
        }
        this.insertEvent.run(...values);
        outcome.stored++;
        noteSeen(seen, event);
      }
      for (const [id, span] of seen) {
        this.touchNode.run(id, processKindOf(id), span.first, span.last, span.restarts);
      }
    })();
    this.eventCount += outcome.stored;
    return outcome;
  }

  upsertNode(info: NodeInfo): void {
    this.assertWritable();
    if (typeof info?.id !== 'string' || info.id === '') throw new Error('upsertNode: id must be a non-empty string');
    if (info.kind !== undefined && !['node', 'client', 'lab'].includes(info.kind)) {
      throw new Error(`upsertNode: kind must be node, client or lab, got ${String(info.kind)}`);
    }
    const old = this.db.prepare('SELECT * FROM nodes WHERE process_id = ?').get(info.id) as NodeRow | undefined;
    const seen = info.seenAtLabMs;
    const row: NodeRow = {
      process_id: info.id,
      kind: info.kind ?? old?.kind ?? processKindOf(info.id),
      url: info.url === undefined ? old?.url ?? null : info.url,
      first_seen_lab_ms: minOf(old?.first_seen_lab_ms ?? null, seen),
      last_seen_lab_ms: maxOf(old?.last_seen_lab_ms ?? null, seen),
      restarts: info.restarts ?? old?.restarts ?? 0,
    };
    this.db.prepare(
      `INSERT OR REPLACE INTO nodes (process_id, kind, url, first_seen_lab_ms, last_seen_lab_ms, restarts)
       VALUES (@process_id, @kind, @url, @first_seen_lab_ms, @last_seen_lab_ms, @restarts)`,
    ).run(row);
  }

  setRunMeta(partial: Record<string, unknown>): void {
    this.assertWritable();
    if (typeof partial !== 'object' || partial === null) throw new Error('setRunMeta: expected an object');
    if (SCHEMA_VERSION_KEY in partial) throw new Error(`setRunMeta: ${SCHEMA_VERSION_KEY} is set by the recorder`);
    const setRun = this.db.prepare('INSERT OR REPLACE INTO run (key, value) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(partial)) {
        if (value !== undefined) setRun.run(key, JSON.stringify(value));
      }
    })();
  }

  run(): RunRecord {
    const rows = this.db.prepare('SELECT key, value FROM run ORDER BY key').all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
  }

  nodes(): NodeRecord[] {
    const rows = this.db.prepare('SELECT * FROM nodes ORDER BY process_id').all() as NodeRow[];
    return rows.map((row) => ({
      id: row.process_id,
      kind: row.kind,
      url: row.url,
      firstSeenLabMs: row.first_seen_lab_ms,
      lastSeenLabMs: row.last_seen_lab_ms,
      restarts: row.restarts,
    }));
  }

  query(query: EventQuery): StoredEvent[] {
    if (typeof query !== 'object' || query === null) throw new Error('event query: expected an object');
    const { sql, params, reverse } = buildEventQuery(query);
    const rows = this.prepareQuery(sql).all(...params) as EventRow[];
    if (reverse) rows.reverse();
    return rows.map(rowToStoredEvent);
  }

  count(): number {
    return this.eventCount;
  }

  /**
   * A consistent copy while the run goes on: SQLite's online backup runs in steps between
   * which appends go on; changes made through this same connection are carried into the
   * copy as it is made, so it ends as the trace was when the backup finished. The copy is
   * switched out of WAL mode so that it is one self-contained file to hand over.
   * Returns the copy's size in bytes.
   */
  async copyTo(target: string): Promise<number> {
    const resolved = this.checkTarget(target);
    const partial = `${resolved}.partial-${process.pid}`;
    try {
      await this.db.backup(partial);
      const copy = new Database(partial);
      try {
        copy.pragma('journal_mode = DELETE');
      } finally {
        copy.close();
      }
      for (const suffix of ['-wal', '-shm']) rmSync(resolved + suffix, { force: true });
      renameSync(partial, resolved);
      return statSync(resolved).size;
    } catch (error) {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(partial + suffix, { force: true });
      throw error;
    }
  }

  /** Writes an export to a temporary file and renames it into place when complete. */
  async exportTo(request: ExportRequest): Promise<ExportOutcome> {
    if (request?.format !== 'jsonl' && request?.format !== 'shiviz') {
      throw new Error(`exportTo: format must be jsonl or shiviz, got ${String(request?.format)}`);
    }
    const resolved = this.checkTarget(request.path);
    const partial = `${resolved}.partial-${process.pid}`;
    const file = openSync(partial, 'w');
    const out = { bytes: 0, events: 0 };
    try {
      const write = (lines: string[]): void => {
        if (lines.length === 0) return;
        const buffer = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
        writeSync(file, buffer);
        out.bytes += buffer.length;
      };
      if (request.format === 'jsonl') await this.writeJsonl(write, out);
      else await this.writeShiviz(write, out);
      closeSync(file);
      renameSync(partial, resolved);
      return out;
    } catch (error) {
      try { closeSync(file); } catch { /* already closed */ }
      rmSync(partial, { force: true });
      throw error;
    }
  }

  close(droppedEvents: number): void {
    if (!this.readonly && droppedEvents > 0) this.setRunMeta({ recorderDroppedEvents: droppedEvents });
    this.db.close();
  }

  /**
   * Events are only ever appended, so the rows up to the largest id at the start of an
   * export are a fixed set: the export reads them page by page and serves appends between
   * pages instead of holding the connection for the whole export.
   */
  private async *pages(columns: string): AsyncGenerator<EventRow[]> {
    const lastId = (this.db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number);
    const page = this.db.prepare(`SELECT ${columns} FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`);
    let afterId = 0;
    while (afterId < lastId) {
      const rows = page.all(afterId, lastId, EXPORT_PAGE_EVENTS) as EventRow[];
      if (rows.length === 0) break;
      afterId = rows[rows.length - 1]!.id;
      yield rows;
      await yieldToEventLoop();
    }
  }

  private async writeJsonl(write: (lines: string[]) => void, out: ExportOutcome): Promise<void> {
    write([jsonlRunLine(this.run())]);
    for await (const rows of this.pages(EVENT_SELECT_COLUMNS)) {
      write(rows.map(jsonlEventLine));
      out.events += rows.length;
    }
  }

  private async writeShiviz(write: (lines: string[]) => void, out: ExportOutcome): Promise<void> {
    const events: ShivizEvent[] = [];
    const columns = 'id, node, seq, kind, lab_time_ms, msg_id, peer, msg_type, detail';
    for await (const rows of this.pages(columns)) {
      for (const row of rows) {
        if (!CAUSAL_KINDS.has(row.kind as TraceKind)) continue;
        events.push({
          id: row.id, node: row.node, seq: row.seq, kind: row.kind, labTimeMs: row.lab_time_ms,
          msgId: row.msg_id, peer: row.peer, msgType: row.msg_type, detail: row.detail,
        });
      }
    }
    let chunk: string[] = [];
    const lines = shivizLines(events);
    for (let next = lines.next(); ; next = lines.next()) {
      if (next.done) {
        out.events = next.value.events;
        break;
      }
      chunk.push(next.value);
      if (chunk.length >= EXPORT_WRITE_LINES) {
        write(chunk);
        chunk = [];
      }
    }
    write(chunk);
  }

  private prepareQuery(sql: string): Database.Statement {
    let statement = this.queries.get(sql);
    if (statement === undefined) {
      if (this.queries.size >= PREPARED_QUERY_CACHE_MAX) this.queries.clear();
      statement = this.db.prepare(sql);
      this.queries.set(sql, statement);
    }
    return statement;
  }

  private checkTarget(target: unknown): string {
    if (typeof target !== 'string' || target === '') throw new Error('a target path is required');
    const resolved = path.resolve(target);
    if (resolved === path.resolve(this.tracePath)) throw new Error(`${target} is the trace itself`);
    mkdirSync(path.dirname(resolved), { recursive: true });
    return resolved;
  }

  private assertWritable(): void {
    if (this.readonly) throw new Error(`${this.tracePath} is open read-only (mode 'read')`);
  }
}

/** Throws a message for a person unless `db` is a distlab trace this build can read. */
function checkIsTrace(db: Database.Database, tracePath: string): void {
  const notTrace = `${tracePath} is not a distlab trace`;
  let applicationId: number;
  let tables: string[];
  try {
    applicationId = db.pragma('application_id', { simple: true }) as number;
    tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  } catch (error) {
    throw new Error(`${notTrace}: SQLite cannot read it (${(error as Error).message})`);
  }
  const missing = TRACE_TABLES.filter((table) => !tables.includes(table));
  if (missing.length > 0) throw new Error(`${notTrace}: it has no ${missing.join(', ')} table`);
  if (applicationId !== TRACE_APPLICATION_ID) {
    throw new Error(`${notTrace}: its application id is ${applicationId}, not ${TRACE_APPLICATION_ID}`);
  }
  let version: unknown;
  try {
    const stored = db.prepare('SELECT value FROM run WHERE key = ?').pluck().get(SCHEMA_VERSION_KEY) as string | undefined;
    version = stored === undefined ? undefined : JSON.parse(stored);
  } catch (error) {
    throw new Error(`${notTrace}: its run table cannot be read (${(error as Error).message})`);
  }
  if (version === undefined) throw new Error(`${notTrace}: its run table has no ${SCHEMA_VERSION_KEY}`);
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    throw new Error(`${notTrace}: ${SCHEMA_VERSION_KEY} is ${JSON.stringify(version)}`);
  }
  if ((version as number) > TRACE_SCHEMA_VERSION) {
    throw new Error(
      `${tracePath} was written by a newer distlab (trace schema ${String(version)}); this one reads up to ${TRACE_SCHEMA_VERSION}`,
    );
  }
  if (statSync(tracePath).size > QUICK_CHECK_MAX_BYTES) return;
  try {
    const check = db.pragma('quick_check(1)', { simple: true }) as string;
    if (check !== 'ok') throw new Error(check);
  } catch (error) {
    throw new Error(`${tracePath} is a damaged distlab trace: ${(error as Error).message}`);
  }
}

function noteSeen(seen: Map<string, { first: number; last: number; restarts: number }>, event: TraceEvent): void {
  const restart = event.kind === 'start' ? restartOf(event.detail) : 0;
  const span = seen.get(event.node);
  if (span === undefined) {
    seen.set(event.node, { first: event.labTimeMs, last: event.labTimeMs, restarts: restart });
    return;
  }
  if (event.labTimeMs < span.first) span.first = event.labTimeMs;
  if (event.labTimeMs > span.last) span.last = event.labTimeMs;
  if (restart > span.restarts) span.restarts = restart;
}

/** `start` events carry `{restart: n}` (contract/trace.ts). */
function restartOf(detail: unknown): number {
  const restart = (detail as { restart?: unknown } | null | undefined)?.restart;
  return Number.isSafeInteger(restart) ? (restart as number) : 0;
}

function minOf(current: number | null, seen: number | undefined): number | null {
  if (seen === undefined || !Number.isFinite(seen)) return current;
  return current === null ? seen : Math.min(current, seen);
}

function maxOf(current: number | null, seen: number | undefined): number | null {
  if (seen === undefined || !Number.isFinite(seen)) return current;
  return current === null ? seen : Math.max(current, seen);
}
