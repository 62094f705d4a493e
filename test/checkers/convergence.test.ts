// Convergence after quiescence: replicas hold the same state once writes stop, and hold only
// values that were written. (Reference: the book §5 — eventual consistency: "if no new
// updates are made, eventually all accesses return the last updated value"; §6 — CRDTs
// converge to the same state.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkConvergence } from '../../src-main/checkers/convergence.ts';
import { history } from './history-fixtures.ts';

const writes = history(`
  1 invoke put x a
  1 ok     put x a
  2 invoke put y b
  2 ok     put y b
  3 invoke put y c
  3 fail   put y c
`);

describe('convergence', () => {
  it('holds when every replica holds the same state', () => {
    const result = checkConvergence({
      replicas: { n1: { x: 'a', y: 'b' }, n2: new Map([['y', 'b'], ['x', 'a']]), n3: { y: 'b', x: 'a' } },
      history: writes,
    });
    assert.equal(result.verdict, 'valid');
    assert.deepEqual(result.differing, []);
    assert.match(result.summary, /3 replica\(s\) hold the same state/);
  });

  it('values compare by content, not by object key order', () => {
    const result = checkConvergence({ replicas: { n1: { s: { a: 1, b: 2 } }, n2: { s: { b: 2, a: 1 } } }, values: 'merged' });
    assert.equal(result.verdict, 'valid');
  });

  it('reports the differing keys, grouped by what each replica holds, and per replica', () => {
    const result = checkConvergence({
      replicas: { n1: { x: 'a', y: 'b' }, n2: { x: 'a', y: 'b' }, n3: { y: 'b' } },
      history: writes,
    });
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.differing, [{
      key: 'x',
      groups: [
        { present: true, value: 'a', written: 'ok', replicas: ['n1', 'n2'] },
        { present: false, value: undefined, written: null, replicas: ['n3'] },
      ],
    }]);
    assert.deepEqual(result.byReplica.n3, [{ key: 'x', present: false, value: undefined, written: null }]);
    assert.match(result.summary, /replicas differ on 1 key\(s\); first, x: n1\+n2 "a" vs n3 \(absent\)/);
  });

  it('a value nobody wrote is reported, even when every replica agrees on it', () => {
    const result = checkConvergence({ replicas: { n1: { x: 'zzz' }, n2: { x: 'zzz' } }, history: writes });
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.unwritten.map(({ replica, written }) => [replica, written]), [['n1', 'never'], ['n2', 'never']]);
    assert.match(result.summary, /never written/);
  });

  it('a differing value says whether it was ever written, and a failed write\'s value counts as not written', () => {
    const result = checkConvergence({ replicas: { n1: { y: 'b' }, n2: { y: 'c' }, n3: { y: 'q' } }, history: writes });
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.differing[0]?.groups.map((group) => [group.value, group.written]), [['b', 'ok'], ['c', 'fail'], ['q', 'never']]);
    assert.deepEqual(result.unwritten.map(({ replica, written }) => [replica, written]), [['n2', 'fail'], ['n3', 'never']]);
  });

  it('without a history, or for merged (CRDT) states, values are not traced', () => {
    assert.equal(checkConvergence({ replicas: { n1: { x: 'zzz' }, n2: { x: 'zzz' } } }).verdict, 'valid');
    const merged = checkConvergence({ replicas: { n1: { count: 7 }, n2: { count: 7 } }, history: writes, values: 'merged' });
    assert.equal(merged.verdict, 'valid');
    assert.deepEqual(merged.unwritten, []);
  });

  it('is unknown with no replica, valid with one', () => {
    assert.equal(checkConvergence({ replicas: {} }).verdict, 'unknown');
    assert.equal(checkConvergence({ replicas: { n1: { x: 'a' } }, history: writes }).verdict, 'valid');
  });
});
