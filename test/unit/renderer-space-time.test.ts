// The space-time diagram's model: which events lie in a selected event's causal past and
// future, how messages pair up (also when a send is missing or a receive repeats), which
// intervals faults leave on lanes, and what a click hits.
// Reference: Lamport 1978, "Time, Clocks, and the Ordering of Events"; the book, §3.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { StoredEvent, TraceKind } from '../../src-node/contract/trace.ts';
import { receive as receiveClock, tick } from '../../src-node/protocols/clocks/vector-clock.ts';
import { processColor } from '../../src-renderer/timeline/colors.ts';
import { createCursor, advanceCursor, planIngest } from '../../src-renderer/timeline/event-cursor.ts';
import { eventLabel, operationLabel, stateLabel } from '../../src-renderer/timeline/event-labels.ts';
import { partitionLabel } from '../../src-renderer/timeline/fault-intervals.ts';
import {
  causalRelation, classifyCausality, hitTest, laneWindow, SpaceTimeLayout, visibleMessages,
} from '../../src-renderer/timeline/space-time-layout.ts';
import {
  DEFAULT_SPAN, FOLLOW_MARGIN_PX, followLatest, formatTick, initialView, MIN_SPAN, niceTicks, panView, zoomView,
} from '../../src-renderer/timeline/space-time-view.ts';

/** Builds a trace the way processes stamp it: per-process seq, Lamport and vector clocks. */
class TraceBuilder {
  readonly events: StoredEvent[] = [];
  private readonly clocks = new Map<string, { vclock: Record<string, number>; lamport: number; seq: number }>();

  private stateOf(node: string) {
    let state = this.clocks.get(node);
    if (state === undefined) this.clocks.set(node, (state = { vclock: {}, lamport: 0, seq: 0 }));
    return state;
  }

  local(node: string, kind: TraceKind, timeMs: number, extra: Partial<StoredEvent> = {}): StoredEvent {
    const state = this.stateOf(node);
    state.vclock = tick(state.vclock, node);
    state.lamport += 1;
    return this.push(node, kind, timeMs, extra);
  }

  send(node: string, peer: string, msgId: string, timeMs: number): StoredEvent {
    return this.local(node, 'send', timeMs, { peer, msgId, msgType: 'Ping' });
  }

  receive(node: string, sent: StoredEvent | { vclock: Record<string, number>; lamport: number; node: string }, msgId: string, timeMs: number): StoredEvent {
    const state = this.stateOf(node);
    state.vclock = receiveClock(state.vclock, sent.vclock, node);
    state.lamport = Math.max(state.lamport, sent.lamport) + 1;
    return this.push(node, 'receive', timeMs, { peer: sent.node, msgId, msgType: 'Ping' });
  }

  drop(node: string, peer: string, msgId: string, timeMs: number): StoredEvent {
    return this.local(node, 'drop', timeMs, { peer, msgId, detail: { reason: 'partition' } });
  }

  fault(request: FaultRequest, timeMs: number, node = 'lab'): StoredEvent {
    return this.push(node, 'fault', timeMs, { detail: { request, by: 'test' } });
  }

  suspicion(observer: string, phi: Record<string, number>, timeMs: number): StoredEvent {
    return this.push(observer, 'suspicion', timeMs, { detail: { phi, suspected: Object.keys(phi).filter((peer) => phi[peer]! > 8) } });
  }

  private push(node: string, kind: TraceKind, timeMs: number, extra: Partial<StoredEvent>): StoredEvent {
    const state = this.stateOf(node);
    state.seq += 1;
    const event: StoredEvent = {
      id: this.events.length + 1, node, seq: state.seq, kind, lamport: state.lamport, vclock: { ...state.vclock },
      nodeTimeMs: timeMs, labTimeMs: timeMs, ...extra,
    };
    this.events.push(event);
    return event;
  }
}

function layoutOf(events: readonly StoredEvent[], phiThreshold?: number): SpaceTimeLayout {
  const layout = new SpaceTimeLayout(phiThreshold);
  layout.sync(events);
  return layout;
}

