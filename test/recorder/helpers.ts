// Shared by the recorder tests: the bundled child, temporary folders, synthetic events,
// and a checker of ShiViz's rules for a log.

import { bundleChildren } from '../../scripts/child-bundles.mjs';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceEvent, TraceKind } from '../../src-node/contract/trace.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = path.join(root, 'out', 'node', 'recorder.cjs');

/**
 * `npm test` builds the children first; a test run on its own builds the recorder when its
 * bundle is missing or older than its sources. Only the recorder: the node bundle belongs
 * to other work in progress.
 */
export async function ensureRecorderBundle(): Promise<string> {
  const sources = ['src-main/recorder', 'src-main/trace', 'src-node/contract'].flatMap((dir) =>
    readdirSync(path.join(root, dir)).map((name) => path.join(root, dir, name)));
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest) return entry;
  await bundleChildren({ recorder: 'src-main/recorder/recorder-main.ts' });
  return entry;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'distlab-recorder-'));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Builds events for one process with rising seq, Lamport and own vector entry. */
export class EventMaker {
  private readonly seqs = new Map<string, number>();
  private readonly clocks = new Map<string, Record<string, number>>();
  labTimeMs = 0;

  event(node: string, kind: TraceKind, extra: Partial<TraceEvent> = {}): TraceEvent {
    const seq = (this.seqs.get(node) ?? 0) + 1;
    this.seqs.set(node, seq);
    const clock = { ...(this.clocks.get(node) ?? {}) };
    clock[node] = (clock[node] ?? 0) + 1;
    this.clocks.set(node, clock);
    this.labTimeMs += 0.25;
    return {
      node, seq, kind, lamport: seq, vclock: clock, nodeTimeMs: this.labTimeMs + 3, labTimeMs: this.labTimeMs,
      ...extra,
    };
  }

  /** Jumps a node's seq and clock forward, as a restarted node that reserved a range does. */
  restart(node: string, gap: number): void {
    this.seqs.set(node, (this.seqs.get(node) ?? 0) + gap);
    const clock = { ...(this.clocks.get(node) ?? {}) };
    clock[node] = (clock[node] ?? 0) + gap;
    this.clocks.set(node, clock);
  }
}

export interface ParsedShivizEvent {
  timestamp: string;
  text: string;
  host: string;
  clock: Record<string, number>;
  /** The trace row id quoted in the text. */
  row: number;
}

/**
 * Parses a ShiViz file the way ShiViz's file upload does: line 1 is the parser regex
 * (wrapped in ^…$, flag m), line 2 the delimiter (empty), the rest the log. Returns the
 * events and how many lines of the log no match covered.
 */
export function parseShiviz(text: string): { events: ParsedShivizEvent[]; regex: string; uncovered: number } {
  const [regex = '', delimiter = ''] = text.split('\n', 2);
  if (delimiter.trim() !== '') throw new Error('expected an empty delimiter line');
  const log = text.slice(text.indexOf('\n', text.indexOf('\n') + 1) + 1).trim();
  const parser = new RegExp(`^${regex}$`, 'gm');
  const events: ParsedShivizEvent[] = [];
  let covered = 0;
  for (const match of log.matchAll(parser)) {
    const groups = match.groups!;
    const row = /\(seq \d+, row (\d+)\)/.exec(groups['event']!);
    events.push({
      timestamp: groups['timestamp']!,
      text: groups['event']!,
      host: groups['host']!,
      clock: JSON.parse(groups['clock']!) as Record<string, number>,
      row: row === null ? -1 : Number(row[1]),
    });
    covered += 2;
  }
  return { events, regex, uncovered: log === '' ? 0 : log.split('\n').length - covered };
}

/**
 * ShiViz's rules (js/model/modelGraph.js), checked in file order, which also checks that
 * the file order is a linearization of happened-before:
 *  - a host's own entry is 1 for its first event and rises by exactly 1;
 *  - every other entry that rose since the host's previous event names an event of that
 *    host that appeared earlier in the file (its parent);
 *  - the clock equals the previous local clock, ticked, merged with those parents' clocks.
 * Returns the problems found (empty when the log is valid).
 */
export function shivizProblems(events: readonly ParsedShivizEvent[]): string[] {
  const problems: string[] = [];
  const byHost = new Map<string, Record<string, number>[]>();
  for (const [line, event] of events.entries()) {
    const where = `event ${line + 1} (${event.host}, row ${event.row})`;
    const history = byHost.get(event.host) ?? [];
    byHost.set(event.host, history);
    const previous = history[history.length - 1] ?? {};
    const own = event.clock[event.host];
    if (own !== history.length + 1) problems.push(`${where}: own entry ${String(own)}, expected ${history.length + 1}`);
    const expected: Record<string, number> = { ...previous, [event.host]: history.length + 1 };
    for (const [host, time] of Object.entries(event.clock)) {
      if (host === event.host || time <= (previous[host] ?? 0)) continue;
      const parent = byHost.get(host)?.[time - 1];
      if (parent === undefined) {
        problems.push(`${where}: entry ${host}:${time} names no earlier event`);
        continue;
      }
      for (const [key, value] of Object.entries(parent)) {
        if (value > (expected[key] ?? 0)) expected[key] = value;
      }
    }
    if (!sameClock(expected, event.clock)) {
      problems.push(`${where}: clock ${JSON.stringify(event.clock)}, expected ${JSON.stringify(expected)}`);
    }
    history.push(event.clock);
  }
  return problems;
}

function sameClock(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? 0) !== (b[key] ?? 0)) return false;
  return true;
}

/** `a` ≥ `b` entrywise. */
export function dominates(a: Record<string, number>, b: Record<string, number>): boolean {
  return Object.entries(b).every(([key, value]) => (a[key] ?? 0) >= value);
}
