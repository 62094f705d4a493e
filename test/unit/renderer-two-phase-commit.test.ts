// The 2PC view, from the core's status to the board the renderer lays out
// (src-renderer/two-phase-commit/two-phase-commit-board.ts): a coordinator crashes after the
// votes, the participants block, and the board says who waits on whom (and that the one they
// wait on is down), what their peers answered, and what the coordinator's log held.
// Reference: the book §4 "Two phase commit".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { TwoPhaseCommitCore, ownerOfAccount } from '../../src-node/protocols/two-phase-commit/core.ts';
import { buildTwoPhaseCommitBoard, duration } from '../../src-renderer/two-phase-commit/two-phase-commit-board.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3', 'n4'];
const PARTICIPANTS = ['n2', 'n3', 'n4'];

function nodeViews(cluster: CoreCluster<TwoPhaseCommitCore>, statuses: Map<string, NodeView['status']>, down: Set<string>): NodeView[] {
  return NODES.map((id) => ({
    id, state: down.has(id) ? 'down' : 'up', url: null, pid: null, restarts: 0,
    status: cluster.cores.get(id)?.status() ?? statuses.get(id) ?? null, clock: TRUE_CLOCK, persistDelayMs: 0, linksUp: [],
  }));
}

describe('2pc view board', () => {
  it('shows the blocked participants, whom they wait on (down), their peers\' answers, and the coordinator\'s last log', () => {
    const cluster = new CoreCluster(NODES, (context) => new TwoPhaseCommitCore(context), { accounts: 6, initialBalance: 100 });
    const [from, to] = (() => {
      for (const a of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) for (const b of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) if (ownerOfAccount(a, PARTICIPANTS) !== ownerOfAccount(b, PARTICIPANTS)) return [a, b];
      throw new Error('no pair');
    })() as [string, string];
    cluster.run('n1', { f: 'transfer', value: { from, to, amount: 25 } });
    cluster.deliverAll();
    cluster.client('n1', { f: 'transfer', value: { from, to, amount: 5 } });
    cluster.deliverAll(2); // both vote yes; n1 dies before the votes reach it
    const lastStatus = new Map([['n1', cluster.cores.get('n1')!.status()]]);
    cluster.crash('n1');
    cluster.advance(1_000);
    const board = buildTwoPhaseCommitBoard(nodeViews(cluster, lastStatus, new Set(['n1'])));

    const payer = ownerOfAccount(from, PARTICIPANTS);
    const payee = ownerOfAccount(to, PARTICIPANTS);
    assert.equal(board.headline, '2 participants blocked on n1');
    assert.deepEqual(board.waits.map((wait) => [wait.participant, wait.tx, wait.on, wait.onState]).sort(), [[payer, 't2', 'n1', 'down'], [payee, 't2', 'n1', 'down']].sort());
    const payerWait = board.waits.find((wait) => wait.participant === payer)!;
    assert.equal(payerWait.peers, `${payee}: prepared too`);
    assert.ok(payerWait.forMs >= 300 && payerWait.forMs < 1_000, `${payerWait.forMs} ms`);

    const card = board.participants.find((participant) => participant.id === payer)!;
    assert.equal(card.phase, 'blocked');
    assert.equal(card.accounts.find((account) => account.account === from)?.lockedBy, 't2');
    assert.equal(card.accounts.find((account) => account.account === from)?.balance, 75, 't1 committed; t2 is not applied while in doubt');
    assert.match(card.transactions[0]!.label, /^blocked \d+ ms on n1 \(down\)$/);
    assert.match(card.transactions[0]!.why ?? '', /may not decide alone.*asked .*prepared too/);
    assert.match(card.transactions[1]!.label, /^committed \(told by n1\)$/);
    assert.equal(board.total, 600, 'the money the participants hold: t2 is in nobody\'s balance yet');

    assert.equal(board.coordinator?.id, 'n1');
    assert.equal(board.coordinator?.current, false, 'its last status, from before it stopped');
    assert.deepEqual(board.coordinator?.log.map((line) => [line.tx, line.state, line.durability]), [['t2', 'collecting votes', '—'], ['t1', 'committed', 'commit record on disk']]);
    assert.equal(board.coordinator?.log[1]!.acks, '2/2 acknowledged');
    assert.equal(board.coordinator?.log[0]!.transfer, `${from} → ${to}: 5`);

    // A recorded trace shows each node's last status to the trace's end: blocked that much longer.
    const views = nodeViews(cluster, lastStatus, new Set(['n1']));
    const statusNowMs = (views.find((view) => view.id === payer)!.status!.view as { nowMs: number }).nowMs;
    const later = buildTwoPhaseCommitBoard(views, statusNowMs + 60_000);
    assert.equal(later.waits.find((wait) => wait.participant === payer)!.forMs, payerWait.forMs + 60_000);
    assert.match(later.participants.find((participant) => participant.id === payer)!.transactions[0]!.label, /^blocked 6\d\.\d s on n1 \(down\)$/);
    // A node 10 s ahead reads its own clock 10 s further on; a snapshot older than the status counts nothing back.
    const skewed = views.map((view) => (view.id === payer ? { ...view, clock: { skewMs: 10_000, driftPpm: 0 } } : view));
    assert.equal(buildTwoPhaseCommitBoard(skewed, statusNowMs).waits.find((wait) => wait.participant === payer)!.forMs, payerWait.forMs + 10_000);
    assert.equal(buildTwoPhaseCommitBoard(views, 0).waits.find((wait) => wait.participant === payer)!.forMs, payerWait.forMs);
  });

  it('is empty without 2PC statuses, and says whose status is missing', () => {
    const board = buildTwoPhaseCommitBoard([{ id: 'n1', state: 'up', url: null, pid: null, restarts: 0, status: { role: 'leader', facts: {} }, clock: TRUE_CLOCK, persistDelayMs: 0, linksUp: [] }]);
    assert.deepEqual([board.coordinator, board.participants, board.headline, board.missing], [null, [], '', ['n1']]);
    assert.equal(duration(999), '999 ms');
    assert.equal(duration(2_449), '2.4 s');
  });
});
