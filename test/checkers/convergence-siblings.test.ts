// Convergence of a store that keeps concurrent writes as siblings (Dynamo, DeCandia et al.
// 2007 §4.4): a replica's `{siblings: [...]}` holds several written values, none of which wrote
// the list. The real lab judged such a replica as holding a value "never written", so
// dynamo-read-repair (clients writing without a context) failed its convergence check on real
// processes although every replica agreed.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkConvergence } from '../../src-main/checkers/convergence.ts';
import { storedVersions } from '../../src-main/sim/checks.ts';
import { history } from './history-fixtures.ts';

const writes = history(`
  1 invoke put k a
  1 ok     put k a
  2 invoke put k b
  2 info   put k b
  3 invoke put k c
  3 fail   put k c
`);

describe('convergence with siblings', () => {
  it('siblings that were each written are written values', () => {
    const both = { k: { siblings: ['a', 'b'] } };
    const result = checkConvergence({ replicas: { n1: both, n2: both }, history: writes, versions: storedVersions });
    assert.equal(result.verdict, 'valid', result.summary);
  });

  it('without the versions function the sibling list itself is "never written" (the old judgement)', () => {
    const both = { k: { siblings: ['a', 'b'] } };
    const result = checkConvergence({ replicas: { n1: both, n2: both }, history: writes });
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.unwritten[0]?.written, 'never');
  });

  it('a sibling no write wrote, or only a failed write wrote, still contradicts the history', () => {
    const never = checkConvergence({ replicas: { n1: { k: { siblings: ['a', 'z'] } } }, history: writes, versions: storedVersions });
    assert.equal(never.verdict, 'invalid');
    assert.equal(never.unwritten[0]?.written, 'never');
    const failed = checkConvergence({ replicas: { n1: { k: { siblings: ['a', 'c'] } } }, history: writes, versions: storedVersions });
    assert.equal(failed.verdict, 'invalid');
    assert.equal(failed.unwritten[0]?.written, 'fail');
    assert.match(failed.summary, /written only by a failed write/);
  });

  it('replicas that hold different siblings differ', () => {
    const result = checkConvergence({ replicas: { n1: { k: { siblings: ['a', 'b'] } }, n2: { k: 'a' } }, history: writes, versions: storedVersions });
    assert.equal(result.verdict, 'invalid');
    assert.equal(result.differingCount, 1);
    assert.deepEqual(result.unwritten, []);
  });

  it('a plain value and a null are traced as before', () => {
    assert.equal(checkConvergence({ replicas: { n1: { k: 'b' } }, history: writes, versions: storedVersions }).verdict, 'valid');
    assert.equal(checkConvergence({ replicas: { n1: { k: null } }, history: writes, versions: storedVersions }).unwritten[0]?.written, 'never');
  });
});
