// The Raft view, from the core's status to the screen: what RaftCore.status().view reports
// (bounded, the election timer, the leader's progress per follower), how the renderer lays
// the nodes' logs on one strip of indices and whose progress it draws (raft-board.ts), which
// term each event of a trace belongs to for the space-time diagram (term-timeline.ts), and
// how a recorded trace's state notes rebuild the view (trace-view.ts, RaftNotes).
// Reference: Raft (Ongaro & Ousterhout 2014) Figure 2; the book §4.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreInput, Note, OutMessage, RaftView } from '../../src-node/contract/core.ts';
import { RAFT_VIEW_LOG_TAIL_MAX, RAFT_VIEW_SUMMARY_MAX } from '../../src-node/contract/core.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import type { StoredEvent, TraceKind } from '../../src-node/contract/trace.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { RaftCore, TIMER } from '../../src-node/protocols/raft/index.ts';
import { RaftNotes } from '../../src-main/lab/trace-view.ts';
import { SIM_PROFILES } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import {
  boundaryFraction, buildRaftBoard, ELECTION_DUE_GRACE_MS, electionOverdueMs, electionRemainingMs, electionTimerReading, logWindow,
} from '../../src-renderer/raft/raft-board.ts';
import { termColor } from '../../src-renderer/timeline/colors.ts';
import { SpaceTimeLayout } from '../../src-renderer/timeline/space-time-layout.ts';
import { LEGEND_TERMS_MAX, TermTimeline } from '../../src-renderer/timeline/term-timeline.ts';

// ---- a small in-test Raft cluster: FIFO delivery, timers fired by hand, notes as trace events ----

class Pump {
  readonly cores = new Map<string, RaftCore>();
  readonly events: StoredEvent[] = [];
  private queue: (OutMessage & { source: string })[] = [];
  nowMs = 0;
  private requests = 0;

  constructor(readonly ids: string[], params: Record<string, unknown> = {}) {
    let seed = 1;
    for (const id of ids) {
      let state = seed++;
      // A tiny deterministic generator: the core asks only for election jitter.
      const random = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
      const core = new RaftCore({ self: id, peers: ids.filter((other) => other !== id), random, params });
      this.cores.set(id, core);
      this.step(id, { kind: 'recover', nowMs: 0, stable: new Map() });
    }
  }

  step(id: string, input: CoreInput): void {
    const ready = this.cores.get(id)!.step(input);
    for (const note of ready.notes) this.record(id, 'state', { detail: { name: note.name, ...note.detail } as Note['detail'] });
    for (const message of ready.messages) {
      this.record(id, 'send', { peer: message.target, msgType: message.type, detail: { payload: structuredClone(message.payload) } });
      this.queue.push({ ...structuredClone(message), source: id });
    }
  }

  private record(node: string, kind: TraceKind, fields: Partial<StoredEvent>): void {
    const id = this.events.length + 1;
    this.events.push({ id, node, seq: id, kind, lamport: id, vclock: {}, nodeTimeMs: this.nowMs, labTimeMs: this.nowMs, ...fields });
  }

  elapse(ms: number): void {
    this.nowMs += ms;
  }

  fire(id: string, timer: string): void {
    this.step(id, { kind: 'timer', nowMs: this.nowMs, timer });
  }

  deliverAll(drop: (message: OutMessage & { source: string }) => boolean = () => false): void {
    for (let rounds = 0; this.queue.length > 0; rounds += 1) {
      assert.ok(rounds < 10_000, 'the pump settles');
      const message = this.queue.shift()!;
      if (drop(message)) continue;
      this.step(message.target, { kind: 'message', nowMs: this.nowMs, source: message.source, type: message.type, payload: message.payload });
    }
  }

  write(leader: string, key: string, value: unknown): void {
    this.step(leader, { kind: 'client', nowMs: this.nowMs, requestId: `r${++this.requests}`, op: { f: 'put', key, value } });
  }

