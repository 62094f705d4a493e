// Parsers from history files to the lab's HistoryEntry list: the lab's own JSON lines, the
// Jepsen etcd logs (`INFO  jepsen.util - 3 :invoke :cas [3 0]`) and EDN maps one per line
// (`{:process 3, :type :invoke, :f :append, :key "4", :value "x 3 1 y"}`). Each entry's
// `index` is its position in the file's history; `lines[i]` is the 1-based line it came
// from, so later complaints (from the checker) can name a line too. Bad input gives errors
// with line numbers, never an exception.

import type { HistoryEntry } from '../../../src-node/contract/history.ts';
import { EdnKeyword, readEdn, toPlain, type EdnMap, type EdnValue } from './edn.ts';

export const HISTORY_FORMATS = ['lab', 'jepsen', 'edn'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];
/** Errors listed before a parser gives up: past these, more errors tell nothing new. */
export const MAX_PARSE_ERRORS = 20;

const ENTRY_TYPES = new Set(['invoke', 'ok', 'fail', 'info']);
const JEPSEN_PREFIX = /^INFO\s+jepsen\.util\s+-\s+/;

export interface ParseError {
  line: number;
  message: string;
}

export type ParseResult =
  | { ok: true; format: HistoryFormat | 'empty'; entries: HistoryEntry[]; lines: number[]; skipped: number }
  | { ok: false; format: HistoryFormat | null; errors: ParseError[] };

export function isHistoryFormat(name: string): name is HistoryFormat {
  return (HISTORY_FORMATS as readonly string[]).includes(name);
}

function contentLines(text: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed !== '' && !trimmed.startsWith(';') && !trimmed.startsWith('#')) lines.push({ line: index + 1, text: trimmed });
  });
  return lines;
}

/** The format of a history, judged from its first line with content; null when unrecognized. */
export function detectFormat(text: string): HistoryFormat | 'empty' | null {
  const first = contentLines(text)[0];
  if (!first) return 'empty';
  if (JEPSEN_PREFIX.test(first.text)) return 'jepsen';
  if (first.text.startsWith('{:') || /^\{\s*:/.test(first.text)) return 'edn';
  if (first.text.startsWith('{')) {
    try {
      JSON.parse(first.text);
      return 'lab';
    } catch {
      return /:type\b/.test(first.text) ? 'edn' : null;
    }
  }
  return null;
}

/** Parses `text` in `format`, or in the format detected from it. */
export function parseHistory(text: string, options: { format?: HistoryFormat } = {}): ParseResult {
  const detected = detectFormat(text);
  if (detected === 'empty') return { ok: true, format: 'empty', entries: [], lines: [], skipped: 0 };
  const format = options.format ?? detected;
  if (format === null) {
    const first = contentLines(text)[0]!;
    return { ok: false, format: null, errors: [{ line: first.line, message: 'unrecognized history format (expected lab JSON lines, Jepsen log lines or EDN maps; pass --format)' }] };
  }
  switch (format) {
    case 'lab': return collect(text, format, parseLabLine);
    case 'jepsen': return collect(text, format, parseJepsenLine);
    case 'edn': return collect(text, format, parseEdnLine);
  }
}

type LineParser = (text: string) => LineOutcome;
/** An entry without its index, nothing to keep (skip), or what is wrong. */
type LineOutcome = { entry: Omit<HistoryEntry, 'index'> & { index?: number } } | { skip: string } | { error: string };

function collect(text: string, format: HistoryFormat, parseLine: LineParser): ParseResult {
  const entries: HistoryEntry[] = [];
  const lines: number[] = [];
  const errors: ParseError[] = [];
  let skipped = 0;
  for (const { line, text: content } of contentLines(text)) {
    const outcome = parseLine(content);
    if ('error' in outcome) {
      errors.push({ line, message: outcome.error });
      if (errors.length >= MAX_PARSE_ERRORS) break;
      continue;
    }
    if ('skip' in outcome) {
      skipped += 1;
      continue;
    }
    const entry = { ...outcome.entry, index: outcome.entry.index ?? entries.length } as HistoryEntry;
    entries.push(entry);
    lines.push(line);
  }
  if (errors.length > 0) return { ok: false, format, errors };
  return { ok: true, format, entries, lines, skipped };
}

// ---------------------------------------------------------------------------------------
// The lab's JSON lines: one HistoryEntry per line.
// ---------------------------------------------------------------------------------------

function parseLabLine(text: string): LineOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'expected a JSON object (one history entry per line)' };
  const record = parsed as Record<string, unknown>;
  const problem = labFieldProblem(record);
  if (problem) return { error: problem };
  const entry: LineOutcome & { entry: unknown } = {
    entry: { type: record.type as HistoryEntry['type'], f: record.f as string, process: record.process as string | number },
  };
  const target = entry.entry as Partial<HistoryEntry>;
  if (record.index !== undefined) target.index = record.index as number;
  if (record.key !== undefined) target.key = record.key as string;
  if (record.value !== undefined) target.value = record.value;
  if (record.time !== undefined) target.time = record.time as number;
  if (record.error !== undefined) target.error = record.error as string;
  return entry;
}

