import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { CoreInput, Note, OutMessage, ProtocolCore, Ready } from '../../src-node/contract/core.ts';
import { PRIMARY_BACKUP } from '../../src-node/protocols/primary-backup/index.ts';
import { MESSAGE } from '../../src-node/protocols/primary-backup/messages.ts';
import { STABLE_KEY } from '../../src-node/protocols/primary-backup/store.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';

interface InFlight extends OutMessage {
  source: string;
}

/**
 * A tiny host: cores, their stable storage, a network that holds messages until the test
 * delivers them, timers the test fires by hand, and a cut that drops messages across it.
 */
class Lab {
  readonly stable = new Map<string, Map<string, unknown>>();
  readonly cores = new Map<string, ProtocolCore | null>();
  readonly timers = new Map<string, Set<string>>();
  readonly replies = new Map<string, ClientResult>();
  readonly notes: (Note & { node: string })[] = [];
  network: InFlight[] = [];
  private groups: string[][] | null = null;
  private requests = 0;
  private readonly params: Record<string, unknown>;

  constructor(
    readonly ids: string[],
    params: unknown,
  ) {
    this.params = PRIMARY_BACKUP.parseParams(params);
    for (const id of ids) this.start(id);
  }

  start(id: string): Ready {
    const random = createRandom(id.length);
    const peers = this.ids.filter((other) => other !== id);
    const core = PRIMARY_BACKUP.create({ self: id, peers, random: random.next, params: this.params });
    this.cores.set(id, core);
    this.timers.set(id, new Set());
    return this.step(id, { kind: 'recover', nowMs: 0, stable: new Map(this.stable.get(id) ?? []) });
  }

  crash(id: string): void {
    this.cores.set(id, null);
    this.timers.get(id)!.clear();
  }

  step(id: string, input: CoreInput): Ready {
    const core = this.cores.get(id);
    assert.ok(core, `${id} is not running`);
    const ready = core.step(input);
    const disk = this.stable.get(id) ?? new Map<string, unknown>();
    this.stable.set(id, disk);
    // The host persists first, then lets messages and replies out.
    for (const write of ready.persist) {
      if (write.value === undefined) disk.delete(write.key);
      else disk.set(write.key, structuredClone(write.value));
    }
    for (const message of ready.messages) {
      if (!this.isCut(id, message.target)) this.network.push({ ...structuredClone(message), source: id });
    }
    for (const reply of ready.replies) this.replies.set(reply.requestId, reply.result);
    for (const timer of ready.timers) {
      if (timer.kind === 'set') this.timers.get(id)!.add(timer.timer);
      else this.timers.get(id)!.delete(timer.timer);
    }
    for (const note of ready.notes) this.notes.push({ ...note, node: id });
    return ready;
  }

  /** Delivers messages (those matching `filter`, or all) until none is left in flight. */
  deliver(filter: (message: InFlight) => boolean = () => true): void {
    for (let delivered = 0; delivered < 10_000; delivered += 1) {
      const index = this.network.findIndex(filter);
      if (index < 0) return;
      const [message] = this.network.splice(index, 1);
      const { source, target, type, payload } = message!;
      if (this.cores.get(target) && !this.isCut(source, target)) {
        this.step(target, { kind: 'message', nowMs: 0, source, type, payload });
      }
    }
    assert.fail('the network did not quiesce');
  }

  /** Drops the messages in flight that match. */
  drop(filter: (message: InFlight) => boolean): void {
    this.network = this.network.filter((message) => !filter(message));
  }

  client(node: string, op: ClientOp): { requestId: string; ready: Ready } {
    this.requests += 1;
    const requestId = `r${this.requests}`;
    return { requestId, ready: this.step(node, { kind: 'client', nowMs: 0, requestId, op }) };
  }

  put(node: string, key: string, value: unknown): string {
    return this.client(node, { f: 'put', key, value }).requestId;
  }

  get(node: string, key: string): ClientResult {
    const { requestId } = this.client(node, { f: 'get', key });
    return this.replies.get(requestId)!;
  }

  suspect(node: string, peers: string[], suspected = true): void {
    for (const peer of peers) this.step(node, { kind: 'suspicion', nowMs: 0, peer, suspected });
  }

  fire(node: string, timer: string): Ready {
    assert.ok(this.timers.get(node)!.has(timer), `${node} has no timer ${timer}`);
    this.timers.get(node)!.delete(timer);
    return this.step(node, { kind: 'timer', nowMs: 0, timer });
  }