  view(id: string): RaftView {
    const view = this.cores.get(id)!.status().view;
    assert.ok(view !== undefined && view.protocol === 'raft');
    return view;
  }

  nodes(): NodeView[] {
    return this.ids.map((id) => nodeView(id, this.view(id)));
  }
}

function nodeView(id: string, view: RaftView | null, state: NodeView['state'] = 'up'): NodeView {
  return {
    id, state, url: null, pid: null, restarts: 0, clock: { ...TRUE_CLOCK }, persistDelayMs: 0, linksUp: [],
    status: view === null ? null : { role: view.role, facts: {}, view },
  };
}

/** n1 campaigns and wins (pre-vote, then the vote), the no-op of its term commits. */
function electedCluster(): Pump {
  const pump = new Pump(['n1', 'n2', 'n3']);
  pump.elapse(400);
  pump.fire('n1', TIMER.election);
  pump.deliverAll();
  assert.equal(pump.view('n1').role, 'leader');
  return pump;
}

describe('RaftCore.status().view: what the Raft view is told', () => {
  it('reports role, term, vote, commit and apply index, and the leader\'s progress per follower (Figure 2: nextIndex[], matchIndex[])', () => {
    const pump = electedCluster();
    pump.write('n1', 'x', 1);
    pump.deliverAll();
    pump.fire('n1', TIMER.heartbeat); // the followers learn the new commit index
    pump.deliverAll();
    const leader = pump.view('n1');
    assert.equal(leader.term, 1);
    assert.equal(leader.votedFor, 'n1');
    assert.equal(leader.leader, 'n1');
    assert.equal(leader.lastIndex, 2, 'the no-op of term 1, then the write');
    assert.equal(leader.commitIndex, 2);
    assert.equal(leader.appliedIndex, 2);
    assert.deepEqual(leader.logTail.map((entry) => [entry.index, entry.term, entry.kind, entry.summary]), [[1, 1, 'noop', 'no-op'], [2, 1, 'command', 'put x=1']]);
    assert.equal(leader.election, null, 'a leader\'s election timer is cancelled');
    assert.deepEqual(leader.followers.map((follower) => [follower.id, follower.matchIndex, follower.nextIndex, follower.inflight, follower.responsive]), [
      ['n2', 2, 3, 0, true], ['n3', 2, 3, 0, true],
    ]);
    const follower = pump.view('n2');
    assert.equal(follower.role, 'follower');
    assert.equal(follower.leader, 'n1');
    assert.equal(follower.votedFor, 'n1');
    assert.equal(follower.commitIndex, 2);
    assert.deepEqual(follower.followers, [], 'only a leader knows progress');
  });

  it('shows a follower that stopped answering: entries not acknowledged, and not responsive', () => {
    const pump = electedCluster();
    const lost = (message: OutMessage & { source: string }): boolean => message.target === 'n3' || message.source === 'n3';
    for (let index = 0; index < 3; index += 1) {
      pump.write('n1', 'k', index);
      pump.fire('n1', TIMER.heartbeat);
      pump.deliverAll(lost);
    }
    const toN3 = pump.view('n1').followers.find((follower) => follower.id === 'n3')!;
    assert.equal(toN3.matchIndex, 1, 'n3 acknowledged the no-op, nothing since');
    assert.equal(toN3.nextIndex, 5, 'the leader sent it everything optimistically (pipelining)');
    assert.equal(toN3.inflight, 3);
    assert.equal(toN3.responsive, false, 'it missed the latest heartbeat rounds');
    assert.equal(pump.view('n1').followers.find((follower) => follower.id === 'n2')!.responsive, true);
  });

  it('reports the election timer: its timeout and what was left at the last input, on the node\'s clock', () => {
    const pump = new Pump(['n1', 'n2', 'n3'], { electionTimeoutMsMin: 200, electionTimeoutMsMax: 200 });
    assert.deepEqual(pump.view('n2').election, { timeoutMs: 200, remainingMs: 200, atNodeMs: 0 });
    pump.elapse(150);
    pump.step('n2', { kind: 'suspicion', nowMs: pump.nowMs, peer: 'n1', suspected: true }); // an input that does not reset the timer
    assert.deepEqual(pump.view('n2').election, { timeoutMs: 200, remainingMs: 50, atNodeMs: 150 });
  });

  it('stays bounded: the last RAFT_VIEW_LOG_TAIL_MAX entries, summaries cut to RAFT_VIEW_SUMMARY_MAX characters', () => {
    const pump = electedCluster();
    for (let index = 0; index < RAFT_VIEW_LOG_TAIL_MAX + 10; index += 1) pump.write('n1', `key-${index}`, 'v'.repeat(200));
    pump.deliverAll();
    const view = pump.view('n1');
    assert.equal(view.logTail.length, RAFT_VIEW_LOG_TAIL_MAX);
    assert.equal(view.logTail.at(-1)!.index, view.lastIndex, 'the tail ends at the last entry');
    assert.equal(view.logTail[0]!.index, view.lastIndex - RAFT_VIEW_LOG_TAIL_MAX + 1);
    assert.ok(view.logTail.every((entry) => entry.summary.length <= RAFT_VIEW_SUMMARY_MAX));
    assert.ok(JSON.stringify(pump.cores.get('n1')!.status().view).length < 4_000, 'small enough to send on every change');
  });
});

