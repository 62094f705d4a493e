// The runtime's parts in one process: node clock, causal clock reservations, the fault
// filter, input checks and config parsing.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY_LINK } from '../../src-node/contract/faults.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { CausalClock, type MetaStore } from '../../src-node/runtime/causal-clock.ts';
import { FaultFilter, type DropReason } from '../../src-node/runtime/fault-filter.ts';
import { CLOCK_RESERVATION_BLOCK, CLOCK_RESERVATION_BLOCK_MAX, MAX_HELD_MESSAGES_PER_LINK } from '../../src-node/runtime/limits.ts';
import { NodeClock } from '../../src-node/runtime/node-clock.ts';
import { parseNodeConfig } from '../../src-node/runtime/node-config.ts';
import { checkClientRequest, checkControlMessage, checkPeerEnvelope } from '../../src-node/runtime/wire.ts';
import { sleep } from './harness.ts';

describe('NodeClock', () => {
  it('follows labTime × (1 + drift) + skew, and a drift change does not jump', () => {
    let labMs = 1000;
    const clock = new NodeClock(() => labMs, { skewMs: 50, driftPpm: 100_000 });
    assert.equal(clock.nowMs(), 1000 * 1.1 + 50);
    const before = clock.nowMs();
    clock.setFaults({ skewMs: 50, driftPpm: -100_000 });
    assert.equal(clock.nowMs(), before, 'no jump when only the drift changes');
    labMs += 100;
    assert.equal(clock.nowMs(), before + 90, 'runs at the new rate');
    clock.setFaults({ skewMs: 150, driftPpm: -100_000 });
    assert.equal(clock.nowMs(), before + 190, 'a higher skew moves it forward');
    clock.setFaults({ skewMs: -850, driftPpm: -100_000 });
    assert.equal(clock.nowMs(), before - 810, 'a lower skew moves it back: that is the fault');
  });
});

function memoryMeta(): MetaStore & { writes: number } {
  const values = new Map<string, number>();
  return {
    writes: 0,
    getMeta: (key) => values.get(key),
    setMeta(entries) {
      this.writes += 1;
      for (const [key, value] of Object.entries(entries)) values.set(key, value);
    },
  };
}

describe('CausalClock', () => {
  it('ticks, merges on receive, and reserves ceilings once per block', () => {
    const meta = memoryMeta();
    const clock = new CausalClock({ self: 'n1', meta, seqStart: 1 });
    assert.equal(clock.nextSeq(), 1);
    assert.deepEqual(clock.tick(), { lamport: 1, vclock: { n1: 1 } });
    assert.deepEqual(clock.receive({ lamport: 10, vclock: { n2: 4 } }), { lamport: 11, vclock: { n1: 2, n2: 4 } });
    const writes = meta.writes;
    for (let i = 0; i < 100; i += 1) clock.tick();
    assert.equal(meta.writes, writes, 'no write inside a reserved block');
  });

  it('grows the block on each reservation, so a busy node rarely waits for an fsync', () => {
    const meta = memoryMeta();
    const clock = new CausalClock({ self: 'n1', meta, seqStart: 1 });
    for (let i = 0; i < 100_000; i += 1) {
      clock.nextSeq();
      clock.tick();
    }
    // 1000, 2000, 4000, … : 100,000 events need 7 reservations, each one transaction.
    assert.ok(meta.writes <= 8, `${meta.writes} reservations`);
    assert.ok(CLOCK_RESERVATION_BLOCK < CLOCK_RESERVATION_BLOCK_MAX);
  });

  it('never reuses a value after a crash, even when the supervisor lost the last events', () => {
    const meta = memoryMeta();
    const first = new CausalClock({ self: 'n1', meta, seqStart: 1 });
    let last = { seq: 0, lamport: 0, own: 0 };
    for (let i = 0; i < 2500; i += 1) {
      const seq = first.nextSeq();
      const stamp = first.tick();
      last = { seq, lamport: stamp.lamport, own: stamp.vclock.n1 ?? 0 };
    }
    // The supervisor saw only the first 100 events.
    const second = new CausalClock({ self: 'n1', meta, seqStart: 101 });
    assert.ok(second.nextSeq() > last.seq);
    const stamp = second.tick();
    assert.ok(stamp.lamport > last.lamport);
    assert.ok((stamp.vclock.n1 ?? 0) > last.own);
    assert.ok((stamp.vclock.n1 ?? 0) <= last.own + CLOCK_RESERVATION_BLOCK_MAX + 1);
  });

  it('after a wiped disk, starts the own entry at seqStart', () => {
    const clock = new CausalClock({ self: 'n1', meta: memoryMeta(), seqStart: 500 });
    assert.equal(clock.nextSeq(), 500);
    assert.equal(clock.tick().vclock.n1, 500);
  });
});

