// Real node processes on 127.0.0.1: connectivity, clocks on the wire, the fault filter,
// and robustness against malformed input. (Reference: DESIGN.md "Faults are real".)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PEER_MESSAGE_EVENT } from '../../src-node/contract/control.ts';
import { HEALTHY_LINK, TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { compare } from '../../src-node/protocols/clocks/vector-clock.ts';
import { buildTestBundle, Cluster, sleep, waitFor } from './harness.ts';

const SIZE = 4;

describe('a cluster of runtime nodes', () => {
  let cluster: Cluster;
  const ids = Array.from({ length: SIZE }, (_, index) => `n${index + 1}`);

  before(async () => {
    cluster = await Cluster.start({ size: SIZE, bundle: await buildTestBundle() });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('starts, recovers, listens — in that order — and reports a status', () => {
    for (const id of ids) {
      const node = cluster.node(id);
      const kinds = node.messages.map((message) => message.t);
      assert.ok(kinds.indexOf('status') < kinds.indexOf('listening'), `${id}: status before listening`);
      assert.equal(node.events[0]?.kind, 'start');
      assert.deepEqual(node.events[0]?.detail, { restart: 0, recovered: false, pid: node.child.pid });
      assert.ok(node.events.some((event) => event.kind === 'recover'));
      assert.equal(node.statuses[0]?.role, 'test');
    }
  });

  it('connects every node to every peer (link up on each directed link)', async () => {
    await waitFor('all links up', () => ids.every((id) => ids.filter((peer) => peer !== id).every((peer) => cluster.node(id).links.get(peer) === true)));
    await Promise.all(ids.map((id) => cluster.flush(id)));
    for (const id of ids) {
      const ups = cluster.events(id, 'link').filter((event) => (event.detail as { up: boolean }).up).map((event) => event.peer);
      assert.deepEqual(new Set(ups), new Set(ids.filter((peer) => peer !== id)));
    }
  });

  it('stamps messages: the receive happens after the send (vector clocks)', async () => {
    await cluster.clientRequest('n1', { f: 'send', key: 'n2', value: { count: 1, echo: true } });
    const pong = await waitFor('pong at n1', () => cluster.events('n1', 'receive').find((event) => event.msgType === 'pong'), 3000);
    await cluster.flush('n2');
    const ping = cluster.events('n1', 'send').find((event) => event.msgType === 'ping');
    assert.ok(ping !== undefined, 'n1 sent a ping');
    assert.ok(ping.msgId?.startsWith('n1:'));
    const received = cluster.events('n2', 'receive').find((event) => event.msgId === ping.msgId);
    assert.ok(received, 'n2 received the ping');
    assert.equal(compare(ping.vclock, received.vclock), 'before');
    assert.ok(received.lamport > ping.lamport);
    const pongSend = cluster.events('n2', 'send').find((event) => event.msgId === pong.msgId);
    assert.ok(pongSend && compare(received.vclock, pongSend.vclock) === 'before');
    assert.equal(compare(pongSend.vclock, pong.vclock), 'before');
    // The client's ack carries the node's stamp too.
    const ack = await cluster.clientRequest('n3', { f: 'read', key: 'nothing' });
    assert.equal(ack.result.type, 'ok');
    assert.equal(ack.type, 'client-reply');
    assert.ok((ack.vclock.n3 ?? 0) > 0 && ack.lamport > 0);
  });

  it('a cut link drops traffic in that direction only', async () => {
    cluster.send('n1', { t: 'faults', links: { n2: { ...HEALTHY_LINK, cut: true } }, clock: { ...TRUE_CLOCK }, persistDelayMs: 0 });
    await sleep(50);
    await cluster.clientRequest('n1', { f: 'send', key: 'n2', value: { count: 20 } });
    await cluster.clientRequest('n2', { f: 'send', key: 'n1', value: { count: 20 } });
    await waitFor('20 receives at n1 from n2', () => cluster.events('n1', 'receive').filter((event) => event.peer === 'n2' && event.msgType === 'ping').length === 20);
    await cluster.flush('n1');
    await cluster.flush('n2');
    const drops = cluster.events('n1', 'drop').filter((event) => event.peer === 'n2');
    assert.equal(drops.length, 20);
    assert.ok(drops.every((event) => (event.detail as { reason: string }).reason === 'cut'));
    const sends = new Set(cluster.events('n1', 'send').filter((event) => event.peer === 'n2').map((event) => event.msgId));
    assert.ok(drops.every((event) => sends.has(event.msgId)), 'a drop carries the msgId of its send');
    const dropped = new Set(drops.map((event) => event.msgId));
    assert.equal(cluster.events('n2', 'receive').filter((event) => dropped.has(event.msgId)).length, 0);
    cluster.send('n1', { t: 'faults', links: {}, clock: { ...TRUE_CLOCK }, persistDelayMs: 0 });
  });

  it('loss % is roughly respected; delay keeps order', async () => {
    cluster.send('n3', { t: 'faults', links: { n4: { ...HEALTHY_LINK, lossPct: 30, delayMs: 5, jitterMs: 5 } }, clock: { ...TRUE_CLOCK }, persistDelayMs: 0 });
    await sleep(50);
    const count = 400;
    await cluster.clientRequest('n3', { f: 'send', key: 'n4', value: { count } });
    await sleep(300);
    await cluster.flush('n3');
    await cluster.flush('n4');
    const sent = cluster.events('n3', 'send').filter((event) => event.peer === 'n4' && event.msgType === 'ping');
    const lost = cluster.events('n3', 'drop').filter((event) => event.peer === 'n4' && (event.detail as { reason: string }).reason === 'loss');
    const sentIds = new Set(sent.map((event) => event.msgId));
    const received = cluster.events('n4', 'receive').filter((event) => sentIds.has(event.msgId));
    assert.equal(sent.length, count);
    assert.ok(lost.length > count * 0.2 && lost.length < count * 0.4, `lost ${lost.length} of ${count}`);
    assert.equal(received.length + lost.length, count);
    const order = received.map((event) => Number(event.msgId?.split(':')[1]));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), 'delay + jitter keep FIFO order');
    cluster.send('n3', { t: 'faults', links: {}, clock: { ...TRUE_CLOCK }, persistDelayMs: 0 });
  });

  it('traces malformed client and peer input as log and keeps running', async () => {
    const socket = await cluster.client('n2');
    const before = cluster.events('n2', 'log').length;
    const answer = await socket.timeout(2000).emitWithAck('client-request', { nonsense: true });
    assert.equal(answer.result.type, 'fail');
    socket.emit(PEER_MESSAGE_EVENT, { source: 'n1', target: 'n2', type: 'x', id: 'n1:1', lamport: -1, vclock: {}, sentAtNodeMs: 0, payload: 1 });
    socket.emit(PEER_MESSAGE_EVENT, 'not even an object');
    socket.emit(PEER_MESSAGE_EVENT, { source: 'mallory', target: 'n2', type: 'x', id: 'm:1', lamport: 1, vclock: {}, sentAtNodeMs: 0, payload: 1 });
    socket.emit('heartbeat', { source: 42 });
    socket.emit('what-is-this', 1, 2, 3);
    socket.emit('batch', '{not json');
    socket.emit('batch', { not: 'a string' });
    socket.emit('batch', JSON.stringify([['heartbeat', { source: 42 }], ['launch-missiles', 1], 7]));
    await sleep(100);
    await cluster.flush('n2');
    const logs = cluster.events('n2', 'log').slice(before);
    assert.ok(logs.length >= 11, `expected 11 log events, got ${logs.length}`);
    assert.ok(logs.every((event) => /malformed/.test((event.detail as { message: string }).message)));
    const ack = await cluster.clientRequest('n2', { f: 'read', key: 'k' });
    assert.equal(ack.result.type, 'ok');
    assert.equal(cluster.node('n2').exit, undefined);
  });

  it('a slow disk delays the step: persist, then the reply, after persistDelayMs; skew shows in nodeTimeMs', async () => {
    cluster.send('n3', { t: 'faults', links: {}, clock: { skewMs: 5000, driftPpm: 0 }, persistDelayMs: 200 });
    await sleep(50);
    const startedMs = Date.now();
    const ack = await cluster.clientRequest('n3', { f: 'write', key: 'slow', value: 1 });
    assert.equal(ack.result.type, 'ok');
    assert.ok(Date.now() - startedMs >= 190, `acked after ${Date.now() - startedMs} ms`);
    await cluster.flush('n3');
    const events = cluster.events('n3');
    const persistIndex = events.findIndex((event) => event.kind === 'persist' && (event.detail as { keys: string[] }).keys.includes('kv:slow'));
    const replyIndex = events.findIndex((event) => event.msgId === ack.id);
    assert.ok(persistIndex >= 0 && persistIndex < replyIndex, 'persisted before replying');
    const reply = events[replyIndex]!;
    assert.ok(Math.abs(reply.nodeTimeMs - reply.labTimeMs - 5000) < 5, 'node clock skewed by 5 s');
    cluster.send('n3', { t: 'faults', links: {}, clock: { ...TRUE_CLOCK }, persistDelayMs: 0 });
  });

  it('fires core timers as timer events', async () => {
    await cluster.clientRequest('n4', { f: 'timer', value: 20 });
    await waitFor('timer-fired note', () => cluster.events('n4', 'state').find((event) => (event.detail as { name: string }).name === 'timer-fired'), 2000);
    assert.ok(cluster.events('n4', 'timer').some((event) => (event.detail as { timer: string }).timer === 'test'));
  });

  it('shuts down cleanly: pending requests answered info, exit 0', async () => {
    const socket = await cluster.client('n4');
    const pending = socket.timeout(3000).emitWithAck('client-request', {
      source: 'c9', target: 'n4', type: 'client-request', id: 'c9:1', lamport: 0, vclock: {}, sentAtNodeMs: 0,
      payload: { requestId: 'c9:1', op: { f: 'never' } },
    });
    await sleep(50);
    cluster.send('n4', { t: 'shutdown' });
    const answer = await pending;
    assert.equal(answer.result.type, 'info');
    assert.deepEqual(await cluster.waitExit('n4'), { code: 0, signal: null });
  });
});
