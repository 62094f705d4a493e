// Durability of acknowledged writes across crashes: every write a client saw `ok` must still
// be there at the end, unless a later write replaced it (the book §4: a replicated write is
// durable once acknowledged; Jepsen's "lost write"). Judged on a register history plus one
// final read per key, taken after the cluster has settled.
//
// Each write's value is unique per key, so the final value of a key names the write it came
// from, its source S (or the initial state, for null). For each acknowledged write W of the
// key, precisely:
// - survived:       W is S;
// - replaced:       S is known to come after W: S was invoked after W completed (real time);
// - maybe-replaced: S overlaps W in real time, or S's outcome was info or fail: S may have
//                   taken effect after W, so W may have been replaced legitimately;
// - lost:           the final read saw the initial state, a value no write wrote, or a
//                   write S known to come before W (S completed ok before W was invoked) —
//                   nothing that came after W is there, so W is gone.
// With a "set" workload (each key written once) every acknowledged write is survived or lost:
// the check is exact. Writes whose outcome is `info` or `fail` are never judged.
//
// A final read may find several values: Dynamo's siblings, concurrent versions a store keeps
// for the client to merge. Each sibling is a source as above and a write takes its best fate
// among them: it survived if it is one of them, was replaced if one came after it, and so on;
// it is lost only if every sibling says so. Under last-writer-wins a store keeps one version
// per key, chosen by the coordinators' clocks: with one clock ahead, a write acknowledged
// after another and in its place is discarded, and it shows here as lost, named with its
// client, op id, node and times and the write that won instead.
//
// Pure code: no I/O.

import type { CheckVerdict, HistoryEntry } from '../../src-node/contract/history.ts';
import { canonicalValue, keyOf, type Operation, type ProcessName } from './history.ts';
import {
  compareWrites, DEFAULT_REGISTER_FUNCTIONS, registerHistory, type ReadSource, type RegisterFunctions,
} from './session/registers.ts';

/** What a key held at the end, read after the run. `value` null or absent: the key is not there. */
export interface FinalRead {
  key?: string;
  value?: unknown;
  /** Every concurrent version the read found (Dynamo's siblings); when non-empty it is what the key holds, and `value` is ignored. */
  siblings?: readonly unknown[];
}

export type WriteFate = 'survived' | 'replaced' | 'maybe-replaced' | 'lost';

export interface LostWrite {
  /** The write's invoke index. */
  index: number;
  process: ProcessName;
  key: string;
  value: unknown;
  /** The history's name of the operation (its `id`, the trace's msgId) and the node that acknowledged it, when the history has them. */
  opId?: string;
  node?: string;
  /** When the write was invoked and acknowledged (the history's `time`), when the history has times. */
  invokedAtMs?: number;
  acknowledgedAtMs?: number;
  /** What the key held at the end: the value, null for nothing, or the list of siblings when it held several. */
  finalValue: unknown;
  /** The invoke index of the write the final value came from; null for the initial state or a value nobody wrote. */
  finalSource: number | null;
  /** That write, named: its client, op id and node (null when the final value came from no write). */
  finalWriter: { process: ProcessName; opId?: string; node?: string } | null;
  explanation: string;
}

export interface DurabilityCheck {
  /** invalid: a write was lost; unknown: none lost, but some key with an acknowledged write was not read back; valid otherwise. */
  verdict: CheckVerdict;
  lost: LostWrite[];
  /** Keys with an acknowledged write and no final read. */
  unread: string[];
  /** How many acknowledged writes met each fate. */
  fates: Record<WriteFate, number>;
  /** Final values that no write wrote, by key (each also makes that key's acknowledged writes lost). */
  unwritten: { key: string; value: unknown }[];
  summary: string;
}

/**
 * Judges every acknowledged write of `history` against the final read of its key. Throws a
 * MalformedHistoryError for a malformed history or non-unique written values, and an Error
 * when two final reads name one key.
 */
export function checkDurability(history: readonly HistoryEntry[], finalReads: readonly FinalRead[], options: { functions?: RegisterFunctions } = {}): DurabilityCheck {
  const registers = registerHistory(history, options.functions ?? DEFAULT_REGISTER_FUNCTIONS);
  const entries = new Map(history.map((entry) => [entry.index, entry]));
  const finals = new Map<string, unknown[]>();
  for (const read of finalReads) {
    const key = keyOf(read);
    if (finals.has(key)) throw new Error(`two final reads of key ${JSON.stringify(key)}; give one per key`);
    finals.set(key, finalValuesOf(read));
  }
  const acknowledged = registers.writes.filter((write) => write.type === 'ok');
  const fates: Record<WriteFate, number> = { survived: 0, replaced: 0, 'maybe-replaced': 0, lost: 0 };
  const lost: LostWrite[] = [];
  const unread = new Set<string>();
  const unwritten = new Map<string, { key: string; value: unknown }>();
  for (const write of acknowledged) {
    const key = keyOf(write);
    const values = finals.get(key);
    if (values === undefined) {
      unread.add(key);
      continue;
    }
    const sources = values.length === 0 ? [{ kind: 'initial' } as const] : values.map((value) => finalSource(registers.writeByValue.get(key), value));
    for (const source of sources) if (source.kind === 'unwritten') unwritten.set(`${key}\u0000${canonicalValue(source.value)}`, { key, value: source.value });
    // The best fate among the siblings: one sibling that keeps the write is enough.
    const judged = sources.map((source) => ({ source, ...fateOf(write, source) }));
    const best = judged.reduce((kept, candidate) => (FATE_RANK[candidate.fate] > FATE_RANK[kept.fate] ? candidate : kept));
    fates[best.fate] += 1;
    if (best.fate === 'lost') lost.push(lostWrite(write, key, values, judged, entries));
  }
  const verdict: CheckVerdict = lost.length > 0 ? 'invalid' : unread.size > 0 ? 'unknown' : 'valid';
  const summary = lost.length > 0
    ? `${lost.length} acknowledged write(s) lost: ${lost.slice(0, 5).map(describeLost).join('; ')}`
    : unread.size > 0
      ? `no write known lost, but ${unread.size} key(s) with acknowledged writes were not read back: ${[...unread].slice(0, 5).join(', ')}`
      : `all ${acknowledged.length} acknowledged write(s) survived or were replaced (${fates.survived} survived, ${fates.replaced} replaced, ${fates['maybe-replaced']} maybe replaced by an overlapping write)`;
  return {
    verdict, lost, unread: [...unread].sort(), fates,
    unwritten: [...unwritten.values()], summary,
  };
}

