// The real node bundle (out/node/node.cjs, built by scripts/build-node.mjs) running the
// primary/backup protocol: a write replicates, the primary crashes, the failure detector
// drives failover, and the acknowledged write survives. (Reference: the book §4, P/B.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientAck } from '../../src-node/contract/control.ts';
import { buildNodeBundle, Cluster, eventually, waitFor } from './harness.ts';

describe('primary-backup on the real node bundle', () => {
  let cluster: Cluster;
  const ids = ['n1', 'n2', 'n3'];
  const roleOf = (id: string): string | undefined => cluster.node(id).statuses.at(-1)?.role;
  const primary = (): string | undefined => ids.find((id) => cluster.node(id).exit === undefined && roleOf(id) === 'primary');
  const okOrUndefined = (ack: ClientAck): ClientAck | undefined => (ack.result.type === 'ok' ? ack : undefined);

  before(async () => {
    cluster = await Cluster.start({
      size: 3, bundle: buildNodeBundle(),
      protocol: { name: 'primary-backup', params: { mode: 'sync', ackTimeoutMs: 1000 } },
    });
    await waitFor('links up', () => ids.every((id) => [...cluster.node(id).links.values()].filter(Boolean).length === 2));
  });
  after(async () => {
    await cluster?.stop();
  });

  it('replicates a write, survives the primary’s SIGKILL, and fails over', async () => {
    const first = await waitFor('a primary', primary, 5000);
    const put = await eventually('put ok', async () => okOrUndefined(await cluster.clientRequest(first, { f: 'put', key: 'k', value: 1 })));
    assert.equal(put.result.type, 'ok');
    await waitFor('backups have k', () => ids.filter((id) => id !== first).every((id) => cluster.node(id).statuses.at(-1)?.data?.k === 1), 3000);
    await cluster.flush(first);
    assert.ok(cluster.events(first, 'send').some((event) => event.msgType !== 'client-reply'), 'the primary sent protocol messages');
    assert.ok(cluster.events(first, 'persist').length > 0, 'the primary persisted');

    await cluster.kill(first);
    const next = await waitFor('a new primary', () => primary(), 6000);
    assert.notEqual(next, first);
    const read = await eventually('get ok on the new primary', async () => okOrUndefined(await cluster.clientRequest(next, { f: 'get', key: 'k' })), 6000);
    assert.deepEqual(read.result, { type: 'ok', value: 1 });
  });
});
