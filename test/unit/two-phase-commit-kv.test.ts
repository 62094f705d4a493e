// 2PC as a replication protocol (src-node/protocols/two-phase-commit/core.ts, `data: 'kv'`):
// every participant holds a full copy of a key-value map and every put is one transaction on
// all of them. One test per rule — the yes vote on disk before it leaves, the commit record on
// disk before any commit leaves, presumed abort when a coordinator returns without one, a
// prepared participant blocked on its coordinator — then the book's 4n messages per write, the
// coordinator's reads, and a property: under any delivery order every participant ends with
// the coordinator's committed map.
// Reference: the book §4 "Two phase commit (2PC)" and its table (2PC: 4n messages per write);
// Gray & Lamport, "Consensus on Transaction Commit" §3 (the two-phase commit protocol).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CoreContext, OutMessage, Ready } from '../../src-node/contract/core.ts';
import { TWO_PHASE_COMMIT, TwoPhaseCommitCore, parseTwoPhaseCommitParams } from '../../src-node/protocols/two-phase-commit/core.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const NODES = ['n1', 'n2', 'n3'];
const PARTICIPANTS = ['n2', 'n3'];
const KV = { data: 'kv' };

/** A 2PC kv cluster that also counts every node-to-node message by type. */
class Replicas extends CoreCluster<TwoPhaseCommitCore> {
  readonly sent: (OutMessage & { source: string })[];

  constructor(params: Record<string, unknown> = KV, seed = 1) {
    const sent: (OutMessage & { source: string })[] = [];
    super(NODES, (context) => counting(new TwoPhaseCommitCore(context), context, sent), params, seed);
    this.sent = sent;
  }

  role(node: string): string {
    return this.cores.get(node)!.status().role;
  }

  map(node: string): Record<string, unknown> {
    return { ...this.cores.get(node)!.status().data };
  }

  facts(node: string): Record<string, unknown> {
    return this.cores.get(node)!.status().facts;
  }
}

function counting(core: TwoPhaseCommitCore, context: CoreContext, sent: (OutMessage & { source: string })[]): TwoPhaseCommitCore {
  const step = core.step.bind(core);
  core.step = (input) => {
    const ready = step(input);
    for (const message of ready.messages) sent.push({ ...message, source: context.self });
    return ready;
  };
  return core;
}

/** One core outside any cluster, to look at the Ready of a single step. */
function lone(self: string): { core: TwoPhaseCommitCore; recover: Ready } {
  const random = createRandom(1);
  const core = new TwoPhaseCommitCore({ self, peers: NODES.filter((node) => node !== self), random: () => random.next(), params: KV });
  return { core, recover: core.step({ kind: 'recover', nowMs: 0, stable: new Map() }) };
}

