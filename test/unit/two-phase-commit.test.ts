// Two-phase commit with presumed abort (src-node/protocols/two-phase-commit/core.ts), narrated
// step by step on an in-process network: commit, a no vote, a silent participant, and the
// coordinator crashing at each point of the protocol — where participants block, and how
// recovery (the coordinator's log, or a peer that knows) unblocks them.
// Reference: the book §4 "Two phase commit"; Gray & Lamport, "Consensus on Transaction Commit".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TwoPhaseCommitCore, accountNames, ownerOfAccount, parseTwoPhaseCommitParams } from '../../src-node/protocols/two-phase-commit/core.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3', 'n4'];
const PARTICIPANTS = ['n2', 'n3', 'n4'];
const PARAMS = { accounts: 6, initialBalance: 100 };

class Bank extends CoreCluster<TwoPhaseCommitCore> {
  constructor(params: Record<string, unknown> = PARAMS) {
    super(NODES, (context) => new TwoPhaseCommitCore(context), params);
  }

  balance(account: string): number {
    return this.data(ownerOfAccount(account, PARTICIPANTS), account) as number;
  }

  total(): number {
    return accountNames(6).reduce((sum, account) => sum + this.balance(account), 0);
  }

  role(node: string): string {
    return this.cores.get(node)!.status().role;
  }
}

/** Two accounts held by different participants, so a transfer between them has two participants. */
function accountsOnTwoParticipants(): [string, string] {
  const accounts = accountNames(6);
  for (const from of accounts) {
    for (const to of accounts) if (ownerOfAccount(from, PARTICIPANTS) !== ownerOfAccount(to, PARTICIPANTS)) return [from, to];
  }
  throw new Error('every account on one participant');
}

describe('2pc', () => {
  it('commits a transfer across two participants: both apply it, money is conserved', () => {
    const bank = new Bank();
    const [from, to] = accountsOnTwoParticipants();
    const result = bank.run('n1', { f: 'transfer', value: { from, to, amount: 30 } });
    assert.equal(result.type, 'ok');
    bank.deliverAll();
    assert.equal(bank.balance(from), 70);
    assert.equal(bank.balance(to), 130);
    assert.equal(bank.total(), 600);
    assert.equal(bank.cores.get('n1')!.status().facts['unacknowledgedCommits'], 0, 'every participant acknowledged; the coordinator forgot');
  });

  it('a participant votes no (insufficient funds): the transfer aborts everywhere', () => {
    const bank = new Bank();
    const [from, to] = accountsOnTwoParticipants();
    const result = bank.run('n1', { f: 'transfer', value: { from, to, amount: 500 } });
    assert.equal(result.type, 'fail');
    assert.match(result.error ?? '', /voted no: .* cannot pay 500/);
    bank.deliverAll();
    assert.equal(bank.total(), 600);
    assert.equal(bank.balance(to), 100);
  });

  it('a participant that never votes makes the coordinator abort at the vote timeout', () => {
    const bank = new Bank();
    const [from, to] = accountsOnTwoParticipants();
    bank.cut.add(ownerOfAccount(to, PARTICIPANTS));
    const result = bank.run('n1', { f: 'transfer', value: { from, to, amount: 10 } });
    assert.match(result.error ?? '', /no vote from/);
    bank.advance(1_000);
    assert.equal(bank.balance(from), 100, 'the other participant released its lock and kept its money');
  });

  it('the coordinator crashes after the votes, before any decision leaves: participants block; its return aborts by presumption', () => {
    const bank = new Bank({ ...PARAMS, cooperativeTermination: true });
    const [from, to] = accountsOnTwoParticipants();
    const payer = ownerOfAccount(from, PARTICIPANTS);
    const payee = ownerOfAccount(to, PARTICIPANTS);
    bank.client('n1', { f: 'transfer', value: { from, to, amount: 10 } });
    // The prepares go out and are voted on; the coordinator dies with the votes in flight.
    bank.deliverAll(2);
    bank.crash('n1');
    bank.advance(2_000);
    assert.equal(bank.role(payer), 'prepared');
    assert.equal(bank.role(payee), 'prepared');
    assert.match(String(bank.cores.get(payer)!.status().facts['blockedOn']), /^t1$/, 'blocked on t1: both voted yes, neither may decide');
    assert.equal(bank.total(), 600);
    bank.start('n1');
    bank.advance(1_000);
    assert.equal(bank.role(payer), 'participant');
    assert.equal(bank.balance(from), 100, 'presumed abort: no decision on disk means abort');
  });

  it('the coordinator crashes right after deciding commit: its log resends the commit when it returns', () => {
    const bank = new Bank({ ...PARAMS, cooperativeTermination: false });
    const [from, to] = accountsOnTwoParticipants();
    bank.client('n1', { f: 'transfer', value: { from, to, amount: 25 } });
    bank.deliverAll(4); // two prepares, two votes: the decision is on disk, the commits are queued
    bank.crash('n1');   // ...and lost with the process
    bank.advance(1_000);
    assert.equal(bank.balance(from), 100, 'nobody heard the commit');
    bank.start('n1');
    bank.advance(1_000);
    assert.equal(bank.balance(from), 75);
    assert.equal(bank.balance(to), 125);
  });

  it('cooperative termination: with the coordinator gone, a blocked participant learns the commit from a peer that got it', () => {
    const bank = new Bank({ ...PARAMS, cooperativeTermination: true });
    const [from, to] = accountsOnTwoParticipants();
    const payee = ownerOfAccount(to, PARTICIPANTS);
    // Both vote yes; the commit reaches the payer only, then the coordinator dies.
    bank.client('n1', { f: 'transfer', value: { from, to, amount: 5 } });
    bank.deliverAll(4);
    bank.cut.add(payee);
    bank.deliverAll();
    bank.crash('n1');
    bank.cut.delete(payee);
    bank.advance(1_000);
    assert.equal(bank.balance(to), 105, 'the payee learned the commit from the payer');
    assert.equal(bank.total(), 600);
  });

  it('rejects bad requests and params with a clear error', () => {
    const bank = new Bank();
    assert.match(bank.run('n1', { f: 'transfer', value: { from: 'a1', to: 'a1', amount: 1 } }).error ?? '', /must differ/);
    assert.match(bank.run('n1', { f: 'transfer', value: { from: 'a1', to: 'zz', amount: 1 } }).error ?? '', /accounts a1…a6/);
    assert.match(bank.run('n1', { f: 'transfer', value: { from: 'a1', to: 'a2', amount: -3 } }).error ?? '', /positive integer/);
    assert.equal(bank.run('n2', { f: 'transfer', value: { from: 'a1', to: 'a2', amount: 1 } }).redirect, 'n1');
    assert.throws(() => parseTwoPhaseCommitParams({ accounts: 0 }), /accounts must be an integer/);
    assert.throws(() => parseTwoPhaseCommitParams({ coordinator: 'x' }), /coordinator must be a node id/);
  });
});