  partition(groups: string[][]): void {
    this.groups = groups;
    this.drop((message) => this.isCut(message.source, message.target));
  }

  heal(): void {
    this.groups = null;
  }

  facts(node: string): Record<string, unknown> {
    return this.cores.get(node)!.status().facts;
  }

  data(node: string): Record<string, unknown> | undefined {
    return this.cores.get(node)!.status().data;
  }

  role(node: string): string {
    return this.cores.get(node)!.status().role;
  }

  notesNamed(name: string, node?: string): (Note & { node: string })[] {
    return this.notes.filter((note) => note.name === name && (node === undefined || note.node === node));
  }

  private isCut(source: string, target: string): boolean {
    if (this.groups === null) return false;
    return !this.groups.some((group) => group.includes(source) && group.includes(target));
  }
}

const THREE = ['n1', 'n2', 'n3'];

/** A running cluster whose primary has gathered and serves. */
function booted(params: unknown, ids = THREE): Lab {
  const lab = new Lab(ids, params);
  lab.deliver();
  return lab;
}

describe('primary/backup: start', () => {
  it('the lowest id is the primary of epoch 1, and serves once the backups answered', () => {
    const lab = new Lab(['n2', 'n10', 'n1'], {});
    assert.equal(lab.role('n1'), 'primary');
    assert.equal(lab.facts('n1')['serving'], false);
    lab.deliver();
    assert.equal(lab.facts('n1')['serving'], true);
    assert.deepEqual([lab.role('n2'), lab.role('n10')], ['backup', 'backup']);
    assert.equal(lab.facts('n10')['epoch'], 1);
    assert.equal(lab.facts('n10')['primary'], 'n1');
  });

  // Reference: book §4: "All operations are performed on one master server".
  it('a backup refuses client operations and redirects to the primary it believes in', () => {
    const lab = booted({});
    const { requestId } = lab.client('n2', { f: 'put', key: 'x', value: 1 });
    assert.deepEqual(lab.replies.get(requestId), { type: 'fail', error: 'not-primary', redirect: 'n1' });
    assert.deepEqual(lab.get('n3', 'x'), { type: 'fail', error: 'not-primary', redirect: 'n1' });
  });

  it('the primary serves gets from its map; a missing key reads as null', () => {
    const lab = booted({});
    assert.deepEqual(lab.get('n1', 'x'), { type: 'ok', value: null });
    lab.put('n1', 'x', { nested: [1, 2] });
    lab.deliver();
    assert.deepEqual(lab.get('n1', 'x'), { type: 'ok', value: { nested: [1, 2] } });
  });

  it('bad client operations fail without effect', () => {
    const lab = booted({});
    assert.match(lab.replies.get(lab.client('n1', { f: 'cas', key: 'x' }).requestId)!.error!, /unknown-op/);
    assert.match(lab.replies.get(lab.client('n1', { f: 'put', key: '' , value: 1 }).requestId)!.error!, /bad-request/);
    assert.match(lab.replies.get(lab.client('n1', { f: 'put', key: 'x' }).requestId)!.error!, /needs a value/);
    assert.equal(lab.facts('n1')['lastIndex'], 0);
  });
});

