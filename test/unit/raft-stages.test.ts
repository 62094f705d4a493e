// The bench's breakdown of a put (src-main/bench/raft-stages.ts): every stage measured from
// the right event, on a hand-written trace of puts by one client to a leader n1 and its
// followers n2 (fast) and n3 (slow), each node's events in its own order as they stream in.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutStages, STAGES, type StageFigures } from '../../src-main/bench/raft-stages.ts';
import type { TraceEvent, TraceKind } from '../../src-node/contract/trace.ts';

let seq = 0;
function event(node: string, kind: TraceKind, labTimeMs: number, fields: Partial<TraceEvent> = {}): TraceEvent {
  seq += 1;
  return { node, seq, kind, lamport: seq, vclock: {}, nodeTimeMs: labTimeMs, labTimeMs, ...fields };
}

/** One put starting at `t0`: the leader appends, n2 answers after a 0.4 ms fsync, n3 after 1 ms. */
function put(index: number, t0: number): TraceEvent[] {
  const requestId = `r${index}`;
  const toN2 = `n1:a${index}`;
  const toN3 = `n1:b${index}`;
  const fromN2 = `n2:r${index}`;
  const fromN3 = `n3:r${index}`;
  return [
    event('n1', 'receive', t0, { msgType: 'client-request', msgId: `c1:${index}`, detail: { requestId } }),
    event('n1', 'send', t0 + 0.05, { msgType: 'append-entries', msgId: toN2, peer: 'n2' }),
    event('n1', 'send', t0 + 0.06, { msgType: 'append-entries', msgId: toN3, peer: 'n3' }),
    event('n2', 'receive', t0 + 0.25, { msgType: 'append-entries', msgId: toN2 }),
    event('n2', 'persist', t0 + 0.75, { detail: { keys: ['raft/log/1'], count: 1, durationMs: 0.4 } }),
    event('n2', 'send', t0 + 0.76, { msgType: 'append-entries-reply', msgId: fromN2, peer: 'n1' }),
    event('n1', 'receive', t0 + 0.96, { msgType: 'append-entries-reply', msgId: fromN2 }),
    event('n1', 'send', t0 + 1.0, { msgType: 'client-reply', msgId: `n1:c${index}`, detail: { requestId } }),
    // The slow follower answers after the put was answered: its reply commits nothing.
    event('n3', 'receive', t0 + 0.26, { msgType: 'append-entries', msgId: toN3 }),
    event('n3', 'persist', t0 + 1.36, { detail: { keys: ['raft/log/1'], count: 1, durationMs: 1 } }),
    event('n3', 'send', t0 + 1.37, { msgType: 'append-entries-reply', msgId: fromN3, peer: 'n1' }),
    event('n1', 'receive', t0 + 1.57, { msgType: 'append-entries-reply', msgId: fromN3 }),
  ];
}

function byStage(figures: StageFigures[]): Map<string, StageFigures> {
  return new Map(figures.map((figure) => [figure.stage, figure]));
}

describe('bench raft: where a put\'s time goes', () => {
  it('measures each stage of a put from the events that bound it', () => {
    const stages = new PutStages();
    // Each node's events in its own order; nodes interleave as their batches arrive.
    const events = [put(1, 0), put(2, 2), put(3, 4)].flat();
    for (const node of ['n2', 'n3', 'n1']) stages.add(events.filter((one) => one.node === node));
    const figures = byStage(stages.figures());
    assert.deepEqual([...figures.keys()], [...STAGES]);
    const mean = (stage: string): number => figures.get(stage)!.meanMs;
    assert.equal(mean('leader: request → append'), 0.05, 'to the first append after the request');
    assert.equal(figures.get('hop: append')!.count, 6, 'both followers, three puts');
    assert.equal(mean('hop: append'), 0.2);
    assert.equal(mean('follower: append → durable'), 0.8, '(0.5 + 1.1) / 2');
    assert.equal(mean('fsync'), 0.7, '(0.4 + 1) / 2, as the nodes measured their commits');
    assert.equal(mean('follower: durable → reply'), 0.01);
    assert.equal(mean('hop: reply'), 0.2);
    // From the reply that committed the put, not from the slow follower's reply to the previous one.
    assert.equal(mean('leader: reply → answer'), 0.04);
    assert.equal(figures.get('leader: request → answer')!.count, 3);
    assert.equal(mean('leader: request → answer'), 1);
  });

  it('a heartbeat answered without a write counts in the hops only', () => {
    const stages = new PutStages();
    stages.add([
      event('n1', 'send', 0, { msgType: 'append-entries', msgId: 'n1:h1', peer: 'n2' }),
      event('n1', 'receive', 0.5, { msgType: 'append-entries-reply', msgId: 'n2:h1' }),
    ]);
    stages.add([
      event('n2', 'receive', 0.2, { msgType: 'append-entries', msgId: 'n1:h1' }),
      event('n2', 'send', 0.3, { msgType: 'append-entries-reply', msgId: 'n2:h1', peer: 'n1' }),
      // A later write is measured from the append that asked for it, not from the heartbeat.
      event('n2', 'receive', 1.0, { msgType: 'append-entries', msgId: 'n1:a2' }),
      event('n2', 'persist', 1.5, { detail: { durationMs: 0.3 } }),
    ]);
    const figures = byStage(stages.figures());
    assert.equal(figures.get('hop: append')!.count, 1);
    assert.equal(figures.get('hop: reply')!.meanMs, 0.2);
    assert.equal(figures.get('follower: durable → reply')!.count, 0);
    assert.equal(figures.get('follower: append → durable')!.meanMs, 0.5);
  });

  it('an empty run reports every stage with no samples', () => {
    const figures = new PutStages().figures();
    assert.equal(figures.length, STAGES.length);
    assert.ok(figures.every((figure) => figure.count === 0 && figure.meanMs === 0));
  });
});
