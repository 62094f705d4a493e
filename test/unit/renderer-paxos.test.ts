// The Paxos views' model (src-renderer/paxos/paxos-board.ts), fed with the status of real
// cores: a single-decree cluster in a duel and after a decision, and a Multi-Paxos leader
// with slots chosen, being proposed, and a gap.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreStatus } from '../../src-node/contract/core.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { MultiPaxosCore } from '../../src-node/protocols/paxos/multi-paxos.ts';
import { PaxosCore } from '../../src-node/protocols/paxos/single-decree.ts';
import { buildMultiPaxosBoard, buildPaxosBoard, proposerText } from '../../src-renderer/paxos/paxos-board.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3'];

function nodeViews(statuses: Map<string, CoreStatus | null>): NodeView[] {
  return [...statuses].map(([id, status]) => ({ id, state: status === null ? 'down' : 'up', url: null, pid: null, restarts: 0, status, clock: { skewMs: 0, driftPpm: 0 }, persistDelayMs: 0, linksUp: [] }));
}

function statuses<T extends { status(): CoreStatus }>(cluster: CoreCluster<PaxosCore | MultiPaxosCore>, ids: string[]): Map<string, CoreStatus | null> {
  return new Map(ids.map((id) => [id, (cluster.cores.get(id) as T | undefined)?.status() ?? null]));
}

describe('paxos view model', () => {
  it('a proposer in phase 1 counts promises against the majority; nothing is chosen yet', () => {
    const cluster = new CoreCluster<PaxosCore>(NODES, (context) => new PaxosCore(context), {});
    cluster.client('n1', { f: 'propose', value: 'x' });
    const board = buildPaxosBoard(nodeViews(statuses(cluster, NODES)));
    const n1 = board.rows.find((row) => row.id === 'n1')!;
    assert.equal(n1.view.proposer.phase, 'phase-1');
    assert.equal(n1.proposer, 'phase 1 · 1.n1 · 1/2 promises');
    assert.equal(n1.promised, '1.n1');
    assert.equal(n1.leadingBallot, true);
    assert.equal(board.learnedValues.length, 0);
    assert.match(board.headline, /nothing chosen yet · 1 proposer\(s\) at work · highest ballot 1\.n1/);
  });

  it('after the decision every row shows the accepted proposal and the learned value', () => {
    const cluster = new CoreCluster<PaxosCore>(NODES, (context) => new PaxosCore(context), {});
    cluster.client('n2', { f: 'propose', value: 'x' });
    cluster.deliverAll();
    const board = buildPaxosBoard(nodeViews(statuses(cluster, NODES)));
    assert.deepEqual(board.rows.map((row) => [row.accepted, row.learned, row.proposer]), NODES.map(() => ['1.n2 = "x"', '"x"', 'done']));
    assert.equal(board.headline, '"x" chosen · learned by 3 of 3');
  });

  it('a down node keeps no row, and is named as missing; two learned values are called a bug', () => {
    const cluster = new CoreCluster<PaxosCore>(NODES, (context) => new PaxosCore(context), {});
    cluster.crash('n3');
    const views = nodeViews(statuses(cluster, NODES));
    const board = buildPaxosBoard(views);
    assert.deepEqual(board.missing, ['n3']);
    const forged = views.slice(0, 2).map((node, index) => ({ ...node, status: { ...node.status!, view: { ...(node.status!.view as NonNullable<CoreStatus['view']> & { protocol: 'paxos' }), learned: `"v${index}"` } } }));
    assert.match(buildPaxosBoard(forged).headline, /disagreement: "v0" vs "v1"/);
  });

  it('phase 2 with an adopted value and a backing-off proposer read as such', () => {
    const base = new PaxosCore({ self: 'n1', peers: ['n2', 'n3'], random: () => 0.5, params: {} }).status().view as Parameters<typeof proposerText>[0];
    assert.equal(proposerText({ ...base, proposer: { ...base.proposer, phase: 'phase-2', ballot: { round: 3, node: 'n1' }, value: '"y"', adopted: true, accepts: 1 } }), 'phase 2 · 3.n1 · 1/2 accepted · adopted "y" (P2c)');
    assert.equal(proposerText({ ...base, proposer: { ...base.proposer, phase: 'backoff', own: '"z"' } }), 'backing off (preempted) · then proposes "z"');
  });
});

describe('multi-paxos view model', () => {
  it('the leader, its ballot, chosen slots on a shared strip, a slot being proposed', () => {
    const ids = ['n1', 'n2', 'n3'];
    const cluster = new CoreCluster<MultiPaxosCore>(ids, (context) => new MultiPaxosCore(context), { heartbeatIntervalMs: 20, electionTimeoutMsMin: 100, electionTimeoutMsMax: 200 });
    let leader: string | undefined;
    for (let round = 0; round < 100 && leader === undefined; round += 1) {
      cluster.advance(20);
      leader = ids.find((id) => cluster.cores.get(id)!.status().role === 'leader');
    }
    assert.ok(leader !== undefined);
    cluster.run(leader, { f: 'put', key: 'x', value: 1 });
    cluster.run(leader, { f: 'cas', key: 'x', value: { from: 1, to: 2 } });
    cluster.client(leader, { f: 'put', key: 'y', value: 'pending' });
    const board = buildMultiPaxosBoard(nodeViews(statuses(cluster, ids)), 8);
    assert.equal(board.leader, leader);
    assert.equal(board.first, 1);
    const row = board.rows.find((candidate) => candidate.id === leader)!;
    const summaries = row.cells.map((cell) => cell === null ? null : `${cell.summary}:${cell.state}`);
    assert.deepEqual(summaries.slice(-3), ['put x=1:chosen', 'cas x 1→2:chosen', 'put y=pending:proposing']);
    assert.equal(row.view.gaps.length, 0);
    // A recording: no node runs (they read `stopped`), and the leader is still named.
    const recorded = nodeViews(statuses(cluster, ids)).map((node) => ({ ...node, state: 'stopped' as const }));
    assert.equal(buildMultiPaxosBoard(recorded, 8).leader, null, 'live: only a running node leads');
    assert.equal(buildMultiPaxosBoard(recorded, 8, { recorded: true }).leader, leader);
  });
});
