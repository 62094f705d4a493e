// The bank workload's generator (src-main/workload/bank.ts): a balance read, then a transfer
// from that account of up to half again what it read (so some overdraw), to a payee it does
// not know to share the payer's participant; placement learned from transfer replies; and a
// scenario's bank workload validated against the 2PC params.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { BankGenerator, OVERDRAW_FACTOR, bankWorkloadProblem } from '../../src-main/workload/bank.ts';
import { createGenerator } from '../../src-main/workload/generators.ts';
import { parseScenario } from '../../src-main/scenario/scenario.ts';

describe('bank workload', () => {
  it('reads a balance, then transfers from that account up to ⌈balance × 1.5⌉: about a third overdraw', () => {
    const generator = new BankGenerator(6, createRandom(3));
    let overdrawn = 0;
    for (let round = 0; round < 600; round += 1) {
      const read = generator.next();
      assert.equal(read.f, 'balance');
      generator.completed({ op: read, result: { type: 'ok', value: 40 } });
      const transfer = generator.next();
      const value = transfer.value as { from: string; to: string; amount: number };
      assert.equal(transfer.f, 'transfer');
      assert.equal(value.from, read.key);
      assert.notEqual(value.to, value.from);
      assert.ok(value.amount >= 1 && value.amount <= Math.ceil(40 * OVERDRAW_FACTOR));
      if (value.amount > 40) overdrawn += 1;
      generator.completed({ op: transfer, result: { type: 'fail', error: 'aborted' } });
    }
    assert.ok(overdrawn > 120 && overdrawn < 280, `${overdrawn} of 600 overdraw`);
  });

  it('learns placement from replies and then prefers payees on another participant', () => {
    const generator = new BankGenerator(4, createRandom(5));
    // a1 and a2 on n2 (a one-participant transfer), a3 on n3 (a two-participant transfer with a1).
    generator.completed({ op: { f: 'transfer', value: { from: 'a1', to: 'a2', amount: 1 } }, result: { type: 'ok', value: { tx: 't1', participants: ['n2'] } } });
    generator.completed({ op: { f: 'transfer', value: { from: 'a3', to: 'a1', amount: 1 } }, result: { type: 'fail', value: { tx: 't2', participants: ['n2', 'n3'] } } });
    assert.deepEqual(Object.fromEntries(generator.knownHolders()), { a1: 'n2', a2: 'n2', a3: 'n3' });
    for (let round = 0; round < 100; round += 1) {
      const read = generator.next();
      const transfer = generator.next().value as { from: string; to: string };
      if (read.key === 'a1') assert.notEqual(transfer.to, 'a2', 'a2 is known to share a1\'s participant');
    }
  });

  it('is the generator of workload kind bank, with keys = accounts; a seed replays its operations', () => {
    const spec = { kind: 'bank' as const, clients: 1, ratePerSec: 10, keys: 5, uniqueKeys: false, writeShare: 0.5, startMs: 0, timeoutMs: 1000 };
    const draw = (): unknown[] => {
      const generator = createGenerator(spec, { client: 'c1', random: createRandom(9) });
      return Array.from({ length: 20 }, () => generator.next());
    };
    const ops = draw();
    assert.deepEqual(ops, draw());
    assert.ok(ops.every((op) => ['balance', 'transfer'].includes((op as { f: string }).f)));
    assert.ok(ops.every((op) => !(op as { key?: string }).key || /^a[1-5]$/.test((op as { key: string }).key)));
  });

  it('a scenario\'s bank workload must run on 2pc with one key per account; a bank check needs a bank workload', () => {
    const base = { name: 'b', title: 't', summary: 's', protocol: { name: '2pc', params: { accounts: 6 } }, durationMs: 2000 };
    assert.equal(bankWorkloadProblem({ protocol: base.protocol, workload: { kind: 'bank', keys: 6 }, checks: [{ kind: 'bank' }] }), null);
    assert.throws(() => parseScenario({ ...base, workload: { kind: 'bank', keys: 5, durationMs: 1000 } }), /workload.keys: .* accounts \(6\), not 5/);
    assert.throws(() => parseScenario({ ...base, protocol: { name: 'raft' }, workload: { kind: 'bank', keys: 6, durationMs: 1000 } }), /moves money between the accounts of 2pc, not of raft/);
    assert.throws(() => parseScenario({ ...base, workload: { keys: 6, durationMs: 1000 }, checks: [{ kind: 'bank' }] }), /a bank check needs a bank workload/);
    assert.throws(() => new BankGenerator(1, createRandom(1)), /at least 2 accounts/);
  });
});
