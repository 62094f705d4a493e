// The node's Ready loop (core-host.ts) with a scripted core and a disk the test completes by
// hand: a step's notes, messages and replies leave only once its writes (and every earlier
// step's) are durable, in step order; `early` ones leave at once; one turn's writes are one
// group, after the core's `flush`; `persisted` follows durability with the latest token; a
// crash loses what was held.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreStatus, OutMessage, ProtocolCore, Ready, Reply, StableWrite } from '../../src-node/contract/core.ts';
import { emptyReady } from '../../src-node/contract/core.ts';
import type { TraceEvent, TraceKind } from '../../src-node/contract/trace.ts';
import { CoreHost } from '../../src-node/runtime/core-host.ts';
import type { TraceFields } from '../../src-node/runtime/tracer.ts';

/** Waits until the end of the current turn of the event loop (the host's setImmediate). */
const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What happened, in order: `send m`, `reply r`, `note n`, `persist k1,k2`, `group 1: k…`, `flush`, `persisted 3`. */
type Log = string[];

function ready(parts: Partial<Ready>): Ready {
  return { ...emptyReady(), ...parts };
}

function writes(...keys: string[]): StableWrite[] {
  return keys.map((key) => ({ key, value: key }));
}

class ScriptedCore implements ProtocolCore {
  readonly script: Ready[] = [];
  flushes: Ready[] = [];
  persistedReady: Ready = emptyReady();

  constructor(private readonly log: Log) {}

  step(): Ready {
    return this.script.shift() ?? emptyReady();
  }

  status(): CoreStatus {
    return { role: 'scripted', facts: {} };
  }

  flush(): Ready {
    this.log.push('flush');
    return this.flushes.shift() ?? emptyReady();
  }

  persisted(token: number): Ready {
    this.log.push(`persisted ${token}`);
    const result = this.persistedReady;
    this.persistedReady = emptyReady();
    return result;
  }
}

/** The worker's queue as the host sees it: `busy` keeps groups in flight, so the host never commits on its own thread. */
interface FakeDisk {
  busy: boolean;
}

function host(log: Log, disk: FakeDisk = { busy: true }): { host: CoreHost; core: ScriptedCore; fatal: unknown[] } {
  const core = new ScriptedCore(log);
  const fatal: unknown[] = [];
  let seq = 0;
  const tracer = {
    record(kind: TraceKind, fields: TraceFields = {}): TraceEvent {
      const detail = fields.detail as { keys?: string[]; name?: string } | undefined;
      if (kind === 'persist') log.push(`persist ${detail?.keys?.join(',')}`);
      if (kind === 'state') log.push(`note ${detail?.name}`);
      return { node: 'n1', seq: 0, kind, lamport: 0, vclock: {}, nodeTimeMs: 0, labTimeMs: 0 };
    },
  };
  const coreHost = new CoreHost({
    core, tracer, nodeNowMs: () => 0, persistDelayMs: 0,
    storage: {
      write(groupWrites) {
        seq += 1;
        log.push(`group ${seq}: ${groupWrites.map((write) => write.key).join(',')}`);
        return seq;
      },
      writeNow(groupWrites) {
        seq += 1;
        log.push(`commit now ${seq}: ${groupWrites.map((write) => write.key).join(',')}`);
        return { seq, groups: 1, writes: groupWrites.length, durationMs: 0.2 };
      },
      get inFlight() {
        return disk.busy ? 1 : 0;
      },
    },
    sendMessage: (message: OutMessage) => log.push(`send ${message.type}`),
    reply: (reply: Reply) => log.push(`reply ${reply.requestId}`),
    onStatus: () => undefined,
    onFatal: (error) => fatal.push(error),
  });
  return { host: coreHost, core, fatal };
}

const durable = (seq: number) => ({ seq, groups: 1, writes: 1, durationMs: 0.2 });
const message = (type: string): OutMessage => ({ target: 'n2', type, payload: null });
const reply = (requestId: string): Reply => ({ requestId, result: { type: 'ok' } });

