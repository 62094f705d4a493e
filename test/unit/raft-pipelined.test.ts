// Raft on a pipelined host (CoreContext.pipelined, contract/core.ts): the leader sends its
// AppendEntries while it writes the same entries to its own disk (Raft dissertation §10.2.1),
// counts itself toward a commit only for what its disk holds, batches a turn's proposals into
// one AppendEntries per follower, and answers clients without waiting for its own writes.
// The host here is driven by hand: `sync(id)` is "the node's fsync completed", `crash(id)`
// loses whatever was not synced — writes and held messages together — but not what already
// left early.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { CoreInput, OutMessage, Ready, StableWrite } from '../../src-node/contract/core.ts';
import { RAFT, RaftCore, MESSAGE, TIMER } from '../../src-node/protocols/raft/index.ts';
import type { AppendEntriesRequest } from '../../src-node/protocols/raft/messages.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';

interface Wire extends OutMessage {
  source: string;
}

/** A step's effects that wait for its writes (and every earlier step's). */
interface Pending {
  writes: StableWrite[];
  token: number | undefined;
  messages: OutMessage[];
  replies: Ready['replies'];
}

class PipelinedCluster {
  readonly disks = new Map<string, Map<string, unknown>>();
  readonly cores = new Map<string, RaftCore | null>();
  readonly pending = new Map<string, Pending[]>();
  readonly replies = new Map<string, ClientResult>();
  /** Every message that left, in order, with whether it left early. */
  readonly sent: (Wire & { early: boolean })[] = [];
  network: Wire[] = [];
  nowMs = 0;
  private requests = 0;
  private readonly random = createRandom(7);

  constructor(readonly ids: string[], readonly params: Record<string, unknown> = RAFT.parseParams({})) {
    for (const id of ids) this.start(id);
  }

  start(id: string): void {
    const core = new RaftCore({ self: id, peers: this.ids.filter((other) => other !== id), random: this.random.fork().next, params: this.params, pipelined: true });
    this.cores.set(id, core);
    this.pending.set(id, []);
    this.apply(id, core.step({ kind: 'recover', nowMs: this.nowMs, stable: new Map(this.disks.get(id) ?? []) }));
    this.sync(id);
  }

  /** SIGKILL: what was not synced is gone, the messages it held with it. */
  crash(id: string): void {
    this.cores.set(id, null);
    this.pending.set(id, []);
  }

  core(id: string): RaftCore {
    const core = this.cores.get(id);
    assert.ok(core, `${id} is not running`);
    return core;
  }

  /** One input, then the end of its batch. */
  input(id: string, input: CoreInput): void {
    this.apply(id, this.core(id).step(input));
    this.apply(id, this.core(id).flush(this.nowMs));
  }

  /** Several client requests in one batch (one turn of the event loop), then one flush. */
  batch(id: string, ops: ClientOp[]): string[] {
    const ids = ops.map((op) => {
      this.requests += 1;
      const requestId = `r${this.requests}`;
      this.apply(id, this.core(id).step({ kind: 'client', nowMs: this.nowMs, requestId, op }));
      return requestId;
    });
    this.apply(id, this.core(id).flush(this.nowMs));
    return ids;
  }

  request(id: string, op: ClientOp): string {
    return this.batch(id, [op])[0]!;
  }

  /** The node's disk finished every write handed to it: held effects leave, then `persisted`. */
  sync(id: string): void {
    const queue = this.pending.get(id)!;
    if (queue.length === 0) return;
    this.pending.set(id, []);
    const disk = this.disks.get(id) ?? new Map<string, unknown>();
    this.disks.set(id, disk);
    let token: number | undefined;
    for (const step of queue) {
      for (const write of step.writes) {
        if (write.value === undefined) disk.delete(write.key);
        else disk.set(write.key, structuredClone(write.value));
      }
      for (const message of step.messages) this.send(id, message, false);
      for (const reply of step.replies) this.replies.set(reply.requestId, reply.result);
      token = step.token ?? token;
    }
    if (token !== undefined && this.cores.get(id)) {
      this.apply(id, this.core(id).persisted(token, this.nowMs));
      this.apply(id, this.core(id).flush(this.nowMs));
    }
  }

  /** Delivers what matches, in order, syncing every receiver at once (a fast disk), until quiet. */
  settle(filter: (message: Wire) => boolean = () => true, syncing: (id: string) => boolean = () => true): void {
    for (let round = 0; round < 10_000; round += 1) {
      const index = this.network.findIndex(filter);
      if (index < 0) {
        const unsynced = this.ids.filter((id) => this.cores.get(id) && syncing(id) && this.pending.get(id)!.length > 0);
        if (unsynced.length === 0) return;
        for (const id of unsynced) this.sync(id);
        continue;
      }
      const [message] = this.network.splice(index, 1);
      if (this.cores.get(message!.target)) {
        this.input(message!.target, { kind: 'message', nowMs: this.nowMs, source: message!.source, type: message!.type, payload: structuredClone(message!.payload) });
      }
    }
    assert.fail('the cluster did not settle');
  }