describe('primary/backup: sync mode', () => {
  // Reference: book §4: the synchronous variant "ensures that writes have been stored on other
  // nodes before returning back to the client".
  it('a put is not acknowledged before every live backup acknowledged it', () => {
    const lab = booted({ mode: 'sync' });
    const requestId = lab.put('n1', 'x', 1);
    assert.equal(lab.replies.get(requestId), undefined);
    lab.deliver((message) => message.target === 'n2' || message.source === 'n2');
    assert.equal(lab.replies.get(requestId), undefined, 'n3 has not acknowledged yet');
    lab.deliver();
    assert.deepEqual(lab.replies.get(requestId), { type: 'ok' });
    assert.deepEqual(lab.data('n3'), { x: 1 });
  });

  // Reference: book §4: "The synchronous version requires two messages ("update" + "acknowledge receipt")".
  it('the write is persisted in the same Ready as the update that ships it', () => {
    const lab = booted({ mode: 'sync' });
    const { ready } = lab.client('n1', { f: 'put', key: 'x', value: 1 });
    assert.ok(ready.persist.some((write) => write.key === `${STABLE_KEY.logPrefix}1`));
    assert.ok(ready.persist.some((write) => write.key === `${STABLE_KEY.dataPrefix}x`));
    assert.deepEqual(ready.messages.map((message) => [message.target, message.type]), [
      ['n2', MESSAGE.replicate],
      ['n3', MESSAGE.replicate],
    ]);
    lab.deliver((message) => message.target === 'n2');
    const backupStep = lab.step('n2', {
      kind: 'message', nowMs: 0, source: 'n1', type: MESSAGE.replicate,
      payload: { epoch: 1, primary: 'n1', entries: [{ index: 2, epoch: 1, key: 'y', value: 2 }], lastIndex: 2 },
    });
    assert.ok(backupStep.persist.some((write) => write.key === `${STABLE_KEY.logPrefix}2`), 'a backup persists before it acks');
    assert.ok(backupStep.messages.some((message) => message.type === MESSAGE.ack));
  });

  // Reference: book §3: "failed nodes can be ignored because they cannot cause divergence".
  it('stops waiting for a backup once the failure detector suspects it', () => {
    const lab = booted({ mode: 'sync' });
    lab.crash('n3');
    const requestId = lab.put('n1', 'x', 1);
    lab.deliver();
    assert.equal(lab.replies.get(requestId), undefined);
    lab.suspect('n1', ['n3']);
    assert.deepEqual(lab.replies.get(requestId), { type: 'ok' });
    // New writes do not wait for the suspected backup at all.
    const next = lab.put('n1', 'y', 2);
    lab.deliver();
    assert.deepEqual(lab.replies.get(next), { type: 'ok' });
  });

  it('answers info, never ok, when acks do not come in time', () => {
    const lab = booted({ mode: 'sync', ackTimeoutMs: 500 });
    lab.partition([['n1', 'n2'], ['n3']]);
    const requestId = lab.put('n1', 'x', 1);
    lab.deliver();
    lab.fire('n1', 'ack/1');
    assert.deepEqual(lab.replies.get(requestId), { type: 'info', error: 'ack-timeout' });
    lab.heal();
    lab.put('n1', 'y', 2);
    lab.deliver();
    assert.deepEqual(lab.replies.get(requestId), { type: 'info', error: 'ack-timeout' }, 'a late ack changes nothing');
  });

  it('a backup that missed an update catches up in index order', () => {
    const lab = booted({ mode: 'sync' });
    lab.put('n1', 'x', 1);
    lab.drop((message) => message.target === 'n3');
    lab.deliver();
    const second = lab.put('n1', 'y', 2);
    lab.deliver();
    assert.deepEqual(lab.replies.get(second), { type: 'ok' });
    assert.deepEqual(lab.data('n3'), { x: 1, y: 2 });
    assert.equal(lab.facts('n3')['lastIndex'], 2);
  });
});

describe('primary/backup: async mode', () => {
  // Reference: book §4: "the asynchronous version could run with just one ("update")".
  it('a put is acknowledged before the update is shipped', () => {
    const lab = booted({ mode: 'async', shipDelayMs: 100 });
    const { requestId, ready } = lab.client('n1', { f: 'put', key: 'x', value: 1 });
    assert.deepEqual(lab.replies.get(requestId), { type: 'ok' });
    assert.ok(ready.persist.length > 0);
    assert.equal(ready.messages.length, 0, 'nothing shipped yet');
    const ship = lab.fire('n1', 'ship');
    assert.deepEqual(ship.messages.map((message) => message.type), [MESSAGE.replicate, MESSAGE.replicate]);
    lab.deliver();
    assert.deepEqual(lab.data('n2'), { x: 1 });
  });

  it('with shipDelayMs 0 the update leaves in the same step as the reply', () => {
    const lab = booted({ mode: 'async', shipDelayMs: 0 });
    const { requestId, ready } = lab.client('n1', { f: 'put', key: 'x', value: 1 });
    assert.deepEqual(lab.replies.get(requestId), { type: 'ok' });
    assert.equal(ready.messages.filter((message) => message.type === MESSAGE.replicate).length, 2);
  });

  // Reference: book §4: "If the primary fails, then the updates that have not yet been sent to
  // the backups are lost."
  it('a write acknowledged by the primary but never shipped is lost after failover', () => {
    const lab = booted({ mode: 'async', shipDelayMs: 100 });
    lab.put('n1', 'x', 'shipped');
    lab.fire('n1', 'ship');
    lab.deliver();
    const lost = lab.put('n1', 'x', 'acknowledged-not-shipped');
    assert.deepEqual(lab.replies.get(lost), { type: 'ok' });
    lab.crash('n1');
    lab.suspect('n2', ['n1']);
    lab.suspect('n3', ['n1']);
    lab.deliver();
    assert.equal(lab.role('n2'), 'primary');
    assert.deepEqual(lab.get('n2', 'x'), { type: 'ok', value: 'shipped' });
  });
});