describe('causal past and future (vector clocks)', () => {
  // n1: a ─send m1→ n2: b(receive) ─send m2→ n3: c(receive); n3 also has a local event
  // before c, concurrent with everything on n1 and n2; n1 has an event after the send.
  const trace = new TraceBuilder();
  const a = trace.send('n1', 'n2', 'm1', 10);
  const early3 = trace.local('n3', 'timer', 12);
  const b = trace.receive('n2', a, 'm1', 20);
  const b2 = trace.send('n2', 'n3', 'm2', 22);
  const after1 = trace.local('n1', 'timer', 25);
  const c = trace.receive('n3', b2, 'm2', 30);
  const fault = trace.fault({ kind: 'pause', node: 'n1' }, 31);

  it('puts every event that happened before the selection in its past', () => {
    // "a → b if a and b are in the same process and a comes first, or a is the sending of a
    // message and b its receipt; → is transitive" (Lamport 1978, §2).
    assert.equal(causalRelation(c, a), 'past');
    assert.equal(causalRelation(c, b), 'past');
    assert.equal(causalRelation(c, b2), 'past');
    assert.equal(causalRelation(c, early3), 'past');
  });

  it('puts every event the selection happened before in its future', () => {
    assert.equal(causalRelation(a, b), 'future');
    assert.equal(causalRelation(a, c), 'future');
    assert.equal(causalRelation(a, after1), 'future');
  });

  it('calls events concurrent when neither happened before the other', () => {
    assert.equal(causalRelation(b, after1), 'concurrent');
    assert.equal(causalRelation(b, early3), 'concurrent');
    assert.equal(causalRelation(c, after1), 'concurrent');
  });

  it('marks the selection itself and leaves observations unrelated', () => {
    assert.equal(causalRelation(b, b), 'selected');
    assert.equal(causalRelation(b, fault), 'unrelated');
  });

  it('classifies a whole window at once', () => {
    const relations = classifyCausality(b, trace.events);
    assert.deepEqual(
      [a, early3, b, b2, after1, c, fault].map((event) => relations.get(event.id)),
      ['past', 'concurrent', 'selected', 'future', 'concurrent', 'future', 'unrelated'],
    );
  });
});

describe('messages', () => {
  it('pairs a send with its receive', () => {
    const trace = new TraceBuilder();
    const send = trace.send('n1', 'n2', 'm1', 100);
    const received = trace.receive('n2', send, 'm1', 150);
    const edges = visibleMessages(layoutOf(trace.events), 'lab', 0, 1000);
    assert.equal(edges.length, 1);
    assert.deepEqual(edges[0], { kind: 'receive', send, end: received, duplicate: false });
  });

  it('keeps a receive whose send was never reported, as a dangling edge', () => {
    // The sender was killed before it reported its send: the trace must stay readable.
    const trace = new TraceBuilder();
    const received = trace.receive('n2', { node: 'n1', vclock: { n1: 3 }, lamport: 3 }, 'lost-send', 150);
    const edges = visibleMessages(layoutOf(trace.events), 'lab', 0, 1000);
    assert.deepEqual(edges, [{ kind: 'receive', send: null, end: received, duplicate: false }]);
  });

  it('draws every receive of a duplicated message and marks the repeats', () => {
    const trace = new TraceBuilder();
    const send = trace.send('n1', 'n2', 'm1', 100);
    const first = trace.receive('n2', send, 'm1', 150);
    const second = trace.receive('n2', send, 'm1', 170);
    const edges = visibleMessages(layoutOf(trace.events), 'lab', 0, 1000);
    assert.deepEqual(
      edges.map((edge) => [edge.end, edge.duplicate]),
      [[first, false], [second, true]],
    );
    assert.ok(edges.every((edge) => edge.send === send));
  });

  it('shows a dropped message as a drop edge and an unanswered send as pending', () => {
    const trace = new TraceBuilder();
    const send = trace.send('n1', 'n2', 'm1', 100);
    const dropped = trace.drop('n1', 'n2', 'm1', 101);
    const inFlight = trace.send('n1', 'n3', 'm2', 110);
    const edges = visibleMessages(layoutOf(trace.events), 'lab', 0, 1000);
    assert.deepEqual(edges, [
      { kind: 'drop', send, end: dropped, duplicate: false },
      { kind: 'pending', send: inFlight, end: null, duplicate: false },
    ]);
  });

  it('finds a message crossing the window although both ends lie outside it', () => {
    const trace = new TraceBuilder();
    const send = trace.send('n1', 'n2', 'm1', 100);
    trace.receive('n2', send, 'm1', 900);
    const layout = layoutOf(trace.events);
    assert.equal(visibleMessages(layout, 'lab', 400, 500).length, 1);
    assert.equal(visibleMessages(layout, 'lab', 950, 1000).length, 0);
    assert.equal(visibleMessages(layout, 'lab', 0, 50).length, 0);
  });

  it('pairs a receive that arrives before its send (batches from two processes)', () => {
    const trace = new TraceBuilder();
    const send = trace.send('n1', 'n2', 'm1', 100);
    const received = trace.receive('n2', send, 'm1', 300);
    const layout = layoutOf([received, send].map((event, index) => ({ ...event, id: index + 1 })));
    assert.equal(layout.maxSpan.lab, 200);
    assert.equal(visibleMessages(layout, 'lab', 150, 200)[0]?.send?.node, 'n1');
  });
});