  elect(id: string): void {
    this.nowMs += 1000;
    this.input(id, { kind: 'timer', nowMs: this.nowMs, timer: TIMER.election });
    this.settle();
    assert.equal(this.core(id).status().role, 'leader');
  }

  private apply(id: string, ready: Ready): void {
    for (const message of ready.early?.messages ?? []) this.send(id, message, true);
    for (const reply of ready.early?.replies ?? []) this.replies.set(reply.requestId, reply.result);
    const queue = this.pending.get(id)!;
    const step: Pending = { writes: ready.persist, token: ready.persistedToken, messages: ready.messages, replies: ready.replies };
    if (ready.persist.length === 0 && queue.length === 0) {
      for (const message of step.messages) this.send(id, message, false);
      for (const reply of step.replies) this.replies.set(reply.requestId, reply.result);
      return;
    }
    queue.push(step);
  }

  private send(source: string, message: OutMessage, early: boolean): void {
    const wire = { ...structuredClone(message), source };
    this.sent.push({ ...wire, early });
    this.network.push(wire);
  }
}

const THREE = ['n1', 'n2', 'n3'];
const put = (key: string, value: unknown): ClientOp => ({ f: 'put', key, value });
const to = (target: string, type: string = MESSAGE.appendEntries) => (message: Wire): boolean => message.target === target && message.type === type;
const from = (source: string) => (message: Wire): boolean => message.source === source;

/** The node has writes its disk has not finished. */
const unsynced = (cluster: PipelinedCluster, id: string): boolean => cluster.pending.get(id)!.some((step) => step.writes.length > 0);

function leaderWithIdleFollowers(): PipelinedCluster {
  const cluster = new PipelinedCluster(THREE);
  cluster.elect('n1');
  return cluster;
}

