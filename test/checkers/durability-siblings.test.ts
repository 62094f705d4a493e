// Durability with siblings and under last-writer-wins (src-main/checkers/durability.ts): a
// final read may hold several concurrent versions, and a write survives if any of them keeps
// it; a write lost to an older one — what LWW does with a clock that ran ahead — is named with
// its key, value, client, op id, node and times, and with the write that won.
// Reference: the book §5 ("last writer wins" on unsynchronized clocks); DeCandia et al. 2007 §4.4.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { checkDurability } from '../../src-main/checkers/durability.ts';
import { history } from './history-fixtures.ts';

/** A history with the lab's names and times: each line `process type f key value node time`. */
function timed(text: string): HistoryEntry[] {
  const lines = text.trim().split('\n').map((line) => line.trim().split(/\s+/));
  const opened = new Map<string, string>();
  return lines.map(([process, type, f, key, value, node, time], index) => {
    if (type === 'invoke') opened.set(process!, `${process}:${index}`);
    return {
      index, process: process!, type: type as HistoryEntry['type'], f: f!, key: key!, value: value!, node: node!, time: Number(time), id: opened.get(process!)!,
    };
  });
}

describe('durability with siblings', () => {
  it('a write survives when it is one of the final siblings', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      2 invoke write x b
      1 ok     write x a
      2 ok     write x b
    `), [{ key: 'x', value: 'b', siblings: ['a', 'b'] }]);
    assert.equal(result.verdict, 'valid', result.summary);
    assert.equal(result.fates.survived, 2);
  });

  it('a write is replaced when one sibling came after it, even if another sibling is older', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x b
      2 ok     write x b
      3 invoke write x c
      3 ok     write x c
    `), [{ key: 'x', siblings: ['a', 'c'] }]);
    assert.equal(result.verdict, 'valid', result.summary);
    assert.deepEqual(result.fates, { survived: 2, replaced: 1, 'maybe-replaced': 0, lost: 0 });
  });

  it('a write is lost when every sibling is older than it; finalValue lists the siblings', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x b
      2 ok     write x b
      3 invoke write x c
      3 ok     write x c
    `), [{ key: 'x', siblings: ['a', 'b'] }]);
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.lost.map((write) => [write.index, write.finalValue]), [[4, ['a', 'b']]]);
    assert.match(result.lost[0]!.explanation, /one of 2 siblings/);
  });

  it('empty siblings fall back to the value; a sibling nobody wrote is reported but another sibling can still keep a write', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
    `), [{ key: 'x', value: 'a', siblings: [] }]);
    assert.equal(result.verdict, 'valid');
    const odd = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
    `), [{ key: 'x', siblings: ['a', 'zz'] }]);
    assert.equal(odd.verdict, 'valid');
    assert.deepEqual(odd.unwritten, [{ key: 'x', value: 'zz' }]);
  });
});

describe('durability under last-writer-wins with a fast clock', () => {
  it('names each write lost to an older one: key, value, client, op id, node, invoke and acknowledgement times, and the winner', () => {
    // n1's clock is ahead: c1's write through n1 (done at 120 ms) outranks c2's and c3's later
    // writes through n2 and n3, which LWW discards after acknowledging them.
    const entries = timed(`
      c1 invoke put cart a n1 100
      c1 ok     put cart a n1 120
      c2 invoke put cart b n2 200
      c2 ok     put cart b n2 230
      c3 invoke put cart c n3 300
      c3 ok     put cart c n3 310
    `);
    const result = checkDurability(entries, [{ key: 'cart', value: 'a' }]);
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.lost.map(({ key, value, process, opId, node, invokedAtMs, acknowledgedAtMs, finalSource, finalWriter }) => ({ key, value, process, opId, node, invokedAtMs, acknowledgedAtMs, finalSource, finalWriter })), [
      { key: 'cart', value: 'b', process: 'c2', opId: 'c2:2', node: 'n2', invokedAtMs: 200, acknowledgedAtMs: 230, finalSource: 0, finalWriter: { process: 'c1', opId: 'c1:0', node: 'n1' } },
      { key: 'cart', value: 'c', process: 'c3', opId: 'c3:4', node: 'n3', invokedAtMs: 300, acknowledgedAtMs: 310, finalSource: 0, finalWriter: { process: 'c1', opId: 'c1:0', node: 'n1' } },
    ]);
    assert.match(result.summary, /2 acknowledged write\(s\) lost: op 2 cart="b" \(process c2, acknowledged by n2 at 230 ms; the key holds op 0's value \(process c1 via n1\)\)/);
    assert.match(result.lost[0]!.explanation, /acknowledged by n2 at 230 ms but is gone: the final value came from op 0, which completed before op 2 was invoked/);
  });

  it('cuts long values in the summary, not in the details', () => {
    const long = Array.from({ length: 40 }, (_, index) => `c1-${index}`);
    const entries: HistoryEntry[] = [
      { index: 0, type: 'invoke', process: 'c1', f: 'put', key: 'cart', value: ['x'], time: 0 },
      { index: 1, type: 'ok', process: 'c1', f: 'put', key: 'cart', value: ['x'], time: 1 },
      { index: 2, type: 'invoke', process: 'c2', f: 'put', key: 'cart', value: long, time: 2 },
      { index: 3, type: 'ok', process: 'c2', f: 'put', key: 'cart', value: long, time: 3 },
    ];
    const result = checkDurability(entries, [{ key: 'cart', value: ['x'] }]);
    assert.deepEqual(result.lost[0]!.value, long);
    assert.match(result.summary, /cart=\["c1-0",.*…/);
    assert.ok(result.summary.length < 250, result.summary);
  });
});