describe('the node host (pipelined Ready loop)', () => {
  it('holds a step\'s effects until its writes are durable; later steps queue behind; early effects leave at once', async () => {
    const log: Log = [];
    const { host: coreHost, core, fatal } = host(log);
    core.script.push(
      ready({ persist: writes('a'), messages: [message('held-1')], notes: [{ name: 'n-a' }], early: { messages: [message('early-1')], replies: [reply('e1')] } }),
      ready({ replies: [reply('held-2')] }),
    );
    coreHost.step({ kind: 'client', requestId: 'r1', op: { f: 'x' } });
    coreHost.step({ kind: 'client', requestId: 'r2', op: { f: 'x' } });
    assert.deepEqual(log, ['send early-1', 'reply e1'], 'only early effects left');
    await endOfTurn();
    assert.deepEqual(log.slice(2), ['flush', 'group 1: a']);
    coreHost.onDurable(durable(1));
    assert.deepEqual(log.slice(4), ['persist a', 'note n-a', 'send held-1', 'reply held-2'], 'persist, then the steps\' effects in step order');
    // Nothing in flight any more: a step without writes applies at once.
    core.script.push(ready({ messages: [message('now')] }));
    coreHost.step({ kind: 'timer', timer: 't' });
    assert.equal(log.at(-1), 'send now');
    coreHost.close();
    assert.deepEqual(fatal, []);
  });

  it('one turn\'s writes are one group, with the flush\'s; groups become durable in order, effects with them', async () => {
    const log: Log = [];
    const { host: coreHost, core } = host(log);
    core.script.push(ready({ persist: writes('a'), replies: [reply('r1')] }), ready({ persist: writes('b'), replies: [reply('r2')] }));
    core.flushes.push(ready({ persist: writes('c'), early: { messages: [message('append')], replies: [] } }));
    coreHost.step({ kind: 'client', requestId: 'r1', op: { f: 'x' } });
    coreHost.step({ kind: 'client', requestId: 'r2', op: { f: 'x' } });
    await endOfTurn();
    assert.deepEqual(log, ['flush', 'send append', 'group 1: a,b,c']);
    core.script.push(ready({ persist: writes('d'), replies: [reply('r3')] }));
    coreHost.step({ kind: 'client', requestId: 'r3', op: { f: 'x' } });
    await endOfTurn();
    assert.equal(log.at(-1), 'group 2: d');
    coreHost.onDurable({ seq: 2, groups: 2, writes: 4, durationMs: 0.3 });
    assert.deepEqual(log.slice(-4), ['persist a,b,c,d', 'reply r1', 'reply r2', 'reply r3'], 'one commit for both groups: one persist event');
    coreHost.close();
  });

  it('tells the core which steps are durable (the latest token of the group) and applies what that step does', async () => {
    const log: Log = [];
    const { host: coreHost, core } = host(log);
    core.script.push(ready({ persist: writes('a'), persistedToken: 1 }), ready({ persist: writes('b'), persistedToken: 2 }));
    coreHost.step({ kind: 'client', requestId: 'r1', op: { f: 'x' } });
    coreHost.step({ kind: 'client', requestId: 'r2', op: { f: 'x' } });
    await endOfTurn();
    core.persistedReady = ready({ early: { messages: [], replies: [reply('committed')] } });
    coreHost.onDurable(durable(1));
    assert.deepEqual(log.slice(-3), ['persist a,b', 'persisted 2', 'reply committed']);
    await endOfTurn();
    assert.equal(log.at(-1), 'flush', 'the persisted step ends a turn too');
    coreHost.close();
  });

  it('commits on the event loop when an answer waits for the group and the worker is idle; else hands it to the worker', async () => {
    const log: Log = [];
    const disk = { busy: false };
    const { host: coreHost, core } = host(log, disk);
    // A follower's append: its reply waits for the entry on disk.
    core.script.push(ready({ persist: writes('entry'), messages: [message('append-reply')] }));
    coreHost.step({ kind: 'message', source: 'n1', type: 'append', payload: null });
    await endOfTurn();
    assert.deepEqual(log, ['flush', 'commit now 1: entry', 'persist entry', 'send append-reply']);
    // A leader's own log write: its appends left early, nothing waits: the worker takes it.
    core.script.push(ready({ persist: writes('own'), notes: [{ name: 'proposed' }], early: { messages: [message('append')], replies: [] } }));
    coreHost.step({ kind: 'client', requestId: 'r1', op: { f: 'x' } });
    await endOfTurn();
    assert.deepEqual(log.slice(4), ['send append', 'flush', 'group 2: own']);
    // Groups in flight: never on this thread, whoever waits (the order of groups).
    disk.busy = true;
    core.script.push(ready({ persist: writes('next'), replies: [reply('r2')] }));
    coreHost.step({ kind: 'client', requestId: 'r2', op: { f: 'x' } });
    await endOfTurn();
    assert.equal(log.at(-1), 'group 3: next');
    coreHost.close();
  });

  it('a crash loses what was held: writes not yet durable and the effects behind them', async () => {
    const log: Log = [];
    const { host: coreHost, core } = host(log);
    core.script.push(ready({ persist: writes('a'), messages: [message('never')] }));
    coreHost.step({ kind: 'client', requestId: 'r1', op: { f: 'x' } });
    await endOfTurn();
    coreHost.close();
    coreHost.onDurable(durable(1));
    assert.ok(!log.includes('send never'));
  });
});
