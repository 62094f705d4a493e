// Durability of acknowledged writes across crashes, judged on a history and the final reads.
// (Reference: the book §4 — a write acknowledged by a replicated system must survive the
// failures it was built to tolerate; Jepsen's lost-write checks.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { checkDurability, type FinalRead } from '../../src-main/checkers/durability.ts';
import { history, simulateRegisterStore } from './history-fixtures.ts';

describe('durability', () => {
  it('finds a write lost in a crash: the key went back to an older value', () => {
    // a is acknowledged, then b is acknowledged after it; the primary crashes before b
    // reaches a backup, the backup takes over holding a.
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x b
      2 ok     write x b
    `), [{ key: 'x', value: 'a' }]);
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.lost.map(({ index, process, key, value, finalValue, finalSource }) => ({ index, process, key, value, finalValue, finalSource })),
      [{ index: 2, process: 2, key: 'x', value: 'b', finalValue: 'a', finalSource: 0 }]);
    assert.match(result.lost[0]?.explanation ?? '', /final value came from op 0, which completed before op 2 was invoked/);
    assert.deepEqual(result.fates, { survived: 1, replaced: 0, 'maybe-replaced': 0, lost: 1 });
  });

  it('finds every acknowledged write lost when the key reads empty', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
      1 invoke write y b
      1 ok     write y b
    `), [{ key: 'x', value: null }, { key: 'y' }]);
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.lost.map((write) => write.index), [0, 2]);
    assert.match(result.summary, /2 acknowledged write\(s\) lost/);
  });

  it('does not flag a write that a later write overwrote', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x b
      2 ok     write x b
    `), [{ key: 'x', value: 'b' }]);
    assert.equal(result.verdict, 'valid');
    assert.deepEqual(result.fates, { survived: 1, replaced: 1, 'maybe-replaced': 0, lost: 0 });
  });

  it('does not flag a write whose overwriter overlapped it: it may have come after', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      2 invoke write x b
      2 ok     write x b
      1 ok     write x a
    `), [{ key: 'x', value: 'b' }]);
    assert.equal(result.verdict, 'valid');
    assert.equal(result.fates['maybe-replaced'], 1);
  });

  it('does not flag a write replaced by an indeterminate write, which may have taken effect later', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x b
      2 info   write x b
    `), [{ key: 'x', value: 'b' }]);
    assert.equal(result.verdict, 'valid');
  });

  it('never flags indeterminate or failed writes', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 info   write x a
      2 invoke write y b
      2 fail   write y b
      3 invoke write z c
    `), [{ key: 'x', value: null }, { key: 'y', value: null }, { key: 'z', value: null }]);
    assert.equal(result.verdict, 'valid');
    assert.deepEqual(result.lost, []);
  });

  it('a final value nobody wrote loses every acknowledged write of the key, and is named', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
    `), [{ key: 'x', value: 'garbage' }]);
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.unwritten, [{ key: 'x', value: 'garbage' }]);
    assert.match(result.lost[0]?.explanation ?? '', /holds "garbage" at the end, which no write wrote/);
  });

  it('is unknown when a key with an acknowledged write was not read back', () => {
    const result = checkDurability(history(`
      1 invoke write x a
      1 ok     write x a
    `), []);
    assert.equal(result.verdict, 'unknown');
    assert.deepEqual(result.unread, ['x']);
  });

  it('the empty history is valid; two final reads of one key are an error', () => {
    assert.equal(checkDurability([], []).verdict, 'valid');
    assert.throws(() => checkDurability([], [{ key: 'x', value: 1 }, { key: 'x', value: 2 }]), /two final reads of key "x"/);
  });

  it('property: a "set" workload (one write per key) finds exactly the lost writes (seeded)', () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const random = createRandom(seed);
      const entries: HistoryEntry[] = [];
      const finals: FinalRead[] = [];
      const expected: number[] = [];
      const open = new Map<number, { key: string; value: string; index: number }>();
      let keys = 0;
      while (keys < 30 || open.size > 0) {
        const process = random.int(1, 4);
        const pending = open.get(process);
        if (pending === undefined) {
          if (keys >= 30) continue;
          keys += 1;
          const key = `k${keys}`;
          open.set(process, { key, value: `v${keys}`, index: entries.length });
          entries.push({ index: entries.length, type: 'invoke', process, f: 'put', key, value: `v${keys}` });
          continue;
        }
        open.delete(process);
        const type = (['ok', 'ok', 'ok', 'info', 'fail'] as const)[random.int(0, 4)] ?? 'ok';
        entries.push({ index: entries.length, type, process, f: 'put', key: pending.key, value: pending.value });
        const applied = type === 'ok' || (type === 'info' && random.chance(50));
        const lost = applied && random.chance(20);
        if (lost && type === 'ok') expected.push(pending.index);
        finals.push({ key: pending.key, value: applied && !lost ? pending.value : null });
      }
      const result = checkDurability(entries, finals);
      assert.deepEqual(result.lost.map((write) => write.index).sort((a, b) => a - b), expected.sort((a, b) => a - b), `seed ${seed}`);
      assert.equal(result.fates['maybe-replaced'] + result.fates.replaced, 0, `seed ${seed}: one write per key leaves nothing in doubt`);
    }
  });

  it('property: overwritten keys, a crash losing the log\'s tail: only truly lost writes are flagged (seeded)', () => {
    let flagged = 0;
    for (let seed = 1; seed <= 200; seed += 1) {
      const random = createRandom(seed);
      const run = simulateRegisterStore(random, { processes: 3, keys: 3, operations: 40, stale: false });
      const kept = run.log.slice(0, run.log.length - random.int(0, 4));
      const finals = ['k1', 'k2', 'k3'].map((key) => ({ key, value: kept.filter((entry) => entry.key === key).at(-1)?.value ?? null }));
      const survivors = new Set(kept.map((entry) => entry.value));
      const result = checkDurability(run.history, finals);
      for (const write of result.lost) assert.ok(!survivors.has(write.value as string), `seed ${seed}: op ${write.index} is in the log that survived`);
      if (kept.length === run.log.length) assert.equal(result.verdict, 'valid', `seed ${seed}: nothing lost, nothing flagged`);
      flagged += result.lost.length;
    }
    assert.ok(flagged > 20, `the crashes should lose some writes that are provably lost (got ${flagged})`);
  });
});
