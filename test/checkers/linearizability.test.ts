// The linearizability checker: Porcupine's validation histories get the verdicts its test
// suite asserts; small hand-made histories read like the definitions (Herlihy & Wing 1990);
// thousands of random small histories agree with a brute-force search written here from
// the definition alone; deadlines and memory bounds answer `unknown`; an invalid answer's
// evidence (longest linearizable prefix, unplaceable operations) is checked independently.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import { parseHistory } from '../../src-main/checkers/history-formats/parse.ts';
import { checkLinearizability, type LinearizabilityResult } from '../../src-main/checkers/linearizability/check.ts';
import { createModel, type ModelName } from '../../src-main/checkers/linearizability/models.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, '../shared/validation/porcupine');

function requireData(): void {
  assert.ok(existsSync(dataDir), `the validation data is missing: expected Porcupine's test histories in ${dataDir} (see its README.md; CI provides it)`);
}

function check(history: HistoryEntry[], model: ModelName, extra: Partial<Parameters<typeof checkLinearizability>[1]> = {}): LinearizabilityResult {
  return checkLinearizability(history, { model: createModel(model), ...extra });
}

// ---------------------------------------------------------------------------------------
// Porcupine's validation data
// ---------------------------------------------------------------------------------------

const ETCD_LINEARIZABLE = new Set('002 005 007 018 025 031 038 045 048 049 051 053 056 067 075 076 080 087 092 098 100 101 102'.split(' '));

describe('Porcupine validation histories (verdicts of its README)', () => {
  it('etcd_000 … etcd_102 (cas-register, etcd conventions; 095 is empty)', () => {
    requireData();
    const wrong: string[] = [];
    for (let number = 0; number <= 102; number += 1) {
      const id = String(number).padStart(3, '0');
      const parsed = parseHistory(readFileSync(path.join(dataDir, 'jepsen', `etcd_${id}.log`), 'utf8'));
      assert.ok(parsed.ok, `etcd_${id} parses`);
      if (number === 95) assert.equal(parsed.entries.length, 0, 'etcd_095 is empty');
      const expected = number === 95 || ETCD_LINEARIZABLE.has(id) ? 'valid' : 'invalid';
      const result = check(parsed.entries, 'cas-register');
      if (result.verdict !== expected) wrong.push(`etcd_${id}: ${result.verdict}, expected ${expected}`);
    }
    assert.deepEqual(wrong, []);
  });

  for (const name of ['c01-ok', 'c01-bad', 'c10-ok', 'c10-bad', 'c50-ok', 'c50-bad']) {
    it(`kv/${name}.txt (kv, partitioned by key)`, () => {
      requireData();
      const parsed = parseHistory(readFileSync(path.join(dataDir, 'kv', `${name}.txt`), 'utf8'));
      assert.ok(parsed.ok && parsed.format === 'edn');
      const result = check(parsed.entries, 'kv');
      assert.equal(result.verdict, name.endsWith('-ok') ? 'valid' : 'invalid', result.reason);
      if (result.verdict === 'invalid') assertEvidence(parsed.entries, 'kv', result);
    });
  }

  it('c01 without partitioning by key gives the same verdicts', () => {
    requireData();
    for (const name of ['c01-ok', 'c01-bad']) {
      const parsed = parseHistory(readFileSync(path.join(dataDir, 'kv', `${name}.txt`), 'utf8'));
      assert.ok(parsed.ok);
      const result = check(parsed.entries, 'kv', { partitionByKey: false });
      assert.equal(result.partitions.length, 1);
      assert.equal(result.verdict, name.endsWith('-ok') ? 'valid' : 'invalid');
    }
  });
});

// ---------------------------------------------------------------------------------------
// Hand-made histories
// ---------------------------------------------------------------------------------------

/** A history from terse steps: [process, type, f, value?, key?]. */
function history(...steps: [number, HistoryEntry['type'], string, unknown?, string?][]): HistoryEntry[] {
  return steps.map(([process, type, f, value, key], index) => {
    const entry: HistoryEntry = { index, type, process, f, time: index * 10 };
    if (value !== undefined) entry.value = value;
    if (key !== undefined) entry.key = key;
    return entry;
  });
}

