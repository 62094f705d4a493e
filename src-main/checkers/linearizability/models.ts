// Sequential specifications for the linearizability checker: what one object does when
// operations are applied to it one at a time (Herlihy & Wing 1990). A model also fixes how a
// history's completions are read, because histories from different tools mean different
// things by `fail` and by a `nil` result. Each model states its conventions here, once:
//
//   ok     the operation happened, with this result.
//   fail   depends on the convention: usually "certainly did not happen" (the operation is
//          dropped), but etcd's Jepsen logs record a compare-and-set whose comparison failed
//          as `:fail` — it took effect and observed a different value.
//   info   may or may not have happened: the operation stays open until the end of the
//          history and its result is unknown (Jepsen, Knossos, Porcupine agree on this).
//   never completed (still pending at the end): treated like `info`.
//
// Pure code: no I/O, no clocks. Values are compared through a canonical JSON text, so `1`
// and `"1"` differ and `{a, b}` equals `{b, a}`.

import type { HistoryEntry } from '../../../src-node/contract/history.ts';
import { hashString } from '../../../src-node/protocols/hash/hash-string.ts';

/** The result of applying one operation to one state. `next` has one state per way the
 * operation can go (models here are deterministic: zero or one). */
export interface StepResult<State> {
  ok: boolean;
  next: State[];
}

/** One invoke/completion pair as the model reads it. */
export interface PreparedOperation<Input, Output, State = unknown> {
  input: Input;
  output: Output;
  /**
   * True when the operation never changes the state wherever it is legal (a read, a get, a
   * compare-and-set that observed a mismatch). The search may then commit to placing it as
   * soon as it is legal, without trying the other candidates first: any linearization that
   * places it later can move it earlier without changing a state (a partial-order
   * reduction in the spirit of Lowe 2017 §5).
   */
  readOnly: boolean;
  /**
   * Optional, for an operation that reads the whole state: legal exactly when the state
   * equals this one, and then it changes nothing. Lets the checker decide it by comparing
   * interned state ids instead of calling `step` (the same answer, faster).
   */
  expects?: State;
}

/** How the model reads one invoke and its completion (`null` when it never completed). */
export type Preparation<Input, Output> =
  | { kind: 'operation'; operation: PreparedOperation<Input, Output> }
  | { kind: 'skip'; why: string }
  | { kind: 'error'; message: string };