describe('primary/backup: failover', () => {
  it('a backup that suspects the primary promotes itself only if it is the lowest id it does not suspect', () => {
    const lab = booted({}, ['n1', 'n2', 'n3', 'n4']);
    lab.suspect('n3', ['n1']);
    assert.equal(lab.role('n3'), 'backup', 'n2 comes first');
    lab.suspect('n4', ['n1', 'n2']);
    assert.equal(lab.role('n4'), 'backup', 'n3 comes first');
    lab.suspect('n3', ['n2']);
    assert.equal(lab.role('n3'), 'primary', 'n3 is the lowest id n3 does not suspect');
    assert.equal(lab.facts('n3')['epoch'], 2);
    assert.equal(lab.notesNamed('promotion', 'n3').length, 1);
    assert.equal(lab.stable.get('n3')!.get(STABLE_KEY.meta) !== undefined, true);
    assert.deepEqual((lab.stable.get('n3')!.get(STABLE_KEY.meta) as { epoch: number }).epoch, 2);
  });

  it('the new primary announces itself and the others follow it', () => {
    const lab = booted({});
    lab.crash('n1');
    lab.suspect('n2', ['n1']);
    lab.deliver();
    assert.equal(lab.facts('n2')['serving'], true);
    assert.equal(lab.facts('n3')['primary'], 'n2');
    assert.equal(lab.facts('n3')['epoch'], 2);
    const requestId = lab.put('n2', 'x', 1);
    lab.deliver();
    assert.deepEqual(lab.replies.get(requestId), { type: 'ok' });
    assert.deepEqual(lab.data('n3'), { x: 1 });
  });

  // Reference: book §4: sync P/B "ensures that writes have been stored on other nodes before
  // returning back to the client": so when only the primary crashes, no acknowledged write is lost.
  it('sync: after the primary crashes, the new primary has every acknowledged write', () => {
    const lab = booted({ mode: 'sync' });
    const acknowledged = ['a', 'b', 'c'].map((key, value) => [key, lab.put('n1', key, value)] as const);
    lab.deliver();
    for (const [, requestId] of acknowledged) assert.deepEqual(lab.replies.get(requestId), { type: 'ok' });
    lab.crash('n1');
    lab.suspect('n2', ['n1']);
    lab.suspect('n3', ['n1']);
    lab.deliver();
    for (const [key, value] of acknowledged.map(([key], value) => [key, value] as const)) {
      assert.deepEqual(lab.get('n2', key), { type: 'ok', value });
    }
  });

  // Reference: book §4: "the primary receives a write and sends it to the backup; the backup
  // persists and ACKs the write; and then primary fails before sending ACK to the client ...
  // The client now assumes that the commit failed, but the backup committed it".
  it('sync: the new primary pulls a write that only another backup had', () => {
    const lab = booted({ mode: 'sync' });
    const requestId = lab.put('n1', 'x', 1);
    lab.drop((message) => message.target === 'n2');
    lab.deliver((message) => message.target === 'n3');
    lab.crash('n1');
    assert.equal(lab.replies.get(requestId), undefined, 'the client never heard back');
    assert.deepEqual(lab.data('n2'), {});
    lab.suspect('n2', ['n1']);
    lab.deliver();
    assert.deepEqual(lab.notesNamed('state-adopted', 'n2')[0]?.detail?.['from'], 'n3');
    assert.deepEqual(lab.get('n2', 'x'), { type: 'ok', value: 1 });
  });

  it('a new primary does not serve until the backups answered or the wait timed out', () => {
    const lab = booted({ mode: 'sync' });
    lab.crash('n1');
    lab.partition([['n2'], ['n3']]);
    lab.suspect('n2', ['n1']);
    assert.equal(lab.replies.get(lab.put('n2', 'x', 1))?.error, 'not-ready');
    lab.fire('n2', 'gather');
    assert.equal(lab.facts('n2')['serving'], true);
    assert.equal(lab.notesNamed('gather-timeout', 'n2').length, 1);
  });
});

