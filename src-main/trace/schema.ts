// The SQLite schema of a distlab trace file. Pure data (no SQLite import) so that the docs,
// the recorder and the tests share one definition. docs/trace-schema.md explains every
// column; change both together and bump TRACE_SCHEMA_VERSION when the layout changes.

/** Version of the layout below. Stored in `run.schema_version` and in `PRAGMA user_version`. */
export const TRACE_SCHEMA_VERSION = 1;

/**
 * `PRAGMA application_id` of a distlab trace: the ASCII bytes "DLTR". It sits in the file
 * header, so `file(1)`-like tools and our own open check can tell a trace from another
 * SQLite file without reading a table.
 */
export const TRACE_APPLICATION_ID = 0x444c5452;

/** The key of the schema version in the `run` table. */
export const SCHEMA_VERSION_KEY = 'schema_version';

export const TRACE_SCHEMA_SQL = `
CREATE TABLE run (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL            -- JSON
) WITHOUT ROWID;

CREATE TABLE nodes (
  process_id        TEXT PRIMARY KEY NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN ('node', 'client', 'lab')),
  url               TEXT,
  first_seen_lab_ms REAL,
  last_seen_lab_ms  REAL,
  restarts          INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE events (
  id           INTEGER PRIMARY KEY,  -- arrival order at the recorder
  node         TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  lamport      INTEGER NOT NULL,
  vclock       TEXT NOT NULL,        -- JSON object: process id -> counter
  node_time_ms REAL NOT NULL,
  lab_time_ms  REAL NOT NULL,
  msg_id       TEXT,
  peer         TEXT,
  msg_type     TEXT,
  detail       TEXT                  -- JSON, NULL when the event has none
);

CREATE INDEX events_node_seq ON events (node, seq);
-- The UI pages one process's events by row id; without this, each page sorts its history.
CREATE INDEX events_node_id  ON events (node, id);
CREATE INDEX events_msg_id   ON events (msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX events_kind     ON events (kind);
CREATE INDEX events_lab_time ON events (lab_time_ms);
`;

/** Tables a file must have to be read as a distlab trace. */
export const TRACE_TABLES: readonly string[] = ['run', 'nodes', 'events'];