describe('raft-board: the nodes\' logs on one strip of indices', () => {
  it('starts the window at index 1 while the logs are short, then shows the newest indices', () => {
    const view = (lastIndex: number) => ({ lastIndex }) as RaftView;
    assert.deepEqual(logWindow([view(3), view(5)], 10), { first: 1, last: 10, columns: 10 });
    assert.deepEqual(logWindow([view(40), view(25)], 10), { first: 31, last: 40, columns: 10 });
    assert.deepEqual(logWindow([], 8), { first: 1, last: 8, columns: 8 });
  });

  it('aligns every node\'s cells by index, marks committed and uncommitted entries, the empty rest and the snapshot', () => {
    const pump = electedCluster();
    pump.write('n1', 'x', 1);
    pump.deliverAll((message) => message.target === 'n3'); // n3 misses the write
    const board = buildRaftBoard(pump.nodes(), { columns: 4 });
    assert.deepEqual(board.window, { first: 1, last: 4, columns: 4 });
    const cells = (id: string) => board.rows.find((row) => row.id === id)!.cells.map((cell) => `${cell.kind}${cell.term ?? ''}${cell.committed ? '!' : ''}`);
    assert.deepEqual(cells('n1'), ['entry1!', 'entry1!', 'empty', 'empty']);
    assert.deepEqual(cells('n2'), ['entry1!', 'entry1', 'empty', 'empty'], 'n2 holds the write but has not heard it committed');
    assert.deepEqual(cells('n3'), ['entry1', 'empty', 'empty', 'empty']);
    const snapshotted: RaftView = { ...pump.view('n2'), snapshot: { index: 1, term: 1 } };
    const row = buildRaftBoard([nodeView('n2', snapshotted)], { columns: 4 }).rows[0]!;
    assert.equal(row.cells[0]!.kind, 'snapshot');
  });

  it('draws the progress of the running leader of the highest term on each follower\'s row (who replicates what)', () => {
    const pump = electedCluster();
    const nodes = pump.nodes();
    // An old leader of a lower term that still believes it leads (cut off in a minority), and a
    // crashed one of a higher term: neither is the leader whose progress moves the cluster.
    const stale = nodeView('n4', { ...pump.view('n1'), term: 0, followers: [{ id: 'n2', matchIndex: 0, nextIndex: 1, inflight: 0, needsSnapshot: false, responsive: false }] });
    const crashed = nodeView('n5', { ...pump.view('n1'), term: 9 }, 'down');
    const board = buildRaftBoard([...nodes, stale, crashed], { columns: 8 });
    assert.equal(board.leader, 'n1');
    assert.equal(board.term, 9, 'the highest term any node reports');
    const n2 = board.rows.find((row) => row.id === 'n2')!;
    assert.deepEqual(n2.replication, { leader: 'n1', matchIndex: 1, nextIndex: 2, inflight: 0, needsSnapshot: false, responsive: true });
    assert.equal(board.rows.find((row) => row.id === 'n1')!.replication, null, 'a leader does not replicate to itself');
    assert.equal(board.rows.find((row) => row.id === 'n5')!.current, false);
    assert.deepEqual(buildRaftBoard([crashed]).leader, null, 'a crashed leader leads nothing');
    assert.deepEqual(buildRaftBoard([crashed], { recorded: true }).leader, 'n5', 'in a recorded trace the last recorded leader is shown as such');
    assert.deepEqual(board.terms, [0, 1, 9]);
    assert.deepEqual(board.missing, []);
    assert.deepEqual(buildRaftBoard([nodeView('n7', null)]).missing, ['n7']);
  });

  it('places the commit mark after its cell, clamped to the strip', () => {
    const window = { first: 11, last: 20, columns: 10 };
    assert.equal(boundaryFraction(window, 10), 0, 'everything shown is after it');
    assert.equal(boundaryFraction(window, 15), 0.5);
    assert.equal(boundaryFraction(window, 20), 1);
    assert.equal(boundaryFraction(window, 99), 1);
  });

  it('counts the election timer down from the node\'s last input, on the node\'s own clock', () => {
    const election = { timeoutMs: 300, remainingMs: 250, atNodeMs: 10_000 };
    assert.equal(electionRemainingMs({ election, clock: TRUE_CLOCK, labTimeMs: 10_100 }), 150);
    // A node 500 ms ahead: its input at node time 10 000 was at lab time 9 500.
    assert.equal(electionRemainingMs({ election, clock: { skewMs: 500, driftPpm: 0 }, labTimeMs: 9_600 }), 150);
    assert.equal(electionRemainingMs({ election, clock: { skewMs: 0, driftPpm: 10_000 }, labTimeMs: 10_000 }), 150, '1 % fast: 100 ms more on its clock');
    assert.equal(electionRemainingMs({ election, clock: TRUE_CLOCK, labTimeMs: 11_000 }), 0, 'overdue: about to campaign');
    assert.equal(electionRemainingMs({ election, clock: TRUE_CLOCK, labTimeMs: 9_000 }), 250, 'a snapshot older than the status counts nothing down');
    assert.equal(electionOverdueMs({ election, clock: TRUE_CLOCK, labTimeMs: 10_100 }), 0, 'running: not overdue');
    assert.equal(electionOverdueMs({ election, clock: TRUE_CLOCK, labTimeMs: 11_000 }), 750, 'ran out 750 ms before the snapshot');
  });

  it('reads "due" when the timer runs out, and says the status is late once a campaign would have shown', () => {
    assert.deepEqual(electionTimerReading({ leftMs: 250, timeoutMs: 300, dueForMs: 0 }), { text: '250 ms', tone: 'calm' });
    assert.deepEqual(electionTimerReading({ leftMs: 100, timeoutMs: 300, dueForMs: 0 }), { text: '100 ms', tone: 'warn' });
    assert.deepEqual(electionTimerReading({ leftMs: 30, timeoutMs: 300, dueForMs: 0 }), { text: '30 ms', tone: 'alarm' });
    assert.deepEqual(electionTimerReading({ leftMs: 0, timeoutMs: 300, dueForMs: ELECTION_DUE_GRACE_MS }), { text: 'due', tone: 'alarm' });
    // An overloaded machine sends statuses late: the bar no longer claims a campaign is imminent.
    assert.deepEqual(electionTimerReading({ leftMs: 0, timeoutMs: 300, dueForMs: 1_240 }), { text: 'late 1.2 s', tone: 'unknown' });
  });
});