describe('small histories (register: starts null, fail = did not happen, info = open)', () => {
  it('the empty history is linearizable', () => {
    assert.equal(check([], 'register').verdict, 'valid');
  });

  it('a single read of the initial value is linearizable; of another value it is not', () => {
    assert.equal(check(history([1, 'invoke', 'read'], [1, 'ok', 'read', null]), 'register').verdict, 'valid');
    assert.equal(check(history([1, 'invoke', 'read'], [1, 'ok', 'read', 5]), 'register').verdict, 'invalid');
  });

  it('a stale read (an older value after a newer write completed) is not', () => {
    const stale = history(
      [1, 'invoke', 'write', 1], [1, 'ok', 'write', 1],
      [1, 'invoke', 'write', 2], [1, 'ok', 'write', 2],
      [2, 'invoke', 'read'], [2, 'ok', 'read', 1],
    );
    const result = check(stale, 'register');
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.failing!.unplaceable[0]!.description, 'read → 1');
    assert.deepEqual(result.failing!.window, { fromIndex: 4, toIndex: 5, fromTime: 40, toTime: 50 });
  });

  it('a lost write (acknowledged, then read back as absent) is not', () => {
    const lost = history([1, 'invoke', 'write', 7], [1, 'ok', 'write', 7], [2, 'invoke', 'read'], [2, 'ok', 'read', null]);
    assert.equal(check(lost, 'register').verdict, 'invalid');
  });

  it('a failed write did not happen: reading its value is not linearizable', () => {
    const failed = history([1, 'invoke', 'write', 7], [1, 'fail', 'write', 7], [2, 'invoke', 'read'], [2, 'ok', 'read', 7]);
    assert.equal(check(failed, 'register').verdict, 'invalid');
  });

  it('a last operation that is info may or may not have happened', () => {
    const took = history([1, 'invoke', 'write', 3], [2, 'invoke', 'read'], [2, 'ok', 'read', 3], [1, 'info', 'write']);
    const didNot = history([1, 'invoke', 'write', 3], [2, 'invoke', 'read'], [2, 'ok', 'read', null], [1, 'info', 'write']);
    const lateRead = history([1, 'invoke', 'write', 3], [1, 'info', 'write'], [2, 'invoke', 'read'], [2, 'ok', 'read', 3]);
    const pending = history([2, 'invoke', 'read'], [2, 'ok', 'read', null], [1, 'invoke', 'write', 3]);
    for (const item of [took, didNot, lateRead, pending]) assert.equal(check(item, 'register').verdict, 'valid');
  });

  it('concurrent writes can be read either way, but not flip back after both completed', () => {
    const writes: [number, HistoryEntry['type'], string, unknown?][] = [
      [1, 'invoke', 'write', 1], [2, 'invoke', 'write', 2], [1, 'ok', 'write', 1], [2, 'ok', 'write', 2],
    ];
    for (const value of [1, 2]) {
      assert.equal(check(history(...writes, [3, 'invoke', 'read'], [3, 'ok', 'read', value]), 'register').verdict, 'valid');
    }
    const flip = history(...writes, [3, 'invoke', 'read'], [3, 'ok', 'read', 1], [3, 'invoke', 'read'], [3, 'ok', 'read', 2]);
    assert.equal(check(flip, 'register').verdict, 'invalid');
    // While the writes are still running, a reader may see them in either order.
    const during = history([1, 'invoke', 'write', 1], [2, 'invoke', 'write', 2], [3, 'invoke', 'read'], [3, 'ok', 'read', 2],
      [3, 'invoke', 'read'], [3, 'ok', 'read', 1], [1, 'ok', 'write', 1], [2, 'ok', 'write', 2]);
    assert.equal(check(during, 'register').verdict, 'valid');
  });

  it('keys are independent: a violation on one key is found whatever the others hold', () => {
    const entries = history(
      [1, 'invoke', 'put', 'a', 'x'], [1, 'ok', 'put', undefined, 'x'],
      [2, 'invoke', 'get', undefined, 'y'], [2, 'ok', 'get', 'a', 'y'],
    );
    const result = check(entries, 'lab-kv');
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.failing!.key, 'y');
    assert.equal(result.partitions.length, 2);
  });

  it('lab-kv cas (Raft, Multi-Paxos): replaces from with to; a mismatch is a fail that changed nothing', () => {
    const ok = history(
      [1, 'invoke', 'put', 'v1', 'k'], [1, 'ok', 'put', 'v1', 'k'],
      [2, 'invoke', 'cas', { from: 'v1', to: 'v2' }, 'k'], [2, 'ok', 'cas', { from: 'v1', to: 'v2' }, 'k'],
      [3, 'invoke', 'get', undefined, 'k'], [3, 'ok', 'get', 'v2', 'k'],
    );
    assert.equal(check(ok, 'lab-kv').verdict, 'valid');
    // A cas that succeeded although the key held something else cannot be linearized.
    const impossible = history(
      [1, 'invoke', 'put', 'v1', 'k'], [1, 'ok', 'put', 'v1', 'k'],
      [2, 'invoke', 'cas', { from: 'v0', to: 'v2' }, 'k'], [2, 'ok', 'cas', { from: 'v0', to: 'v2' }, 'k'],
    );
    assert.equal(check(impossible, 'lab-kv').verdict, 'invalid');
    const mismatch = history(
      [1, 'invoke', 'put', 'v1', 'k'], [1, 'ok', 'put', 'v1', 'k'],
      [2, 'invoke', 'cas', { from: 'v0', to: 'v2' }, 'k'], [2, 'fail', 'cas', { from: 'v0', to: 'v2' }, 'k'],
      [3, 'invoke', 'get', undefined, 'k'], [3, 'ok', 'get', 'v1', 'k'],
    );
    assert.equal(check(mismatch, 'lab-kv').verdict, 'valid');
  });

  it('etcd conventions: a failed cas took effect and saw another value; knossos: it did not happen', () => {
    const entries = history([1, 'invoke', 'cas', [1, 2]], [1, 'fail', 'cas', [1, 2]], [2, 'invoke', 'read'], [2, 'ok', 'read', null]);
    assert.equal(check(entries, 'cas-register').verdict, 'valid');
    const mismatchImpossible = history([1, 'invoke', 'write', 1], [1, 'ok', 'write', 1], [2, 'invoke', 'cas', [1, 2]], [2, 'fail', 'cas', [1, 2]]);
    assert.equal(check(mismatchImpossible, 'cas-register').verdict, 'invalid');
    const knossos = checkLinearizability(mismatchImpossible, { model: createModel('cas-register', 'knossos') });
    assert.equal(knossos.verdict, 'valid');
  });

  it('knossos conventions: a nil read tells nothing', () => {
    const entries = history([1, 'invoke', 'write', 4], [1, 'ok', 'write', 4], [2, 'invoke', 'read'], [2, 'ok', 'read', null]);
    assert.equal(check(entries, 'register').verdict, 'invalid');
    assert.equal(checkLinearizability(entries, { model: createModel('register', 'knossos') }).verdict, 'valid');
  });

  it('a malformed history is unknown with its problems listed', () => {
    const result = check(history([1, 'ok', 'read', null]), 'register');
    assert.equal(result.verdict, 'unknown');
    assert.match(result.problems[0]!.message, /without an outstanding invoke/);
    const doubled = check(history([1, 'invoke', 'read'], [1, 'invoke', 'read']), 'register');
    assert.match(doubled.problems[0]!.message, /still outstanding/);
  });
});