export interface Model<State, Input, Output> {
  readonly name: string;
  /** The conventions, one sentence each, for messages and `--help`. */
  readonly conventions: readonly string[];
  init(): State;
  /**
   * Reads an operation. `completion` is null or of type `info` when the outcome is unknown;
   * the checker keeps such an operation open until the end. `skip` drops an operation that
   * cannot matter (it did not happen, or it is a read whose result is unknown).
   */
  prepare(call: HistoryEntry, completion: HistoryEntry | null): Preparation<Input, Output>;
  step(state: State, input: Input, output: Output): StepResult<State>;
  equal(a: State, b: State): boolean;
  hash(state: State): number;
  /**
   * Optional: a primitive that identifies a state (equal states, equal keys). When present
   * the checker interns states through a Map on it, which is faster than hash + equal.
   */
  internKey?(state: State): string | number;
  /** The independent object an operation acts on (Horn & Kroening 2015): '' when the model has one. */
  partitionKey(call: HistoryEntry): string;
  describe(input: Input, output: Output): string;
  describeState(state: State): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = Model<any, any, any>;

export type Conventions = 'default' | 'knossos';

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/** A canonical JSON text for a value: object keys sorted, `undefined` read as null. */
export function canonical(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(String(value));
}

const NULL_TEXT = 'null';

function isOpen(completion: HistoryEntry | null): boolean {
  return completion === null || completion.type === 'info';
}

function skip(why: string): { kind: 'skip'; why: string } {
  return { kind: 'skip', why };
}

function error(message: string): { kind: 'error'; message: string } {
  return { kind: 'error', message };
}

function operation<Input, Output>(input: Input, output: Output, readOnly: boolean): Preparation<Input, Output> {
  return { kind: 'operation', operation: { input, output, readOnly } };
}

/** A read of the whole state, which must hold `expects`. */
function read<Input, Output>(input: Input, output: Output, expects: string): Preparation<Input, Output> {
  return { kind: 'operation', operation: { input, output, readOnly: true, expects } };
}

/** A state held as canonical text: equal, hash and describe come for free. */
const textState = {
  equal: (a: string, b: string): boolean => a === b,
  internKey: (state: string): string => state,
  hash: hashString,
  describeState: (state: string): string => state,
};

const ILLEGAL: StepResult<never> = { ok: false, next: [] };
function to<State>(state: State): StepResult<State> {
  return { ok: true, next: [state] };
}

// ---------------------------------------------------------------------------------------
// register and cas-register
// ---------------------------------------------------------------------------------------

/** The value of a register operation: `read` carries what was read, or null when unknown. */
export type RegisterInput =
  | { f: 'read' }
  | { f: 'write'; value: string }
  | { f: 'cas'; from: string; to: string };
/** `value`: the canonical value read; `unknown`: any result is legal; `mismatch`: a CAS that observed state ≠ from. */
export type RegisterOutput = { kind: 'value'; value: string } | { kind: 'unknown' } | { kind: 'ok' } | { kind: 'mismatch' };

const UNKNOWN_OUTPUT: RegisterOutput = { kind: 'unknown' };
const OK_OUTPUT: RegisterOutput = { kind: 'ok' };

function stepRegister(state: string, input: RegisterInput, output: RegisterOutput): StepResult<string> {
  switch (input.f) {
    case 'read':
      return output.kind === 'unknown' || (output.kind === 'value' && output.value === state) ? to(state) : ILLEGAL;
    case 'write':
      return to(input.value);
    case 'cas':
      if (output.kind === 'unknown') return to(state === input.from ? input.to : state);
      if (output.kind === 'mismatch') return state === input.from ? ILLEGAL : to(state);
      return state === input.from ? to(input.to) : ILLEGAL;
  }
}

function describeRegister(input: RegisterInput, output: RegisterOutput): string {
  const result = output.kind === 'value' ? output.value : output.kind;
  switch (input.f) {
    case 'read': return `read → ${result}`;
    case 'write': return `write ${input.value}${output.kind === 'unknown' ? ' (unknown outcome)' : ''}`;
    case 'cas': return `cas ${input.from} → ${input.to}: ${result}`;
  }
}

function casArguments(value: unknown): { from: string; to: string } | null {
  if (!Array.isArray(value) || value.length !== 2) return null;
  return { from: canonical(value[0]), to: canonical(value[1]) };
}

interface RegisterRules {
  allowCas: boolean;
  /** etcd: `fail` on a CAS means it took effect and observed a mismatch. */
  failedCasObservedMismatch: boolean;
  /** Knossos: a read that returned nil tells nothing. */
  nilReadIsUnknown: boolean;
}

function prepareRegister(rules: RegisterRules, call: HistoryEntry, completion: HistoryEntry | null): Preparation<RegisterInput, RegisterOutput> {
  const open = isOpen(completion);
  switch (call.f) {
    case 'read': {
      if (open) return skip('a read with an unknown result constrains nothing');
      if (completion!.type === 'fail') return skip('a failed read constrains nothing');
      const value = completion!.value;
      if (rules.nilReadIsUnknown && (value === null || value === undefined)) return skip('a nil read is unknown (Knossos)');
      const text = canonical(value);
      return read({ f: 'read' }, { kind: 'value', value: text }, text);
    }
    case 'write':
      if (completion?.type === 'fail') return skip('a failed write did not happen');
      return operation({ f: 'write', value: canonical(call.value) }, open ? UNKNOWN_OUTPUT : OK_OUTPUT, false);
    case 'cas': {
      if (!rules.allowCas) return error('the register model has read and write only (use cas-register)');
      const args = casArguments(call.value);
      if (args === null) return error(`cas needs [from to], got ${canonical(call.value)}`);
      const input: RegisterInput = { f: 'cas', ...args };
      if (open) return operation(input, UNKNOWN_OUTPUT, false);
      if (completion!.type === 'fail') {
        return rules.failedCasObservedMismatch ? operation(input, { kind: 'mismatch' }, true) : skip('a failed cas did not happen');
      }
      return operation(input, OK_OUTPUT, false);
    }
    default:
      return error(`unknown function '${call.f}' for a ${rules.allowCas ? 'cas-register' : 'register'} (known: read, write${rules.allowCas ? ', cas' : ''})`);
  }
}

function registerModel(name: string, rules: RegisterRules, conventions: string[]): Model<string, RegisterInput, RegisterOutput> {
  return {
    name,
    conventions,
    init: () => NULL_TEXT,
    prepare: (call, completion) => prepareRegister(rules, call, completion),
    step: stepRegister,
    ...textState,
    partitionKey: (call) => call.key ?? '',
    describe: describeRegister,
  };
}

const COMMON_CONVENTIONS = [
  'info (or no completion) = may or may not have happened; open until the end, result unknown',
  'operations with a key are checked per key (P-compositionality, Horn & Kroening 2015)',
];

/** A read/write register. Default: starts null; a null read means "null"; fail = did not happen. */
export function createRegisterModel(conventions: Conventions = 'default'): Model<string, RegisterInput, RegisterOutput> {
  const knossos = conventions === 'knossos';
  return registerModel('register', { allowCas: false, failedCasObservedMismatch: false, nilReadIsUnknown: knossos }, [
    'starts as nil (null)',
    knossos ? 'a nil read tells nothing (Knossos)' : 'a nil read means the register holds nil',
    'fail = did not happen',
    ...COMMON_CONVENTIONS,
  ]);
}

/**
 * A compare-and-set register. Default conventions are those of the Jepsen etcd logs (as
 * Porcupine reads them): starts absent (nil); a nil read means absent; `:fail :cas` took
 * effect and observed a mismatch; `:fail :read` is a read with unknown result. Knossos
 * conventions: starts nil, a nil read is unknown, every fail did not happen.
 */
export function createCasRegisterModel(conventions: Conventions = 'default'): Model<string, RegisterInput, RegisterOutput> {
  const knossos = conventions === 'knossos';
  return registerModel('cas-register', { allowCas: true, failedCasObservedMismatch: !knossos, nilReadIsUnknown: knossos }, knossos
    ? ['starts as nil', 'a nil read tells nothing (Knossos)', 'fail = did not happen', ...COMMON_CONVENTIONS]
    : ['starts absent (nil)', 'a nil read means absent', 'fail on cas = took effect and observed a different value (etcd)',
      'fail on read = a read with unknown result', 'fail on write = did not happen', ...COMMON_CONVENTIONS]);
}

// ---------------------------------------------------------------------------------------
// kv (get/put/append on strings) and lab-kv (get/put on JSON values)
// ---------------------------------------------------------------------------------------

/**
 * A kv value with a polynomial hash of its text, kept incrementally: appending `v` to `s`
 * gives hash(s)·B^|v| + hash(v), so a step costs O(|v|), not O(|s|) — the strings of an
 * append workload grow with the history, and every new state is hashed for the cache.
 */
export interface KvText {
  text: string;
  hash: number;
  /**
   * For an appended value: the state it was appended to and what was appended. Two states
   * built the same way from the same parent are equal without comparing their (long) texts.
   */
  parent?: KvText;
  suffix?: string;
}

export type KvInput = { f: 'get' } | { f: 'put' | 'append'; value: KvText; power: number };
export type KvOutput = { kind: 'value'; value: string } | { kind: 'ok' } | { kind: 'unknown' };

const TEXT_HASH_BASE = 0x01000193;

function kvText(text: string): KvText {
  let hash = 0;
  for (let index = 0; index < text.length; index += 1) hash = (Math.imul(hash, TEXT_HASH_BASE) + text.charCodeAt(index)) | 0;
  return { text, hash };
}

/** B^length, the factor that shifts a hash past `length` more characters. */
function hashPower(length: number): number {
  let power = 1;
  for (let index = 0; index < length; index += 1) power = Math.imul(power, TEXT_HASH_BASE);
  return power;
}

const EMPTY_TEXT = kvText('');

function stepKv(state: KvText, input: KvInput, output: KvOutput): StepResult<KvText> {
  switch (input.f) {
    case 'get': return output.kind !== 'value' || output.value === state.text ? to(state) : ILLEGAL;
    case 'put': return to(input.value);
    case 'append':
      if (input.value.text === '') return to(state);
      return to({ text: state.text + input.value.text, hash: (Math.imul(state.hash, input.power) + input.value.hash) | 0, parent: state, suffix: input.value.text });
  }
}

function describeKv(input: KvInput, output: KvOutput): string {
  switch (input.f) {
    case 'get': return `get → ${output.kind === 'value' ? JSON.stringify(output.value) : output.kind}`;
    default: return `${input.f} ${JSON.stringify(input.value.text)}${output.kind === 'unknown' ? ' (unknown outcome)' : ''}`;
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : canonical(value);
}

function prepareKv(knossos: boolean, call: HistoryEntry, completion: HistoryEntry | null): Preparation<KvInput, KvOutput> {
  if (typeof call.key !== 'string') return error(`a kv operation needs a key (entry ${call.index})`);
  if (completion?.type === 'fail') return skip('a failed operation did not happen');
  const open = isOpen(completion);
  switch (call.f) {
    case 'get': {
      if (open) return skip('a get with an unknown result constrains nothing');
      const value = completion!.value;
      if (knossos && (value === null || value === undefined)) return skip('a nil get is unknown (Knossos)');
      const text = asText(value);
      return { kind: 'operation', operation: { input: { f: 'get' }, output: { kind: 'value', value: text }, readOnly: true, expects: kvText(text) } };
    }
    case 'put':
    case 'append': {
      const text = asText(call.value);
      return operation({ f: call.f, value: kvText(text), power: hashPower(text.length) }, open ? { kind: 'unknown' } : { kind: 'ok' }, false);
    }
    default:
      return error(`unknown function '${call.f}' for kv (known: get, put, append)`);
  }
}

function equalKvText(a: KvText, b: KvText): boolean {
  if (a === b) return true;
  if (a.hash !== b.hash || a.text.length !== b.text.length) return false;
  if (a.parent !== undefined && a.parent === b.parent && a.suffix === b.suffix) return true;
  return a.text === b.text;
}

function mixHash(hash: number, length: number): number {
  const mixed = Math.imul(hash ^ Math.imul(length, 0x9e3779b1), 0x85ebca6b);
  return (mixed ^ (mixed >>> 13)) >>> 0;
}

/** Porcupine's key-value test model: per-key strings starting "", get/put/append, partitioned by key. */
export function createKvModel(conventions: Conventions = 'default'): Model<KvText, KvInput, KvOutput> {
  const knossos = conventions === 'knossos';
  return {
    name: 'kv',
    conventions: ['each key starts as the empty string', 'get returns the whole string; put replaces; append concatenates',
      knossos ? 'a nil get tells nothing (Knossos)' : 'a nil get reads ""', 'fail = did not happen', ...COMMON_CONVENTIONS],
    init: () => EMPTY_TEXT,
    prepare: (call, completion) => prepareKv(knossos, call, completion),
    step: stepKv,
    equal: equalKvText,
    hash: (state) => mixHash(state.hash, state.text.length),
    describeState: (state) => JSON.stringify(state.text),
    partitionKey: (call) => call.key ?? '',
    describe: describeKv,
  };
}

export type LabKvInput = { f: 'get' } | { f: 'put'; value: string } | { f: 'cas'; from: string; to: string };
export type LabKvOutput = { kind: 'value'; value: string } | { kind: 'ok' } | { kind: 'unknown' };

function prepareLabKv(call: HistoryEntry, completion: HistoryEntry | null): Preparation<LabKvInput, LabKvOutput> {
  if (typeof call.key !== 'string') return error(`a lab-kv operation needs a key (entry ${call.index})`);
  if (completion?.type === 'fail') return skip('a failed operation did not happen');
  const open = isOpen(completion);
  switch (call.f) {
    case 'get': {
      if (open) return skip('a get with an unknown result constrains nothing');
      const text = canonical(completion!.value);
      return read({ f: 'get' }, { kind: 'value', value: text }, text);
    }
    case 'put':
      return operation({ f: 'put', value: canonical(call.value) }, open ? { kind: 'unknown' } : { kind: 'ok' }, false);
    case 'cas': {
      // Raft's and Multi-Paxos's compare-and-set: {from, to}; a mismatch is a `fail` (skipped above: it changed nothing).
      const argument = call.value as { from?: unknown; to?: unknown } | null;
      if (typeof argument !== 'object' || argument === null || !('from' in argument) || !('to' in argument)) return error(`a lab-kv cas takes {from, to} (entry ${call.index})`);
      return operation({ f: 'cas', from: canonical(argument.from), to: canonical(argument.to) }, open ? { kind: 'unknown' } : { kind: 'ok' }, false);
    }
    default:
      return error(`unknown function '${call.f}' for lab-kv (known: get, put, cas)`);
  }
}

/** The lab's own primary/backup store: put/get of JSON values on string keys, absent = null. */
export function createLabKvModel(): Model<string, LabKvInput, LabKvOutput> {
  return {
    name: 'lab-kv',
    conventions: ['each key starts absent (null)', 'get of an absent key returns null', 'put replaces the value',
      'cas {from, to} replaces from with to; a cas that fails (mismatch) changed nothing', 'fail = did not happen', ...COMMON_CONVENTIONS],
    init: () => NULL_TEXT,
    prepare: prepareLabKv,
    step: (state, input, output) => input.f === 'put' ? to(input.value)
      : input.f === 'cas' ? (state === input.from ? to(input.to) : ILLEGAL)
      : output.kind !== 'value' || output.value === state ? to(state) : ILLEGAL,
    ...textState,
    partitionKey: (call) => call.key ?? '',
    describe: (input, output) => input.f === 'put'
      ? `put ${input.value}${output.kind === 'unknown' ? ' (unknown outcome)' : ''}`
      : input.f === 'cas'
        ? `cas ${input.from} → ${input.to}${output.kind === 'unknown' ? ' (unknown outcome)' : ''}`
        : `get → ${output.kind === 'value' ? output.value : output.kind}`,
  };
}

// ---------------------------------------------------------------------------------------
// Checking a keyed history as one object (no P-compositionality), for benchmarks and for
// models whose keys are not independent.
// ---------------------------------------------------------------------------------------

/** Per-key states in key-index order; a key not yet touched holds the inner initial state. */
export interface WholeState<State> {
  values: readonly State[];
  hash: number;
}

export interface WholeInput<Input> {
  keyIndex: number;
  input: Input;
}

function mixKey(keyIndex: number, hash: number): number {
  const mixed = Math.imul(hash ^ Math.imul(keyIndex + 1, 0x9e3779b1), 0x85ebca6b);
  return (mixed ^ (mixed >>> 15)) >>> 0;
}

/**
 * Wraps a keyed model so that the whole history is one object whose state holds every key.
 * Only used to measure (and test) what partitioning by key saves.
 */
export function wholeHistoryModel<State, Input, Output>(inner: Model<State, Input, Output>): Model<WholeState<State>, WholeInput<Input>, Output> {
  const keyIndexes = new Map<string, number>();
  const initial = inner.init();
  const slot = (state: WholeState<State>, keyIndex: number): State => state.values[keyIndex] ?? initial;
  const contribution = (keyIndex: number, value: State): number =>
    inner.equal(value, initial) ? 0 : mixKey(keyIndex, inner.hash(value));
  return {
    name: `${inner.name} (whole history)`,
    conventions: [...inner.conventions.filter((line) => !line.includes('per key')), 'all keys are checked as one object'],
    init: () => ({ values: [], hash: 0 }),
    prepare: (call, completion) => {
      const prepared = inner.prepare(call, completion);
      if (prepared.kind !== 'operation') return prepared;
      const key = inner.partitionKey(call);
      let keyIndex = keyIndexes.get(key);
      if (keyIndex === undefined) {
        keyIndex = keyIndexes.size;
        keyIndexes.set(key, keyIndex);
      }
      // `expects` is dropped: a read of one key says nothing about the others.
      const { input, output, readOnly } = prepared.operation;
      return { kind: 'operation', operation: { input: { keyIndex, input }, output, readOnly } };
    },
    step: (state, { keyIndex, input }, output) => {
      const before = slot(state, keyIndex);
      const result = inner.step(before, input, output);
      if (!result.ok) return ILLEGAL;
      return {
        ok: true,
        next: result.next.map((after) => {
          const values = state.values.slice();
          while (values.length <= keyIndex) values.push(initial);
          values[keyIndex] = after;
          const hash = (state.hash ^ contribution(keyIndex, before) ^ contribution(keyIndex, after)) >>> 0;
          return { values, hash };
        }),
      };
    },
    equal: (a, b) => {
      if (a.hash !== b.hash) return false;
      const length = Math.max(a.values.length, b.values.length);
      for (let index = 0; index < length; index += 1) {
        if (!inner.equal(slot(a, index), slot(b, index))) return false;
      }
      return true;
    },
    hash: (state) => state.hash,
    partitionKey: () => '',
    describe: (input, output) => inner.describe(input.input, output),
    describeState: (state) => `{${[...keyIndexes].map(([key, index]) => `${key}: ${inner.describeState(slot(state, index))}`).join(', ')}}`,
  };
}

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------

export const MODEL_NAMES = ['register', 'cas-register', 'kv', 'lab-kv'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

export function createModel(name: ModelName, conventions: Conventions = 'default'): AnyModel {
  switch (name) {
    case 'register': return createRegisterModel(conventions);
    case 'cas-register': return createCasRegisterModel(conventions);
    case 'kv': return createKvModel(conventions);
    case 'lab-kv': return createLabKvModel();
  }
}
