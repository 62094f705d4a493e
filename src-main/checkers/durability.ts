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
}

export type WriteFate = 'survived' | 'replaced' | 'maybe-replaced' | 'lost';

export interface LostWrite {
  /** The write's invoke index. */
  index: number;
  process: ProcessName;
  key: string;
  value: unknown;
  /** What the key held at the end (null: nothing). */
  finalValue: unknown;
  /** The invoke index of the write the final value came from; null for the initial state or a value nobody wrote. */
  finalSource: number | null;
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
  const finals = new Map<string, unknown>();
  for (const read of finalReads) {
    const key = keyOf(read);
    if (finals.has(key)) throw new Error(`two final reads of key ${JSON.stringify(key)}; give one per key`);
    finals.set(key, read.value ?? null);
  }
  const acknowledged = registers.writes.filter((write) => write.type === 'ok');
  const fates: Record<WriteFate, number> = { survived: 0, replaced: 0, 'maybe-replaced': 0, lost: 0 };
  const lost: LostWrite[] = [];
  const unread = new Set<string>();
  const unwritten = new Map<string, unknown>();
  for (const write of acknowledged) {
    const key = keyOf(write);
    if (!finals.has(key)) {
      unread.add(key);
      continue;
    }
    const finalValue = finals.get(key);
    const source = finalSource(registers.writeByValue.get(key), finalValue);
    if (source.kind === 'unwritten') unwritten.set(key, finalValue);
    const { fate, because } = fateOf(write, source);
    fates[fate] += 1;
    if (fate === 'lost') {
      lost.push({
        index: write.index, process: write.process, key, value: write.argument, finalValue,
        finalSource: source.kind === 'write' ? source.write.index : null,
        explanation: `op ${write.index} (${write.f} ${key}=${canonicalValue(write.argument)} by process ${String(write.process)}) was acknowledged but is gone: ${because}`,
      });
    }
  }
  const verdict: CheckVerdict = lost.length > 0 ? 'invalid' : unread.size > 0 ? 'unknown' : 'valid';
  const summary = lost.length > 0
    ? `${lost.length} acknowledged write(s) lost: ${lost.slice(0, 5).map((write) => `op ${write.index} ${write.key}=${canonicalValue(write.value)} (process ${String(write.process)})`).join('; ')}`
    : unread.size > 0
      ? `no write known lost, but ${unread.size} key(s) with acknowledged writes were not read back: ${[...unread].slice(0, 5).join(', ')}`
      : `all ${acknowledged.length} acknowledged write(s) survived or were replaced (${fates.survived} survived, ${fates.replaced} replaced, ${fates['maybe-replaced']} maybe replaced by an overlapping write)`;
  return {
    verdict, lost, unread: [...unread].sort(), fates,
    unwritten: [...unwritten].map(([key, value]) => ({ key, value })), summary,
  };
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
