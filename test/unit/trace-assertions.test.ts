// The scenario checks judged from a trace (src-main/checkers/trace-assertions.ts): `events`
// counts state notes or protocol messages by some nodes within a window of scenario time and
// passes within [min, max]; `leaders` counts the nodes that believe they lead at an instant;
// `log-size` bounds the entries past the snapshot. The same judge reads real and simulated runs.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent, TraceKind } from '../../src-node/contract/trace.ts';
import {
  TraceAssertionMonitor,
  entriesPastSnapshot,
  isScenarioAssertion,
  isTraceAssertion,
  logSizeVerdict,
  type EventsAssertion,
  type LeadersAssertion,
  type TraceAssertion,
} from '../../src-main/checkers/trace-assertions.ts';

let seq = 0;
function event(node: string, kind: TraceKind, labTimeMs: number, fields: Partial<TraceEvent> = {}): TraceEvent {
  seq += 1;
  return { node, seq, kind, lamport: seq, vclock: {}, nodeTimeMs: labTimeMs, labTimeMs, ...fields };
}
const note = (node: string, atMs: number, name: string, detail: Record<string, unknown> = {}): TraceEvent =>
  event(node, 'state', atMs, { detail: { name, ...detail } });
const role = (node: string, atMs: number, value: string): TraceEvent => note(node, atMs, 'role', { role: value, term: 1 });
const send = (node: string, atMs: number, peer: string, msgType: string): TraceEvent => event(node, 'send', atMs, { peer, msgType });
const fault = (atMs: number, request: Record<string, unknown>): TraceEvent =>
  event('lab', 'fault', atMs, { msgType: String(request['kind']), detail: { request, by: 'scenario' } });

function events(overrides: Partial<EventsAssertion>): EventsAssertion {
  return { kind: 'events', what: 'note', fromMs: 0, min: 0, ...overrides };
}
function leaders(overrides: Partial<LeadersAssertion> & { atMs: number; count: number }): LeadersAssertion {
  return { kind: 'leaders', ...overrides };
}

function judge(assertions: TraceAssertion[], trace: TraceEvent[], offsetMs = 0) {
  const monitor = new TraceAssertionMonitor(assertions, offsetMs);
  for (const item of trace) monitor.observe(item);
  const results = monitor.results();
  return assertions.map((assertion) => {
    const result = results.get(assertion);
    assert.ok(result, `a result for ${assertion.kind}`);
    return result;
  });
}

