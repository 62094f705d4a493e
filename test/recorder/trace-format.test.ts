// The pure parts of the trace: row mapping, JSON lines, event queries, and the ShiViz
// export checked against ShiViz's own rules (helpers.ts: shivizProblems).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredEvent, TraceEvent } from '../../src-node/contract/trace.ts';
import { buildEventQuery, QUERY_LIMIT_DEFAULT, QUERY_LIMIT_MAX } from '../../src-main/trace/event-query.ts';
import { eventProblem, eventRowValues, rowToStoredEvent, type EventRow } from '../../src-main/trace/event-row.ts';
import { jsonlEventLine, jsonlRunLine } from '../../src-main/trace/jsonl.ts';
import {
  SHIVIZ_PARSER_REGEX, shivizEventText, shivizLines, shivizTimestamp, type ShivizEvent, type ShivizStats,
} from '../../src-main/trace/shiviz.ts';
import { dominates, EventMaker, parseShiviz, shivizProblems } from './helpers.ts';

function toRow(event: TraceEvent, id: number): EventRow {
  const [node, seq, kind, lamport, vclock, nodeTime, labTime, msgId, peer, msgType, detail] = eventRowValues(event);
  return {
    id, node, seq, kind, lamport, vclock, node_time_ms: nodeTime, lab_time_ms: labTime,
    msg_id: msgId, peer, msg_type: msgType, detail,
  };
}

function toShiviz(events: readonly TraceEvent[]): ShivizEvent[] {
  return events.map((event, index) => ({
    id: index + 1, node: event.node, seq: event.seq, kind: event.kind, labTimeMs: event.labTimeMs,
    msgId: event.msgId ?? null, peer: event.peer ?? null, msgType: event.msgType ?? null,
    detail: event.detail === undefined ? null : JSON.stringify(event.detail),
  }));
}

function exportShiviz(events: readonly TraceEvent[]): { text: string; stats: ShivizStats } {
  const lines: string[] = [];
  const generator = shivizLines(toShiviz(events));
  for (let next = generator.next(); ; next = generator.next()) {
    if (next.done) return { text: `${lines.join('\n')}\n`, stats: next.value };
    lines.push(next.value);
  }
}

/** A send and its receive, as two processes report them. */
function message(make: EventMaker, from: string, to: string, msgId: string, msgType = 'Ping'): TraceEvent[] {
  return [
    make.event(from, 'send', { msgId, peer: to, msgType }),
    make.event(to, 'receive', { msgId, peer: from, msgType }),
  ];
}

describe('event rows', () => {
  test('a row maps back to the same event, optional fields absent when NULL', () => {
    const make = new EventMaker();
    const full = make.event('n1', 'send', { msgId: 'm1', peer: 'n2', msgType: 'Vote', detail: { term: 2 } });
    const bare = make.event('n2', 'timer');
    assert.deepEqual(rowToStoredEvent(toRow(full, 7)), { ...full, id: 7 });
    assert.deepEqual(rowToStoredEvent(toRow(bare, 8)), { ...bare, id: 8 });
    const nullDetail = { ...bare, detail: null };
    assert.deepEqual(rowToStoredEvent(toRow(nullDetail, 9)), { ...nullDetail, id: 9 });
  });

  test('malformed events are named, well-formed ones pass', () => {
    const good = new EventMaker().event('n1', 'log', { detail: { message: 'hi' } });
    assert.equal(eventProblem(good), null);
    assert.match(eventProblem({ ...good, node: '' }) ?? '', /node/);
    assert.match(eventProblem({ ...good, seq: 1.5 }) ?? '', /seq/);
    assert.match(eventProblem({ ...good, vclock: null }) ?? '', /vclock/);
    assert.match(eventProblem(null) ?? '', /not an object/);
  });
});

