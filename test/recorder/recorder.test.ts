// The recorder child process through its client: storage, queries, the live copy, the
// exports, opening foreign files, and the process lifecycle (nothing left running).

import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { RunMetadata, StoredEvent, TraceEvent } from '../../src-node/contract/trace.ts';
import { startRecorder, type Recorder } from '../../src-main/recorder/recorder-client.ts';
import { nodeBinary } from '../../src-main/supervisor/child-entry.ts';
import { dominates, ensureRecorderBundle, EventMaker, isAlive, parseShiviz, shivizProblems, tempDir } from './helpers.ts';

const RUN: RunMetadata = {
  runId: 'run-1', scenario: 'raft-basics', protocol: 'raft', startedAtEpochMs: 1_764_000_000_000,
  labVersion: '0.1.0', seed: 8421, mode: 'real', config: { nodes: 3 },
};

let dir = '';
const started: Recorder[] = [];
const warnings: string[] = [];

async function recorder(name: string, mode: 'create' | 'read' = 'create'): Promise<Recorder> {
  const opened = await startRecorder({
    tracePath: path.join(dir, name), mode, run: RUN, onWarning: (message) => warnings.push(message),
  });
  started.push(opened);
  return opened;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A small exchange: n1 → n2 → n1, a client op, a fault and a suspicion sample. */
function smallRun(make: EventMaker): TraceEvent[] {
  return [
    make.event('n1', 'start', { detail: { recovered: false, restart: 0 } }),
    make.event('n2', 'start', { detail: { recovered: false, restart: 0 } }),
    make.event('n1', 'send', { msgId: 'm1', peer: 'n2', msgType: 'RequestVote', detail: { term: 1 } }),
    make.event('n2', 'receive', { msgId: 'm1', peer: 'n1', msgType: 'RequestVote', detail: { term: 1 } }),
    make.event('n2', 'send', { msgId: 'm2', peer: 'n1', msgType: 'Vote', detail: { granted: true } }),
    make.event('n1', 'receive', { msgId: 'm2', peer: 'n2', msgType: 'Vote', detail: { granted: true } }),
    make.event('n1', 'state', { detail: { name: 'leader', term: 1 } }),
    make.event('c1', 'invoke', { msgId: 'op1', peer: 'n1', detail: { op: { kind: 'write', key: 'x', value: 1 } } }),
    make.event('lab', 'fault', { detail: { request: { kind: 'crash', node: 'n2' }, by: 'user' } }),
    make.event('n1', 'suspicion', { detail: { phi: { n2: 9.1 }, suspected: ['n2'] } }),
  ];
}

before(async () => {
  await ensureRecorderBundle();
  dir = tempDir();
});

after(async () => {
  await Promise.allSettled(started.map((opened) => opened.close()));
  for (const opened of started) assert.equal(isAlive(opened.pid!), false, `recorder ${opened.pid} still runs`);
  rmSync(dir, { recursive: true, force: true });
});

describe('recorder', () => {
  test('children run on the running Node binary under plain Node', () => {
    assert.equal(nodeBinary(), process.execPath);
  });

  test('append then query: filters, pages, run metadata and nodes', async () => {
    const trace = await recorder('round-trip.sqlite');
    const events = smallRun(new EventMaker());
    trace.append(events.slice(0, 4));
    trace.append(events.slice(4));
    const all = await trace.query({});
    assert.deepEqual(all, events.map((event, index): StoredEvent => ({ ...event, id: index + 1 })));
    assert.equal(await trace.count(), events.length);

    assert.deepEqual((await trace.query({ nodes: ['n2'] })).map((event) => event.id), [2, 4, 5]);
    assert.deepEqual((await trace.query({ kinds: ['send', 'fault'] })).map((event) => event.id), [3, 5, 9]);
    assert.deepEqual((await trace.query({ text: 'vote' })).map((event) => event.id), [3, 4, 5, 6]);
    assert.deepEqual((await trace.query({ text: 'granted' })).map((event) => event.id), [5, 6]);
    assert.deepEqual((await trace.query({ afterId: 3, beforeId: 7 })).map((event) => event.id), [4, 5, 6]);
    assert.deepEqual((await trace.query({ afterId: 2, limit: 2 })).map((event) => event.id), [3, 4]);
    assert.deepEqual((await trace.query({ beforeId: 9, limit: 3 })).map((event) => event.id), [6, 7, 8]);
    assert.deepEqual(await trace.query({ nodes: ['n1'], kinds: ['receive'], text: 'granted' }), [{ ...events[5]!, id: 6 }]);
    await assert.rejects(trace.query({ limit: -5 }), /query: event query: limit must be a non-negative integer/);

    await trace.setRunMeta({ endedAtEpochMs: 1_764_000_100_000, seed: 1 });
    const run = await trace.run();
    assert.equal(run.schema_version, 1);
    assert.deepEqual({ ...run, schema_version: undefined, endedAtEpochMs: undefined },
      { ...RUN, seed: 1, schema_version: undefined, endedAtEpochMs: undefined });
    await assert.rejects(trace.setRunMeta({ schema_version: 9 }), /schema_version is set by the recorder/);

    await trace.upsertNode({ id: 'n1', url: 'http://127.0.0.1:4001', restarts: 2, seenAtLabMs: 0 });
    const nodes = await trace.nodes();
    assert.deepEqual(nodes.map((node) => [node.id, node.kind]), [['c1', 'client'], ['lab', 'lab'], ['n1', 'node'], ['n2', 'node']]);
    assert.deepEqual(nodes.find((node) => node.id === 'n1'), {
      id: 'n1', kind: 'node', url: 'http://127.0.0.1:4001', firstSeenLabMs: 0, lastSeenLabMs: events[9]!.labTimeMs, restarts: 2,
    });
    await trace.close();
  });

  test('50,000 events in batches are all stored', async () => {
    const trace = await recorder('bulk.sqlite');
    const make = new EventMaker();
    const batches: TraceEvent[][] = [];
    for (let b = 0; b < 500; b++) {
      const batch: TraceEvent[] = [];
      for (let i = 0; i < 100; i++) {
        const node = `n${(i % 5) + 1}`;
        batch.push(make.event(node, i % 2 === 0 ? 'send' : 'receive', {
          msgId: `m${b}-${i >> 1}`, peer: `n${((i + 1) % 5) + 1}`, msgType: 'AppendEntries', detail: { term: 3, entries: 1 },
        }));
      }
      batches.push(batch);
    }
    const startedAt = performance.now();
    for (const [index, batch] of batches.entries()) {
      trace.append(batch); // the supervisor hands over one node batch at a time
      if (index % 20 === 19) await nextTurn();
    }
    await trace.flush();
    const seconds = (performance.now() - startedAt) / 1000;
    console.log(`recorder: 50,000 events stored in ${(seconds * 1000).toFixed(0)} ms ≈ ${Math.round(50_000 / seconds)} events/s`);
    assert.equal(await trace.count(), 50_000);
    const last = await trace.query({ beforeId: 50_001, limit: 1 });
    assert.deepEqual(last, [{ ...batches[499]![99]!, id: 50_000 }]);
    const stats = trace.stats();
    assert.deepEqual({ ...stats, batches: 0 }, {
      appended: 50_000, committed: 50_000, rejected: 0, dropped: 0, lost: 0, pending: 0, inFlightBatches: 0, batches: 0,
    });
    await trace.close();
  });

  test('while the recorder is behind, appends coalesce into few batches; past the bound they are dropped and counted', async () => {
    const trace = await startRecorder({
      tracePath: path.join(dir, 'behind.sqlite'), mode: 'create', run: RUN, pendingMaxEvents: 60_000,
      onWarning: (message) => warnings.push(message),
    });
    started.push(trace);
    const make = new EventMaker();
    // 8,000 appends of 10 events in one turn of the event loop: nothing can leave meanwhile.
    for (let i = 0; i < 8_000; i++) {
      trace.append(Array.from({ length: 10 }, () => make.event('n1', 'timer')));
    }
    assert.deepEqual({ pending: trace.stats().pending, dropped: trace.stats().dropped }, { pending: 60_000, dropped: 20_000 });
    await nextTurn();
    assert.ok(trace.stats().inFlightBatches <= 4, `at most 4 batches in flight (${trace.stats().inFlightBatches})`);
    await trace.flush();
    const stats = trace.stats();
    assert.equal(stats.committed, 60_000);
    assert.ok(stats.batches <= 4, `6,000 appends left as ${stats.batches} batches`);
    assert.ok(warnings.some((warning) => warning.includes('dropping trace events: the recorder is 60000 events behind')));
    await trace.close();
    const reader = await recorder('behind.sqlite', 'read');
    assert.equal((await reader.run())['recorderDroppedEvents'], 20_000, 'the trace says what it misses');
    await reader.close();
  });

  test('events that cannot be stored are refused one by one, not by batch', async () => {
    const trace = await recorder('refused.sqlite');
    const make = new EventMaker();
    const good = [make.event('n1', 'timer'), make.event('n1', 'timer')];
    trace.append([good[0]!, { ...make.event('n1', 'log'), detail: { size: 10n } }, good[1]!]);
    trace.append([{ ...make.event('n2', 'log'), detail: { callback: () => 1 } }, { node: 'n3' } as TraceEvent]);
    await trace.flush();
    assert.deepEqual((await trace.query({})).map((event) => event.seq), [1, 2]);
    assert.equal(trace.stats().rejected, 3);
    assert.ok(warnings.some((warning) => /n1#3: Do not know how to serialize a BigInt/.test(warning)));
    assert.ok(warnings.some((warning) => /seq of n3 is not an integer/.test(warning)));
    await trace.close();
  });

  test('copyTo while appends continue gives a consistent, readable trace', async () => {
    const trace = await recorder('live.sqlite');
    const make = new EventMaker();
    let appending = true;
    let batches = 0;
    const writer = (async () => {
      while (appending) {
        trace.append(Array.from({ length: 200 }, (_, i) => make.event(`n${(i % 3) + 1}`, 'timer', { detail: { i } })));
        batches++;
        await nextTurn();
      }
    })();
    while (batches < 30) await nextTurn();
    const copyPath = path.join(dir, 'copies', 'live-copy.sqlite');
    const bytes = await trace.copyTo(copyPath);
    const atCopy = batches;
    while (batches < atCopy + 20) await nextTurn();
    appending = false;
    await writer;
    await trace.flush();
    assert.ok(bytes > 0);

    const copy = new Database(copyPath, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete');
      const { count, maxId } = copy.prepare('SELECT count(*) AS count, max(id) AS maxId FROM events').get() as
        { count: number; maxId: number };
      assert.ok(count > 0 && count % 200 === 0, `the copy holds whole batches (${count})`);
      assert.equal(maxId, count, 'the copy is a prefix of the trace: no holes');
      const total = await trace.count();
      assert.ok(total > count, `appends went on after the copy (${total} > ${count})`);
      const original = await trace.query({ afterId: count - 5, limit: 5 });
      const copied = (copy.prepare('SELECT id, vclock FROM events WHERE id > ? ORDER BY id').all(count - 5) as
        { id: number; vclock: string }[]).map((row) => ({ id: row.id, vclock: JSON.parse(row.vclock) as unknown }));
      assert.deepEqual(copied, original.map((event) => ({ id: event.id, vclock: event.vclock })));
    } finally {
      copy.close();
    }
    await trace.close();
    const reopened = await recorder(path.join('copies', 'live-copy.sqlite'), 'read');
    assert.equal((await reopened.run()).runId, 'run-1');
    await reopened.close();
  });

  test('exports: JSON lines and a ShiViz log with a receive whose send was lost', async () => {
    const trace = await recorder('export.sqlite');
    const make = new EventMaker();
    const events = smallRun(make);
    make.event('n2', 'send', { msgId: 'm3', peer: 'n1' }); // n2 was killed: this send never reached the lab
    events.push(make.event('n1', 'receive', { msgId: 'm3', peer: 'n2', msgType: 'AppendEntries' }));
    trace.append(events);

    const jsonlPath = path.join(dir, 'export.jsonl');
    const jsonl = await trace.exportTo({ format: 'jsonl', path: jsonlPath });
    const lines = readFileSync(jsonlPath, 'utf8').trimEnd().split('\n');
    assert.equal(jsonl.bytes, readFileSync(jsonlPath).length);
    assert.equal(lines.length, events.length + 1);
    assert.equal((JSON.parse(lines[0]!) as { run: RunMetadata }).run.runId, 'run-1');
    assert.deepEqual(lines.slice(1).map((line) => JSON.parse(line) as unknown), await trace.query({}));

    const shivizPath = path.join(dir, 'export.shiviz.log');
    const shiviz = await trace.exportTo({ format: 'shiviz', path: shivizPath });
    const parsed = parseShiviz(readFileSync(shivizPath, 'utf8'));
    assert.equal(parsed.uncovered, 0);
    // Not the fault and the suspicion sample: neither is in CAUSAL_KINDS.
    assert.equal(parsed.events.length, events.length - 2);
    assert.equal(shiviz.events, parsed.events.length);
    assert.deepEqual(shivizProblems(parsed.events), []);
    const orphan = parsed.events.find((event) => event.row === events.length)!;
    assert.match(orphan.text, /no recorded send/);
    const voteReceive = parsed.events.find((event) => event.row === 6)!;
    const voteSend = parsed.events.find((event) => event.row === 5)!;
    assert.ok(dominates(voteReceive.clock, voteSend.clock));
    await assert.rejects(trace.exportTo({ format: 'xml' as 'jsonl', path: jsonlPath }), /format must be jsonl or shiviz/);
    assert.deepEqual(readdirSync(dir).filter((name) => name.includes('.partial-')), [], 'no partial files left');
    await trace.close();
  });

  test('opening a file that is not a trace fails clearly and leaves it unchanged', async () => {
    const foreign = path.join(dir, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE people (name TEXT)');
    db.close();
    const garbage = path.join(dir, 'garbage.sqlite');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 256)));
    for (const [file, reason] of [
      [foreign, /is not a distlab trace: it has no run, nodes, events table/],
      [garbage, /is not a distlab trace: SQLite cannot read it \(file is not a database\)/],
    ] as const) {
      const before = sha256(file);
      const listing = readdirSync(dir).sort();
      await assert.rejects(startRecorder({ tracePath: file, mode: 'read' }), reason);
      assert.equal(sha256(file), before);
      assert.deepEqual(readdirSync(dir).sort(), listing, 'no -wal or -shm left beside it');
    }
    await assert.rejects(startRecorder({ tracePath: path.join(dir, 'absent.sqlite'), mode: 'read' }), /does not exist/);
    await assert.rejects(startRecorder({ tracePath: garbage, mode: 'create' }), /already exists; a new run needs a new trace file/);
  });

  test('a trace opened for reading refuses writes', async () => {
    const writer = await recorder('read-only.sqlite');
    writer.append(smallRun(new EventMaker()));
    await writer.close();
    const before = sha256(path.join(dir, 'read-only.sqlite'));
    const reader = await recorder('read-only.sqlite', 'read');
    assert.equal(await reader.count(), 10);
    assert.throws(() => reader.append([]), /open read-only/);
    await assert.rejects(reader.setRunMeta({ note: 'x' }), /open read-only/);
    // What the CLI does with an old trace: copy it, export it.
    assert.ok(await reader.copyTo(path.join(dir, 'read-only-copy.sqlite')) > 0);
    assert.equal((await reader.exportTo({ format: 'jsonl', path: path.join(dir, 'read-only.jsonl') })).events, 10);
    await reader.close();
    assert.equal(sha256(path.join(dir, 'read-only.sqlite')), before);
  });

  test('close leaves no process; calls after it are refused', async () => {
    const trace = await recorder('close.sqlite');
    trace.append(smallRun(new EventMaker()));
    const pid = trace.pid!;
    assert.equal(isAlive(pid), true);
    await trace.close();
    await trace.close(); // idempotent
    assert.equal(isAlive(pid), false);
    await assert.rejects(trace.count(), /count: the trace recorder of .* is closed/);
    const reader = await recorder('close.sqlite', 'read');
    assert.equal(await reader.count(), 10, 'everything appended before close was committed');
    await reader.close();
  });

  test('when the recorder dies, waiting and later calls reject with a clear error', async () => {
    const trace = await recorder('killed.sqlite');
    trace.append(smallRun(new EventMaker()));
    await trace.flush();
    process.kill(trace.pid!, 'SIGKILL');
    // Sent after the kill, so the child cannot answer: it waits until the exit is seen.
    const waiting = trace.exportTo({ format: 'shiviz', path: path.join(dir, 'killed.log') });
    await assert.rejects(waiting, /exportTo: the trace recorder exited \(SIGKILL\)/);
    await assert.rejects(trace.query({}), /query: the trace recorder exited \(SIGKILL\)/);
    trace.append(smallRun(new EventMaker()));
    assert.equal(trace.stats().dropped, 10);
    await trace.close();
    assert.ok(warnings.some((warning) => warning.includes('dropping trace events')));
    const reader = await recorder('killed.sqlite', 'read');
    assert.equal(await reader.count(), 10, 'what was committed before the kill survives it');
    await reader.close();
  });
});
