// Crash-recovery on real processes: SIGKILL, restart on the same data dir, the failure
// detector's view of it, pauses (SIGSTOP/SIGCONT) and failed assertions.
// (Reference: the book §4 — crash-recovery needs stable storage; phi accrual detectors.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { buildTestBundle, Cluster, isAlive, sleep, waitFor } from './harness.ts';

interface SuspicionDetail {
  phi: Record<string, number>;
  suspected: string[];
  change?: { peer: string; suspected: boolean };
}

const suspicion = (event: TraceEvent): SuspicionDetail => event.detail as SuspicionDetail;

describe('crash, restart, pause', () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await Cluster.start({ size: 3, bundle: await buildTestBundle() });
    await waitFor('links up', () => ['n1', 'n2', 'n3'].every((id) => cluster.node(id).links.size === 2 && [...cluster.node(id).links.values()].every(Boolean)));
  });
  after(async () => {
    await cluster?.stop();
  });

  it('keeps stable storage across SIGKILL; seq and own vclock entry continue above the old ones', async () => {
    const ack = await cluster.clientRequest('n1', { f: 'write', key: 'x', value: { v: 7 } });
    assert.equal(ack.result.type, 'ok');
    await cluster.clientRequest('n1', { f: 'send', key: 'n2', value: { count: 5 } });
    await cluster.flush('n1');
    const persist = cluster.events('n1', 'persist').at(-1);
    assert.deepEqual((persist?.detail as { keys: string[] }).keys, ['kv:x']);
    const before = cluster.node('n1').events;
    const maxSeq = Math.max(...before.map((event) => event.seq));
    const maxOwn = Math.max(...before.map((event) => event.vclock.n1 ?? 0));
    const maxLamport = Math.max(...before.map((event) => event.lamport));
    const oldPid = cluster.node('n1').child.pid ?? 0;

    await cluster.kill('n1');
    assert.equal(isAlive(oldPid), false);
    const count = before.length;
    await cluster.restart('n1');
    const read = await cluster.clientRequest('n1', { f: 'read', key: 'x' });
    assert.deepEqual(read.result, { type: 'ok', value: { v: 7 } });

    await cluster.flush('n1');
    const after = cluster.node('n1').events.slice(count);
    const start = after[0];
    assert.equal(start?.kind, 'start');
    assert.deepEqual({ ...(start?.detail as object), pid: 0 }, { restart: 1, recovered: true, pid: 0 });
    assert.ok(after.every((event) => event.seq > maxSeq), 'seq continues');
    assert.ok(after.every((event) => (event.vclock.n1 ?? 0) > maxOwn), 'own vector entry continues');
    assert.ok(after.every((event) => event.lamport > maxLamport), 'Lamport continues');
    assert.ok((read.vclock.n1 ?? 0) > maxOwn);
    // The restarted node comes back into the cluster.
    await waitFor('n1 links up again', () => cluster.node('n1').links.get('n2') === true && cluster.node('n1').links.get('n3') === true);
  });

  it('the phi of a SIGKILLed peer rises over the threshold and the core is told', async () => {
    await sleep(300); // a few heartbeats from everyone
    await cluster.kill('n3');
    const crossed = await waitFor('n1 suspects n3', () => cluster.events('n1', 'suspicion').find((event) => suspicion(event).change?.peer === 'n3' && suspicion(event).change?.suspected === true), 4000);
    assert.ok((suspicion(crossed).phi.n3 ?? 0) >= LAB_PHI_OPTIONS.threshold);
    const sample = await waitFor('a sample with n3 suspected', () => cluster.events('n2', 'suspicion').find((event) => suspicion(event).change === undefined && suspicion(event).suspected.includes('n3')), 4000);
    assert.ok((suspicion(sample).phi.n3 ?? 0) >= LAB_PHI_OPTIONS.threshold);
    assert.ok((suspicion(sample).phi.n1 ?? Infinity) < LAB_PHI_OPTIONS.threshold, 'live peers are not suspected');
    await waitFor('the core hears of it', () => cluster.events('n1', 'state').find((event) => (event.detail as { name: string; peer?: string }).name === 'suspicion' && (event.detail as { peer: string }).peer === 'n3'));
    await waitFor('link down', () => cluster.node('n1').links.get('n3') === false);
  });

  it('a paused node is suspected; after SIGCONT it is trusted again and does not blame its peers', async () => {
    const n2 = cluster.node('n2');
    const before = n2.events.length;
    n2.child.kill('SIGSTOP');
    await waitFor('n1 suspects n2', () => cluster.events('n1', 'suspicion').find((event) => suspicion(event).change?.peer === 'n2' && suspicion(event).change?.suspected === true), 4000);
    await sleep(300);
    n2.child.kill('SIGCONT');
    await waitFor('n1 trusts n2 again', () => cluster.events('n1', 'suspicion').find((event) => suspicion(event).change?.peer === 'n2' && suspicion(event).change?.suspected === false), 4000);
    await sleep(500);
    await cluster.flush('n2');
    const after = n2.events.slice(before);
    assert.ok(after.some((event) => event.kind === 'log' && /did not run/.test((event.detail as { message: string }).message)), 'n2 noticed its own pause');
    const blamed = after.filter((event) => event.kind === 'suspicion' && suspicion(event).change?.peer === 'n1' && suspicion(event).change?.suspected === true);
    assert.deepEqual(blamed, [], 'n2 did not suspect n1 for its own pause');
  });

  it('a failed assertion in the core crashes the node visibly (fatal, exit 1)', async () => {
    const socket = await cluster.client('n1');
    socket.emit('client-request', {
      source: 'c1', target: 'n1', type: 'client-request', id: 'c1:boom', lamport: 0, vclock: {}, sentAtNodeMs: 0,
      payload: { requestId: 'c1:boom', op: { f: 'assert' } },
    }, () => undefined);
    const exit = await cluster.waitExit('n1');
    assert.deepEqual(exit, { code: 1, signal: null });
    const fatal = cluster.node('n1').messages.find((message) => message.t === 'fatal');
    assert.ok(fatal && fatal.t === 'fatal' && /assertion failed/.test(fatal.message));
    assert.ok(cluster.events('n1', 'log').some((event) => (event.detail as { fatal?: boolean }).fatal === true));
  });

  it('exits 0 when the supervisor goes away (IPC disconnect)', async () => {
    const n2 = cluster.node('n2');
    n2.child.disconnect();
    assert.deepEqual(await cluster.waitExit('n2'), { code: 0, signal: null });
  });
});