describe('primary/backup: split brain and epochs', () => {
  /** n1 alone on one side, n2 and n3 on the other; each side has a primary that accepted a write. */
  function splitBrain(): { lab: Lab; oldSide: string; newSide: string } {
    const lab = booted({ mode: 'sync' });
    lab.put('n1', 'x', 'before');
    lab.deliver();
    lab.partition([['n1'], ['n2', 'n3']]);
    lab.suspect('n1', ['n2', 'n3']);
    lab.suspect('n2', ['n1']);
    lab.suspect('n3', ['n1']);
    lab.deliver();
    const oldSide = lab.put('n1', 'x', 'old-side');
    const newSide = lab.put('n2', 'x', 'new-side');
    lab.deliver();
    return { lab, oldSide, newSide };
  }

  // Reference: book §4: "P/B schemes are susceptible to split-brain, where the failover to a
  // backup kicks in due to a temporary network issue and causes both the primary and backup to
  // be active at the same time."
  it('under a partition each side has a primary, and both accept divergent writes', () => {
    const { lab, oldSide, newSide } = splitBrain();
    assert.equal(lab.role('n1'), 'primary');
    assert.equal(lab.role('n2'), 'primary');
    assert.deepEqual(lab.replies.get(oldSide), { type: 'ok' });
    assert.deepEqual(lab.replies.get(newSide), { type: 'ok' });
    assert.deepEqual(lab.data('n1'), { x: 'old-side' });
    assert.deepEqual(lab.data('n2'), { x: 'new-side' });
    assert.deepEqual(lab.data('n3'), { x: 'new-side' });
  });

  // Reference: book §4: "Manual cleanup may be needed to reconcile the failed primary or divergent backups."
  it('a stale primary steps down on hearing a higher epoch, and its own writes are lost', () => {
    const { lab } = splitBrain();
    lab.heal();
    lab.suspect('n1', ['n2', 'n3'], false);
    const late = lab.put('n1', 'y', 'doomed');
    lab.deliver();
    assert.equal(lab.role('n1'), 'backup');
    assert.equal(lab.facts('n1')['epoch'], 2);
    assert.equal(lab.facts('n1')['primary'], 'n2');
    assert.deepEqual(lab.replies.get(late), { type: 'info', error: 'stepped-down' });
    assert.deepEqual(lab.data('n1'), { x: 'new-side' });
    assert.equal(lab.notesNamed('divergence', 'n1').length, 1);
    assert.equal(lab.notesNamed('step-down', 'n1').length, 1);
    assert.equal(lab.facts('n1')['inSync'], true);
  });

  it('a message from an older epoch is rejected with a reply that names the newer epoch', () => {
    const { lab } = splitBrain();
    const ready = lab.step('n2', {
      kind: 'message', nowMs: 0, source: 'n1', type: MESSAGE.replicate,
      payload: { epoch: 1, primary: 'n1', entries: [{ index: 3, epoch: 1, key: 'x', value: 'old' }], lastIndex: 3 },
    });
    assert.deepEqual(ready.messages, [{ target: 'n1', type: MESSAGE.staleEpoch, payload: { epoch: 2, primary: 'n2' } }]);
    assert.deepEqual(ready.persist, []);
    assert.deepEqual(ready.notes.map((note) => note.name), ['stale-primary'], 'n2 sees that another primary was active');
    assert.deepEqual(lab.data('n2'), { x: 'new-side' });
  });

  it('after the partition heals, the periodic announcement ends the split brain even without writes', () => {
    const { lab } = splitBrain();
    lab.heal();
    lab.fire('n2', 'announce');
    lab.deliver();
    assert.equal(lab.role('n1'), 'backup');
    assert.deepEqual(lab.data('n1'), { x: 'new-side' });
    assert.equal(lab.notesNamed('stale-primary', 'n1').length, 0);
    assert.equal(lab.notesNamed('divergence', 'n1').length, 1);
  });

  it('a backup that missed the last write catches up on the next announcement', () => {
    const lab = booted({ mode: 'async', shipDelayMs: 0 });
    lab.put('n1', 'x', 1);
    lab.drop((message) => message.target === 'n3');
    lab.deliver();
    assert.deepEqual(lab.data('n3'), {});
    lab.fire('n1', 'announce');
    lab.deliver();
    assert.deepEqual(lab.data('n3'), { x: 1 });
  });

  it('two primaries of one epoch: the higher id steps down to the lower', () => {
    const lab = booted({ mode: 'sync' });
    lab.partition([['n1'], ['n2'], ['n3']]);
    lab.suspect('n2', ['n1', 'n3']);
    lab.suspect('n3', ['n1', 'n2']);
    lab.deliver();
    assert.deepEqual([lab.role('n2'), lab.role('n3')], ['primary', 'primary']);
    assert.deepEqual([lab.facts('n2')['epoch'], lab.facts('n3')['epoch']], [2, 2]);
    lab.heal();
    lab.suspect('n3', ['n2'], false);
    lab.put('n3', 'x', 'from-n3');
    lab.deliver();
    assert.equal(lab.role('n3'), 'backup');
    assert.equal(lab.facts('n3')['primary'], 'n2');
    assert.equal(lab.notesNamed('divergence', 'n3').length, 1);
  });
});

