// Session guarantees, one satisfying and one violating history per guarantee, each with the
// definition it checks. (Reference: Terry et al., "Session guarantees for weakly consistent
// replicated data", PDIS 1994; the book §5, client-centric consistency.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedHistoryError } from '../../src-main/checkers/history.ts';
import {
  checkMonotonicReads, checkMonotonicWrites, checkReadYourWrites, checkSessionGuarantees, checkWritesFollowReads,
  SESSION_GUARANTEES,
} from '../../src-main/checkers/session/guarantees.ts';
import { history } from './history-fixtures.ts';

describe('read your writes', () => {
  // Terry §3: "If Read R follows Write W in a session and R is performed at server S at time
  // t, then W is included in DB(S,t)."
  it('holds when a process reads its own write', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x a
      1 ok     write x a
      1 invoke read  x
      1 ok     read  x a
    `));
    assert.equal(result.verdict, 'valid');
    assert.deepEqual(result.violations, []);
  });

  it('holds when the read sees a later write of another process', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x b
      2 ok     write x b
      1 invoke read  x
      1 ok     read  x b
    `));
    assert.equal(result.verdict, 'valid');
  });

  it('is violated by a read of the initial value after the process\'s own write', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x a
      1 ok     write x a
      1 invoke read  x
      1 ok     read  x nil
    `));
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.violations.map(({ guarantee, process, ops, writes }) => ({ guarantee, process, ops, writes })),
      [{ guarantee: 'read-your-writes', process: 1, ops: [0, 2], writes: [] }]);
    assert.match(result.violations[0]?.explanation ?? '', /does not see its own write op 0.*initial value/);
  });

  it('is violated by a read of a write known to be older than the process\'s own', () => {
    const result = checkReadYourWrites(history(`
      2 invoke write x a
      2 ok     write x a
      1 invoke write x b
      1 ok     write x b
      1 invoke read  x
      1 ok     read  x a
    `));
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.violations[0]?.ops, [2, 4]);
    assert.deepEqual(result.violations[0]?.writes, [0]);
    assert.match(result.violations[0]?.explanation ?? '', /op 0 completed \(entry 1\) before op 2 was invoked/);
  });

  it('names the smallest window: the nearest own write the read misses', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x a
      1 ok     write x a
      1 invoke write x b
      1 ok     write x b
      1 invoke write x c
      1 ok     write x c
      1 invoke read  x
      1 ok     read  x a
    `));
    assert.equal(result.violationCount, 1, 'one violation per read');
    assert.deepEqual(result.violations[0]?.ops, [4, 6]);
  });

  it('is unknown when the write read overlaps the own write, and no log orders them', () => {
    const overlapping = history(`
      1 invoke write x b
      2 invoke write x a
      1 ok     write x b
      2 ok     write x a
      1 invoke read  x
      1 ok     read  x a
    `);
    const result = checkReadYourWrites(overlapping);
    assert.equal(result.verdict, 'unknown');
    assert.match(result.undecided[0]?.explanation ?? '', /ops 0 and 1 overlap in real time/);
    // A log decides it either way.
    assert.equal(checkReadYourWrites(overlapping, { logs: [{ replica: 'n1', writes: [{ key: 'x', value: 'b' }, { key: 'x', value: 'a' }] }] }).verdict, 'valid');
    const reordered = checkReadYourWrites(overlapping, { logs: [{ replica: 'n1', writes: [{ key: 'x', value: 'a' }, { key: 'x', value: 'b' }] }] });
    assert.equal(reordered.verdict, 'invalid');
    assert.match(reordered.violations[0]?.explanation ?? '', /n1 applied op 1 before op 0/);
  });

  it('is unknown when logs disagree on the order', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x b
      2 invoke write x a
      1 ok     write x b
      2 ok     write x a
      1 invoke read  x
      1 ok     read  x a
    `), {
      logs: [
        { replica: 'n1', writes: [{ key: 'x', value: 'a' }, { key: 'x', value: 'b' }] },
        { replica: 'n2', writes: [{ key: 'x', value: 'b' }, { key: 'x', value: 'a' }] },
      ],
    });
    assert.equal(result.verdict, 'unknown');
    assert.match(result.undecided[0]?.explanation ?? '', /logs disagree/);
  });

  it('is unknown for a read of a value no write wrote', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x a
      1 ok     write x a
      1 invoke read  x
      1 ok     read  x zzz
    `));
    assert.equal(result.verdict, 'unknown');
    assert.match(result.undecided[0]?.explanation ?? '', /"zzz", which no write wrote/);
  });

  it('asks nothing of writes that failed or are indeterminate', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write x a
      1 fail   write x a
      1 invoke write x b
      1 info   write x b
      1 invoke read  x
      1 ok     read  x nil
    `));
    assert.equal(result.verdict, 'valid');
  });

  it('another key\'s writes do not count', () => {
    const result = checkReadYourWrites(history(`
      1 invoke write y a
      1 ok     write y a
      1 invoke read  x
      1 ok     read  x nil
    `));
    assert.equal(result.verdict, 'valid');
  });
});

describe('monotonic reads', () => {
  // Terry §3: "If Read R1 occurs before R2 in a session and R1 accesses server S1 at time t1
  // and R2 accesses server S2 at time t2, then RelevantWrites(S1,t1,R1) is a subset of
  // DB(S2,t2)."
  const writes = `
    2 invoke write x a
    2 ok     write x a
    2 invoke write x b
    2 ok     write x b
  `;

  it('holds when reads move forward', () => {
    const result = checkMonotonicReads(history(`${writes}
      1 invoke read x
      1 ok     read x a
      1 invoke read x
      1 ok     read x b
      1 invoke read x
      1 ok     read x b
    `));
    assert.equal(result.verdict, 'valid');
  });

  it('is violated by a read that goes back to an older write', () => {
    const result = checkMonotonicReads(history(`${writes}
      1 invoke read x
      1 ok     read x b
      1 invoke read x
      1 ok     read x a
    `));
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.violations[0]?.ops, [4, 6]);
    assert.deepEqual(result.violations[0]?.writes, [0, 2]);
    assert.match(result.violations[0]?.explanation ?? '', /goes back from what op 4 read/);
  });

  it('is violated by a read of the initial value after a read of a write', () => {
    const result = checkMonotonicReads(history(`${writes}
      1 invoke read x
      1 ok     read x a
      1 invoke read x
      1 ok     read x nil
    `));
    assert.equal(result.verdict, 'invalid');
  });

  it('names the smallest window: the nearest earlier read', () => {
    const result = checkMonotonicReads(history(`${writes}
      1 invoke read x
      1 ok     read x b
      1 invoke read x
      1 ok     read x b
      1 invoke read x
      1 ok     read x a
    `));
    assert.equal(result.violationCount, 1);
    assert.deepEqual(result.violations[0]?.ops, [6, 8]);
  });

  it('is unknown when the two writes read overlap', () => {
    const result = checkMonotonicReads(history(`
      2 invoke write x a
      3 invoke write x b
      2 ok     write x a
      3 ok     write x b
      1 invoke read  x
      1 ok     read  x b
      1 invoke read  x
      1 ok     read  x a
    `));
    assert.equal(result.verdict, 'unknown');
    assert.deepEqual(result.undecided[0]?.ops, [4, 6]);
  });

  it('reads of different keys, or by different processes, do not constrain each other', () => {
    const result = checkMonotonicReads(history(`${writes}
      1 invoke read x
      1 ok     read x b
      1 invoke read y
      1 ok     read y nil
      3 invoke read x
      3 ok     read x a
    `));
    assert.equal(result.verdict, 'valid');
  });
});

describe('monotonic writes', () => {
  // Terry §3: "If Write W1 precedes Write W2 in a session, then, for any server S2, if W2 in
  // DB(S2) then W1 is included in DB(S2) and WriteOrder(W1,W2)."
  const session = history(`
    1 invoke write x a
    1 ok     write x a
    1 invoke write y b
    1 ok     write y b
  `);

  it('holds when every log that has the later write has the earlier one before it', () => {
    const result = checkMonotonicWrites(session, {
      logs: [
        { replica: 'n1', writes: [{ key: 'x', value: 'a' }, { key: 'y', value: 'b' }] },
        { replica: 'n2', writes: [{ key: 'x', value: 'a' }] },
      ],
    });
    assert.equal(result.verdict, 'valid');
  });

  it('is violated by a replica that applied the later write without the earlier', () => {
    const result = checkMonotonicWrites(session, { logs: [{ replica: 'n2', writes: [{ key: 'y', value: 'b' }] }] });
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.violations[0]?.ops, [0, 2]);
    assert.match(result.violations[0]?.explanation ?? '', /n2 applied op 2 without op 0/);
  });

  it('is violated by a replica that applied them in the other order', () => {
    const result = checkMonotonicWrites(session, { logs: [{ replica: 'n3', writes: [{ key: 'y', value: 'b' }, { key: 'x', value: 'a' }] }] });
    assert.equal(result.verdict, 'invalid');
    assert.match(result.violations[0]?.explanation ?? '', /n3 applied op 2 \(position 0\) before op 0 \(position 1\)/);
  });

  it('is unknown from a history alone: a history does not show what replicas applied', () => {
    const result = checkMonotonicWrites(session);
    assert.equal(result.verdict, 'unknown');
    assert.match(result.undecided[0]?.explanation ?? '', /give the replicas' logs/);
  });

  it('an indeterminate later write binds once a log shows it applied; an indeterminate earlier one never does', () => {
    const laterInfo = history(`
      1 invoke write x a
      1 ok     write x a
      1 invoke write y b
      1 info   write y b
    `);
    assert.equal(checkMonotonicWrites(laterInfo, { logs: [{ replica: 'n1', writes: [{ key: 'y', value: 'b' }] }] }).verdict, 'invalid');
    assert.equal(checkMonotonicWrites(laterInfo, { logs: [{ replica: 'n1', writes: [] }] }).verdict, 'valid');
    const earlierInfo = history(`
      1 invoke write x a
      1 info   write x a
      1 invoke write y b
      1 ok     write y b
    `);
    assert.equal(checkMonotonicWrites(earlierInfo, { logs: [{ replica: 'n1', writes: [{ key: 'y', value: 'b' }] }] }).verdict, 'valid');
  });
});

describe('writes follow reads', () => {
  // Terry §3: "If Read R1 precedes Write W2 in a session and R1 is performed at server S1 at
  // time t1, then, for any server S2, if W2 is in DB(S2) then any W1 in
  // RelevantWrites(S1,t1,R1) is also in DB(S2) and WriteOrder(W1,W2)."
  const session = history(`
    2 invoke write x a
    2 ok     write x a
    1 invoke read  x
    1 ok     read  x a
    1 invoke write y b
    1 ok     write y b
  `);

  it('holds when every log that has the write has the write read before it', () => {
    const result = checkWritesFollowReads(session, { logs: [{ replica: 'n1', writes: [{ key: 'x', value: 'a' }, { key: 'y', value: 'b' }] }] });
    assert.equal(result.verdict, 'valid');
  });

  it('is violated by a replica that applied the write before the write that was read', () => {
    const result = checkWritesFollowReads(session, { logs: [{ replica: 'n2', writes: [{ key: 'y', value: 'b' }, { key: 'x', value: 'a' }] }] });
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.violations[0]?.ops, [2, 4]);
    assert.deepEqual(result.violations[0]?.writes, [0, 4]);
    assert.match(result.violations[0]?.explanation ?? '', /read op 0's value \(op 2\) before writing op 4, but n2 applied op 4 \(position 0\) before op 0/);
  });

  it('is violated by a replica that applied the write without the write that was read', () => {
    const result = checkWritesFollowReads(session, { logs: [{ replica: 'n3', writes: [{ key: 'y', value: 'b' }] }] });
    assert.equal(result.verdict, 'invalid');
  });

  it('is unknown from a history alone', () => {
    assert.equal(checkWritesFollowReads(session).verdict, 'unknown');
  });

  it('a read of the initial value asks nothing of later writes', () => {
    const result = checkWritesFollowReads(history(`
      1 invoke read  x
      1 ok     read  x nil
      1 invoke write y b
      1 ok     write y b
    `));
    assert.equal(result.verdict, 'valid');
  });
});

describe('edge cases, all four guarantees', () => {
  const verdicts = (results: ReturnType<typeof checkSessionGuarantees>): Record<string, string> =>
    Object.fromEntries(SESSION_GUARANTEES.map((guarantee) => [guarantee, results[guarantee].verdict]));

  it('the empty history satisfies every guarantee', () => {
    assert.deepEqual(verdicts(checkSessionGuarantees([])), {
      'read-your-writes': 'valid', 'monotonic-reads': 'valid', 'monotonic-writes': 'valid', 'writes-follow-reads': 'valid',
    });
  });

  it('a history of only indeterminate operations asks nothing', () => {
    const results = checkSessionGuarantees(history(`
      1 invoke write x a
      2 invoke read  x
      1 info   write x a
      3 invoke write x b
    `));
    assert.deepEqual(Object.values(verdicts(results)), ['valid', 'valid', 'valid', 'valid']);
  });

  it('a process with no reads: read guarantees hold vacuously', () => {
    const results = checkSessionGuarantees(history(`
      1 invoke write x a
      1 ok     write x a
    `));
    assert.equal(results['read-your-writes'].verdict, 'valid');
    assert.equal(results['monotonic-reads'].verdict, 'valid');
    assert.equal(results['writes-follow-reads'].verdict, 'valid');
    assert.equal(results['monotonic-writes'].verdict, 'valid', 'one write: no pair to order');
  });

  it('lab function names (get/put) and keyless single-register histories work', () => {
    const results = checkSessionGuarantees(history(`
      c1 invoke put - a
      c1 ok     put - a
      c1 invoke get -
      c1 ok     get - nil
    `));
    assert.equal(results['read-your-writes'].verdict, 'invalid');
    assert.equal(results['read-your-writes'].violations[0]?.process, 'c1');
  });

  it('two writes of one value to one key break the premise: an error, not a verdict', () => {
    assert.throws(() => checkReadYourWrites(history(`
      1 invoke write x a
      1 ok     write x a
      2 invoke write x a
      2 ok     write x a
    `)), (error: unknown) => error instanceof MalformedHistoryError && /writes the value that op 0 already wrote/.test(error.message));
  });

  it('a malformed history is an error', () => {
    assert.throws(() => checkMonotonicReads(history('1 ok read x a')), MalformedHistoryError);
  });
});