describe('term-timeline: which term an event of a Raft run belongs to', () => {
  const event = (id: number, node: string, kind: TraceKind, extra: Partial<StoredEvent> = {}): StoredEvent => ({
    id, node, seq: id, kind, lamport: id, vclock: {}, nodeTimeMs: id * 10, labTimeMs: id * 10, ...extra,
  });
  const note = (id: number, node: string, detail: Record<string, unknown>) => event(id, node, 'state', { detail });
  const send = (id: number, node: string, msgType: string, payload: unknown) => event(id, node, 'send', { msgType, detail: { payload } });

  it('follows the node\'s own notes and sends; skips terms that are not the node\'s own', () => {
    const terms = new TermTimeline();
    const trace = [
      note(1, 'n1', { name: 'recovered', term: 0 }),
      send(2, 'n1', 'pre-vote', { term: 1 }), // the campaign's term, not n1's
      note(3, 'n1', { name: 'role', role: 'candidate', term: 1 }),
      send(4, 'n1', 'request-vote', { term: 1 }),
      event(5, 'n1', 'receive', { msgType: 'request-vote-reply' }),
      note(6, 'n1', { name: 'snapshot', index: 40, term: 7 }), // the snapshot's last entry's term
      note(7, 'n1', { name: 'vote-ignored', candidate: 'n3', term: 5 }), // the candidate's
      send(8, 'n2', 'append-entries-reply', { term: 3 }), // n2: no note seen yet, a send tells
      event(9, 'n2', 'timer'),
      note(10, 'n1', { name: 'recovered', term: 0 }), // a wiped disk starts over at term 0
    ];
    for (const item of trace) terms.ingest(item);
    assert.deepEqual(trace.map((item) => terms.termOf(item)), [0, 0, 1, 1, 1, 1, 1, 3, 3, 0]);
    assert.equal(terms.termOf(event(99, 'c1', 'invoke')), null, 'a client has no term');
    assert.deepEqual(terms.legend(), [0, 1, 3]);
  });

  it('lists at most LEGEND_TERMS_MAX terms, the newest', () => {
    const terms = new TermTimeline();
    for (let term = 1; term <= LEGEND_TERMS_MAX + 5; term += 1) terms.ingest(note(term, 'n1', { name: 'role', role: 'candidate', term }));
    assert.equal(terms.legend().length, LEGEND_TERMS_MAX);
    assert.equal(terms.legend().at(-1), LEGEND_TERMS_MAX + 5);
  });

  it('agrees with every Raft message of a simulated run with crashes: a send belongs to the term it carries', () => {
    const profile = SIM_PROFILES.get('raft-crashes');
    assert.ok(profile);
    const result = simulate(profile.build(7), { trace: 'full' });
    const events: StoredEvent[] = result.trace.events.map((item, index) => ({ ...item, id: index + 1 }));
    const layout = new SpaceTimeLayout();
    layout.sync(events);
    let checked = 0;
    for (const item of events) {
      const payload = (item.detail as { payload?: { term?: unknown } } | undefined)?.payload;
      if (item.kind !== 'send' || typeof payload?.term !== 'number' || item.msgType === 'pre-vote' || item.msgType === 'pre-vote-reply') continue;
      assert.equal(layout.terms.termOf(item), payload.term, `${item.node} #${item.seq} ${item.msgType}`);
      checked += 1;
    }
    assert.ok(checked > 500, `a run of substance (${checked} messages)`);
    assert.ok(layout.terms.legend().length >= 3, 'crashes made elections');
  });

  it('gives every term its own color among the first eight, and term 0 a neutral one', () => {
    const colors = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(termColor));
    assert.equal(colors.size, 8);
    assert.ok(!colors.has(termColor(0)));
    assert.equal(termColor(9), termColor(1), 'it cycles, so every place writes the number too');
  });
});

