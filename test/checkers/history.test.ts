// The history helpers: pairing invokes with completions, per-process order, real-time order,
// well-formedness with errors that name the entry; and the lab's CompletedOp records turned
// into a history and into JSON lines. (Reference: src-node/contract/history.ts; Jepsen's
// history model: one outstanding operation per process, info stays open.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import {
  byProcess, canonicalValue, MalformedHistoryError, precedes, sameValue, toOperations, validateHistory,
} from '../../src-main/checkers/history.ts';
import type { CompletedOp } from '../../src-main/workload/client.ts';
import {
  finalReadsFromCompletedOps, historyFromCompletedOps, historyToJsonLines, parseHistoryJsonLines,
  readHistoryFile, writeHistoryFile,
} from '../../src-main/workload/history.ts';
import { history } from './history-fixtures.ts';

describe('toOperations', () => {
  it('pairs each invoke with its completion, with indexes, times, argument and result', () => {
    const entries: HistoryEntry[] = [
      { index: 0, type: 'invoke', process: 1, f: 'write', key: 'x', value: 'a', time: 10 },
      { index: 1, type: 'invoke', process: 2, f: 'read', key: 'x', time: 11 },
      { index: 2, type: 'ok', process: 1, f: 'write', key: 'x', value: 'a', time: 20 },
      { index: 3, type: 'ok', process: 2, f: 'read', key: 'x', value: 'a', time: 21 },
    ];
    const [write, read] = toOperations(entries);
    assert.deepEqual(write, {
      index: 0, process: 1, f: 'write', key: 'x', type: 'ok', argument: 'a', result: 'a',
      invokeIndex: 0, completeIndex: 2, invokeTime: 10, completeTime: 20,
    });
    assert.equal(read?.result, 'a');
    assert.equal(read?.argument, undefined);
    assert.equal(read?.completeIndex, 3);
  });

  it('an operation never completed is info, open until the end', () => {
    const [operation] = toOperations(history(`
      1 invoke write x a
    `));
    assert.equal(operation?.type, 'info');
    assert.equal(operation?.completeIndex, null);
  });

  it('fail and info completions keep their type and error; only ok carries a result', () => {
    const operations = toOperations([
      { index: 0, type: 'invoke', process: 1, f: 'read', key: 'x' },
      { index: 1, type: 'fail', process: 1, f: 'read', key: 'x', value: 'junk', error: 'not-ready' },
      { index: 2, type: 'invoke', process: 1, f: 'write', key: 'x', value: 'b' },
      { index: 3, type: 'info', process: 1, f: 'write', key: 'x', error: 'timeout' },
    ]);
    assert.deepEqual(operations.map((operation) => [operation.type, operation.error, operation.result]), [['fail', 'not-ready', undefined], ['info', 'timeout', undefined]]);
  });

  it('a process may invoke again after an info completion (the lab reuses client ids)', () => {
    const operations = toOperations(history(`
      1 invoke write x a
      1 info   write x a
      1 invoke read  x
      1 ok     read  x a
    `));
    assert.equal(operations.length, 2);
  });

  it('the empty history has no operations', () => {
    assert.deepEqual(toOperations([]), []);
    assert.deepEqual(validateHistory([]), []);
  });
});

describe('malformed histories get errors that name the entry and the rule', () => {
  const cases: { name: string; entries: HistoryEntry[]; message: RegExp }[] = [
    {
      name: 'a completion with no invoke',
      entries: history('1 ok read x 1'),
      message: /entry 0 \(process 1, ok read x\): process 1 has no operation outstanding; a completion must follow an invoke from the same process/,
    },
    {
      name: 'two operations outstanding on one process',
      entries: history(`
        1 invoke write x 1
        1 invoke read  x
      `),
      message: /entry 1 .*process 1 invokes while its write invoked at entry 0 is still outstanding; a process runs one operation at a time/,
    },
    {
      name: 'a completion of another function',
      entries: history(`
        1 invoke write x 1
        1 ok     read  x 1
      `),
      message: /entry 1 .*completes a "read" but process 1 invoked a "write" at entry 0/,
    },
    {
      name: 'a completion of another key',
      entries: history(`
        1 invoke write x 1
        1 ok     write y 1
      `),
      message: /completes key "y" but the invoke at entry 0 was on key "x"/,
    },
    {
      name: 'indexes that go backwards',
      entries: [{ index: 3, type: 'invoke', process: 1, f: 'read' }, { index: 2, type: 'ok', process: 1, f: 'read' }],
      message: /entry at position 1: index 2 does not come after the previous entry's index 3/,
    },
    {
      name: 'an unknown type',
      entries: [{ index: 0, type: 'done' as HistoryEntry['type'], process: 1, f: 'read' }],
      message: /type must be invoke, ok, fail or info, got "done"/,
    },
    {
      name: 'no function',
      entries: [{ index: 0, type: 'invoke', process: 1, f: '' }],
      message: /f \(the function\) must be a non-empty string/,
    },
    {
      name: 'a completion timed before its invoke',
      entries: [{ index: 0, type: 'invoke', process: 1, f: 'read', time: 50 }, { index: 1, type: 'ok', process: 1, f: 'read', time: 40 }],
      message: /completes at time 40, before its invoke at entry 0 \(time 50\)/,
    },
  ];
  for (const { name, entries, message } of cases) {
    it(name, () => {
      assert.throws(() => toOperations(entries), (error: unknown) => {
        assert.ok(error instanceof MalformedHistoryError);
        assert.match(error.message, message);
        assert.ok(error.problems.length >= 1);
        return true;
      });
    });
  }

  it('lists every problem, not just the first', () => {
    const problems = validateHistory(history(`
      1 ok     read x 1
      2 ok     read x 1
      3 invoke read x
    `));
    assert.deepEqual(problems.map((problem) => problem.entry), [0, 1]);
  });
});