// ---------------------------------------------------------------------------------------
// Deadline and memory bound
// ---------------------------------------------------------------------------------------

/** Many writers and readers on one register, all valid: long enough for many slices. */
function longHistory(operations: number): HistoryEntry[] {
  const random = createRandom(7);
  const entries: HistoryEntry[] = [];
  let value = 0;
  for (let op = 0; op < operations; op += 1) {
    const process = op % 8;
    if (random.chance(50)) {
      value += 1;
      entries.push({ index: entries.length, type: 'invoke', process, f: 'write', value }, { index: entries.length + 1, type: 'ok', process, f: 'write', value });
    } else {
      entries.push({ index: entries.length, type: 'invoke', process, f: 'read' }, { index: entries.length + 1, type: 'ok', process, f: 'read', value: value === 0 ? null : value });
    }
  }
  return entries;
}

describe('bounds', () => {
  it('a huge history with a 1 ms deadline answers unknown quickly', () => {
    const entries = longHistory(100_000);
    const started = performance.now();
    const result = check(entries, 'register', { deadlineMs: 1, now: () => performance.now() });
    const elapsedMs = performance.now() - started;
    assert.equal(result.verdict, 'unknown');
    assert.match(result.reason, /deadline of 1 ms/);
    assert.ok(elapsedMs < 2_000, `took ${elapsedMs} ms`);
  });

  it('the deadline is read from the injected clock', () => {
    let ticks = 0;
    const result = check(longHistory(20_000), 'register', { deadlineMs: 3, now: () => ticks++ });
    assert.equal(result.verdict, 'unknown');
    assert.ok(ticks <= 6, `the clock was read ${ticks} times`);
  });

  it('an exhausted memory bound answers unknown instead of failing the process', () => {
    requireData();
    const parsed = parseHistory(readFileSync(path.join(dataDir, 'jepsen', 'etcd_002.log'), 'utf8'));
    assert.ok(parsed.ok);
    const result = check(parsed.entries, 'cas-register', { maxMemoryBytes: 64 * 1024 });
    assert.equal(result.verdict, 'unknown');
    assert.match(result.reason, /memory bound/);
  });

  it('a violation is still reported when another partition runs out of time', () => {
    // Key "hard" needs many slices; key "bad" fails at once. Interleaving finds "bad".
    const hard = longHistory(40_000).map((entry) => ({ ...entry, key: 'hard', f: entry.f === 'write' ? 'put' : 'get' }));
    const bad = history([9, 'invoke', 'get', undefined, 'bad'], [9, 'ok', 'get', 'ghost', 'bad'])
      .map((entry) => ({ ...entry, index: entry.index + hard.length }));
    const result = check([...hard, ...bad], 'lab-kv', { deadlineMs: 60_000, now: () => performance.now() });
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.failing!.key, 'bad');
    assert.equal(result.partitions.find((partition) => partition.key === 'hard')!.verdict, 'unknown');
  });
});