describe('RaftNotes: a recorded trace rebuilds the Raft view from its state notes', () => {
  it('agrees with the live view on role, term, vote, leader, commit index and the committed entries\' terms', () => {
    const pump = electedCluster();
    for (let index = 0; index < 5; index += 1) pump.write('n1', `k${index}`, index);
    pump.deliverAll();
    pump.fire('n1', TIMER.heartbeat);
    pump.deliverAll();
    // A new election: n2 takes over in term 2 while n1 is cut off, and commits two more writes.
    pump.elapse(1_000);
    pump.fire('n2', TIMER.election);
    const cutN1 = (message: OutMessage & { source: string }): boolean => message.target === 'n1' || message.source === 'n1';
    pump.deliverAll(cutN1);
    pump.write('n2', 'after', 1);
    pump.write('n2', 'after', 2);
    pump.deliverAll(cutN1);
    pump.fire('n2', TIMER.heartbeat);
    pump.deliverAll(cutN1);
    const notes = new RaftNotes();
    for (const item of pump.events) notes.ingest(item);
    const rebuilt = notes.views();
    for (const id of ['n1', 'n2', 'n3']) {
      const live = pump.view(id);
      const view = rebuilt.get(id)!;
      assert.equal(view.source, 'trace');
      for (const field of ['role', 'term', 'votedFor', 'leader', 'commitIndex'] as const) assert.deepEqual(view[field], live[field], `${id} ${field}`);
      const committed = (tail: RaftView['logTail']) => tail.filter((entry) => entry.index <= live.commitIndex).map((entry) => [entry.index, entry.term, entry.kind]);
      assert.deepEqual(committed(view.logTail), committed(live.logTail), `${id}: committed entries`);
      assert.equal(view.election, null, 'a trace keeps no timers');
      assert.deepEqual(view.followers, [], 'nor the leader\'s progress');
    }
    assert.equal(rebuilt.get('n2')!.role, 'leader');
    assert.equal(rebuilt.get('n2')!.term, 2);
    assert.equal(rebuilt.get('n1')!.role, 'leader', 'n1 was cut off: as far as its notes say, it still leads term 1');
  });

  it('forgets a truncated suffix, and what a restart did not keep', () => {
    const notes = new RaftNotes();
    let id = 0;
    const add = (detail: Record<string, unknown>) => notes.ingest({ id: ++id, node: 'n1', seq: id, kind: 'state', lamport: id, vclock: {}, nodeTimeMs: 0, labTimeMs: 0, detail });
    add({ name: 'recovered', term: 0, votedFor: null, lastIndex: 0, snapshotIndex: 0 });
    add({ name: 'role', role: 'candidate', term: 1 });
    add({ name: 'role', role: 'leader', term: 1 });
    add({ name: 'elected', term: 1, votes: ['n1', 'n2'], lastIndex: 0, lastTerm: 0 });
    add({ name: 'commit', commitIndex: 3, term: 1, entries: [[1, 1, 'x'], [2, 1, 'y'], [3, 1, 'z']] });
    assert.deepEqual(notes.views().get('n1')!.logTail.map((entry) => entry.index), [1, 2, 3]);
    assert.equal(notes.views().get('n1')!.votedFor, 'n1');
    add({ name: 'recovered', term: 1, votedFor: 'n1', lastIndex: 2, snapshotIndex: 0 });
    const restarted = notes.views().get('n1')!;
    assert.deepEqual([restarted.role, restarted.leader, restarted.lastIndex, restarted.commitIndex], ['follower', null, 2, 0]);
    assert.deepEqual(restarted.logTail.map((entry) => entry.index), [1, 2], 'entry 3 was not on its disk');
    add({ name: 'log-truncated', fromIndex: 2, lastIndex: 2 });
    assert.deepEqual(notes.views().get('n1')!.logTail.map((entry) => entry.index), [1]);
  });
});
