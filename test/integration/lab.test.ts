// The lab on real processes, driven through the same LabApi the UI uses: five nodes come
// up fully connected; a crash and a pause are suspected by every other node while a
// lossy link is not; a restart recovers the node's data; a partition stops traffic across
// the cut and only across it; bad input gets clear errors; exports are written; and
// nothing is left running afterwards.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLab, type Lab } from '../../src-main/lab/lab.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';

let lab: Lab;
let dataRoot: string;
const pids = new Set<number>();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 8_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function nodes(): Promise<NodeView[]> {
  const snapshot = await lab.snapshot();
  for (const node of snapshot.nodes) if (node.pid) pids.add(node.pid);
  return snapshot.nodes;
}

async function node(id: string): Promise<NodeView> {
  const found = (await nodes()).find((candidate) => candidate.id === id);
  assert.ok(found, `node ${id} exists`);
  return found;
}

/** The latest suspicion sample of every observer, after `sinceMs` of lab time. */
async function suspicionsSince(sinceMs: number): Promise<StoredEvent[]> {
  const events = await lab.events({ kinds: ['suspicion'], limit: 10_000 });
  return events.filter((event) => event.labTimeMs >= sinceMs);
}

function suspects(event: StoredEvent, peer: string): boolean {
  return ((event.detail as { suspected?: string[] }).suspected ?? []).includes(peer);
}

async function everyOtherSuspects(victim: string, sinceMs: number, observers: string[]): Promise<boolean> {
  const samples = await suspicionsSince(sinceMs);
  return observers.every((observer) => samples.some((sample) => sample.node === observer && suspects(sample, victim)));
}

