// EventQuery (contract/lab-api.ts) to SQL. Pure, so the rules are tested without SQLite:
// results are always in row-id order; `limit` is bounded; a query with only `beforeId`
// returns the `limit` events just before it (a page backwards, for a scrolling log).

import type { EventQuery } from '../../src-node/contract/lab-api.ts';
import { EVENT_SELECT_COLUMNS } from './event-row.ts';

export const QUERY_LIMIT_DEFAULT = 1_000;
export const QUERY_LIMIT_MAX = 10_000;
/** Longest `nodes` / `kinds` filter list; more is a caller bug, not a query. */
export const QUERY_LIST_MAX = 1_000;
export const QUERY_TEXT_MAX_CHARS = 1_000;

export interface EventQuerySql {
  sql: string;
  params: (string | number)[];
  /** The rows come newest first and must be reversed to give row-id order. */
  reverse: boolean;
}

/** Throws an Error with a message for a person when the query is malformed. */
export function buildEventQuery(query: EventQuery): EventQuerySql {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.afterId !== undefined) {
    where.push('id > ?');
    params.push(checkId(query.afterId, 'afterId'));
  }
  if (query.beforeId !== undefined) {
    where.push('id < ?');
    params.push(checkId(query.beforeId, 'beforeId'));
  }
  addList(where, params, 'node', checkList(query.nodes, 'nodes'));
  addList(where, params, 'kind', checkList(query.kinds, 'kinds'));
  if (query.text !== undefined && query.text !== '') {
    const pattern = `%${escapeLike(checkText(query.text))}%`;
    where.push("(msg_id LIKE ? ESCAPE '\\' OR msg_type LIKE ? ESCAPE '\\' OR detail LIKE ? ESCAPE '\\')");
    params.push(pattern, pattern, pattern);
  }
  const reverse = query.beforeId !== undefined && query.afterId === undefined;
  params.push(checkLimit(query.limit));
  const sql =
    `SELECT ${EVENT_SELECT_COLUMNS} FROM events` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY id ${reverse ? 'DESC' : 'ASC'} LIMIT ?`;
  return { sql, params, reverse };
}

function addList(where: string[], params: (string | number)[], column: string, values: string[] | null): void {
  if (values === null) return;
  if (values.length === 0) {
    where.push('0'); // an empty filter list matches nothing, as `IN ()` would
    return;
  }
  where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
  params.push(...values);
}

function checkId(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`event query: ${name} must be an integer, got ${String(value)}`);
  return value as number;
}

function checkList(value: unknown, name: string): string[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`event query: ${name} must be a list of strings`);
  }
  if (value.length > QUERY_LIST_MAX) {
    throw new Error(`event query: ${name} lists ${value.length} values; at most ${QUERY_LIST_MAX}`);
  }
  return value as string[];
}

function checkText(value: unknown): string {
  if (typeof value !== 'string') throw new Error('event query: text must be a string');
  if (value.length > QUERY_TEXT_MAX_CHARS) {
    throw new Error(`event query: text is ${value.length} characters; at most ${QUERY_TEXT_MAX_CHARS}`);
  }
  return value;
}

/** The default when absent; values above the maximum are clamped (a UI asking for "all"). */
function checkLimit(value: unknown): number {
  if (value === undefined) return QUERY_LIMIT_DEFAULT;
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new Error(`event query: limit must be a non-negative integer, got ${String(value)}`);
  }
  return Math.min(value as number, QUERY_LIMIT_MAX);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
