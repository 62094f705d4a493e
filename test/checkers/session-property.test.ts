// Seeded property tests of the session checkers against a simulated replicated register
// (test/checkers/history-fixtures.ts) whose truth is known: the primary's log is the version
// order, and each read records how much of the log its replica had applied.
// (Reference: Terry et al. 1994; the book §5.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { byProcess, toOperations, type Operation } from '../../src-main/checkers/history.ts';
import { checkSessionGuarantees, SESSION_GUARANTEES } from '../../src-main/checkers/session/guarantees.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { simulateRegisterStore, type SimulatedRun } from './history-fixtures.ts';

const SEEDS = 150;

/** The reads that truly break read-your-writes and monotonic reads, from the simulator's log. */
function truth(run: SimulatedRun): { readYourWrites: Set<number>; monotonicReads: Set<number> } {
  const position = new Map(run.log.map((entry, at) => [`${entry.key}=${entry.value}`, at]));
  const prefixOf = new Map(run.reads.map((read) => [read.index, read.prefix]));
  const readYourWrites = new Set<number>();
  const monotonicReads = new Set<number>();
  for (const session of byProcess(toOperations(run.history)).values()) {
    const positionOfRead = (read: Operation): number => (read.result === null ? -1 : position.get(`${read.key}=${String(read.result)}`) as number);
    session.forEach((read, at) => {
      if (read.f !== 'read') return;
      const earlier = session.slice(0, at).filter((operation) => operation.key === read.key);
      const prefix = prefixOf.get(read.index) as number;
      if (earlier.some((write) => write.f === 'write' && write.type === 'ok' && (position.get(`${write.key}=${String(write.argument)}`) as number) >= prefix)) {
        readYourWrites.add(read.index);
      }
      if (earlier.some((before) => before.f === 'read' && before.result !== null && positionOfRead(read) < positionOfRead(before))) {
        monotonicReads.add(read.index);
      }
    });
  }
  return { readYourWrites, monotonicReads };
}

const flagged = (violations: { ops: number[] }[]): Set<number> => new Set(violations.map((violation) => Math.max(...violation.ops)));

describe('session guarantees on a simulated replicated register (seeded)', () => {
  it('a single copy (reads at the primary) satisfies all four; with its log every case is decided', () => {
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const run = simulateRegisterStore(createRandom(seed), { processes: 3, keys: 2, operations: 40, stale: false });
      const withLogs = checkSessionGuarantees(run.history, { logs: [{ replica: 'primary', writes: run.log }] });
      const alone = checkSessionGuarantees(run.history);
      for (const guarantee of SESSION_GUARANTEES) {
        assert.equal(withLogs[guarantee].verdict, 'valid', `seed ${seed} ${guarantee}: ${withLogs[guarantee].summary}`);
        assert.notEqual(alone[guarantee].verdict, 'invalid', `seed ${seed} ${guarantee}: ${alone[guarantee].summary}`);
      }
    }
  });

  it('stale backups: with the log, exactly the reads that truly break read-your-writes and monotonic reads are flagged', () => {
    let violations = 0;
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const run = simulateRegisterStore(createRandom(seed), { processes: 3, keys: 2, operations: 40, stale: true });
      const expected = truth(run);
      const results = checkSessionGuarantees(run.history, { logs: [{ replica: 'primary', writes: run.log }] });
      assert.deepEqual(flagged(results['read-your-writes'].violations), expected.readYourWrites, `seed ${seed}`);
      assert.deepEqual(flagged(results['monotonic-reads'].violations), expected.monotonicReads, `seed ${seed}`);
      assert.equal(results['read-your-writes'].undecidedCount + results['monotonic-reads'].undecidedCount, 0, `seed ${seed}`);
      // The primary applies each session's writes in session order: these hold.
      assert.equal(results['monotonic-writes'].verdict, 'valid', `seed ${seed}`);
      assert.equal(results['writes-follow-reads'].verdict, 'valid', `seed ${seed}`);
      violations += expected.readYourWrites.size + expected.monotonicReads.size;
    }
    assert.ok(violations > 50, `the simulation should produce violations to find (got ${violations})`);
  });

  it('stale backups: from the history alone, every violation reported is a true one', () => {
    let found = 0;
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const run = simulateRegisterStore(createRandom(seed), { processes: 3, keys: 2, operations: 40, stale: true });
      const expected = truth(run);
      const results = checkSessionGuarantees(run.history);
      for (const read of flagged(results['read-your-writes'].violations)) assert.ok(expected.readYourWrites.has(read), `seed ${seed} read ${read}`);
      for (const read of flagged(results['monotonic-reads'].violations)) assert.ok(expected.monotonicReads.has(read), `seed ${seed} read ${read}`);
      found += results['read-your-writes'].violationCount + results['monotonic-reads'].violationCount;
    }
    assert.ok(found > 20, `real-time order should still catch many (got ${found})`);
  });
});