describe('fault intervals', () => {
  it('takes a crashed node down until its restart', () => {
    const trace = new TraceBuilder();
    trace.local('n2', 'start', 0);
    trace.fault({ kind: 'crash', node: 'n2' }, 1000);
    trace.fault({ kind: 'restart', node: 'n2' }, 4000);
    const [interval] = layoutOf(trace.events).faults.intervals;
    assert.equal(interval?.kind, 'down');
    assert.equal(interval?.cause, 'crash');
    assert.equal(interval?.start.labTimeMs, 1000);
    assert.equal(interval?.end?.labTimeMs, 4000);
  });

  it("ends an outage at the process's own start event when no restart was recorded", () => {
    const trace = new TraceBuilder();
    trace.fault({ kind: 'crash', node: 'n2' }, 1000);
    trace.local('n2', 'start', 2500, { detail: { recovered: true, restart: 1 } });
    assert.equal(layoutOf(trace.events).faults.intervals[0]?.end?.labTimeMs, 2500);
  });

  it('keeps a crash-stop open, and a wipe turns it into a lost disk', () => {
    const trace = new TraceBuilder();
    trace.fault({ kind: 'stop', node: 'n3' }, 1000);
    trace.fault({ kind: 'wipe', node: 'n3' }, 1200);
    const layout = layoutOf(trace.events);
    assert.equal(layout.faults.intervals.length, 1);
    assert.equal(layout.faults.intervals[0]?.cause, 'wipe');
    assert.equal(layout.faults.intervals[0]?.end, null);
    assert.equal(layout.faults.openInterval('n3')?.kind, 'down');
  });

  it('pauses a node until it is resumed; a crash while paused ends the pause', () => {
    const trace = new TraceBuilder();
    trace.fault({ kind: 'pause', node: 'n4' }, 1000);
    trace.fault({ kind: 'resume', node: 'n4' }, 3000);
    trace.fault({ kind: 'pause', node: 'n4' }, 5000);
    trace.fault({ kind: 'crash', node: 'n4' }, 6000);
    const intervals = layoutOf(trace.events).faults.intervals;
    assert.deepEqual(
      intervals.map((interval) => [interval.kind, interval.start.labTimeMs, interval.end?.labTimeMs ?? null]),
      [['paused', 1000, 3000], ['paused', 5000, 6000], ['down', 6000, null]],
    );
  });

  it('shades a partition from the partition fault to the heal', () => {
    const trace = new TraceBuilder();
    const spec = { groups: [['n1', 'n2'], ['n3', 'n4', 'n5']], oneWay: false };
    trace.fault({ kind: 'partition', spec }, 1000);
    trace.fault({ kind: 'heal' }, 7000);
    const [band] = layoutOf(trace.events).faults.partitions;
    assert.deepEqual([band?.start.labTimeMs, band?.end?.labTimeMs], [1000, 7000]);
    assert.equal(partitionLabel(spec), '{n1 n2} | {n3 n4 n5}');
  });

  it("places an outage on the Lamport axis between the node's own events, a partition after all events", () => {
    // On the Lamport axis each lane is its own process's time: n1's crash sits after n1's
    // last event even though n2 has run far ahead.
    const trace = new TraceBuilder();
    trace.local('n1', 'timer', 10);
    trace.local('n1', 'timer', 20);
    for (let i = 0; i < 5; i++) trace.local('n2', 'timer', 21 + i);
    trace.fault({ kind: 'crash', node: 'n1' }, 30);
    trace.fault({ kind: 'partition', spec: { groups: [['n1'], ['n2']], oneWay: false } }, 31);
    trace.fault({ kind: 'restart', node: 'n1' }, 40);
    const n2Clock = { node: 'n2', vclock: { n2: 5 }, lamport: 5 };
    trace.receive('n1', n2Clock, 'late', 45);
    const layout = layoutOf(trace.events);
    const [outage] = layout.faults.intervals;
    assert.equal(outage?.start.lamport, 2.5);
    assert.equal(outage?.end?.lamport, 5.5);
    assert.equal(layout.faults.partitions[0]?.start.lamport, 5.5);
  });

  it('marks when a node was suspected, from samples over the threshold', () => {
    const trace = new TraceBuilder();
    trace.suspicion('n1', { n2: 0.3 }, 100);
    trace.suspicion('n1', { n2: 12 }, 200);
    trace.suspicion('n3', { n2: 20 }, 250);
    trace.suspicion('n1', { n2: 0.2 }, 300);
    trace.suspicion('n3', { n2: 0.1 }, 400);
    const [interval] = layoutOf(trace.events, 8).suspects.intervals;
    assert.deepEqual([interval?.process, interval?.start.labTimeMs, interval?.end?.labTimeMs], ['n2', 200, 400]);
    assert.deepEqual([...interval!.observers].sort(), ['n1', 'n3']);
  });
});

