// Multi-Paxos (src-node/protocols/paxos/multi-paxos.ts): a leader is elected by phase 1,
// commands cost one phase 2 round, a new leader re-proposes what a majority may have chosen
// and fills gaps with no-ops, and under random crashes, drops and reordering the history of a
// key-value workload stays linearizable. Reference: Lamport, "Paxos Made Simple" §3.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientResult } from '../../src-node/contract/envelope.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { MultiPaxosCore } from '../../src-node/protocols/paxos/multi-paxos.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { checkLinearizability } from '../../src-main/checkers/linearizability/check.ts';
import { createLabKvModel } from '../../src-main/checkers/linearizability/models.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const PARAMS = { heartbeatIntervalMs: 20, electionTimeoutMsMin: 100, electionTimeoutMsMax: 200 };

class Cluster extends CoreCluster<MultiPaxosCore> {
  constructor(seed = 1) {
    super(NODES, (context) => new MultiPaxosCore(context), PARAMS, seed);
  }

  leader(): string | undefined {
    return NODES.find((node) => this.cores.get(node)?.status().role === 'leader');
  }

  waitForLeader(): string {
    for (let round = 0; round < 100 && this.leader() === undefined; round += 1) this.advance(20);
    const leader = this.leader();
    assert.ok(leader !== undefined, 'no leader elected');
    return leader;
  }
}

describe('multi-paxos', () => {
  it('elects one leader, which serves puts, cas and reads through the log', () => {
    const cluster = new Cluster();
    const leader = cluster.waitForLeader();
    assert.equal(NODES.filter((node) => cluster.cores.get(node)!.status().role === 'leader').length, 1);
    assert.equal(cluster.run(leader, { f: 'put', key: 'x', value: 1 }).type, 'ok');
    assert.equal(cluster.run(leader, { f: 'cas', key: 'x', value: { from: 1, to: 2 } }).type, 'ok');
    assert.equal(cluster.run(leader, { f: 'cas', key: 'x', value: { from: 1, to: 3 } }).error, 'cas-mismatch');
    assert.deepEqual(cluster.run(leader, { f: 'get', key: 'x' }), { type: 'ok', value: 2 });
    const follower = NODES.find((node) => node !== leader)!;
    assert.equal(cluster.run(follower, { f: 'get', key: 'x' }).redirect, leader);
    cluster.advance(100);
    for (const node of NODES) assert.deepEqual(cluster.cores.get(node)!.status().data, { x: 2 }, `${node} applied the log`);
  });

  it('a new leader re-proposes a value a majority accepted, and fills the gap below it with a no-op', () => {
    const cluster = new Cluster();
    const leader = cluster.waitForLeader();
    cluster.run(leader, { f: 'put', key: 'a', value: 'chosen' });
    // Slot 2 reaches nobody; slot 3 is accepted by a majority but its chosen message is lost with the leader.
    const others = NODES.filter((node) => node !== leader);
    for (const node of others) cluster.cut.add(node);
    cluster.client(leader, { f: 'put', key: 'b', value: 'lost' });
    cluster.deliverAll();
    for (const node of others) cluster.cut.delete(node);
    cluster.client(leader, { f: 'put', key: 'c', value: 'accepted' });
    cluster.deliverAll(4);            // the four accepts arrive…
    cluster.crash(leader);            // …and the leader dies before counting the replies
    const next = cluster.waitForLeader();
    assert.notEqual(next, leader);
    cluster.advance(200);
    const data = cluster.cores.get(next)!.status().data!;
    assert.equal(data['c'], 'accepted', 'P2c: the value a majority accepted survived the change of leader');
    assert.equal(data['b'], undefined, 'the slot nobody accepted became a no-op');
    assert.ok(cluster.notes.some((note) => note.node === next && note.name === 'elected' && Number(note.detail?.['noops']) >= 1));
  });

  it('the history stays linearizable under crashes, drops, duplicates and reordering', () => {
    let okCount = 0;
    for (let seed = 1; seed <= 15; seed += 1) {
      const random = createRandom(seed);
      const cluster = new Cluster(seed);
      const history: HistoryEntry[] = [];
      const open = new Map<string, { f: string; key: string; value: unknown }>();
      const record = (entry: Omit<HistoryEntry, 'index'>): void => { history.push({ ...entry, index: history.length }); };
      let op = 0;
      for (let tick = 0; tick < 400; tick += 1) {
        cluster.nowMs += 5;
        cluster.fireDueTimers();
        cluster.deliverShuffled(() => random.next(), random.int(0, 8), { dropPct: 10, duplicatePct: 5 });
        const node = NODES[random.int(0, NODES.length - 1)]!;
        if (random.chance(2) && cluster.cores.has(node) && cluster.cores.size > 3) cluster.crash(node);
        else if (random.chance(10) && !cluster.cores.has(node)) cluster.start(node);
        const leader = cluster.leader();
        if (leader !== undefined && random.chance(30) && open.size < 4) {
          const key = `k${random.int(1, 2)}`;
          const write = random.chance(60);
          const value = write ? ++op : null;
          const f = write ? 'put' : 'get';
          const requestId = cluster.client(leader, write ? { f, key, value } : { f, key });
          record({ process: requestId, type: 'invoke', f, key, value, time: tick });
          open.set(requestId, { f, key, value });
        }
        for (const [requestId, invoke] of open) {
          const result = cluster.results.get(requestId) as ClientResult | undefined;
          if (result === undefined) continue;
          open.delete(requestId);
          record({ process: requestId, type: result.type, f: invoke.f, key: invoke.key, value: invoke.f === 'get' ? result.value ?? null : invoke.value, time: tick });
        }
      }
      okCount += history.filter((entry) => entry.type === 'ok').length;
      const verdict = checkLinearizability(history, { model: createLabKvModel() });
      assert.notEqual(verdict.verdict, 'invalid', `seed ${seed}: ${JSON.stringify(verdict).slice(0, 400)}`);
    }
    assert.ok(okCount > 100, `only ${okCount} operations completed: the property would hold vacuously`);
  });
});