const FATE_RANK: Record<WriteFate, number> = { lost: 0, 'maybe-replaced': 1, replaced: 2, survived: 3 };

/** What a final read says the key holds: its siblings, else its one value; empty for nothing. */
function finalValuesOf(read: FinalRead): unknown[] {
  if (Array.isArray(read.siblings) && read.siblings.length > 0) return [...read.siblings];
  return read.value === null || read.value === undefined ? [] : [read.value];
}

/** A lost write with its names and times from the history, and the write whose value is there instead. */
function lostWrite(write: Operation, key: string, values: readonly unknown[], judged: readonly { source: ReadSource; because: string }[], entries: ReadonlyMap<number, HistoryEntry>): LostWrite {
  // Several siblings, all against the write: the explanation names the first that came from a write.
  const decisive = judged.find((candidate) => candidate.source.kind === 'write') ?? judged[0]!;
  const source = decisive.source.kind === 'write' ? decisive.source.write : null;
  const invoke = entries.get(write.index);
  const sourceInvoke = source === null ? undefined : entries.get(source.index);
  const finalValue = values.length === 0 ? null : values.length === 1 ? values[0] : [...values];
  const siblings = values.length > 1 ? ` (one of ${values.length} siblings)` : '';
  const at = write.completeTime === undefined ? '' : ` at ${Math.round(write.completeTime)} ms`;
  const by = invoke?.node === undefined ? '' : ` by ${invoke.node}`;
  return {
    index: write.index, process: write.process, key, value: write.argument,
    ...(invoke?.id !== undefined ? { opId: invoke.id } : {}),
    ...(invoke?.node !== undefined ? { node: invoke.node } : {}),
    ...(write.invokeTime !== undefined ? { invokedAtMs: write.invokeTime } : {}),
    ...(write.completeTime !== undefined ? { acknowledgedAtMs: write.completeTime } : {}),
    finalValue,
    finalSource: source === null ? null : source.index,
    finalWriter: source === null ? null : {
      process: source.process,
      ...(sourceInvoke?.id !== undefined ? { opId: sourceInvoke.id } : {}),
      ...(sourceInvoke?.node !== undefined ? { node: sourceInvoke.node } : {}),
    },
    explanation: `op ${write.index} (${write.f} ${key}=${canonicalValue(write.argument)} by process ${String(write.process)}) was acknowledged${by}${at} but is gone: ${decisive.because}${siblings}`,
  };
}

/** Values longer than this are cut in summaries (a cart's items); the details keep them whole. */
const SUMMARY_VALUE_CHARS = 60;

function describeLost(write: LostWrite): string {
  const value = canonicalValue(write.value);
  const shown = value.length > SUMMARY_VALUE_CHARS ? `${value.slice(0, SUMMARY_VALUE_CHARS)}…` : value;
  const acked = write.acknowledgedAtMs === undefined ? '' : `, acknowledged${write.node === undefined ? '' : ` by ${write.node}`} at ${Math.round(write.acknowledgedAtMs)} ms`;
  const winner = write.finalWriter === null ? '' : `; the key holds op ${String(write.finalSource)}'s value (process ${String(write.finalWriter.process)}${write.finalWriter.node === undefined ? '' : ` via ${write.finalWriter.node}`})`;
  return `op ${write.index} ${write.key}=${shown} (process ${String(write.process)}${acked}${winner})`;
}

function finalSource(values: Map<string, Operation> | undefined, finalValue: unknown): ReadSource {
  if (finalValue === null || finalValue === undefined) return { kind: 'initial' };
  const write = values?.get(canonicalValue(finalValue));
  return write ? { kind: 'write', write } : { kind: 'unwritten', value: finalValue };
}

function fateOf(write: Operation, source: ReadSource): { fate: WriteFate; because: string } {
  if (source.kind === 'initial') return { fate: 'lost', because: 'the key reads as empty at the end' };
  if (source.kind === 'unwritten') return { fate: 'lost', because: `the key holds ${canonicalValue(source.value)} at the end, which no write wrote` };
  const order = compareWrites(write, source.write, null);
  switch (order.order) {
    case 'same': return { fate: 'survived', because: 'it is the final value' };
    case 'before': return { fate: 'replaced', because: order.because };
    case 'unknown': return {
      fate: 'maybe-replaced',
      because: source.write.type === 'ok' ? order.because : `the final value came from op ${source.write.index}, whose outcome was ${source.write.type}: it may have taken effect after op ${write.index}`,
    };
    case 'after': return {
      fate: 'lost',
      because: `the final value came from op ${source.write.index}, which completed before op ${write.index} was invoked, so op ${write.index} should have replaced it`,
    };
  }
}