describe('events: counting notes and messages in a window', () => {
  const trace = [
    note('n1', 100, 'commit'), note('n2', 500, 'commit'), note('n1', 1000, 'commit'), note('n1', 1001, 'elected'),
    note('n3', 1500, 'commit'), note('n1', 2500, 'commit'),
  ];

  it('counts only notes of the name, within [fromMs, toMs] inclusive', () => {
    const [window, edges, open] = judge([
      events({ name: 'commit', fromMs: 400, toMs: 1500 }),
      events({ name: 'commit', fromMs: 100, toMs: 100 }),
      events({ name: 'commit', fromMs: 1000 }),
    ], trace);
    assert.equal((window!.observed as { count: number }).count, 3);
    assert.equal((edges!.observed as { count: number }).count, 1, 'both ends of the window are in it');
    assert.equal((open!.observed as { count: number }).count, 3, 'no toMs: to the end of the run');
  });

  it('counts every note when no name is given', () => {
    const [all] = judge([events({ fromMs: 900, toMs: 1100 })], trace);
    assert.equal((all!.observed as { count: number }).count, 2);
  });

  it('counts only the nodes named', () => {
    const [onlyN1, n2n3] = judge([events({ name: 'commit', nodes: ['n1'] }), events({ name: 'commit', nodes: ['n2', 'n3'] })], trace);
    assert.equal((onlyN1!.observed as { count: number }).count, 3);
    assert.equal((n2n3!.observed as { count: number }).count, 2);
  });

  it('passes within [min, max] and fails on either side, and says why', () => {
    const [exact, below, above, noMax] = judge([
      events({ name: 'commit', min: 5, max: 5 }),
      events({ name: 'commit', min: 6 }),
      events({ name: 'commit', fromMs: 0, toMs: 1000, max: 2, label: 'no commit while cut off' }),
      events({ name: 'elected', min: 1 }),
    ], trace);
    assert.equal(exact!.verdict, 'pass');
    assert.equal(below!.verdict, 'fail');
    assert.match(below!.summary, /5 'commit' notes from 0 ms to the end \(expected at least 6\)/);
    assert.equal(above!.verdict, 'fail');
    assert.match(above!.summary, /^no commit while cut off: 3 'commit' notes from 0 ms to 1000 ms \(expected at most 2\)/);
    assert.equal(noMax!.verdict, 'pass');
  });

  it('max 0 passes on an empty window: nothing happened', () => {
    const [quiet] = judge([events({ name: 'role', fromMs: 3000, toMs: 4000, max: 0 })], trace);
    assert.equal(quiet!.verdict, 'pass');
    assert.equal((quiet!.observed as { count: number }).count, 0);
  });

  it('sends: protocol messages to nodes only, by type when named; replies to clients are no part of a budget', () => {
    const messages = [
      send('n1', 10, 'n2', 'append-entries'), send('n1', 10, 'n3', 'append-entries'), send('n2', 12, 'n1', 'append-entries-reply'),
      send('n1', 15, 'c1', 'client-reply'), note('n1', 16, 'commit'), event('n1', 'receive', 17, { peer: 'n2', msgType: 'append-entries-reply' }),
    ];
    const [all, appends, byN2] = judge([
      events({ what: 'send' }), events({ what: 'send', name: 'append-entries' }), events({ what: 'send', nodes: ['n2'] }),
    ], messages);
    assert.equal((all!.observed as { count: number }).count, 3);
    assert.equal((appends!.observed as { count: number }).count, 2);
    assert.equal((byN2!.observed as { count: number }).count, 1);
    assert.match(appends!.summary, /2 'append-entries' messages sent from 0 ms/);
  });

  it('lists at most 20 of the events it counted, and counts them all', () => {
    const many = Array.from({ length: 50 }, (_, index) => note('n1', index, 'commit'));
    const [result] = judge([events({ name: 'commit' })], many);
    const observed = result!.observed as { count: number; events: { node: string; atMs: number }[] };
    assert.equal(observed.count, 50);
    assert.equal(observed.events.length, 20);
    assert.deepEqual(observed.events[3], { node: 'n1', atMs: 3, name: 'commit' });
  });

  it('offset: windows are scenario time, lab time minus the moment the schedule began to play', () => {
    // A real run plays its schedule 2 s after the cluster came up: lab 2100 ms is scenario 100 ms.
    const real = [note('n1', 1500, 'elected'), note('n1', 2100, 'commit'), note('n1', 2600, 'commit')];
    const [early, late, before] = judge([
      events({ name: 'commit', fromMs: 0, toMs: 200 }),
      events({ name: 'commit', fromMs: 500, toMs: 700 }),
      events({ name: 'elected' }),
    ], real, 2000);
    assert.equal((early!.observed as { count: number }).count, 1);
    assert.equal((late!.observed as { count: number }).count, 1);
    assert.equal((before!.observed as { count: number }).count, 0, 'an event before time zero is in no window');
    assert.equal((early!.observed as { events: { atMs: number }[] }).events[0]!.atMs, 100, 'listed in scenario time');
  });
});

