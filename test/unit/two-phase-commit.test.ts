// Two-phase commit with presumed abort (src-node/protocols/two-phase-commit/core.ts), narrated
// step by step on an in-process network: commit, a no vote, a silent participant, and the
// coordinator crashing at each point of the protocol — where participants block, and how
// recovery (the coordinator's log, or a peer that knows) unblocks them.
// Reference: the book §4 "Two phase commit"; Gray & Lamport, "Consensus on Transaction Commit".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TwoPhaseCommitCore, accountNames, ownerOfAccount, parseTwoPhaseCommitParams } from '../../src-node/protocols/two-phase-commit/core.ts';
import type { TwoPhaseCommitView } from '../../src-node/contract/core.ts';
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

  view(node: string): TwoPhaseCommitView {
    const view = this.cores.get(node)!.status().view;
    assert.equal(view?.protocol, '2pc');
    return view as TwoPhaseCommitView;
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
    assert.equal(bank.role(payer), 'blocked', 'voted yes, asked the coordinator, no answer');
    assert.equal(bank.role(payee), 'blocked');
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

  it('a participant waiting on an open vote is prepared, not blocked: the coordinator answers pending', () => {
    const bank = new Bank({ ...PARAMS, voteTimeoutMs: 5_000 });
    const [from, to] = accountsOnTwoParticipants();
    const payer = ownerOfAccount(from, PARTICIPANTS);
    const payee = ownerOfAccount(to, PARTICIPANTS);
    bank.cut.add(payee); // its vote never comes; the coordinator keeps the vote open for 5 s
    bank.client('n1', { f: 'transfer', value: { from, to, amount: 10 } });
    bank.advance(1_500);
    assert.equal(bank.role(payer), 'prepared', 'it asked, and the coordinator said the vote is still open');
    assert.equal(bank.notes.filter((note) => note.name === 'blocked').length, 0);
    assert.equal(bank.view('n1').log[0]!.state, 'collecting votes');
    assert.deepEqual(bank.view('n1').log[0]!.votes, [{ node: payer, vote: 'yes' }, { node: payee, vote: 'waiting' }].sort((a, b) => a.node.localeCompare(b.node)));
  });

  it('a blocked participant says so — on whom it waits, since when — and its view shows what its peer answered', () => {
    const bank = new Bank({ ...PARAMS, cooperativeTermination: true });
    const [from, to] = accountsOnTwoParticipants();
    const payer = ownerOfAccount(from, PARTICIPANTS);
    const payee = ownerOfAccount(to, PARTICIPANTS);
    bank.client('n1', { f: 'transfer', value: { from, to, amount: 10 } });
    bank.deliverAll(2); // both prepares delivered: both voted yes; the votes die with the coordinator
    bank.crash('n1');
    bank.advance(1_000);
    const blocked = bank.notes.filter((note) => note.name === 'blocked');
    assert.deepEqual(blocked.map((note) => note.node).sort(), [payer, payee].sort(), 'each participant says it is blocked, once');
    for (const note of blocked) {
      assert.equal(note.detail?.['waitingOn'], 'n1');
      assert.equal(note.detail?.['tx'], 't1');
      assert.match(String(note.detail?.['reason']), /has not answered/);
    }
    const view = bank.view(payer);
    assert.equal(view.state, 'blocked');
    const tx = view.transactions[0]!;
    assert.equal(tx.state, 'blocked');
    assert.equal(tx.blocked?.waitingOn, 'n1');
    assert.ok(tx.blocked!.sinceMs <= view.nowMs - 300, 'blocked for at least one retry interval');
    assert.deepEqual(tx.blocked?.peers, [{ node: payee, answer: 'prepared too' }], 'its peer is in doubt too: it cannot help');
    assert.deepEqual(view.accounts.find((account) => account.account === from)?.lockedBy, 't1', 'the lock is held while blocked');
  });

  it('the coordinator\'s view: its log records (votes, decision, durable commit, acknowledgements) and what its disk holds', () => {
    const bank = new Bank();
    const [from, to] = accountsOnTwoParticipants();
    bank.run('n1', { f: 'transfer', value: { from, to, amount: 30 } });
    bank.run('n1', { f: 'transfer', value: { from, to, amount: 500 } });
    bank.deliverAll();
    const view = bank.view('n1');
    assert.equal(view.state, 'coordinating');
    assert.deepEqual(view.log.map((record) => [record.tx, record.state, record.decision, record.durable]), [['t2', 'aborted', 'abort', false], ['t1', 'committed', 'commit', true]]);
    assert.deepEqual(view.log[1]!.transfer, { from, to, amount: 30 });
    assert.equal(view.log[1]!.acks.length, 2);
    assert.deepEqual(view.durableLog, { counter: 2, commitRecords: [] }, 'both acknowledged: the commit record is gone');
  });

  it('a transfer\'s reply names its transaction and participants, commit or abort', () => {
    const bank = new Bank();
    const [from, to] = accountsOnTwoParticipants();
    const participants = [ownerOfAccount(from, PARTICIPANTS), ownerOfAccount(to, PARTICIPANTS)].sort();
    assert.deepEqual(bank.run('n1', { f: 'transfer', value: { from, to, amount: 1 } }).value, { tx: 't1', participants });
    const aborted = bank.run('n1', { f: 'transfer', value: { from, to, amount: 1_000 } });
    assert.deepEqual(aborted.value, { tx: 't2', participants });
    assert.match(aborted.error ?? '', /^aborted t2: /);
  });
});