describe('Raft on a pipelined host (dissertation §10.2.1)', () => {
  it('the leader sends AppendEntries before its own write of the entries is durable', () => {
    const cluster = leaderWithIdleFollowers();
    const before = cluster.sent.length;
    cluster.request('n1', put('x', 1));
    const appends = cluster.sent.slice(before).filter((message) => message.type === MESSAGE.appendEntries);
    assert.deepEqual(appends.map((message) => [message.target, message.early]), [['n2', true], ['n3', true]]);
    assert.equal((appends[0]!.payload as AppendEntriesRequest).entries.length, 1);
    assert.ok(unsynced(cluster, 'n1'), 'the leader\'s write is still on its way to disk');
  });

  // Reference: dissertation §10.2.1, "the leader may count itself toward the majority only once its own log is durable".
  it('the leader counts itself toward a commit only once its own entry is durable', () => {
    const cluster = leaderWithIdleFollowers();
    const request = cluster.request('n1', put('x', 1));
    // n2 stores the entry and answers; n3 hears nothing; n1's disk has not finished.
    cluster.settle((message) => message.target === 'n2' || (message.target === 'n1' && message.source === 'n2'), (id) => id === 'n2');
    assert.equal(cluster.replies.get(request), undefined, 'n2 alone is not a majority: n1 may not count its unsynced entry');
    cluster.sync('n1');
    assert.deepEqual(cluster.replies.get(request), { type: 'ok' }, 'n1 + n2 on disk: committed');
  });

  it('two followers\' disks commit without the leader\'s', () => {
    const cluster = leaderWithIdleFollowers();
    const request = cluster.request('n1', put('x', 1));
    cluster.settle(() => true, (id) => id !== 'n1');
    assert.deepEqual(cluster.replies.get(request), { type: 'ok' });
    assert.ok(unsynced(cluster, 'n1'), 'acknowledged while the leader\'s own write is still pending');
  });

  it('a leader crash between its send and its own fsync loses no acknowledged write', () => {
    const cluster = leaderWithIdleFollowers();
    const request = cluster.request('n1', put('x', 'kept'));
    cluster.settle(() => true, (id) => id !== 'n1');
    assert.deepEqual(cluster.replies.get(request), { type: 'ok' });
    cluster.crash('n1');
    cluster.network = cluster.network.filter((message) => message.target !== 'n1' && message.source !== 'n1');
    cluster.elect('n2');
    cluster.start('n1');
    cluster.settle();
    const read = cluster.request('n2', { f: 'get', key: 'x' });
    cluster.settle();
    assert.deepEqual(cluster.replies.get(read), { type: 'ok', value: 'kept' });
    assert.equal(cluster.core('n1').status().data?.['x'], 'kept', 'the restarted leader got the entry back');
  });

  it('the write a follower and the crashed leader\'s memory held was never acknowledged, so a majority without it breaks no promise', () => {
    const cluster = leaderWithIdleFollowers();
    const request = cluster.request('n1', put('x', 'maybe'));
    // n2 stores the entry and answers; n1 crashes before its own fsync; n2 is cut off.
    cluster.settle((message) => message.target === 'n2' || (message.target === 'n1' && message.source === 'n2'), (id) => id === 'n2');
    assert.equal(cluster.replies.get(request), undefined, 'counting its unsynced entry, n1 would have acknowledged here');
    cluster.crash('n1');
    cluster.crash('n2');
    cluster.network = [];
    cluster.start('n1');
    cluster.elect('n3'); // n1 (which lost the entry) and n3 (which never had it) are a majority
    const read = cluster.request('n3', { f: 'get', key: 'x' });
    cluster.settle();
    assert.deepEqual(cluster.replies.get(read), { type: 'ok', value: null }, 'the entry is gone: had it been acknowledged, a promise would be broken');
  });

  it('no message of a term leaves before the term and vote are durable; a follower answers only from disk', () => {
    const cluster = new PipelinedCluster(THREE);
    cluster.nowMs += 1000;
    cluster.input('n1', { kind: 'timer', nowMs: cluster.nowMs, timer: TIMER.election });
    cluster.settle((message) => message.type === MESSAGE.preVote || message.type === MESSAGE.preVoteReply, () => false);
    // n1 became a candidate: its RequestVotes wait for term and vote on disk.
    assert.ok(cluster.network.every((message) => message.type !== MESSAGE.requestVote));
    assert.ok(cluster.pending.get('n1')!.some((step) => step.messages.some((message) => message.type === MESSAGE.requestVote)));
    cluster.sync('n1');
    assert.equal(cluster.network.filter((message) => message.type === MESSAGE.requestVote).length, 2);
    cluster.settle();
    assert.ok(cluster.sent.filter((message) => message.type !== MESSAGE.appendEntries).every((message) => !message.early));
    assert.ok(cluster.sent.filter((message) => message.source !== 'n1').every((message) => !message.early), 'followers never send early');
  });

  it('a batch of proposals travels in one AppendEntries per follower', () => {
    const cluster = leaderWithIdleFollowers();
    const before = cluster.sent.length;
    const requests = cluster.batch('n1', Array.from({ length: 10 }, (_, index) => put(`k${index}`, index)));
    const appends = cluster.sent.slice(before).filter((message) => message.type === MESSAGE.appendEntries);
    assert.equal(appends.length, 2);
    assert.ok(appends.every((message) => (message.payload as AppendEntriesRequest).entries.length === 10));
    cluster.settle();
    assert.ok(requests.every((request) => cluster.replies.get(request)?.type === 'ok'));
    // The followers answered once each; the commit came in one step.
    assert.equal(cluster.sent.slice(before).filter((message) => message.type === MESSAGE.appendEntriesReply).length, 2);
  });

  it('a batch of reads shares one heartbeat round', () => {
    const cluster = leaderWithIdleFollowers();
    const write = cluster.request('n1', put('x', 1));
    cluster.settle();
    assert.deepEqual(cluster.replies.get(write), { type: 'ok' });
    const before = cluster.sent.length;
    const reads = cluster.batch('n1', [{ f: 'get', key: 'x' }, { f: 'get', key: 'x' }, { f: 'get', key: 'y' }]);
    assert.equal(cluster.sent.slice(before).filter(to('n2')).length, 1);
    assert.equal(reads.filter((read) => cluster.replies.has(read)).length, 0, 'no read before a majority confirmed the round');
    cluster.settle();
    assert.deepEqual(reads.map((read) => cluster.replies.get(read)), [{ type: 'ok', value: 1 }, { type: 'ok', value: 1 }, { type: 'ok', value: null }]);
  });

  it('replies leave at once: an acknowledgement does not wait behind the leader\'s later writes', () => {
    const cluster = leaderWithIdleFollowers();
    const first = cluster.request('n1', put('a', 1));
    cluster.sync('n1');
    cluster.request('n1', put('b', 2)); // n1's disk now holds this one back
    cluster.settle(from('n1'), (id) => id !== 'n1');
    cluster.settle((message) => message.target === 'n1', (id) => id !== 'n1');
    assert.deepEqual(cluster.replies.get(first), { type: 'ok' });
    assert.ok(unsynced(cluster, 'n1'), 'n1 still has a write in flight');
  });

  it('a host reporting durability out of order is a bug the core refuses', () => {
    const cluster = leaderWithIdleFollowers();
    cluster.request('n1', put('x', 1));
    const token = cluster.pending.get('n1')![0]!.token!;
    cluster.sync('n1');
    assert.throws(() => cluster.core('n1').persisted(token, cluster.nowMs), /out of order/);
  });
});