describe('primary/backup: crash and recovery', () => {
  it('a backup recovers its data, epoch and role from stable storage', () => {
    const lab = booted({ mode: 'sync' });
    lab.put('n1', 'x', 1);
    lab.put('n1', 'y', [2]);
    lab.deliver();
    lab.crash('n3');
    lab.start('n3');
    assert.equal(lab.role('n3'), 'backup');
    assert.deepEqual(lab.data('n3'), { x: 1, y: [2] });
    assert.deepEqual([lab.facts('n3')['epoch'], lab.facts('n3')['lastIndex']], [1, 2]);
    const next = lab.put('n1', 'z', 3);
    lab.deliver();
    assert.deepEqual(lab.replies.get(next), { type: 'ok' });
    assert.deepEqual(lab.data('n3'), { x: 1, y: [2], z: 3 });
  });

  it('a promoted primary recovers as primary of its epoch, and gathers before serving', () => {
    const lab = booted({ mode: 'sync' });
    lab.crash('n1');
    lab.suspect('n2', ['n1']);
    lab.deliver();
    lab.put('n2', 'x', 1);
    lab.deliver();
    lab.crash('n2');
    lab.start('n2');
    assert.equal(lab.role('n2'), 'primary');
    assert.equal(lab.facts('n2')['epoch'], 2);
    assert.equal(lab.facts('n2')['serving'], false);
    lab.deliver();
    assert.equal(lab.facts('n2')['serving'], false, 'a restarted node suspects no one yet: it waits for n1 too');
    lab.suspect('n2', ['n1']);
    assert.equal(lab.facts('n2')['serving'], true);
    assert.deepEqual(lab.get('n2', 'x'), { type: 'ok', value: 1 });
  });

  it('an old primary that restarts after a failover learns the new epoch and takes its state', () => {
    const lab = booted({ mode: 'sync' });
    lab.put('n1', 'x', 1);
    lab.deliver();
    lab.crash('n1');
    lab.suspect('n2', ['n1']);
    lab.suspect('n3', ['n1']);
    lab.deliver();
    lab.put('n2', 'x', 2);
    lab.deliver();
    lab.start('n1');
    lab.deliver();
    assert.equal(lab.role('n1'), 'backup');
    assert.equal(lab.facts('n1')['epoch'], 2);
    assert.deepEqual(lab.data('n1'), { x: 2 });
  });

  it('a primary whose disk was wiped takes the backups\' state back', () => {
    const lab = booted({ mode: 'sync' });
    lab.put('n1', 'x', 1);
    lab.deliver();
    lab.crash('n1');
    lab.stable.delete('n1');
    lab.start('n1');
    lab.deliver();
    assert.deepEqual(lab.get('n1', 'x'), { type: 'ok', value: 1 });
  });
});

