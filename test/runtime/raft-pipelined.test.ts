// Durable Raft on real node processes with the pipelined host (core-host.ts): the leader sends
// AppendEntries while its own disk syncs (Raft dissertation §10.2.1), so a leader whose disk
// is slow still commits as fast as a majority of the other disks — and a SIGKILL between its
// send and its own fsync loses no acknowledged write.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { buildNodeBundle, Cluster, eventually, waitFor } from './harness.ts';

const IDS = ['n1', 'n2', 'n3'];
const SLOW_DISK_MS = 4000;

function leaderOf(cluster: Cluster, among: readonly string[] = IDS): string | undefined {
  return among.find((id) => cluster.node(id).exit === undefined && cluster.node(id).statuses.at(-1)?.role === 'leader');
}

describe('Raft on real processes, pipelined', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({ size: 3, bundle: buildNodeBundle(), protocol: { name: 'raft', params: {} } });
    await waitFor('a leader', () => leaderOf(cluster), 10_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('a leader with a slow disk acknowledges at the followers\' pace; killed before its own fsync, it loses no acknowledged write', async () => {
    const leader = leaderOf(cluster)!;
    // Exactly-once sessions (client, seq) ride beside the op's fields (raft/state-machine.ts).
    const warm = { f: 'put', key: 'warm', value: 0, client: 't1', seq: 1 };
    const ok = await cluster.clientRequest(leader, warm);
    assert.equal(ok.result.type, 'ok');
    cluster.send(leader, { t: 'faults', links: {}, clock: { ...TRUE_CLOCK }, persistDelayMs: SLOW_DISK_MS });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const slowFromLabMs = Date.now() - cluster.runStartEpochMs;
    const startedMs = Date.now();
    const put = { f: 'put', key: 'x', value: 'kept', client: 't1', seq: 2 };
    const ack = await cluster.clientRequest(leader, put);
    const tookMs = Date.now() - startedMs;
    assert.equal(ack.result.type, 'ok');
    assert.ok(tookMs < SLOW_DISK_MS / 2, `acknowledged after ${tookMs} ms, before the leader's own disk (${SLOW_DISK_MS} ms)`);
    await cluster.kill(leader); // before its own fsync of x
    assert.deepEqual(cluster.events(leader, 'persist').filter((event) => event.labTimeMs >= slowFromLabMs), [], 'the leader never finished a write on its slow disk');

    const others = IDS.filter((id) => id !== leader);
    const next = await waitFor('a new leader among the others', () => leaderOf(cluster, others), 10_000);
    const read = await eventually('the write, read from the new leader', async () => {
      const answer = await cluster.clientRequest(next, { f: 'get', key: 'x' });
      return answer.result.type === 'ok' ? answer.result : undefined;
    }, 10_000);
    assert.deepEqual(read, { type: 'ok', value: 'kept' });

    await cluster.restart(leader);
    await waitFor('the old leader has the write again', () => cluster.node(leader).statuses.at(-1)?.data?.['x'] === 'kept', 10_000);
  });
});