function labFieldProblem(record: Record<string, unknown>): string | null {
  if (typeof record.type !== 'string' || !ENTRY_TYPES.has(record.type)) return `"type" must be one of invoke, ok, fail, info (got ${JSON.stringify(record.type)})`;
  if (typeof record.f !== 'string' || record.f === '') return '"f" must be a non-empty string';
  if (typeof record.process !== 'string' && typeof record.process !== 'number') return '"process" must be a string or a number';
  if (record.index !== undefined && !Number.isSafeInteger(record.index)) return '"index" must be an integer';
  if (record.key !== undefined && typeof record.key !== 'string') return '"key" must be a string';
  if (record.time !== undefined && (typeof record.time !== 'number' || !Number.isFinite(record.time))) return '"time" must be a number';
  if (record.error !== undefined && typeof record.error !== 'string') return '"error" must be a string';
  return null;
}

// ---------------------------------------------------------------------------------------
// Jepsen etcd logs: INFO jepsen.util - PROC TYPE F VALUE
// ---------------------------------------------------------------------------------------

function parseJepsenLine(text: string): LineOutcome {
  const prefix = JEPSEN_PREFIX.exec(text);
  if (!prefix) return { error: 'expected "INFO jepsen.util - PROCESS TYPE F VALUE"' };
  const fields = text.slice(prefix[0].length).split(/\s+/);
  if (fields.length < 4) return { error: 'expected PROCESS TYPE F VALUE after "jepsen.util -"' };
  const [processText, typeText, fText] = fields as [string, string, string];
  if (!/^\d+$/.test(processText)) return { error: `the process must be an integer, got '${processText}'` };
  const type = typeText.replace(/^:/, '');
  if (!typeText.startsWith(':') || !ENTRY_TYPES.has(type)) return { error: `the type must be :invoke, :ok, :fail or :info, got '${typeText}'` };
  if (!/^:[\w-]+$/.test(fText)) return { error: `the function must be a keyword such as :read, got '${fText}'` };
  const valueText = fields.slice(3).join(' ');
  const value = readEdn(valueText);
  if (!value.ok) return { error: `bad value '${valueText}': ${value.message}` };
  return { entry: withValue({ type: type as HistoryEntry['type'], f: fText.slice(1), process: Number(processText) }, value.value) };
}

/** A keyword value on a completion (`:timed-out`) is why it failed, not a result. */
function withValue(entry: Omit<HistoryEntry, 'index'>, value: EdnValue): Omit<HistoryEntry, 'index'> {
  if (value instanceof EdnKeyword && entry.type !== 'invoke' && entry.type !== 'ok') return { ...entry, error: value.name };
  return { ...entry, value: toPlain(value) };
}

// ---------------------------------------------------------------------------------------
// EDN maps, one per line (Jepsen and Knossos histories).
// ---------------------------------------------------------------------------------------

function keywordOrString(value: EdnValue | undefined): string | null {
  if (value instanceof EdnKeyword) return value.name;
  return typeof value === 'string' ? value : null;
}

function parseEdnLine(text: string): LineOutcome {
  const read = readEdn(text);
  if (!read.ok) return { error: `${read.message} (column ${read.column})` };
  if (!(read.value instanceof Map)) return { error: 'expected an EDN map such as {:process 0, :type :invoke, :f :read, :value nil}' };
  return ednEntry(read.value);
}

function ednEntry(map: EdnMap): LineOutcome {
  const process = map.get(':process');
  // Jepsen's nemesis (fault injector) is not a client: its operations are not part of the object's history.
  if (process instanceof EdnKeyword && process.name === 'nemesis') return { skip: 'nemesis' };
  if (typeof process !== 'number' && typeof process !== 'string' && !(process instanceof EdnKeyword)) return { error: ':process must be an integer, a string or a keyword' };
  const type = keywordOrString(map.get(':type'));
  if (type === null || !ENTRY_TYPES.has(type)) return { error: ':type must be :invoke, :ok, :fail or :info' };
  const f = keywordOrString(map.get(':f'));
  if (f === null || f === '') return { error: ':f must be a keyword such as :read' };
  const entry = withValue({ type: type as HistoryEntry['type'], f, process: process instanceof EdnKeyword ? process.name : process }, map.get(':value') ?? null);
  const key = map.get(':key');
  if (key !== undefined && key !== null) {
    if (typeof key !== 'string' && typeof key !== 'number' && !(key instanceof EdnKeyword)) return { error: ':key must be a string, a number or a keyword' };
    entry.key = String(key instanceof EdnKeyword ? key.name : key);
  }
  const time = map.get(':time');
  if (time !== undefined && time !== null) {
    if (typeof time !== 'number') return { error: ':time must be a number' };
    entry.time = time;
  }
  const error = map.get(':error');
  if (error !== undefined && error !== null) entry.error = error instanceof EdnKeyword ? error.name : JSON.stringify(toPlain(error));
  return { entry };
}
