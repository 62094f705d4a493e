// The simulated host keeps the real runtime's promises: persist before effects, a crash loses
// only what was not persisted, a paused process takes no step, partitions cut only across
// (one way when asked), and a node's clock is what its core sees.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../src-main/sim/simulator.ts';
import { EventQueue } from '../../src-main/sim/event-queue.ts';
import { probeConfig, probeProtocol, TICK_MS, type Seen } from './probe-core.ts';

function run(config: ReturnType<typeof probeConfig>): Seen[] {
  const seen: Seen[] = [];
  simulate(config, { definition: probeProtocol(seen), trace: 'full' });
  return seen;
}

describe('simulated time', () => {
  it('orders events by time, and events of one instant by when they were scheduled', () => {
    const queue = new EventQueue<string>();
    queue.push(5, 'c');
    queue.push(1, 'a');
    queue.push(5, 'd');
    queue.push(1, 'b');
    queue.push(3, 'x');
    const order: string[] = [];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) order.push(next.event);
    assert.deepEqual(order, ['a', 'b', 'x', 'c', 'd']);
  });
});

describe('stable storage and crashes', () => {
  it('a crash loses only what was not persisted, and effects leave only after their persist', () => {
    // n1 ticks at 100 ms; its fsync takes 50 ms. A crash at 120 ms catches the first tick's
    // write in flight: it is lost, and so is its ping. The second incarnation ticks at 400 ms,
    // persists at 450 ms, crashes at 460 ms: that write survives.
    const seen = run(probeConfig({
      persistMs: 50,
      schedule: [
        { atMs: 120, fault: { kind: 'crash', node: 'n1' } },
        { atMs: 300, fault: { kind: 'restart', node: 'n1' } },
        { atMs: 460, fault: { kind: 'crash', node: 'n1' } },
        { atMs: 600, fault: { kind: 'restart', node: 'n1' } },
      ],
      safetyMs: 700,
    }));
    const recovers = seen.filter((entry) => entry.kind === 'recover' && entry.node === 'n1');
    assert.equal(recovers.length, 3);
    assert.deepEqual(recovers.map((entry) => entry.kind === 'recover' && entry.stable), [{}, {}, { ticks: 1 }]);
    const pingsFromN1 = seen.filter((entry) => entry.kind === 'ping' && entry.source === 'n1');
    assert.ok(!pingsFromN1.some((entry) => entry.kind === 'ping' && entry.sentAtMs < 150), 'the ping of the lost step never left');
    assert.ok(pingsFromN1.some((entry) => entry.kind === 'ping' && entry.sentAtMs === 400), 'the ping of the persisted step left');
    // Every ping arrives after its sender's persist completed (sent at t, persisted at t + 50).
    for (const entry of seen) if (entry.kind === 'ping') assert.ok(entry.nowMs >= entry.sentAtMs + 50, `ping at ${entry.nowMs} sent at ${entry.sentAtMs}`);
  });
});

describe('pause', () => {
  it('a paused node takes no step; what came meanwhile is taken, in order, when it resumes', () => {
    const seen = run(probeConfig({
      schedule: [
        { atMs: 150, fault: { kind: 'pause', node: 'n2' } },
        { atMs: 650, fault: { kind: 'resume', node: 'n2' } },
      ],
      safetyMs: 1000,
    }));
    const n2 = seen.filter((entry) => entry.node === 'n2' && entry.kind !== 'recover');
    assert.ok(n2.length > 0);
    assert.ok(!n2.some((entry) => entry.nowMs > 150 && entry.nowMs < 650), 'no step while paused');
    const held = seen.filter((entry) => entry.kind === 'ping' && entry.node === 'n2' && entry.sentAtMs > 150 && entry.sentAtMs < 650);
    assert.ok(held.length >= 8, 'pings sent during the pause are delivered after it');
    assert.ok(held.every((entry) => entry.nowMs === 650));
    const fromN1 = held.filter((entry) => entry.kind === 'ping' && entry.source === 'n1').map((entry) => entry.kind === 'ping' ? entry.ticks : 0);
    assert.deepEqual(fromN1, [...fromN1].sort((a, b) => a - b), 'in the order they arrived');
  });
});