describe('primary/backup: parameters', () => {
  it('fills defaults', () => {
    assert.deepEqual(PRIMARY_BACKUP.parseParams(undefined), {
      mode: 'sync',
      ackTimeoutMs: 2000,
      shipDelayMs: 100,
      announceIntervalMs: 1000,
    });
    assert.deepEqual(PRIMARY_BACKUP.parseParams({ mode: 'async' })['mode'], 'async');
  });

  it('rejects bad params with clear errors', () => {
    assert.throws(() => PRIMARY_BACKUP.parseParams('sync'), /params must be an object/);
    assert.throws(() => PRIMARY_BACKUP.parseParams({ mode: 'semi-sync' }), /mode must be one of sync, async, got "semi-sync"/);
    assert.throws(() => PRIMARY_BACKUP.parseParams({ ackTimeoutMs: 0 }), /ackTimeoutMs must be an integer number of ms in \[1, 600000\], got 0/);
    assert.throws(() => PRIMARY_BACKUP.parseParams({ ackTimeoutMs: '2s' }), /ackTimeoutMs/);
    assert.throws(() => PRIMARY_BACKUP.parseParams({ shipDelayMs: -1 }), /shipDelayMs/);
    assert.throws(() => PRIMARY_BACKUP.parseParams({ acktimeout: 5 }), /unknown param "acktimeout"; known: mode, ackTimeoutMs, shipDelayMs, announceIntervalMs/);
  });

  it('a core refuses any input before recover', () => {
    const core = PRIMARY_BACKUP.create({ self: 'n1', peers: ['n2'], random: () => 0, params: {} });
    assert.throws(() => core.step({ kind: 'timer', nowMs: 0, timer: 'ship' }), /recover/);
  });
});

describe('primary/backup: random faults, then healing', () => {
  const SEEDS = 100;
  const FAULTY_STEPS = 300;
  const HEALING_ROUNDS = 10;

  /** One random step: a put, a delivery, a drop, a suspicion change, a crash, a restart, a timer, a partition. */
  function randomStep(lab: Lab, random: ReturnType<typeof createRandom>, step: number): void {
    const pick = <T>(items: readonly T[]): T => items[random.int(0, items.length - 1)]!;
    const node = pick(THREE);
    const running = lab.cores.get(node) !== null;
    const roll = random.int(0, 99);
    if (roll < 15 && running) lab.put(node, pick(['a', 'b', 'c']), step);
    else if (roll < 55 && lab.network.length > 0) {
      const message = pick(lab.network);
      lab.deliver((candidate) => candidate === message);
    } else if (roll < 60 && lab.network.length > 0) {
      const message = pick(lab.network);
      lab.drop((candidate) => candidate === message);
    } else if (roll < 70 && running) lab.suspect(node, [pick(THREE.filter((id) => id !== node))], random.chance(50));
    else if (roll < 73 && running) lab.crash(node);
    else if (roll < 78 && !running) lab.start(node);
    else if (roll < 90 && running && lab.timers.get(node)!.size > 0) lab.fire(node, pick([...lab.timers.get(node)!]));
    else if (roll < 93) {
      const side = THREE.filter(() => random.chance(50));
      lab.partition([side, THREE.filter((id) => !side.includes(id))]);
    } else if (roll < 96) lab.heal();
  }

  function heal(lab: Lab): void {
    lab.heal();
    for (const id of THREE) if (lab.cores.get(id) === null) lab.start(id);
    for (const id of THREE) lab.suspect(id, THREE.filter((other) => other !== id), false);
    for (let round = 0; round < HEALING_ROUNDS; round += 1) {
      lab.deliver();
      // A timer fired earlier in this round may cancel another: fire only what is still set.
      for (const id of THREE) for (const timer of [...lab.timers.get(id)!]) if (lab.timers.get(id)!.has(timer)) lab.fire(id, timer);
    }
    lab.deliver();
  }

  // Reference: book §4: the divergence of split brain lasts only while the partition does:
  // once healed, one view wins and every replica takes its primary's state.
  it('after faults heal, the cluster has one primary, one epoch and one map', () => {
    for (let seed = 1; seed <= SEEDS; seed += 1) {
      const random = createRandom(seed);
      const mode = random.chance(50) ? 'sync' : 'async';
      const lab = new Lab(THREE, { mode, shipDelayMs: random.chance(50) ? 0 : 100 });
      for (let step = 0; step < FAULTY_STEPS; step += 1) randomStep(lab, random, step);
      heal(lab);
      const context = `seed ${seed} (${mode})`;
      assert.deepEqual(THREE.filter((id) => lab.role(id) === 'primary').length, 1, context);
      assert.equal(new Set(THREE.map((id) => lab.facts(id)['epoch'])).size, 1, context);
      const maps = THREE.map((id) => JSON.stringify(Object.entries(lab.data(id)!).sort()));
      assert.equal(new Set(maps).size, 1, `${context}: ${maps.join(' | ')}`);
    }
  });
});