// ---------------------------------------------------------------------------------------
// A brute-force specification, written from the definitions only, for random histories.
// ---------------------------------------------------------------------------------------

type SpecModel = 'register' | 'cas-register' | 'kv';

interface SpecOperation {
  callIndex: number;
  returnIndex: number;
  /** Open (info or pending): may be left out; never precedes anything in real time. */
  open: boolean;
  f: string;
  key: string;
  argument: unknown;
  /** ok result; null for unknown. */
  result: unknown;
  failed: boolean;
}

/** The state after `operation`, or undefined when it cannot happen in `state`. */
function specStep(model: SpecModel, state: Map<string, unknown>, operation: SpecOperation): Map<string, unknown> | undefined {
  const current = state.get(operation.key) ?? (model === 'kv' ? '' : null);
  const set = (value: unknown): Map<string, unknown> => new Map(state).set(operation.key, value);
  const unknownResult = operation.open;
  switch (operation.f) {
    case 'read': case 'get':
      return unknownResult || operation.result === current ? state : undefined;
    case 'write': case 'put':
      return set(operation.argument);
    case 'append':
      return set(`${current as string}${operation.argument as string}`);
    case 'cas': {
      const [from, to] = operation.argument as [number, number];
      if (unknownResult) return current === from ? set(to) : state;
      if (operation.failed) return current === from ? undefined : state;
      return current === from ? set(to) : undefined;
    }
    default: throw new Error(operation.f);
  }
}