describe('JSON lines', () => {
  test('an event line parses to the StoredEvent of its row', () => {
    const make = new EventMaker();
    const events = [
      make.event('n1', 'send', { msgId: 'm"1', peer: 'n2', msgType: 'Append\nEntries', detail: { s: 'ü\u2028' } }),
      make.event('c1', 'invoke', { msgId: 'op1', peer: 'n1', detail: { op: { kind: 'read', key: 'x' } } }),
      make.event('lab', 'fault'),
    ];
    events.forEach((event, index) => {
      const row = toRow(event, index + 1);
      const stored: StoredEvent = rowToStoredEvent(row);
      assert.deepEqual(JSON.parse(jsonlEventLine(row)), stored);
      assert.equal(jsonlEventLine(row).includes('\n'), false);
    });
  });

  test('the first line holds the run under "run"', () => {
    assert.deepEqual(JSON.parse(jsonlRunLine({ runId: 'r1', schema_version: 1 })), { run: { runId: 'r1', schema_version: 1 } });
  });
});

describe('event queries', () => {
  test('filters become bound parameters, in row-id order', () => {
    const built = buildEventQuery({ afterId: 10, nodes: ['n1', 'n2'], kinds: ['send'], text: '50%_off', limit: 5 });
    assert.match(built.sql, /id > \? AND node IN \(\?, \?\) AND kind IN \(\?\) AND \(msg_id LIKE \? ESCAPE '\\' OR msg_type LIKE/);
    assert.match(built.sql, /ORDER BY id ASC LIMIT \?$/);
    assert.deepEqual(built.params, [10, 'n1', 'n2', 'send', '%50\\%\\_off%', '%50\\%\\_off%', '%50\\%\\_off%', 5]);
    assert.equal(built.reverse, false);
  });

  test('only beforeId pages backwards; limit has a default and a ceiling', () => {
    const back = buildEventQuery({ beforeId: 100 });
    assert.equal(back.reverse, true);
    assert.match(back.sql, /ORDER BY id DESC/);
    assert.equal(back.params.at(-1), QUERY_LIMIT_DEFAULT);
    assert.equal(buildEventQuery({ limit: 1e9 }).params.at(-1), QUERY_LIMIT_MAX);
    assert.match(buildEventQuery({ nodes: [] }).sql, /WHERE 0/);
  });

  test('malformed queries are refused with a reason', () => {
    assert.throws(() => buildEventQuery({ limit: -1 }), /limit must be a non-negative integer/);
    assert.throws(() => buildEventQuery({ afterId: 'x' as unknown as number }), /afterId must be an integer/);
    assert.throws(() => buildEventQuery({ nodes: 'n1' as unknown as string[] }), /nodes must be a list/);
  });
});

describe('ShiViz export', () => {
  test('the header is the parser regex and an empty delimiter line; every event line parses', () => {
    const make = new EventMaker();
    const events = [...message(make, 'n1', 'n2', 'm1'), make.event('n1', 'timer', { detail: { text: 'a\nb' } })];
    const { text } = exportShiviz(events);
    const lines = text.split('\n');
    assert.equal(lines[0], SHIVIZ_PARSER_REGEX);
    assert.equal(lines[1], '');
    const parsed = parseShiviz(text);
    assert.equal(parsed.events.length, 3);
    assert.equal(parsed.uncovered, 0);
    assert.deepEqual(shivizProblems(parsed.events), []);
    // The checker itself notices a broken log: a skipped own value, a merge left out.
    const skipped = parsed.events.map((event, index) => index === 2 ? { ...event, clock: { n1: 3 } } : event);
    assert.match(shivizProblems(skipped).join('\n'), /own entry 3, expected 2/);
    const unmerged = parsed.events.map((event, index) => index === 1 ? { ...event, clock: { n2: 1 } } : event);
    assert.equal(shivizProblems(unmerged).length, 0, 'a receive shown as local is still a valid log');
    const wrong = parsed.events.map((event, index) => index === 1 ? { ...event, clock: { n1: 2, n2: 1 } } : event);
    assert.match(shivizProblems(wrong).join('\n'), /names no earlier event/);
  });

  test('each host counts 1, 2, 3…; a receive dominates its send', () => {
    const make = new EventMaker();
    const events = [
      make.event('n1', 'start', { detail: { recovered: false, restart: 0 } }),
      make.event('n2', 'start', { detail: { recovered: false, restart: 0 } }),
      ...message(make, 'n1', 'n2', 'm1'),
      ...message(make, 'n2', 'n3', 'm2'),
      ...message(make, 'n3', 'n1', 'm3'),
      make.event('n2', 'state', { detail: { name: 'leader' } }),
    ];
    const parsed = parseShiviz(exportShiviz(events).text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    const byRow = new Map(parsed.events.map((event) => [event.row, event]));
    events.forEach((event, index) => {
      if (event.kind !== 'receive') return;
      const send = events.findIndex((other) => other.kind === 'send' && other.msgId === event.msgId);
      assert.ok(dominates(byRow.get(index + 1)!.clock, byRow.get(send + 1)!.clock), `receive of ${event.msgId}`);
    });
    // n1 ← n3 ← n2 ← n1: the last receive on n1 knows all three.
    assert.deepEqual(byRow.get(8)!.clock, { n1: 3, n2: 3, n3: 2 });
  });

  test('a restarted node continues its clock across the seq gap and the vclock jump', () => {
    const make = new EventMaker();
    const events = [make.event('n1', 'start'), ...message(make, 'n1', 'n2', 'm1')];
    make.restart('n1', 1_000); // the new incarnation reserved seq and clock values
    events.push(make.event('n1', 'start', { detail: { recovered: true, restart: 1 } }));
    events.push(...message(make, 'n1', 'n2', 'm2'));
    const parsed = parseShiviz(exportShiviz(events).text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    assert.deepEqual(parsed.events.filter((event) => event.host === 'n1').map((event) => event.clock['n1']), [1, 2, 3, 4]);
  });

  test('a drop is an event of its own on the sender, merged nowhere', () => {
    const make = new EventMaker();
    const events = [
      make.event('n1', 'send', { msgId: 'm1', peer: 'n2', msgType: 'Ping' }),
      make.event('n1', 'drop', { msgId: 'm1', peer: 'n2', msgType: 'Ping', detail: { reason: 'partition' } }),
      make.event('n2', 'timer'),
    ];
    const parsed = parseShiviz(exportShiviz(events).text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    const drop = parsed.events.find((event) => event.text.startsWith('drop'))!;
    assert.equal(drop.host, 'n1');
    assert.deepEqual(drop.clock, { n1: 2 });
    assert.deepEqual(parsed.events.find((event) => event.host === 'n2')!.clock, { n2: 1 });
  });

  test('a receive with no recorded send is a local event, and says so', () => {
    const make = new EventMaker();
    const events = [
      make.event('n1', 'timer'),
      make.event('n2', 'receive', { msgId: 'lost', peer: 'n1', msgType: 'Ping' }), // n1 was killed before reporting it
    ];
    const { text, stats } = exportShiviz(events);
    const parsed = parseShiviz(text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    assert.deepEqual(parsed.events[1]!.clock, { n2: 1 });
    assert.match(parsed.events[1]!.text, /no recorded send/);
    assert.equal(stats.unmatchedReceives, 1);
  });

  test('a send comes before its receive even when the lab stamped the receive earlier', () => {
    const make = new EventMaker();
    const [send, receive] = message(make, 'n1', 'n2', 'm1');
    const events = [make.event('n3', 'timer'), { ...receive!, labTimeMs: 0.01 }, send!];
    const parsed = parseShiviz(exportShiviz(events).text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    assert.deepEqual(parsed.events.map((event) => event.text.split(' ')[0]), ['send', 'receive', 'timer']);
  });

  test('only causal kinds are exported; the first of two sends with one id is the one merged', () => {
    const make = new EventMaker();
    const events = [
      make.event('n1', 'suspicion', { detail: { phi: { n2: 0.5 }, suspected: [] } }),
      make.event('n1', 'link', { peer: 'n2', detail: { up: true } }),
      make.event('n1', 'send', { msgId: 'm1', peer: 'n2' }),
      make.event('n3', 'send', { msgId: 'm1', peer: 'n2' }), // a reused id: not the one merged
      make.event('n2', 'receive', { msgId: 'm1', peer: 'n1' }),
    ];
    const { text, stats } = exportShiviz(events);
    const parsed = parseShiviz(text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    assert.equal(stats.events, 3);
    assert.deepEqual(parsed.events.find((event) => event.host === 'n2')!.clock, { n1: 1, n2: 1 });
  });

  test('a trace that contradicts itself still gives a valid log', () => {
    // n1 receives m2 before it sends m1; n2 receives m1 before it sends m2: a cycle that
    // only reused or wrong message ids can make. One receive is shown as local.
    const make = new EventMaker();
    const events = [
      make.event('n1', 'receive', { msgId: 'm2', peer: 'n2' }),
      make.event('n1', 'send', { msgId: 'm1', peer: 'n2' }),
      make.event('n2', 'receive', { msgId: 'm1', peer: 'n1' }),
      make.event('n2', 'send', { msgId: 'm2', peer: 'n1' }),
    ];
    const { text, stats } = exportShiviz(events);
    const parsed = parseShiviz(text);
    assert.deepEqual(shivizProblems(parsed.events), []);
    assert.equal(parsed.events.length, 4);
    assert.equal(stats.unorderableReceives, 1);
  });

  test('a random run of many processes, lost sends and restarts passes the rules', () => {
    let state = 42;
    const random = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const make = new EventMaker();
    const processes = ['n1', 'n2', 'n3', 'n4', 'c1'];
    const inFlight: { msgId: string; from: string; to: string }[] = [];
    const events: TraceEvent[] = [];
    for (let i = 0; i < 3_000; i++) {
      const node = processes[Math.floor(random() * processes.length)]!;
      const roll = random();
      if (roll < 0.4) {
        const to = processes[Math.floor(random() * processes.length)]!;
        const msgId = `m${i}`;
        const send = make.event(node, 'send', { msgId, peer: to });
        if (random() > 0.05) events.push(send); // a killed sender's last batch is lost
        inFlight.push({ msgId, from: node, to });
      } else if (roll < 0.8 && inFlight.length > 0) {
        const { msgId, from, to } = inFlight.splice(Math.floor(random() * inFlight.length), 1)[0]!;
        events.push(make.event(to, random() < 0.1 ? 'drop' : 'receive', { msgId, peer: from }));
      } else if (roll < 0.82) {
        make.restart(node, 100);
        events.push(make.event(node, 'start', { detail: { recovered: true, restart: 1 } }));
      } else {
        events.push(make.event(node, 'state', { detail: { name: 'tick' } }));
      }
    }
    const parsed = parseShiviz(exportShiviz(events).text);
    assert.equal(parsed.events.length, events.length);
    assert.deepEqual(shivizProblems(parsed.events).slice(0, 5), []);
    const timestamps = new Set(parsed.events.map((event) => event.timestamp.length));
    assert.deepEqual([...timestamps], [12]);
  });

  test('text and timestamp are one line of fixed width', () => {
    assert.equal(shivizTimestamp(1.5), '000000001500');
    assert.equal(shivizTimestamp(-3), '000000000000');
    const text = shivizEventText(
      { id: 3, node: 'n1', seq: 9, kind: 'receive', labTimeMs: 1, msgId: 'm1', peer: 'n2', msgType: 'Vote',
        detail: JSON.stringify({ s: 'x\u2028y' }) },
      null,
    );
    assert.equal(text, 'receive Vote from n2 msg=m1 (seq 9, row 3) {"s":"x y"}');
  });
});
