// Eventual delivery for the CALM node (src-node/protocols/calm/delivery.ts): numbered messages
// are sent again until acknowledged, a retransmission of a message taken already is dropped,
// and a duplicate made by the network still arrives — the disorder the CALM lesson is about.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Delivery, numbering, SEEN_ABOVE_MAX, UNACKED_MAX } from '../../src-node/protocols/calm/delivery.ts';

describe('calm delivery: numbered, retransmitted, acknowledged', () => {
  it('numbers per target and sends again, marked retry, what is not acknowledged in time', () => {
    const delivery = new Delivery(100);
    assert.deepEqual(delivery.send('n2', 'tuples', { entries: [] }, 0).payload, { entries: [], seq: 1 });
    assert.deepEqual(delivery.send('n2', 'tuples', { entries: [] }, 10).payload, { entries: [], seq: 2 });
    assert.deepEqual(delivery.send('n3', 'seal', { seals: [] }, 10).payload, { seals: [], seq: 1 });
    assert.deepEqual(delivery.due(99), [], 'nothing is due before retransmitMs');
    assert.deepEqual(delivery.due(100).map((message) => [message.target, message.payload['seq'], message.payload['retry']]), [['n2', 1, true]]);
    delivery.acked('n2', [2]);
    delivery.acked('n3', [1]);
    assert.equal(delivery.unackedCount, 1);
    assert.deepEqual(delivery.due(150), [], 'the retransmission counts as a sending');
    assert.deepEqual(delivery.due(200).map((message) => message.payload['seq']), [1]);
    delivery.acked('n2', [1]);
    assert.deepEqual(delivery.due(10_000), []);
  });

  it('takes every first arrival and every network duplicate, but not a retransmission it took already', () => {
    const delivery = new Delivery(100);
    assert.equal(delivery.receive('n1', 2, false), true, 'out of order is fine');
    assert.equal(delivery.receive('n1', 2, false), true, 'a duplicate the network made arrives twice, as without numbering');
    assert.equal(delivery.receive('n1', 2, true), false, 'a retransmission of a taken message is dropped');
    assert.equal(delivery.receive('n1', 1, true), true, 'a retransmission of a lost one is taken');
    assert.equal(delivery.receive('n1', 1, true), false);
    assert.equal(delivery.receive('n2', 1, true), true, 'per sender');
  });

  it('survives a restart: what is owed is due at once, what was taken stays taken', () => {
    const before = new Delivery(100);
    before.send('n2', 'tuples', { entries: [['n2', 'x']] }, 0);
    before.receive('n3', 1, false);
    before.receive('n3', 3, false);
    const after = Delivery.fromJson(JSON.parse(JSON.stringify(before.toJson())), 100);
    assert.deepEqual(after.due(0).map((message) => message.payload), [{ entries: [['n2', 'x']], seq: 1, retry: true }]);
    assert.equal(after.send('n2', 'tuples', { entries: [] }, 0).payload['seq'], 2, 'numbering goes on');
    assert.equal(after.receive('n3', 3, true), false);
    assert.equal(after.receive('n3', 2, true), true);
    assert.equal(Delivery.fromJson(undefined, 100).unackedCount, 0, 'a state from before numbering');
  });

  it('keeps its bounds: the oldest unacknowledged message is given up, a hole in the seen range is skipped', () => {
    const delivery = new Delivery(100);
    for (let index = 0; index < UNACKED_MAX; index += 1) assert.equal(delivery.send('n2', 'tuples', {}, 0).gaveUp, null);
    assert.deepEqual(delivery.send('n2', 'tuples', {}, 0).gaveUp, { target: 'n2', seq: 1, type: 'tuples', payload: { seq: 1 } });
    assert.equal(delivery.unackedCount, UNACKED_MAX);
    const receiver = new Delivery(100);
    // Seq 1 never comes (given up): the record of everything above it stays bounded.
    for (let seq = 2; seq <= SEEN_ABOVE_MAX + 2; seq += 1) receiver.receive('n1', seq, false);
    const seen = receiver.toJson().seen['n1']!;
    assert.ok(seen.above.length <= SEEN_ABOVE_MAX);
    assert.equal(receiver.receive('n1', SEEN_ABOVE_MAX + 2, true), false, 'still known after the skip');
  });

  it('reads the numbering of a message, or says it is malformed', () => {
    assert.equal(numbering({ entries: [] }), null);
    assert.deepEqual(numbering({ seq: 3 }), { seq: 3, retry: false });
    assert.deepEqual(numbering({ seq: 3, retry: true }), { seq: 3, retry: true });
    for (const bad of [{ seq: 0 }, { seq: 1.5 }, { seq: '1' }, { seq: 1, retry: 'yes' }, { retry: true }]) assert.equal(numbering(bad), 'malformed', JSON.stringify(bad));
  });
});