describe('incremental layout', () => {
  it('reads only what is new, and starts over for a different trace', () => {
    const trace = new TraceBuilder();
    const send = trace.send('n1', 'n2', 'm1', 100);
    const events = [send];
    const layout = layoutOf(events);
    events.push(trace.receive('n2', send, 'm1', 120));
    assert.equal(layout.sync(events), true);
    assert.equal(layout.sync(events), false);
    assert.equal(layout.laneEventCount, 2);
    const other = new TraceBuilder();
    other.local('n5', 'timer', 5);
    assert.equal(layout.sync(other.events), true);
    assert.deepEqual([...layout.lanes.keys()], ['n5']);
  });

  it('plans from the cursor position, also when the parent copies the array', () => {
    const trace = new TraceBuilder();
    for (let i = 0; i < 5; i++) trace.local('n1', 'timer', i);
    const cursor = createCursor();
    advanceCursor(cursor, trace.events.slice(0, 3), 0);
    assert.deepEqual(planIngest(cursor, [...trace.events]), { reset: false, from: 3 });
    assert.deepEqual(planIngest(cursor, trace.events.slice(3)), { reset: true, from: 0 });
  });

  it('keeps each lane sorted when events of a process arrive out of order', () => {
    const trace = new TraceBuilder();
    const first = trace.local('n1', 'timer', 10);
    const second = trace.local('n1', 'timer', 20);
    const layout = layoutOf([{ ...second, id: 1 }, { ...first, id: 2 }]);
    assert.deepEqual(layout.lanes.get('n1')?.byLab.map((event) => event.labTimeMs), [10, 20]);
    assert.deepEqual(laneWindow(layout.lanes.get('n1')!, 'lab', 15, 30), [1, 2]);
  });
});

describe('hit test', () => {
  const trace = new TraceBuilder();
  trace.local('n1', 'timer', 100);
  const target = trace.local('n1', 'timer', 200);
  trace.local('n2', 'timer', 200);
  const layout = layoutOf(trace.events);
  const base = {
    axis: 'lab' as const, start: 0, pxPerUnit: 1, originX: 50,
    lanes: [{ process: 'n1', y: 40 }, { process: 'n2', y: 100 }], radiusPx: 8,
  };

  it('finds the nearest event within the radius', () => {
    assert.equal(hitTest(layout, { ...base, x: 253, y: 43 }), target);
  });

  it('finds nothing between lanes or far from events', () => {
    assert.equal(hitTest(layout, { ...base, x: 250, y: 70 }), null);
    assert.equal(hitTest(layout, { ...base, x: 200, y: 40 }), null);
  });
});