describe('2pc kv: replication by two-phase commit', () => {
  it('a put is one transaction on every participant: 4n messages (n = 2), the same map everywhere', () => {
    const replicas = new Replicas();
    const result = replicas.run('n1', { f: 'put', key: 'x', value: 'a' });
    assert.equal(result.type, 'ok');
    replicas.deliverAll();
    const types = replicas.sent.map((message) => `${message.source}→${message.target} ${message.type}`).sort();
    assert.deepEqual(types, [
      'n1→n2 commit', 'n1→n2 prepare', 'n1→n3 commit', 'n1→n3 prepare',
      'n2→n1 ack', 'n2→n1 vote', 'n3→n1 ack', 'n3→n1 vote',
    ]);
    for (const node of NODES) assert.deepEqual(replicas.map(node), { x: 'a' }, `${node} holds the map`);
    // A get costs no message: the coordinator answers from its committed map.
    assert.equal(replicas.run('n1', { f: 'get', key: 'x' }).value, 'a');
    assert.equal(replicas.run('n1', { f: 'get', key: 'nothing' }).value, null, 'a missing key reads as null');
    assert.equal(replicas.sent.length, 8);
    // The retry timer sends nothing once every commit is acknowledged: no idle traffic.
    replicas.advance(2_000);
    assert.equal(replicas.sent.length, 8);
  });

  it('participants redirect every client operation to the coordinator, as a backup redirects to its primary', () => {
    const replicas = new Replicas();
    for (const op of [{ f: 'put', key: 'x', value: 1 }, { f: 'get', key: 'x' }] as const) {
      const result = replicas.run('n2', op);
      assert.equal(result.type, 'fail');
      assert.equal(result.redirect, 'n1');
    }
    assert.equal(replicas.facts('n2')['coordinator'], 'n1', 'the status names the coordinator, for the lab\'s clients');
    assert.equal(replicas.sent.length, 0);
  });

  // Rule: a participant's yes vote is a promise; it is on disk before the coordinator hears it.
  it('prepare: the participant persists the write and its vote in the step that sends the vote, and keeps it across a crash', () => {
    const { core } = lone('n2');
    const ready = core.step({ kind: 'message', nowMs: 5, source: 'n1', type: 'prepare', payload: { tx: 't1', changes: { x: 'a' }, participants: PARTICIPANTS } });
    // The host persists a step's writes (one fsynced transaction) before it sends any of its messages.
    assert.deepEqual(ready.persist.map((write) => [write.key, (write.value as { state?: string; changes?: unknown })?.state, (write.value as { changes?: unknown })?.changes]), [['tx:t1', 'prepared', { x: 'a' }]]);
    assert.deepEqual(ready.messages.map((message) => [message.target, message.type, message.payload]), [['n1', 'vote', { tx: 't1', yes: true, reason: null }]]);
    assert.deepEqual(core.status().data, {}, 'prepared, not applied: the value is not visible yet');
    // After a crash the promise is still there: the key is locked and the participant asks how t1 ended.
    const replicas = new Replicas();
    replicas.client('n1', { f: 'put', key: 'x', value: 'a' });
    replicas.deliverAll(4); // prepares and votes delivered: committed; n2 dies before its commit arrives
    replicas.crash('n2');
    replicas.start('n2');
    assert.equal(replicas.facts('n2')['locked'], 1);
    assert.equal(replicas.facts('n2')['inDoubt'], 1);
    assert.deepEqual(replicas.map('n2'), {});
    replicas.deliverAll();
    assert.deepEqual(replicas.map('n2'), { x: 'a' }, 'its vote counted: it asked on recovery and heard commit');
    assert.equal(replicas.facts('n1')['unacknowledgedCommits'], 0);
  });

  // Rule: the commit point is the commit record on the coordinator's disk; no commit leaves before it.
  it('commit: the coordinator persists the commit record and the committed value in the step that sends the commits and the ok', () => {
    const { core } = lone('n1');
    const put = core.step({ kind: 'client', nowMs: 1, requestId: 'r1', op: { f: 'put', key: 'x', value: 'a' } });
    assert.deepEqual(put.messages.map((message) => `${message.target} ${message.type}`), ['n2 prepare', 'n3 prepare']);
    assert.deepEqual(put.persist.map((write) => write.key), ['counter'], 'phase one writes only the transaction counter');
    const first = core.step({ kind: 'message', nowMs: 2, source: 'n2', type: 'vote', payload: { tx: 't1', yes: true, reason: null } });
    assert.equal(first.messages.length + first.persist.length + first.replies.length, 0, 'one vote decides nothing');
    const last = core.step({ kind: 'message', nowMs: 3, source: 'n3', type: 'vote', payload: { tx: 't1', yes: true, reason: null } });
    assert.deepEqual(last.persist.map((write) => [write.key, write.value]), [['decision:t1', { participants: PARTICIPANTS }], ['value:x', 'a']]);
    assert.deepEqual(last.messages.map((message) => `${message.target} ${message.type}`), ['n2 commit', 'n3 commit']);
    assert.deepEqual(last.replies.map((reply) => [reply.requestId, reply.result.type]), [['r1', 'ok']]);
    // Its log outlives a crash: the commits lost with the process are sent again from the log.
    const replicas = new Replicas({ ...KV, cooperativeTermination: false });
    replicas.client('n1', { f: 'put', key: 'x', value: 'a' });
    replicas.deliverAll(4); // two prepares, two votes: the record is on disk, the commits queued
    replicas.crash('n1');   // ...and lost with the process
    replicas.advance(1_000);
    assert.deepEqual(replicas.map('n2'), {}, 'nobody heard the commit');
    assert.equal(replicas.role('n2'), 'blocked');
    replicas.start('n1');
    assert.equal(replicas.run('n1', { f: 'get', key: 'x' }).value, 'a', 'the restarted coordinator reads its committed map from its log');
    replicas.advance(1_000);
    for (const node of NODES) assert.deepEqual(replicas.map(node), { x: 'a' });
  });

  // Rule: presumed abort — no commit record means abort, and an abort is never written by the coordinator.
  it('presumed abort: a coordinator that returns with no commit record answers abort, and the write never appears', () => {
    const replicas = new Replicas();
    const request = replicas.client('n1', { f: 'put', key: 'x', value: 'a' });
    replicas.deliverAll(2); // both participants prepared and voted yes; the votes die with the coordinator
    replicas.crash('n1');
    replicas.advance(1_000);
    assert.equal(replicas.results.has(request), false, 'the client never heard: its put is indeterminate, not acknowledged');
    replicas.start('n1');
    assert.equal([...replicas.disks.get('n1')!.keys()].some((key) => key.startsWith('decision:')), false);
    replicas.advance(1_000);
    for (const node of NODES) assert.deepEqual(replicas.map(node), {}, `${node}: aborted everywhere`);
    for (const node of PARTICIPANTS) {
      assert.equal(replicas.role(node), 'participant');
      assert.equal(replicas.facts(node)['locked'], 0, 'the lock is released');
    }
    assert.ok(replicas.notes.some((note) => note.name === 'aborted' && note.detail?.['learnedFrom'] === 'n1'));
    assert.equal([...replicas.disks.get('n1')!.keys()].some((key) => key.startsWith('decision:')), false, 'the abort was never written');
    assert.equal(replicas.run('n1', { f: 'put', key: 'x', value: 'b' }).type, 'ok', 'the key is free again');
  });

  // Rule: a participant that voted yes may not decide alone (the book: 2PC blocks on a coordinator failure).
  it('a participant that voted yes blocks on the crashed coordinator, says on whom, and no write or read is served until it returns', () => {
    const replicas = new Replicas({ ...KV, cooperativeTermination: true });
    replicas.client('n1', { f: 'put', key: 'x', value: 'a' });
    replicas.deliverAll(2);
    replicas.crash('n1');
    replicas.advance(1_000);
    for (const node of PARTICIPANTS) {
      assert.equal(replicas.role(node), 'blocked');
      assert.equal(replicas.facts(node)['blockedOn'], 't1');
    }
    const blocked = replicas.notes.filter((note) => note.name === 'blocked');
    assert.deepEqual(blocked.map((note) => note.node).sort(), PARTICIPANTS, 'each says so, once');
    for (const note of blocked) {
      assert.equal(note.detail?.['waitingOn'], 'n1');
      assert.match(String(note.detail?.['reason']), /voted yes on t1; the coordinator n1 has not answered/);
    }
    const view = replicas.cores.get('n2')!.status().view;
    assert.ok(view?.protocol === '2pc' && view.transactions[0]?.blocked?.waitingOn === 'n1');
    // The peer is prepared too (cooperative termination cannot help): no failover, only redirects to the dead coordinator.
    assert.deepEqual(view.transactions[0]?.blocked?.peers, [{ node: 'n3', answer: 'prepared too' }]);
    assert.equal(replicas.run('n2', { f: 'put', key: 'y', value: 'b' }).redirect, 'n1');
    assert.equal(replicas.run('n3', { f: 'get', key: 'x' }).redirect, 'n1');
    replicas.start('n1');
    replicas.advance(1_000);
    assert.deepEqual(replicas.notes.filter((note) => note.name === 'unblocked').map((note) => [note.node, note.detail?.['outcome']]).sort(), [['n2', 'abort'], ['n3', 'abort']]);
  });

  it('two puts on one key at once: the second finds the key locked, a participant votes no, and it aborts everywhere', () => {
    const replicas = new Replicas();
    const first = replicas.client('n1', { f: 'put', key: 'x', value: 'a' });
    const second = replicas.client('n1', { f: 'put', key: 'x', value: 'b' });
    replicas.deliverAll();
    assert.equal(replicas.results.get(first)?.type, 'ok');
    assert.match(replicas.results.get(second)?.error ?? '', /aborted t2: n[23] voted no: x is locked by t1/);
    for (const node of NODES) assert.deepEqual(replicas.map(node), { x: 'a' });
  });

  it('rejects bad requests, bad prepares and bad params with a clear error', () => {
    const replicas = new Replicas();
    assert.match(replicas.run('n1', { f: 'put', key: '', value: 1 }).error ?? '', /key must be a string of 1\.\.256/);
    assert.match(replicas.run('n1', { f: 'put', key: 'x' }).error ?? '', /put needs a value/);
    assert.match(replicas.run('n1', { f: 'put', key: 'x', value: null }).error ?? '', /put needs a value/);
    assert.match(replicas.run('n1', { f: 'put', key: 'x', value: 'v'.repeat(5_000) }).error ?? '', /at most 4096 characters/);
    assert.match(replicas.run('n1', { f: 'transfer', value: { from: 'a1', to: 'a2', amount: 1 } }).error ?? '', /serves put and get, not 'transfer'/);
    replicas.send('n1', 'n2', 'prepare', { tx: 't9', changes: { x: null }, participants: PARTICIPANTS });
    assert.ok(replicas.notes.some((note) => note.node === 'n2' && note.name === 'malformed-message'));
    assert.throws(() => parseTwoPhaseCommitParams({ data: 'sql' }), /data must be 'bank' or 'kv'/);
    assert.equal(replicas.sent.length, 0);
    // The lab judges kv on every node (bank: each account on its owner).
    const holders = TWO_PHASE_COMMIT.holdersOf!(parseTwoPhaseCommitParams(KV) as unknown as Record<string, unknown>, NODES);
    assert.deepEqual(holders('anything'), NODES);
  });

  it('property: under any delivery order, with losses and duplicates, every participant ends with the coordinator\'s committed map', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.array(fc.record({ key: fc.constantFrom('x', 'y', 'z'), batch: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }),
      (seed, puts, dropPct, duplicatePct) => {
        const random = createRandom(seed);
        const replicas = new Replicas(KV, seed);
        const requests: { id: string; key: string; value: string }[] = [];
        puts.forEach((put, index) => {
          const value = `v${index}`;
          requests.push({ id: replicas.client('n1', { f: 'put', key: put.key, value }), key: put.key, value });
          // A few messages in a random order between puts: transactions overlap and interleave.
          replicas.deliverShuffled(() => random.next(), put.batch, { dropPct, duplicatePct });
        });
        replicas.deliverShuffled(() => random.next(), 10_000, { dropPct, duplicatePct });
        replicas.advance(5_000); // retries: the coordinator resends commits, participants ask; votes lost time out
        const committed = replicas.map('n1');
        for (const node of PARTICIPANTS) assert.deepEqual(replicas.map(node), committed, `${node} differs from the coordinator`);
        for (const node of NODES) assert.equal(replicas.facts(node)['inDoubt'], 0, `${node} still in doubt`);
        // The coordinator's map is its commits, in the order it decided them (not the order the
        // puts came in: a later put may take the lock first), and a put got ok iff it committed.
        const writes = new Map<unknown, { key: string; value: unknown }>();
        const expected: Record<string, unknown> = {};
        const decided = new Set<unknown>();
        for (const note of replicas.notes.filter((candidate) => candidate.node === 'n1')) {
          if (note.name === 'prepare') writes.set(note.detail?.['tx'], note.detail?.['write'] as { key: string; value: unknown });
          if (note.name !== 'commit-decided') continue;
          const write = writes.get(note.detail?.['tx'])!;
          expected[write.key] = write.value;
          decided.add(write.value);
        }
        assert.deepEqual(committed, expected);
        for (const request of requests) assert.equal(replicas.results.get(request.id)?.type, decided.has(request.value) ? 'ok' : 'fail', request.value);
      },
    ), { numRuns: 150 });
  });
});
