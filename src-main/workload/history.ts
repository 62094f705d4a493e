// The lab's client history as the checkers read it: the clients' CompletedOp records turned
// into a Jepsen-style HistoryEntry[] (src-node/contract/history.ts), and that history as
// JSON lines — an optional first line `{"run": {...}}` with the run's metadata, then one
// HistoryEntry per line, in history order.
//
// Entries are ordered by lab time. Two clients' events at the same lab time are ordered
// invokes first: the operations then overlap, which claims less about their order than the
// other way round (a checker never convicts on a tie of the clock). One client's own events
// keep its order whatever the times say.

import { readFile, stat, writeFile } from 'node:fs/promises';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import type { CompletedOp } from './client.ts';
import { MalformedHistoryError, validateHistory } from '../checkers/history.ts';
import type { FinalRead } from '../checkers/durability.ts';

/** Largest history file the lab reads back: a run's history, not an arbitrary file. */
export const MAX_HISTORY_FILE_BYTES = 256 * 1024 * 1024;

type Pending = Omit<HistoryEntry, 'index'>;

/**
 * Turns the clients' completed operations (any order) into a well-formed history: per
 * operation an invoke (the op's `value` as argument) and its completion (`ok` carries the
 * result's value, or — for a write, which answers without one — the value written, as
 * Jepsen's histories do).
 */
export function historyFromCompletedOps(operations: readonly CompletedOp[]): HistoryEntry[] {
  // One stream of events per process, in its own order. A client runs one operation at a
  // time in the workload, but an operation asked for by hand (the UI, the API) can overlap
  // it: such an operation goes to a process of its own, `c1#2`, so that every process still
  // runs one operation at a time, as a history requires.
  const streams = new Map<string, Pending[]>();
  const busyUntil = new Map<string, number[]>();
  const ordered = [...operations].sort((a, b) => a.invokedAtMs - b.invokedAtMs || a.completedAtMs - b.completedAtMs);
  for (const done of ordered) {
    const lanes = busyUntil.get(done.client) ?? [];
    busyUntil.set(done.client, lanes);
    let lane = lanes.findIndex((completedAtMs) => completedAtMs <= done.invokedAtMs);
    if (lane < 0) lane = lanes.push(0) - 1;
    lanes[lane] = Math.max(done.completedAtMs, done.invokedAtMs);
    const process = lane === 0 ? done.client : `${done.client}#${lane + 1}`;
    const stream = streams.get(process) ?? [];
    streams.set(process, stream);
    stream.push(invokeOf(done, process), completionOf(done, process));
  }
  // Merge the streams by time, invokes before completions at equal times; only a stream's
  // head can go next, so each client's order holds.
  const heads = [...streams.values()].map((events) => ({ events, next: 0 }));
  const history: HistoryEntry[] = [];
  for (;;) {
    let best: (typeof heads)[number] | null = null;
    for (const head of heads) {
      const event = head.events[head.next];
      if (event === undefined) continue;
      const current = best ? best.events[best.next] as Pending : null;
      if (current === null || earlier(event, current)) best = head;
    }
    if (best === null) return history;
    history.push({ index: history.length, ...(best.events[best.next] as Pending) });
    best.next += 1;
  }
}

function earlier(a: Pending, b: Pending): boolean {
  const timeA = a.time ?? 0;
  const timeB = b.time ?? 0;
  if (timeA !== timeB) return timeA < timeB;
  return a.type === 'invoke' && b.type !== 'invoke';
}

function invokeOf(done: CompletedOp, process: string): Pending {
  return {
    type: 'invoke', process, f: done.op.f, time: done.invokedAtMs, id: done.opId, node: done.node,
    ...(done.op.key !== undefined ? { key: done.op.key } : {}),
    ...(done.op.value !== undefined ? { value: done.op.value } : {}),
  };
}

function completionOf(done: CompletedOp, process: string): Pending {
  const value = done.result.value !== undefined ? done.result.value : done.op.value;
  return {
    type: done.result.type, process, f: done.op.f, time: Math.max(done.completedAtMs, done.invokedAtMs), id: done.opId, node: done.node,
    ...(done.op.key !== undefined ? { key: done.op.key } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(done.result.error !== undefined ? { error: done.result.error } : {}),
  };
}

/**
 * The lab's read-back at the end (run-scenario's `finalReads`) as the durability checker's
 * final reads, with every sibling a read found (Dynamo); reads that did not complete ok are
 * left out.
 */
export function finalReadsFromCompletedOps(reads: Iterable<CompletedOp>): FinalRead[] {
  const finals: FinalRead[] = [];
  for (const read of reads) {
    if (read.result.type !== 'ok') continue;
    const siblings = Array.isArray(read.result.siblings) && read.result.siblings.length > 0 ? { siblings: read.result.siblings } : {};
    finals.push({ ...(read.op.key !== undefined ? { key: read.op.key } : {}), value: read.result.value ?? null, ...siblings });
  }
  return finals;
}

/** The history as JSON lines (with a `{"run": …}` line first when `run` is given), ending in a newline. */
export function historyToJsonLines(history: readonly HistoryEntry[], run?: Record<string, unknown>): string {
  const lines = run ? [JSON.stringify({ run })] : [];
  for (const entry of history) lines.push(JSON.stringify(entry));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * Parses the lab's history JSON lines. Blank lines are skipped. Throws an Error naming the
 * `source` and line of the first line that is not JSON or not an object, and a
 * MalformedHistoryError when the entries do not form a well-formed history.
 */
export function parseHistoryJsonLines(text: string, source = 'history'): { run: Record<string, unknown> | null; history: HistoryEntry[] } {
  let run: Record<string, unknown> | null = null;
  const history: HistoryEntry[] = [];
  const lines = text.split('\n');
  for (let at = 0; at < lines.length; at += 1) {
    const line = (lines[at] as string).trim();
    if (line.length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new Error(`${source}:${at + 1}: not JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${source}:${at + 1}: each line is a JSON object (a history entry)`);
    const object = parsed as Record<string, unknown>;
    if (history.length === 0 && run === null && 'run' in object && !('type' in object)) {
      run = typeof object.run === 'object' && object.run !== null ? object.run as Record<string, unknown> : {};
      continue;
    }
    history.push(object as unknown as HistoryEntry);
  }
  const problems = validateHistory(history);
  if (problems.length > 0) throw new MalformedHistoryError(problems.map((problem) => ({ ...problem, message: `${source}: ${problem.message}` })));
  return { run, history };
}

export async function writeHistoryFile(path: string, history: readonly HistoryEntry[], run?: Record<string, unknown>): Promise<void> {
  await writeFile(path, historyToJsonLines(history, run), 'utf8');
}

export async function readHistoryFile(path: string): Promise<{ run: Record<string, unknown> | null; history: HistoryEntry[] }> {
  const { size } = await stat(path);
  if (size > MAX_HISTORY_FILE_BYTES) throw new Error(`${path}: ${size} bytes, larger than the ${MAX_HISTORY_FILE_BYTES} a lab history may be`);
  return parseHistoryJsonLines(await readFile(path, 'utf8'), path);
}