describe('FaultFilter', () => {
  function harness(upPeers = new Set(['n2'])) {
    const delivered: unknown[] = [];
    const dropped: DropReason[] = [];
    const filter = new FaultFilter({
      random: createRandom(1),
      isLinkUp: (peer) => upPeers.has(peer),
      deliver: (_peer, item) => delivered.push(item.data),
      onDrop: (_peer, _item, reason) => dropped.push(reason),
    });
    return { filter, delivered, dropped };
  }

  it('delivers at once on a healthy link and drops on a down link', () => {
    const { filter, delivered, dropped } = harness();
    filter.send('n2', { event: 'e', data: 1 });
    filter.send('n3', { event: 'e', data: 2 });
    assert.deepEqual(delivered, [1]);
    assert.deepEqual(dropped, ['link-down']);
  });

  it('cuts, loses, duplicates by the numbers', () => {
    const { filter, delivered, dropped } = harness();
    filter.setLinks({ n2: { ...HEALTHY_LINK, cut: true } });
    filter.send('n2', { event: 'e', data: 1 });
    assert.deepEqual(dropped, ['cut']);
    filter.setLinks({ n2: { ...HEALTHY_LINK, lossPct: 100 } });
    filter.send('n2', { event: 'e', data: 1 });
    assert.deepEqual(dropped, ['cut', 'loss']);
    filter.setLinks({ n2: { ...HEALTHY_LINK, duplicatePct: 100 } });
    filter.send('n2', { event: 'e', data: 3 });
    assert.deepEqual(delivered, [3, 3]);
    filter.setLinks({});
    assert.deepEqual(filter.faultsOf('n2'), HEALTHY_LINK, 'links not named become healthy');
  });

  it('keeps order under delay + jitter, lets reordered messages fall behind, bounds the queue', async () => {
    const { filter, delivered, dropped } = harness();
    filter.setLinks({ n2: { ...HEALTHY_LINK, delayMs: 5, jitterMs: 10 } });
    for (let i = 0; i < 50; i += 1) filter.send('n2', { event: 'e', data: i });
    await sleep(60);
    assert.deepEqual(delivered, Array.from({ length: 50 }, (_, i) => i));
    delivered.length = 0;
    filter.setLinks({ n2: { ...HEALTHY_LINK, delayMs: 1, reorderPct: 50 } });
    for (let i = 0; i < 100; i += 1) filter.send('n2', { event: 'e', data: i });
    await sleep(80);
    assert.equal(delivered.length, 100);
    assert.notDeepEqual(delivered, [...delivered].sort((a, b) => (a as number) - (b as number)), 'some were overtaken');
    filter.setLinks({ n2: { ...HEALTHY_LINK, delayMs: 10_000 } });
    for (let i = 0; i < MAX_HELD_MESSAGES_PER_LINK + 3; i += 1) filter.send('n2', { event: 'e', data: i });
    assert.deepEqual(dropped, ['queue-full', 'queue-full', 'queue-full']);
    filter.close();
  });
});

describe('input checks', () => {
  const envelope = { source: 'n1', target: 'n2', type: 'ping', id: 'n1:1', lamport: 3, vclock: { n1: 3 }, sentAtNodeMs: 1.5, payload: null };
  const peers = new Set(['n1', 'n3']);

  it('accepts well-formed envelopes and refuses the rest with a reason', () => {
    assert.equal(checkPeerEnvelope(envelope, 'n2', peers).ok, true);
    for (const bad of [
      null, 'x', [], { ...envelope, target: 'n3' }, { ...envelope, source: 'c1' }, { ...envelope, lamport: -1 },
      { ...envelope, lamport: 1.5 }, { ...envelope, vclock: { n1: 'x' } }, { ...envelope, sentAtNodeMs: Infinity },
      { ...envelope, type: 'x'.repeat(1000) }, { source: 'n1', target: 'n2', type: 't', id: 'i', lamport: 0, vclock: {}, sentAtNodeMs: 0 },
    ]) {
      const checked = checkPeerEnvelope(bad, 'n2', peers);
      assert.equal(checked.ok, false, JSON.stringify(bad)?.slice(0, 80));
      if (!checked.ok) assert.ok(checked.reason.length > 0);
    }
    const request = { ...envelope, source: 'c1', payload: { requestId: 'c1:1', op: { f: 'get', key: 'k' } } };
    assert.equal(checkClientRequest(request, 'n2').ok, true);
    assert.equal(checkClientRequest({ ...request, payload: { requestId: 'c1:1', op: {} } }, 'n2').ok, false);
  });

  it('checks control messages', () => {
    assert.equal(checkControlMessage({ t: 'faults', links: { n2: { lossPct: 10 } }, clock: { skewMs: 5 }, persistDelayMs: 0 }, ['n1', 'n2']).ok, true);
    assert.equal(checkControlMessage({ t: 'faults', links: { n9: {} } }, ['n1', 'n2']).ok, false);
    assert.equal(checkControlMessage({ t: 'faults', links: { n2: { lossPct: 140 } } }, ['n1', 'n2']).ok, false);
    assert.equal(checkControlMessage({ t: 'reboot' }, ['n1']).ok, false);
  });

  it('refuses a config that breaks a limit', () => {
    assert.throws(() => parseNodeConfig({ id: 'n1', cluster: ['n2'] }), /own id/);
    assert.throws(() => parseNodeConfig(null), /invalid node config/);
  });
});