describe('order', () => {
  const operations = toOperations(history(`
    1 invoke write x a
    1 ok     write x a
    2 invoke write x b
    3 invoke write x c
    2 ok     write x b
    3 info   write x c
    1 invoke read  x
    1 ok     read  x b
  `));
  const [a, b, c, read] = operations as [typeof operations[number], typeof operations[number], typeof operations[number], typeof operations[number]];

  it('precedes: completed ok before the other was invoked', () => {
    assert.equal(precedes(a, b), true);
    assert.equal(precedes(b, a), false);
    assert.equal(precedes(b, c), false, 'b and c overlap');
    assert.equal(precedes(b, read), true);
  });

  it('an info operation precedes nothing: it may take effect at any later time', () => {
    assert.equal(precedes(c, read), false);
  });

  it('byProcess gives each session in the order it ran', () => {
    const sessions = byProcess(operations);
    assert.deepEqual([...sessions.keys()], [1, 2, 3]);
    assert.deepEqual(sessions.get(1)?.map((operation) => operation.index), [0, 6]);
  });

  it('values compare by content, object keys in any order', () => {
    assert.equal(sameValue({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }), true);
    assert.equal(sameValue([1, 2], [2, 1]), false);
    assert.equal(canonicalValue(undefined), 'undefined');
  });
});

function completed(client: string, f: string, key: string, value: unknown, result: CompletedOp['result'], invokedAtMs: number, completedAtMs: number): CompletedOp {
  return {
    client, node: 'n1', op: { f, key, ...(value !== undefined ? { value } : {}) }, result,
    invokedAtMs, completedAtMs, opId: `${client}:${invokedAtMs}`,
  };
}