function specOperations(model: SpecModel, entries: HistoryEntry[]): SpecOperation[] {
  const operations: SpecOperation[] = [];
  const pending = new Map<unknown, SpecOperation>();
  for (const entry of entries) {
    if (entry.type === 'invoke') {
      const operation: SpecOperation = { callIndex: entry.index, returnIndex: Infinity, open: true, f: entry.f, key: entry.key ?? '', argument: entry.value, result: null, failed: false };
      pending.set(entry.process, operation);
      operations.push(operation);
      continue;
    }
    const operation = pending.get(entry.process)!;
    pending.delete(entry.process);
    if (entry.type === 'info') continue;
    operation.open = false;
    operation.returnIndex = entry.index;
    operation.result = entry.value;
    operation.failed = entry.type === 'fail';
  }
  // fail = did not happen, except a cas under the etcd conventions (took effect, saw another value).
  return operations.filter((operation) => !operation.failed || (model === 'cas-register' && operation.f === 'cas'));
}

/** Is there an order of all completed operations (and any open ones) that the model allows? */
function bruteForce(model: SpecModel, operations: SpecOperation[]): boolean {
  const placed = new Array<boolean>(operations.length).fill(false);
  const search = (state: Map<string, unknown>, remainingRequired: number): boolean => {
    if (remainingRequired === 0) return true;
    for (let index = 0; index < operations.length; index += 1) {
      if (placed[index]) continue;
      const operation = operations[index]!;
      const blocked = operations.some((other, otherIndex) => !placed[otherIndex] && other.returnIndex < operation.callIndex);
      if (blocked) continue;
      const next = specStep(model, state, operation);
      if (next === undefined) continue;
      placed[index] = true;
      const found = search(next, remainingRequired - (operation.open ? 0 : 1));
      placed[index] = false;
      if (found) return true;
    }
    return false;
  };
  return search(new Map(), operations.filter((operation) => !operation.open).length);
}

const FUNCTIONS: Record<SpecModel, string[]> = { register: ['read', 'write'], 'cas-register': ['read', 'write', 'cas'], kv: ['get', 'put', 'append'] };

/**
 * A random small history from a simulated object: each operation takes effect at a random
 * moment between its invoke and its completion (or never, for fails and some infos), then
 * some results are corrupted so that about half the histories are not linearizable.
 */
function randomHistory(random: Random, model: SpecModel): HistoryEntry[] {
  const processes = random.int(1, 4);
  const total = random.int(1, 8);
  const entries: HistoryEntry[] = [];
  const state = new Map<string, unknown>();
  type Running = { process: number; f: string; key: string; argument: unknown; effected: boolean; result: unknown; outcome: 'ok' | 'fail' | 'info' };
  const running = new Map<number, Running>();
  let nextProcess = processes;
  const idle = Array.from({ length: processes }, (_, index) => index);
  let started = 0;
  const push = (entry: Omit<HistoryEntry, 'index'>): void => { entries.push({ ...entry, index: entries.length } as HistoryEntry); };
  for (let tick = 0; tick < 200 && (started < total || running.size > 0); tick += 1) {
    const action = random.int(0, 2);
    if (action === 0 && started < total && idle.length > 0) {
      const process = idle.splice(random.int(0, idle.length - 1), 1)[0]!;
      const f = FUNCTIONS[model][random.int(0, FUNCTIONS[model].length - 1)]!;
      const key = model === 'kv' ? String(random.int(0, 1)) : '';
      const argument = f === 'cas' ? [random.int(0, 2), random.int(0, 2)] : f === 'append' ? String.fromCharCode(97 + started) : f === 'read' || f === 'get' ? undefined : random.int(0, 2);
      const outcome = random.chance(12) ? 'info' : random.chance(10) && f !== 'cas' ? 'fail' : 'ok';
      running.set(process, { process, f, key, argument, effected: false, result: undefined, outcome });
      push({ type: 'invoke', process, f, value: argument, ...(key === '' ? {} : { key }) });
      started += 1;
    } else if (running.size > 0) {
      const op = [...running.values()][random.int(0, running.size - 1)]!;
      if (!op.effected && op.outcome !== 'fail' && !(op.outcome === 'info' && random.chance(30))) {
        op.effected = true;
        const current = state.get(op.key) ?? (model === 'kv' ? '' : null);
        if (op.f === 'read' || op.f === 'get') op.result = current;
        else if (op.f === 'cas') {
          const [from, to] = op.argument as [number, number];
          if (current === from) state.set(op.key, to);
          else if (op.outcome === 'ok') op.outcome = 'fail';
        } else if (op.f === 'append') state.set(op.key, `${current as string}${op.argument as string}`);
        else state.set(op.key, op.argument);
      } else if (op.effected || op.outcome === 'fail' || op.outcome === 'info') {
        running.delete(op.process);
        if (op.outcome === 'info' && random.chance(20)) continue; // never completes
        let result = op.f === 'read' || op.f === 'get' ? op.result : op.argument;
        if ((op.f === 'read' || op.f === 'get') && random.chance(25)) result = model === 'kv' ? ['', 'a', 'ab', 'b'][random.int(0, 3)] : [null, 0, 1, 2][random.int(0, 3)];
        push({ type: op.outcome, process: op.process, f: op.f, value: op.outcome === 'info' ? undefined : result, ...(op.key === '' ? {} : { key: op.key }) });
        // A process whose operation is indeterminate is replaced by a new one (Jepsen).
        idle.push(op.outcome === 'info' ? nextProcess++ : op.process);
      }
    }
  }
  return entries;
}