describe('partitions', () => {
  const crosses = (entry: Seen, groups: string[][]): boolean =>
    entry.kind === 'ping' && groups.findIndex((group) => group.includes(entry.source)) !== groups.findIndex((group) => group.includes(entry.node));

  it('a symmetric partition cuts only the links across it, and heals', () => {
    const groups = [['n1'], ['n2', 'n3']];
    const seen = run(probeConfig({
      schedule: [
        { atMs: 150, fault: { kind: 'partition', spec: { groups, oneWay: false } } },
        { atMs: 550, fault: { kind: 'heal' } },
      ],
      safetyMs: 1000,
    }));
    const during = seen.filter((entry) => entry.kind === 'ping' && entry.sentAtMs > 150 && entry.sentAtMs < 550);
    assert.equal(during.filter((entry) => crosses(entry, groups)).length, 0, 'nothing crosses the cut');
    assert.ok(during.some((entry) => entry.kind === 'ping' && entry.source === 'n2' && entry.node === 'n3'), 'n2 and n3 still talk');
    const after = seen.filter((entry) => entry.kind === 'ping' && entry.sentAtMs > 550);
    assert.ok(after.some((entry) => crosses(entry, groups)), 'healed');
  });

  it('a one-way partition cuts only from the first group to the others', () => {
    const groups = [['n1'], ['n2', 'n3']];
    const seen = run(probeConfig({
      schedule: [{ atMs: 150, fault: { kind: 'partition', spec: { groups, oneWay: true } } }],
      safetyMs: 600,
    }));
    const during = seen.filter((entry) => entry.kind === 'ping' && entry.sentAtMs > 150 && entry.sentAtMs < 600);
    assert.equal(during.filter((entry) => entry.kind === 'ping' && entry.source === 'n1').length, 0, 'n1 → others cut');
    assert.ok(during.some((entry) => entry.kind === 'ping' && entry.node === 'n1'), 'others → n1 flows');
  });
});

describe('clocks and failure detection', () => {
  it('skew, drift and jumps of a node clock reach its core as nowMs', () => {
    const config = probeConfig({
      schedule: [{ atMs: 1000, fault: { kind: 'clock', node: 'n3', clock: { skewMs: -2000 } } }],
      safetyMs: 1500,
    });
    config.clocks['n2'] = { skewMs: 5000, driftPpm: 0 };
    config.clocks['n3'] = { skewMs: 0, driftPpm: 100_000 };
    const seen = run(config);
    const firstTick = (node: string): number => seen.find((entry) => entry.kind === 'tick' && entry.node === node)!.nowMs;
    assert.equal(firstTick('n1'), TICK_MS);
    assert.equal(firstTick('n2'), TICK_MS + 5000);
    assert.ok(Math.abs(firstTick('n3') - TICK_MS * 1.1) < 1e-9, 'drift: 10% fast');
    // n1's clock is true: its 11th tick's reading is the lab time of n3's 11th tick too (same
    // schedule: every tick re-arms after a 1 ms fsync).
    const labMs = seen.find((entry) => entry.kind === 'tick' && entry.node === 'n1' && entry.ticks === 11)!.nowMs;
    assert.ok(labMs > 1000);
    const n3After = seen.find((entry) => entry.kind === 'tick' && entry.node === 'n3' && entry.ticks === 11)!;
    assert.ok(Math.abs(n3After.nowMs - (labMs * 1.1 - 2000)) < 1e-6, `a jump back of 2 s (got ${n3After.nowMs} at lab ${labMs})`);
  });

  it('the phi-accrual detector suspects a crashed node and clears it when it returns', () => {
    const seen = run(probeConfig({
      schedule: [{ atMs: 500, fault: { kind: 'crash', node: 'n3' } }, { atMs: 1800, fault: { kind: 'restart', node: 'n3' } }],
      safetyMs: 2500,
    }));
    for (const observer of ['n1', 'n2']) {
      const suspected = seen.find((entry) => entry.kind === 'suspicion' && entry.node === observer && entry.peer === 'n3' && entry.suspected);
      assert.ok(suspected !== undefined && suspected.nowMs > 500 && suspected.nowMs < 1500, `${observer} suspects n3 within a second`);
      const cleared = seen.find((entry) => entry.kind === 'suspicion' && entry.node === observer && entry.peer === 'n3' && !entry.suspected);
      assert.ok(cleared !== undefined && cleared.nowMs > 1800 && cleared.nowMs < 2300, `${observer} clears n3 once it is back`);
    }
    assert.ok(!seen.some((entry) => entry.kind === 'suspicion' && entry.peer !== 'n3'), 'no false suspicion on a calm network');
  });
});
