// A node's status in its trace (contract/status-note.ts): how often a node records it (the
// rate limiter), how big one may be, that no check takes it for a protocol note, and how a
// recorded run shows it (TraceView): the last one per node, falling back to the notes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CoreStatus, RaftView } from '../../src-node/contract/core.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import {
  isStatusNote, STATUS_NOTE_CHARS_MAX, STATUS_NOTE_DATA_KEYS_MAX, STATUS_NOTE_NAME, statusFromNote, statusNoteDetail, type StatusNoteDetail,
} from '../../src-node/contract/status-note.ts';
import { StatusNoteLimiter } from '../../src-node/runtime/status-note-limiter.ts';
import { TraceAssertionMonitor } from '../../src-main/checkers/trace-assertions.ts';
import { TraceView } from '../../src-main/lab/trace-view.ts';
import { startRecorder } from '../../src-main/recorder/recorder-client.ts';
import { parseScenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { writeSimTrace } from '../../src-main/cli/sim-command.ts';
import { ensureRecorderBundle, root, tempDir } from '../recorder/helpers.ts';

describe('the status note limiter', () => {
  // A budget no small status reaches: only the interval counts.
  const limits = { intervalMs: 500, charsPerSecond: 1_000_000 };

  it('records the first status at once, then at most one per interval', () => {
    const limiter = new StatusNoteLimiter<string>(limits);
    assert.equal(limiter.offer('a', 1000), 'a');
    assert.equal(limiter.offer('b', 1200), undefined, 'within the interval: kept back');
    assert.equal(limiter.due(1499), undefined);
    assert.equal(limiter.due(1500), 'b', 'recorded once the interval has passed');
    assert.equal(limiter.due(2500), undefined, 'and only once');
    assert.equal(limiter.offer('c', 1999), undefined, 'the interval counts from the last one recorded (1500)');
    assert.equal(limiter.due(2000), 'c');
  });

  it('keeps the newest of the statuses it holds back', () => {
    const limiter = new StatusNoteLimiter<string>(limits);
    limiter.offer('a', 0);
    assert.equal(limiter.offer('b', 100), undefined);
    assert.equal(limiter.offer('c', 200), undefined);
    assert.equal(limiter.due(600), 'c');
  });

  it('a status offered once its time has come replaces one still held back', () => {
    const limiter = new StatusNoteLimiter<string>(limits);
    limiter.offer('a', 0);
    limiter.offer('b', 100);
    assert.equal(limiter.offer('c', 700), 'c', 'newer than b, and due: b is never recorded');
    assert.equal(limiter.due(5000), undefined);
  });

  it('waits longer after a big status: its notes stay within the budget of characters per second', () => {
    const limiter = new StatusNoteLimiter<string>({ intervalMs: 500, charsPerSecond: 8000 });
    assert.equal(limiter.offer('small', 0), 'small');
    limiter.spent(2000);
    assert.equal(limiter.offer('big', 500), 'big', '2,000 characters: the interval alone');
    limiter.spent(20_000);
    assert.equal(limiter.offer('next', 1000), undefined);
    assert.equal(limiter.due(2999), undefined, '20,000 characters at 8,000 a second: 2.5 s');
    assert.equal(limiter.due(3000), 'next');
  });

  it('hands over what it holds back when the node stops, whatever the time', () => {
    const limiter = new StatusNoteLimiter<string>(limits);
    limiter.offer('a', 0);
    limiter.offer('b', 10);
    assert.equal(limiter.takeWaiting(), 'b');
    assert.equal(limiter.takeWaiting(), undefined);
    assert.equal(limiter.due(10_000), undefined);
  });

  it('refuses limits that are not numbers in range', () => {
    assert.throws(() => new StatusNoteLimiter({ intervalMs: -1, charsPerSecond: 1 }), /finite and ≥ 0/);
    assert.throws(() => new StatusNoteLimiter({ intervalMs: Number.NaN, charsPerSecond: 1 }), /finite and ≥ 0/);
    assert.throws(() => new StatusNoteLimiter({ intervalMs: 500, charsPerSecond: 0 }), /> 0 characters per second/);
  });
});

describe('a status note', () => {
  const small: CoreStatus = { role: 'leader', facts: { term: 3 }, data: { x: 1 }, view: { protocol: 'paxos' } as never };

  it('carries the whole status when it fits', () => {
    assert.deepEqual(statusNoteDetail(small, JSON.stringify(small)), { name: STATUS_NOTE_NAME, status: small });
  });

  it('leaves the data out past STATUS_NOTE_CHARS_MAX, then the view, and says so', () => {
    const big = 'v'.repeat(STATUS_NOTE_CHARS_MAX);
    const bigData: CoreStatus = { ...small, data: { x: big } };
    const json = JSON.stringify(bigData);
    assert.deepEqual(statusNoteDetail(bigData, json), {
      name: STATUS_NOTE_NAME, status: { role: 'leader', facts: { term: 3 }, view: small.view }, omitted: { parts: ['data'], chars: json.length },
    });
    const bigView: CoreStatus = { ...bigData, view: { protocol: 'paxos', pad: big } as never };
    const viewJson = JSON.stringify(bigView);
    const detail = statusNoteDetail(bigView, viewJson);
    assert.deepEqual(detail, { name: STATUS_NOTE_NAME, status: { role: 'leader', facts: { term: 3 } }, omitted: { parts: ['data', 'view'], chars: viewJson.length } });
    assert.ok(JSON.stringify(detail).length < STATUS_NOTE_CHARS_MAX);
  });

  it('leaves out a map of more than STATUS_NOTE_DATA_KEYS_MAX keys, however short (it grows with the run)', () => {
    const keys = Object.fromEntries(Array.from({ length: STATUS_NOTE_DATA_KEYS_MAX + 1 }, (_, index) => [`k${index}`, index]));
    const many: CoreStatus = { ...small, data: keys };
    const json = JSON.stringify(many);
    assert.ok(json.length < STATUS_NOTE_CHARS_MAX);
    assert.deepEqual(statusNoteDetail(many, json), {
      name: STATUS_NOTE_NAME, status: { role: 'leader', facts: { term: 3 }, view: small.view }, omitted: { parts: ['data'], chars: json.length },
    });
    const few: CoreStatus = { ...small, data: Object.fromEntries(Object.entries(keys).slice(1)) };
    assert.deepEqual(statusNoteDetail(few, JSON.stringify(few)), { name: STATUS_NOTE_NAME, status: few });
  });

  it('is read back only when it has the shape the lab relies on', () => {
    assert.deepEqual(statusFromNote({ name: 'status', status: small }), small);
    assert.equal(statusFromNote({ name: 'role', status: small }), null);
    assert.equal(statusFromNote({ name: 'status', status: { facts: {} } }), null, 'no role');
    assert.equal(statusFromNote({ name: 'status', status: { role: 'x', facts: [] } }), null, 'facts not an object');
    assert.equal(statusFromNote({ name: 'status', status: { role: 'x', facts: {}, data: 3 } }), null, 'data not an object');
    assert.equal(statusFromNote({ name: 'status', status: { role: 'x', facts: {}, view: { role: 'x' } } }), null, 'a view that names no protocol');
    assert.equal(statusFromNote('status'), null);
  });

  it('is not a protocol note: a scenario\'s `events` check of notes does not count it', () => {
    const event = (seq: number, detail: unknown): TraceEvent => ({ node: 'n1', seq, kind: 'state', lamport: seq, vclock: {}, nodeTimeMs: seq, labTimeMs: seq, detail });
    const any = { kind: 'events', what: 'note', fromMs: 0, min: 0 } as const;
    const named = { kind: 'events', what: 'note', name: STATUS_NOTE_NAME, fromMs: 0, min: 0 } as const;
    const monitor = new TraceAssertionMonitor([any, named]);
    monitor.observe(event(1, { name: 'role', role: 'leader' }));
    monitor.observe(event(2, statusNoteDetail(small, JSON.stringify(small))));
    monitor.observe(event(3, { name: 'commit', commitIndex: 2 }));
    assert.ok(isStatusNote(event(2, { name: 'status' })));
    const results = monitor.results();
    assert.match(results.get(any)!.summary, /\b2\b/);
    assert.doesNotMatch(results.get(any)!.summary, /\b3\b/);
    assert.match(results.get(named)!.summary, /\b0\b/);
  });
});

describe('a recorded run shows each node\'s last recorded status', () => {
  let dir = '';
  before(async () => {
    await ensureRecorderBundle();
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const raftView = (role: RaftView['role'], term: number): RaftView => ({
    protocol: 'raft', source: 'live', role, term, votedFor: 'n1', leader: role === 'leader' ? 'n1' : null, commitIndex: 4, appliedIndex: 4,
    lastIndex: 5, snapshot: { index: 0, term: 0 }, logTail: [{ index: 5, term, kind: 'command', summary: 'put x=1' }],
    election: role === 'leader' ? null : { timeoutMs: 300, remainingMs: 120, atNodeMs: 900 }, followers: [], pending: { writes: 1, reads: 0 }, voters: ['n1', 'n2', 'n3'],
  });
  const status = (view: RaftView): CoreStatus => ({ role: view.role, facts: { term: view.term }, data: { x: 1 }, view });

  async function writeTrace(name: string, protocol: string, details: [string, unknown][]): Promise<string> {
    const tracePath = path.join(dir, name);
    const recorder = await startRecorder({
      tracePath, mode: 'create',
      run: { runId: name, scenario: 'synthetic', protocol, startedAtEpochMs: 0, labVersion: 'test', seed: 1, mode: 'real', config: null },
    });
    const seqs = new Map<string, number>();
    const events = details.map(([node, detail], index): TraceEvent => {
      const seq = (seqs.get(node) ?? 0) + 1;
      seqs.set(node, seq);
      return { node, seq, kind: 'state', lamport: seq, vclock: { [node]: seq }, nodeTimeMs: index * 10, labTimeMs: index * 10, detail };
    });
    recorder.append(events);
    await recorder.flush();
    await recorder.close();
    return tracePath;
  }

  it('takes the last valid status note of a node over its notes, without its election timer; the notes rebuild the others', async () => {
    const follower = raftView('follower', 2);
    const leader = raftView('leader', 3);
    const tracePath = await writeTrace('raft.sqlite', 'raft', [
      ['n1', { name: 'role', role: 'follower', term: 2 }],
      ['n1', statusNoteDetail(status(follower), JSON.stringify(status(follower)))],
      ['n1', { name: 'role', role: 'leader', term: 3 }],
      ['n1', statusNoteDetail(status(leader), JSON.stringify(status(leader)))],
      ['n1', { name: 'status', status: { facts: {} } }],
      ['n2', { name: 'role', role: 'candidate', term: 2 }],
      ['n3', statusNoteDetail(status(follower), JSON.stringify(status(follower)))],
    ]);
    const view = await TraceView.open(tracePath, dir);
    try {
      const nodes = new Map(view.snapshot().nodes.map((node) => [node.id, node.status]));
      assert.deepEqual(nodes.get('n1'), status(leader), 'the last valid status note, as the node reported it');
      const n3 = nodes.get('n3')!;
      assert.equal((n3.view as RaftView).election, null, 'a recording keeps no election timer');
      assert.deepEqual(n3, { ...status(follower), view: { ...follower, election: null } });
      const n2 = nodes.get('n2')!.view as RaftView;
      assert.equal(n2.source, 'trace', 'no status note: rebuilt from the notes, as before');
      assert.equal(n2.role, 'candidate');
    } finally {
      await view.close();
    }
  });

  it('a simulated 2PC run\'s trace ends with every node\'s status and its 2PC view; a node stopped for good has its status at the crash', async () => {
    const raw = JSON.parse(readFileSync(path.join(root, 'resources/scenarios/2pc-coordinator-crash.json'), 'utf8')) as { schedule: { fault: { kind: string; node?: string } }[] };
    for (const step of raw.schedule) if (step.fault.kind === 'crash' && step.fault.node === 'n1') step.fault.kind = 'stop';
    const result = simulate(configFromScenario(parseScenario(raw), 3), { trace: 'full' });
    assert.deepEqual(result.statusNotes.map((event) => event.node).sort(), ['n1', 'n2', 'n3', 'n4']);
    assert.ok(result.statusNotes.every(isStatusNote));
    const n1 = result.statusNotes.find((event) => event.node === 'n1')!.detail as StatusNoteDetail;
    assert.equal(n1.takenAtLabMs, 3000, 'n1 stopped at 3 s and never came back: the status it had then');
    const light = simulate(configFromScenario(parseScenario(raw), 3));
    assert.equal(result.trace.events.length, light.trace.total, 'the statuses are not part of the run\'s event stream');
    assert.equal(result.stats.traceEvents, light.stats.traceEvents);
    assert.deepEqual(light.statusNotes, []);

    const tracePath = path.join(dir, '2pc.sqlite');
    await writeSimTrace(result, tracePath);
    const view = await TraceView.open(tracePath, dir);
    try {
      const nodes = view.snapshot().nodes;
      assert.equal(nodes.length, 4);
      for (const node of nodes) {
        assert.equal(node.status?.view?.protocol, '2pc', node.id);
        const last = result.statusNotes.find((event) => event.node === node.id)!.detail as StatusNoteDetail;
        assert.deepEqual(node.status, JSON.parse(JSON.stringify(last.status)), node.id);
      }
    } finally {
      await view.close();
    }
  });
});