describe('leaders: who believes it leads at an instant', () => {
  it('reads each node\'s last role note at or before the instant', () => {
    const trace = [role('n1', 100, 'candidate'), role('n1', 200, 'leader'), role('n2', 200, 'follower'), role('n2', 900, 'candidate'), role('n2', 1000, 'leader'), role('n1', 1100, 'follower')];
    const [before, one, exactlyAt, both, after] = judge([
      leaders({ atMs: 150, count: 0 }), leaders({ atMs: 500, count: 1 }), leaders({ atMs: 200, count: 1 }),
      leaders({ atMs: 1050, count: 2 }), leaders({ atMs: 2000, count: 1 }),
    ], trace);
    assert.equal(before!.verdict, 'pass');
    assert.equal(one!.verdict, 'pass');
    assert.deepEqual(one!.observed, { leaders: ['n1'] });
    assert.equal(exactlyAt!.verdict, 'pass', 'a note at the instant counts');
    assert.equal(both!.verdict, 'pass', 'a deposed leader that has not heard yet still believes it leads');
    assert.deepEqual(both!.observed, { leaders: ['n1', 'n2'] });
    assert.match(both!.summary, /2 leader\(s\) at 1050 ms \(n1, n2\), expected 2/);
    assert.deepEqual(after!.observed, { leaders: ['n2'] });
  });

  it('a crashed, stopped or wiped leader leads nothing; after a restart, only a new role note makes it lead', () => {
    const trace = [
      role('n1', 100, 'leader'), fault(1000, { kind: 'crash', node: 'n1' }),
      role('n2', 1400, 'leader'), fault(2000, { kind: 'stop', node: 'n2' }),
      role('n3', 2400, 'leader'), fault(3000, { kind: 'wipe', node: 'n3' }),
      event('n1', 'start', 3100, { detail: { restart: 1, recovered: true } }), role('n1', 3500, 'leader'),
    ];
    const [whileUp, crashed, stopped, wiped, restarted, leadsAgain] = judge([
      leaders({ atMs: 900, count: 1 }), leaders({ atMs: 1200, count: 0 }), leaders({ atMs: 2100, count: 0 }),
      leaders({ atMs: 3050, count: 0 }), leaders({ atMs: 3200, count: 0 }), leaders({ atMs: 4000, count: 1 }),
    ], trace);
    for (const result of [whileUp, crashed, stopped, wiped, restarted, leadsAgain]) assert.equal(result!.verdict, 'pass', result!.summary);
    assert.deepEqual(leadsAgain!.observed, { leaders: ['n1'] });
  });

  it('a node that started leading before the start event of its restart does not lead after it', () => {
    // A restart without a crash fault in the trace (the process died on its own): `start` clears it.
    const [result] = judge([leaders({ atMs: 600, count: 0 })], [role('n1', 100, 'leader'), event('n1', 'start', 500)]);
    assert.equal(result!.verdict, 'pass', result!.summary);
  });

  it('a core that failed an assertion (the simulator crashes it) leads nothing', () => {
    const trace = [role('n1', 100, 'leader'), event('n1', 'log', 300, { detail: { message: 'fatal: boom', fatal: true } })];
    const [result] = judge([leaders({ atMs: 400, count: 0 })], trace);
    assert.equal(result!.verdict, 'pass', result!.summary);
  });

  it('counts only the nodes named', () => {
    const trace = [role('n1', 100, 'leader'), role('n4', 100, 'leader')];
    const [minority, majority] = judge([leaders({ atMs: 200, nodes: ['n1', 'n2'], count: 1 }), leaders({ atMs: 200, nodes: ['n3', 'n4', 'n5'], count: 1 })], trace);
    assert.deepEqual(minority!.observed, { leaders: ['n1'] });
    assert.deepEqual(majority!.observed, { leaders: ['n4'] });
    assert.match(minority!.summary, /among n1, n2/);
  });

  it('fails when the count differs, naming who leads', () => {
    const [result] = judge([leaders({ atMs: 200, count: 1, label: 'one leader' })], [role('n1', 100, 'leader'), role('n2', 150, 'leader')]);
    assert.equal(result!.verdict, 'fail');
    assert.match(result!.summary, /^one leader: 2 leader\(s\) at 200 ms \(n1, n2\), expected 1/);
  });

  it('judges an instant from every event stamped before it, whatever order the recorder stored them in', () => {
    // n2's note at 900 ms reaches the recorder after n1's event at 1200 ms.
    const trace = [role('n1', 100, 'follower'), note('n1', 1200, 'commit'), role('n2', 900, 'leader'), role('n2', 1300, 'follower')];
    const [result] = judge([leaders({ atMs: 1000, count: 1 })], trace);
    assert.deepEqual(result!.observed, { leaders: ['n2'] });
  });

  it('offset: the instant is scenario time', () => {
    const trace = [role('n1', 2500, 'leader'), role('n1', 3500, 'follower')];
    const [during, afterwards] = judge([leaders({ atMs: 1000, count: 1 }), leaders({ atMs: 1600, count: 0 })], trace, 2000);
    assert.equal(during!.verdict, 'pass', during!.summary);
    assert.equal(afterwards!.verdict, 'pass', afterwards!.summary);
  });

  it('leadership before time zero still counts at a later instant (the election before the schedule played)', () => {
    const [result] = judge([leaders({ atMs: 500, count: 1 })], [role('n3', 1200, 'leader')], 2000);
    assert.deepEqual(result!.observed, { leaders: ['n3'] });
  });
});

describe('log-size and check selection', () => {
  it('passes when every running node keeps at most maxEntries past its snapshot', () => {
    assert.equal(logSizeVerdict({ n1: 10, n2: 30 }, 30).verdict, 'pass');
    const over = logSizeVerdict({ n1: 10, n2: 31, n3: 45 }, 30);
    assert.equal(over.verdict, 'fail');
    assert.match(over.summary, /n2 keeps 31, n3 keeps 45 entries past its snapshot, above 30/);
    assert.equal(logSizeVerdict({}, 30).verdict, 'unknown', 'no node reports: no verdict');
  });

  it('reads the entries past the snapshot from a node\'s status facts', () => {
    assert.equal(entriesPastSnapshot({ lastIndex: 130, snapshotIndex: 120, commitIndex: 130 }), 10);
    assert.equal(entriesPastSnapshot({ primary: 'n1' }), null, 'a protocol without a log reports nothing');
    assert.equal(entriesPastSnapshot(undefined), null);
  });

  it('picks the events, leaders and log-size checks out of a scenario\'s checks', () => {
    const checks = [
      { kind: 'durability', expect: 'pass' }, { kind: 'events', expect: 'pass' }, { kind: 'leaders', expect: 'pass' }, { kind: 'log-size', expect: 'pass' },
    ] as const;
    assert.deepEqual(checks.filter(isScenarioAssertion).map((check) => check.kind), ['events', 'leaders', 'log-size']);
    assert.deepEqual(checks.filter(isTraceAssertion).map((check) => check.kind), ['events', 'leaders']);
  });
});