describe('the lab history from CompletedOp records', () => {
  it('orders entries by lab time and carries results, errors and the written value on ok', () => {
    const entries = historyFromCompletedOps([
      completed('c2', 'get', 'k1', undefined, { type: 'ok', value: 'c1-1' }, 5, 9),
      completed('c1', 'put', 'k1', 'c1-1', { type: 'ok' }, 1, 4),
      completed('c1', 'put', 'k1', 'c1-2', { type: 'info', error: 'no answer' }, 10, 20),
    ]);
    assert.deepEqual(entries, [
      { index: 0, type: 'invoke', process: 'c1', f: 'put', time: 1, key: 'k1', value: 'c1-1', id: 'c1:1', node: 'n1' },
      { index: 1, type: 'ok', process: 'c1', f: 'put', time: 4, key: 'k1', value: 'c1-1', id: 'c1:1', node: 'n1' },
      { index: 2, type: 'invoke', process: 'c2', f: 'get', time: 5, key: 'k1', id: 'c2:5', node: 'n1' },
      { index: 3, type: 'ok', process: 'c2', f: 'get', time: 9, key: 'k1', value: 'c1-1', id: 'c2:5', node: 'n1' },
      { index: 4, type: 'invoke', process: 'c1', f: 'put', time: 10, key: 'k1', value: 'c1-2', id: 'c1:10', node: 'n1' },
      { index: 5, type: 'info', process: 'c1', f: 'put', time: 20, key: 'k1', value: 'c1-2', error: 'no answer', id: 'c1:10', node: 'n1' },
    ]);
  });

  it('at equal times, another client\'s invoke goes before a completion (the ops overlap: no false order)', () => {
    const entries = historyFromCompletedOps([
      completed('c1', 'put', 'k', 'a', { type: 'ok' }, 0, 5),
      completed('c2', 'put', 'k', 'b', { type: 'ok' }, 5, 8),
    ]);
    const [a, b] = toOperations(entries) as [ReturnType<typeof toOperations>[number], ReturnType<typeof toOperations>[number]];
    assert.equal(precedes(a, b), false);
  });

  it('a client\'s next op at the time its previous completed stays after it', () => {
    const entries = historyFromCompletedOps([
      completed('c1', 'put', 'k', 'a', { type: 'ok' }, 0, 5),
      completed('c1', 'get', 'k', undefined, { type: 'ok', value: 'a' }, 5, 6),
    ]);
    assert.deepEqual(entries.map((entry) => entry.type), ['invoke', 'ok', 'invoke', 'ok']);
  });

  it('an operation that overlaps its own client\'s (asked by hand) becomes a process of its own', () => {
    const entries = historyFromCompletedOps([
      completed('c1', 'put', 'k', 'a', { type: 'ok' }, 0, 10),
      completed('c1', 'get', 'k', undefined, { type: 'ok', value: null }, 2, 3),
    ]);
    assert.deepEqual(validateHistory(entries), []);
    assert.deepEqual([...new Set(entries.map((entry) => entry.process))], ['c1', 'c1#2']);
  });

  it('property: random CompletedOp records always make a well-formed history with every op in it (seeded)', () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const random = createRandom(seed);
      const operations: CompletedOp[] = [];
      for (let client = 1; client <= random.int(1, 4); client += 1) {
        let clock = random.int(0, 3);
        for (let count = random.int(0, 8); count > 0; count -= 1) {
          // Mostly sequential, sometimes overlapping (a hand-made op), often tied times.
          const invokedAtMs = random.chance(15) ? Math.max(0, clock - random.int(1, 3)) : clock;
          const completedAtMs = invokedAtMs + random.int(0, 3);
          const type = (['ok', 'fail', 'info'] as const)[random.int(0, 2)] ?? 'ok';
          operations.push(completed(`c${client}`, 'put', `k${random.int(1, 2)}`, `c${client}-${count}`, { type }, invokedAtMs, completedAtMs));
          clock = Math.max(clock, completedAtMs) + random.int(0, 1);
        }
      }
      const entries = historyFromCompletedOps(operations);
      assert.deepEqual(validateHistory(entries), [], `seed ${seed}`);
      assert.equal(toOperations(entries).length, operations.length, `seed ${seed}`);
    }
  });

  it('final reads from the lab\'s read-back: ok reads only, null for a missing key', () => {
    const reads = finalReadsFromCompletedOps([
      completed('c9', 'get', 'k1', undefined, { type: 'ok', value: 'c1-1' }, 0, 1),
      completed('c9', 'get', 'k2', undefined, { type: 'ok' }, 1, 2),
      completed('c9', 'get', 'k3', undefined, { type: 'info' }, 2, 3),
    ]);
    assert.deepEqual(reads, [{ key: 'k1', value: 'c1-1' }, { key: 'k2', value: null }]);
  });
});

describe('history JSON lines', () => {
  const entries = history(`
    1 invoke write x a
    1 ok     write x a
    2 invoke read  x
  `);

  it('round-trips, with the run line first', () => {
    const text = historyToJsonLines(entries, { runId: 'r1' });
    assert.equal(text.split('\n')[0], '{"run":{"runId":"r1"}}');
    assert.deepEqual(parseHistoryJsonLines(text), { run: { runId: 'r1' }, history: entries });
  });

  it('names the line that is not JSON', () => {
    assert.throws(() => parseHistoryJsonLines('{"index":0}\n{oops\n', 'h.jsonl'), /^Error: h\.jsonl:2: not JSON/);
  });

  it('rejects entries that do not form a history, saying which', () => {
    assert.throws(() => parseHistoryJsonLines('{"index":0,"type":"ok","process":1,"f":"read"}\n', 'h.jsonl'),
      (error: unknown) => error instanceof MalformedHistoryError && /h\.jsonl: entry 0 .*no operation outstanding/.test(error.message));
  });

  it('writes and reads a file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'distlab-history-'));
    try {
      const file = path.join(dir, 'history.jsonl');
      await writeHistoryFile(file, entries);
      assert.deepEqual(await readHistoryFile(file), { run: null, history: entries });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