/** The evidence of an invalid answer, checked against the brute-force specification. */
function assertEvidence(entries: HistoryEntry[], model: SpecModel, result: LinearizabilityResult): void {
  const failing = result.failing!;
  const operations = specOperations(model, entries);
  const byCall = new Map(operations.map((operation) => [operation.callIndex, operation]));
  const prefix = failing.longestLinearization.map((view) => byCall.get(view.callIndex)!);
  const inPrefix = new Set(prefix);
  let state = new Map<string, unknown>();
  prefix.forEach((operation, position) => {
    // Real-time order: everything that returned before this call is placed before it.
    for (const other of operations) {
      if (other.key === operation.key && other.returnIndex < operation.callIndex) {
        assert.ok(inPrefix.has(other) && prefix.indexOf(other) < position, `prefix respects real time at ${operation.callIndex}`);
      }
    }
    const next = specStep(model, state, operation);
    assert.ok(next, `prefix operation at entry ${operation.callIndex} is legal`);
    state = next;
  });
  assert.ok(failing.unplaceable.length > 0);
  for (const view of failing.unplaceable) {
    const operation = byCall.get(view.callIndex)!;
    assert.ok(!inPrefix.has(operation));
    assert.equal(specStep(model, state, operation), undefined, `unplaceable ${view.description} is illegal after the prefix`);
    assert.ok(operation.callIndex < failing.window.toIndex + 1 && operation.callIndex >= failing.window.fromIndex);
  }
  assert.equal(failing.blockedAt.returnIndex, failing.window.toIndex);
}

const ROUNDS = 3_000;

describe('agreement with a brute-force search on random histories', () => {
  for (const model of ['register', 'cas-register', 'kv'] as const) {
    it(`${model}: ${ROUNDS} seeded histories`, () => {
      const random = createRandom(model.length * 7919);
      const counts = { valid: 0, invalid: 0 };
      for (let round = 0; round < ROUNDS; round += 1) {
        const entries = randomHistory(random, model);
        const expected = bruteForce(model, specOperations(model, entries)) ? 'valid' : 'invalid';
        const result = check(entries, model);
        assert.equal(result.verdict, expected, `round ${round}: ${JSON.stringify(entries)}`);
        counts[expected] += 1;
        if (expected === 'invalid') assertEvidence(entries, model, result);
        if (model === 'kv' && round % 5 === 0) {
          assert.equal(check(entries, model, { partitionByKey: false }).verdict, expected, `round ${round} unpartitioned`);
        }
      }
      assert.ok(counts.valid > ROUNDS / 10 && counts.invalid > ROUNDS / 10, `a useful mix: ${JSON.stringify(counts)}`);
    });
  }
});
