// The 2PC view draws a 3PC cluster too (src-node/protocols/three-phase-commit/view.ts → the
// renderer's two-phase-commit-board.ts): a transaction stopped between pre-commit and do-commit
// shows `pre-committed` on its participants and `pre-committing` in the coordinator's log.
// Reference: Skeen 1981; the book §4.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { ThreePhaseCommitCore } from '../../src-node/protocols/three-phase-commit/core.ts';
import { buildTwoPhaseCommitBoard, phaseWord } from '../../src-renderer/two-phase-commit/two-phase-commit-board.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3'];

describe('3pc in the commit view board', () => {
  it('shows pre-committed participants and the pre-committing coordinator, then the commit', () => {
    const cluster = new CoreCluster(NODES, (context) => new ThreePhaseCommitCore(context), { data: 'kv' });
    cluster.client('n1', { f: 'put', key: 'x', value: 1 });
    // can-commit (2), votes (2), pre-commits (2): the acks are not delivered yet.
    cluster.deliverAll(6);
    const views = (): NodeView[] => NODES.map((id) => ({
      id, state: 'up', url: null, pid: null, restarts: 0, status: cluster.cores.get(id)!.status(), clock: TRUE_CLOCK, persistDelayMs: 0, linksUp: [],
    }));
    const during = buildTwoPhaseCommitBoard(views());
    assert.deepEqual(during.missing, []);
    assert.equal(during.protocol, '3pc');
    assert.deepEqual(during.coordinator?.log.map((line) => [line.tx, line.state]), [['t1', 'pre-committing']]);
    for (const card of during.participants) {
      assert.equal(card.transactions[0]?.state, 'pre-committed', card.id);
      assert.match(card.transactions[0]!.label, /^pre-committed, waiting for n1's do-commit$/);
    }
    cluster.deliverAll();
    const after = buildTwoPhaseCommitBoard(views());
    assert.deepEqual(after.coordinator?.log.map((line) => [line.tx, line.state]), [['t1', 'committed']]);
    assert.deepEqual(after.participants.map((card) => card.transactions[0]?.label), ['committed (told by n1)', 'committed (told by n1)']);
  });

  it('says "uncertain" for a participant that voted yes and has no pre-commit yet, as 3PC\'s literature does; 2PC says "prepared"', () => {
    const cluster = new CoreCluster(NODES, (context) => new ThreePhaseCommitCore(context), { data: 'kv' });
    cluster.client('n1', { f: 'put', key: 'x', value: 1 });
    cluster.deliverAll(4); // can-commit (2), votes (2): no pre-commit has left yet
    const board = buildTwoPhaseCommitBoard(NODES.map((id) => ({
      id, state: 'up', url: null, pid: null, restarts: 0, status: cluster.cores.get(id)!.status(), clock: TRUE_CLOCK, persistDelayMs: 0, linksUp: [],
    })));
    assert.deepEqual(board.participants.map((card) => [card.phase, phaseWord(card.phase, board.protocol)]), [['prepared', 'uncertain'], ['prepared', 'uncertain']]);
    assert.equal(phaseWord('prepared', '2pc'), 'prepared');
  });
});
