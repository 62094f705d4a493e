// The crdt workload (src-main/workload/crdt.ts) and the credits checker
// (src-main/checkers/crdt-credits.ts): what a scenario may ask for, what the clients send, and
// how a lost credit is found and named. Reference: the book, §5: "100 + write(110) + write(130)
// = 130 but 100 + write(130) + write(110) = 110".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCredits } from '../../src-main/checkers/crdt-credits.ts';
import { parseScenario } from '../../src-main/scenario/scenario.ts';
import type { CompletedOp } from '../../src-main/workload/client.ts';
import { createGenerator } from '../../src-main/workload/generators.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';

function scenario(protocol: Record<string, unknown>, crdt?: Record<string, unknown>) {
  return parseScenario({
    name: 'x', title: 'x', summary: 'x', protocol: { name: 'crdt-gossip', params: protocol },
    workload: { kind: 'crdt', durationMs: 1000, keys: 1, writeShare: 1, ...(crdt === undefined ? {} : { crdt }) },
  });
}

describe('a crdt workload in a scenario', () => {
  it('takes its type from the protocol, and refuses what cannot run, saying why', () => {
    assert.equal(scenario({ type: 'pn-counter' }).workload?.crdt?.type, 'pn-counter');
    assert.equal(scenario({}).workload?.crdt?.type, 'or-set', 'the protocol\'s default type');
    assert.throws(() => scenario({ type: 'pn-counter' }, { type: 'g-set' }), /workload.crdt.type: g-set is not the protocol's type \(pn-counter\)/);
    assert.throws(() => scenario({ type: 'or-set' }, { ops: 'credits' }), /credits and debits need a balance type/);
    assert.throws(() => scenario({ type: 'g-counter' }, { script: { c1: [{ debit: 5 }] } }), /a g-counter only grows/);
    assert.throws(() => scenario({ type: 'g-counter' }, { script: { x1: [] } }), /workload.crdt.script.x1: Invalid key/);
    assert.throws(() => parseScenario({
      name: 'x', title: 'x', summary: 'x', protocol: { name: 'raft' }, workload: { kind: 'crdt', durationMs: 1000 },
    }), /a crdt workload needs the crdt-gossip protocol, not raft/);
  });

  it('draws the type\'s own updates, at most updatesPerClient, then reads', () => {
    const spec = scenario({ type: 'or-set' }, { elements: 2, updatesPerClient: 3 }).workload!;
    const generator = createGenerator(spec, { client: 'c1', random: createRandom(5) });
    const ops = Array.from({ length: 6 }, () => generator.next());
    assert.deepEqual(ops.slice(0, 3).map((op) => [op.f, op.key]), [['update', 'set'], ['update', 'set'], ['update', 'set']]);
    for (const op of ops.slice(0, 3)) assert.match((op.value as { element: string }).element, /^e[12]$/);
    assert.deepEqual(ops.slice(3).map((op) => op.f), ['read', 'read', 'read']);
  });

  it('a credit on a register is read-modify-write, and the write names what it read; on a counter it is an increment', () => {
    const register = createGenerator(scenario({ type: 'lww-register' }, { script: { c1: [{ credit: 10 }, { debit: 3 }] } }).workload!, { client: 'c1', random: createRandom(1) });
    const read = register.next();
    assert.deepEqual(read, { f: 'read', key: 'balance' });
    register.completed({ op: read, result: { type: 'ok', value: { balance: 100, credit: 100, by: 'c2-1', after: null } } });
    assert.deepEqual(register.next(), { f: 'update', key: 'balance', value: { op: 'assign', value: { balance: 110, credit: 10, by: 'c1-1', after: 'c2-1' } } });
    const again = register.next();
    register.completed({ op: again, result: { type: 'info', error: 'timeout' } });
    assert.deepEqual(register.next(), { f: 'read', key: 'balance' }, 'a failed read is read again, the debit is not dropped');
    const counter = createGenerator(scenario({ type: 'pn-counter' }, { script: { c1: [{ debit: 3 }] } }).workload!, { client: 'c1', random: createRandom(1) });
    const first = counter.next();
    counter.completed({ op: first, result: { type: 'ok', value: 7 } });
    assert.deepEqual(counter.next(), { f: 'update', key: 'balance', value: { op: 'decrement', amount: 3 } });
  });
});

let opNumber = 0;
function op(client: string, value: unknown, result: CompletedOp['result'] = { type: 'ok' }): CompletedOp {
  opNumber += 1;
  return { client, node: `n${client.slice(1)}`, op: { f: 'update', key: 'balance', value }, result, invokedAtMs: opNumber * 100, completedAtMs: opNumber * 100 + 5, opId: `${client}:${opNumber}` };
}
const write = (client: string, record: Record<string, unknown>) => op(client, { op: 'assign', value: record });

describe('the credits check', () => {
  it('a register: of two writes that read the same balance, the buried one is named, with the write that buried it', () => {
    const ops = [
      write('c1', { balance: 100, credit: 100, by: 'c1-1', after: null }),
      write('c1', { balance: 110, credit: 10, by: 'c1-2', after: 'c1-1' }),
      write('c2', { balance: 120, credit: 20, by: 'c2-1', after: 'c1-1' }),
    ];
    const finals = ['n1', 'n2'].map((replica) => ({ key: 'balance', replica, present: true, value: { balance: 120, credit: 20, by: 'c2-1', after: 'c1-1' } }));
    const result = checkCredits(ops, finals);
    assert.equal(result.verdict, 'invalid');
    assert.deepEqual(result.lost.map((lost) => [lost.client, lost.credit, lost.buriedBy?.by, lost.replicas]), [['c1', 10, 'c2-1', ['n1', 'n2']]]);
    assert.match(result.summary, /lost: c1's credit of 10 on balance \(c1:\d+, acknowledged by n1 at \d+ ms\), overwritten by c2's write c2:\d+ \(balance 120\)/);
    assert.deepEqual(result.balances, [{ key: 'balance', expected: 130, byReplica: { n1: 120, n2: 120 } }]);
  });

  it('a register whose writes each saw the one before keeps every credit', () => {
    const ops = [write('c1', { balance: 5, credit: 5, by: 'c1-1', after: null }), write('c2', { balance: 3, credit: -2, by: 'c2-1', after: 'c1-1' })];
    const result = checkCredits(ops, [{ key: 'balance', replica: 'n1', present: true, value: { balance: 3, credit: -2, by: 'c2-1', after: 'c1-1' } }]);
    assert.equal(result.verdict, 'valid', result.summary);
  });

  it('a counter: the sum of the acknowledged credits and debits, or the shortfall; unknown outcomes may go either way', () => {
    const ops = [op('c1', { op: 'increment', amount: 100 }), op('c2', { op: 'decrement', amount: 30 }), op('c1', { op: 'increment', amount: 5 }, { type: 'info', error: 'timeout' })];
    const at = (value: number) => [{ key: 'balance', replica: 'n1', present: true, value }];
    assert.equal(checkCredits(ops, at(70)).verdict, 'valid');
    assert.equal(checkCredits(ops, at(75)).verdict, 'valid', 'the unknown credit happened');
    const short = checkCredits(ops, at(60));
    assert.equal(short.verdict, 'invalid');
    assert.match(short.summary, /n1 holds balance = 60, the acknowledged credits and debits sum to 70/);
    assert.equal(checkCredits(ops, []).verdict, 'unknown');
  });
});