describe('the lab on a real cluster', () => {
  before(async () => {
    dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-lab-test-'));
    lab = await createLab({ dataRoot, autoplay: false, requester: 'test' });
  });

  after(async () => {
    await lab?.close();
    for (const pid of pids) {
      assert.throws(() => process.kill(pid, 0), `node process ${pid} is gone after close`);
    }
    await rm(dataRoot, { recursive: true, force: true });
  });

  test('five nodes come up fully connected, n1 primary', async () => {
    const all = await nodes();
    assert.equal(all.length, 5);
    for (const view of all) {
      assert.equal(view.state, 'up', `${view.id} is up`);
      assert.equal(view.linksUp.length, 4, `${view.id} has a link to every peer`);
      assert.match(view.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    }
    const snapshot = await lab.snapshot();
    assert.equal(snapshot.links.length, 20);
    assert.ok(snapshot.links.every((link) => link.up));
    await until('n1 to serve as primary', async () => {
      const status = (await node('n1')).status;
      return status?.role === 'primary' && status.facts['serving'] === true;
    });
  });

  test('a client put is acknowledged and read back', async () => {
    const put = await lab.clientOp({ op: { f: 'put', key: 'x', value: 'one' } });
    assert.equal(put.result.type, 'ok', JSON.stringify(put.result));
    const get = await lab.clientOp({ op: { f: 'get', key: 'x' } });
    assert.equal(get.result.type, 'ok');
    assert.equal(get.result.value, 'one');
  });

  test('bad input gets a clear error and changes nothing', async () => {
    await assert.rejects(lab.fault({ kind: 'crash', node: 'n9' }), /unknown node 'n9'/);
    await assert.rejects(lab.fault({ kind: 'explode' } as never), /unknown fault 'explode'/);
    await assert.rejects(lab.fault({ kind: 'link', source: 'n1', target: 'n2', faults: { lossPct: 250 } }), /lossPct must be a number from 0 to 100/);
    await assert.rejects(lab.fault({ kind: 'resume', node: 'n2' }), /not paused/);
    await assert.rejects(lab.clientOp({ op: { f: '' } }), /function name/);
    await assert.rejects(lab.exportTrace('pdf' as never), /unknown export format/);
    assert.ok((await nodes()).every((view) => view.state === 'up'));
  });

  test('a crashed node is suspected by every other node, and recovers its data on restart', async () => {
    const put = await lab.clientOp({ op: { f: 'put', key: 'kept', value: 'before-crash' } });
    assert.equal(put.result.type, 'ok');
    const crashedAt = (await lab.snapshot()).labTimeMs;
    await lab.fault({ kind: 'crash', node: 'n3' });
    assert.equal((await node('n3')).state, 'down');
    await until('every other node to suspect n3', () => everyOtherSuspects('n3', crashedAt, ['n1', 'n2', 'n4', 'n5']));
    await lab.fault({ kind: 'restart', node: 'n3' });
    const restarted = await node('n3');
    assert.equal(restarted.state, 'up');
    assert.equal(restarted.restarts, 1);
    await until('n3 to hold the write it had before the crash', async () => (await node('n3')).status?.data?.['kept'] === 'before-crash');
    const recover = await lab.events({ nodes: ['n3'], kinds: ['recover'] });
    assert.ok(recover.length >= 2, 'n3 recovered twice: first start and restart');
  });

  test('a paused node is suspected, and trusted again after resume', async () => {
    const pausedAt = (await lab.snapshot()).labTimeMs;
    await lab.fault({ kind: 'pause', node: 'n4' });
    assert.equal((await node('n4')).state, 'paused');
    await until('every other node to suspect n4', () => everyOtherSuspects('n4', pausedAt, ['n1', 'n2', 'n3', 'n5']));
    await lab.fault({ kind: 'resume', node: 'n4' });
    const resumedAt = (await lab.snapshot()).labTimeMs;
    await until('nobody to suspect n4 any more', async () => {
      const samples = (await suspicionsSince(resumedAt + 500)).filter((sample) => sample.node !== 'n4');
      const observers = new Set(samples.map((sample) => sample.node));
      return observers.size === 4 && samples.every((sample) => !suspects(sample, 'n4'));
    });
  });

  test('a lossy link (30 %) is not mistaken for a crash at the default settings', async () => {
    const startedAt = (await lab.snapshot()).labTimeMs;
    await lab.fault({ kind: 'link', source: 'n5', target: 'n1', faults: { lossPct: 30 } });
    await sleep(3_000);
    const samples = (await suspicionsSince(startedAt)).filter((sample) => sample.node === 'n1');
    assert.ok(samples.length > 5, 'n1 reported its suspicion levels');
    assert.ok(samples.every((sample) => !suspects(sample, 'n5')), 'n1 never suspected n5 over a lossy link');
    const drops = (await lab.events({ nodes: ['n5'], kinds: ['drop'], limit: 10_000 })).filter((event) => event.labTimeMs >= startedAt);
    assert.ok(drops.every((drop) => drop.peer === 'n1'), 'only the lossy link dropped messages');
    await lab.fault({ kind: 'link', source: 'n5', target: 'n1', faults: { lossPct: 0 } });
  });

  test('a partition stops protocol traffic across the cut and only across it', async () => {
    await lab.fault({ kind: 'partition', spec: { groups: [['n1', 'n2'], ['n3', 'n4', 'n5']], oneWay: false } });
    const cutAt = (await lab.snapshot()).labTimeMs + 300;
    const links = (await lab.snapshot()).links;
    const side = (id: string): number => (['n1', 'n2'].includes(id) ? 0 : 1);
    for (const link of links) assert.equal(link.faults.cut, side(link.source) !== side(link.target), `${link.source}->${link.target}`);
    await sleep(2_500);
    const events = (await lab.events({ kinds: ['receive', 'drop'], limit: 10_000 })).filter((event) => event.labTimeMs >= cutAt);
    const receives = events.filter((event) => event.kind === 'receive' && event.node.startsWith('n') && event.peer?.startsWith('n'));
    const crossing = receives.filter((event) => side(event.node) !== side(event.peer as string));
    assert.deepEqual(crossing, [], 'no message crossed the cut');
    assert.ok(receives.some((event) => side(event.node) === side(event.peer as string)), 'messages still flow within each side');
    const drops = events.filter((event) => event.kind === 'drop');
    assert.ok(drops.length > 0, 'messages across the cut were dropped');
    assert.ok(drops.every((drop) => side(drop.node) !== side(drop.peer as string)), 'only messages across the cut were dropped');
    const faults = await lab.events({ nodes: ['lab'], kinds: ['fault'] });
    const partition = faults.find((event) => event.msgType === 'partition');
    assert.ok(partition, 'the partition is in the trace');
    assert.equal((partition.detail as { by: string }).by, 'test');
    await lab.fault({ kind: 'heal' });
    assert.ok((await lab.snapshot()).links.every((link) => !link.faults.cut));
  });

  test('exports: the SQLite file, JSON lines and a ShiViz log', async () => {
    const sqlite = await lab.exportTrace('sqlite');
    assert.ok(sqlite.savedPath && (await stat(sqlite.savedPath)).size > 10_000);
    const jsonl = await lab.exportTrace('jsonl');
    const lines = (await readFile(jsonl.savedPath as string, 'utf8')).trim().split('\n');
    assert.ok(lines.length > 100);
    assert.ok(lines.every((line) => JSON.parse(line)));
    const shiviz = await lab.exportTrace('shiviz');
    assert.ok(shiviz.bytes > 1_000);
  });

  test('the history so far is linearizable (a key-value map)', async () => {
    const report = await lab.checkHistory();
    assert.equal(report.verdict, 'valid', report.summary);
    assert.equal(report.model, 'lab-kv');
    assert.ok(report.operations >= 3, `${report.operations} operations`);
  });

  test('a recorded trace opens in the lab: looked at, not broken; a bad file changes nothing', async () => {
    const garbage = path.join(dataRoot, 'not-a-trace.sqlite');
    await writeFile(garbage, 'this is not a database');
    await assert.rejects(lab.openTrace(garbage), /not a distlab trace/);
    assert.equal((await lab.snapshot()).live, true, 'the cluster still runs');

    const copy = await lab.exportTrace('sqlite');
    const snapshot = await lab.openTrace(copy.savedPath as string);
    assert.equal(snapshot.live, false);
    assert.equal(snapshot.nodes.length, 5);
    assert.equal(snapshot.run?.scenario, 'primary-backup');
    const events = await lab.events({ kinds: ['fault'] });
    assert.ok(events.some((event) => event.msgType === 'partition'), 'the recorded faults are there');
    await assert.rejects(lab.fault({ kind: 'crash', node: 'n1' }), /showing a recorded trace/);
    assert.equal((await lab.checkHistory()).verdict, 'valid');
    const runs = await lab.runs();
    assert.ok(runs.length >= 1 && runs[0]?.scenario === 'primary-backup');

    const live = await lab.startScenario('primary-backup');
    assert.equal(live.live, true);
    assert.equal(live.nodes.length, 5);
    await nodes();
  });
});