describe('view', () => {
  it('keeps the time under the cursor in place while zooming', () => {
    const view = { ...initialView('lab', 1000), start: 5000, follow: false };
    const zoomed = zoomView(view, 2, 300);
    assert.equal(view.start + 300 / view.pxPerUnit, zoomed.start + 300 / zoomed.pxPerUnit);
  });

  it('stops following when the user pans, and follows the newest event otherwise', () => {
    const view = initialView('lamport', 1000);
    assert.equal(panView(view, 10).follow, false);
    const followed = followLatest(view, 500, 1000);
    assert.ok(followed.start + 1000 / followed.pxPerUnit > 500);
    assert.ok(followed.start < 500);
  });

  it('fits the run while it is shorter than the default span, then scrolls', () => {
    const width = 1000;
    const usable = width - FOLLOW_MARGIN_PX;
    const shown = (view: ReturnType<typeof initialView>): [number, number] => [view.start, view.start + usable / view.pxPerUnit];
    // 1 s into a run: the minimum span, from 0, not the first 5% of a 20 s window.
    assert.deepEqual(shown(followLatest(initialView('lab', width), 1_000, width)), [0, MIN_SPAN.lab]);
    // 8 s: exactly [0, 8 s], the newest event at the right edge.
    const at8 = shown(followLatest(initialView('lab', width), 8_000, width));
    assert.equal(at8[0], 0);
    assert.ok(Math.abs(at8[1] - 8_000) < 1e-6);
    // 60 s: the default span, scrolling.
    const at60 = shown(followLatest(initialView('lab', width), 60_000, width));
    assert.ok(Math.abs(at60[1] - 60_000) < 1e-6 && Math.abs(at60[1] - at60[0] - DEFAULT_SPAN.lab) < 1e-6);
  });

  it('keeps a zoom the person chose instead of growing', () => {
    const zoomed = zoomView(initialView('lab', 1000), 2, 500);
    assert.equal(zoomed.grow, false);
    const followed = followLatest(zoomed, 8_000, 1000);
    assert.equal(followed.pxPerUnit, zoomed.pxPerUnit);
  });

  it('puts ticks at round values and labels lab time in seconds', () => {
    assert.deepEqual(niceTicks(0, 10_000, 5).values, [0, 2000, 4000, 6000, 8000, 10000]);
    assert.equal(formatTick(2500, 'lab', 500), '2.5 s');
    assert.equal(formatTick(42, 'lamport', 10), '42');
  });
});

describe('labels and colors', () => {
  it('names state changes and client operations in a few words', () => {
    const trace = new TraceBuilder();
    assert.equal(stateLabel(trace.local('n1', 'state', 1, { detail: { name: 'leader', term: 3 } })), 'leader t3');
    assert.equal(operationLabel(trace.local('c1', 'invoke', 2, { detail: { op: { kind: 'put', key: 'x', value: 1 } } })), 'put x 1');
    assert.equal(eventLabel(trace.local('n1', 'start', 3, { detail: { recovered: true, restart: 1 } })), 'restart');
  });

  it('gives each process one stable color, clients a palette of their own', () => {
    assert.equal(processColor('n1'), processColor('n1'));
    assert.notEqual(processColor('n1'), processColor('n2'));
    assert.notEqual(processColor('n1'), processColor('c1'));
    assert.match(processColor('weird-id'), /^#[0-9a-f]{6}$/);
  });
});

describe('far zoom', () => {
  it('samples messages down to about the limit but keeps every drop', () => {
    const trace = new TraceBuilder();
    for (let i = 0; i < 200; i++) {
      const send = trace.send('n1', 'n2', `m${i}`, i * 10);
      if (i % 50 === 0) trace.drop('n1', 'n2', `m${i}`, i * 10 + 1);
      else trace.receive('n2', send, `m${i}`, i * 10 + 5);
    }
    const layout = layoutOf(trace.events);
    assert.equal(visibleMessages(layout, 'lab', 0, 3000).length, 200);
    const sampled = visibleMessages(layout, 'lab', 0, 3000, 20);
    assert.ok(sampled.length <= 40, `${sampled.length} edges`);
    assert.equal(sampled.filter((edge) => edge.kind === 'drop').length, 4);
  });
});
