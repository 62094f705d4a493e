// The history view's model: client operations from the trace's invoke/ok/fail/info
// events, one lane per client, rows where a client's operations overlap, labels, the
// window query, and the failing window of an invalid history.
// Reference: Herlihy & Wing 1990 (histories as intervals); Jepsen's `info` = indeterminate.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import {
  endOf, failingRole, HistoryLayout, opAt, opLabel, opSummary, placeHistoryLanes, ROWS_PER_LANE_MAX,
} from '../../src-renderer/history/history-layout.ts';

let nextId = 1;

function event(node: string, kind: StoredEvent['kind'], labTimeMs: number, extra: Partial<StoredEvent> = {}): StoredEvent {
  return { id: nextId++, node, seq: nextId, kind, lamport: nextId, vclock: {}, nodeTimeMs: labTimeMs, labTimeMs, ...extra };
}

function invoke(client: string, opId: string, atMs: number, op: ClientOp): StoredEvent {
  return event(client, 'invoke', atMs, { msgId: opId, peer: 'n1', msgType: op.f, detail: { op } });
}

function complete(client: string, opId: string, atMs: number, op: ClientOp, result: ClientResult): StoredEvent {
  return event(client, result.type, atMs, { msgId: opId, peer: 'n1', msgType: op.f, detail: { op, result } });
}

function fault(request: FaultRequest, atMs: number): StoredEvent {
  return event('lab', 'fault', atMs, { detail: { request, by: 'test' } });
}

const put = (key: string, value: string): ClientOp => ({ f: 'put', key, value });
const get = (key: string): ClientOp => ({ f: 'get', key });

function layoutOf(events: StoredEvent[]): HistoryLayout {
  const layout = new HistoryLayout();
  layout.sync(events);
  return layout;
}

describe('operations', () => {
  it('pairs each invoke with its completion by op id, whatever the order of clients', () => {
    const layout = layoutOf([
      invoke('c1', 'c1:1', 100, put('x', '1')),
      invoke('c2', 'c2:1', 110, get('x')),
      event('n1', 'receive', 120),
      complete('c2', 'c2:1', 130, get('x'), { type: 'ok', value: '1' }),
      complete('c1', 'c1:1', 140, put('x', '1'), { type: 'ok' }),
    ]);
    assert.deepEqual(
      layout.ops.map((op) => [op.id, op.process, op.outcome, op.invokeMs, op.completeMs, opLabel(op)]),
      [['c1:1', 'c1', 'ok', 100, 140, 'put x=1'], ['c2:1', 'c2', 'ok', 110, 130, 'get x → 1']],
    );
    assert.deepEqual(layout.laneList(), [{ process: 'c1', rows: 1 }, { process: 'c2', rows: 1 }]);
  });

  it('orders lanes c1, c2 … c10, c99', () => {
    const layout = layoutOf(['c99', 'c10', 'c2', 'c1'].map((client, index) => invoke(client, `${client}:1`, index, get('k'))));
    assert.deepEqual(layout.laneList().map((lane) => lane.process), ['c1', 'c2', 'c10', 'c99']);
  });

  it('labels reads, writes, failures and unknowns the way a person says them', () => {
    const op = (f: ClientOp, outcome: 'ok' | 'fail' | 'info' | 'pending', value?: unknown) =>
      opLabel({ op: f, outcome, result: outcome === 'pending' ? null : { type: outcome, value } });
    assert.equal(op(get('k'), 'ok', 'v'), 'get k → v');
    assert.equal(op(get('k'), 'ok', null), 'get k → ∅');
    assert.equal(op(get('k'), 'pending'), 'get k → …');
    assert.equal(op(get('k'), 'info'), 'get k → ?');
    assert.equal(op(put('k', 'v'), 'fail'), 'put k=v');
    assert.equal(op({ f: 'cas', key: 'k', value: [1, 2] }, 'ok'), 'cas k 1→2');
  });

  it('keeps an info operation open to the end of the history: it may still take effect', () => {
    const layout = layoutOf([
      invoke('c1', 'c1:1', 100, put('x', '1')),
      complete('c1', 'c1:1', 1_600, put('x', '1'), { type: 'info', error: 'no answer from n1 within 1500 ms' }),
      event('n1', 'timer', 5_000),
    ]);
    const [op] = layout.ops;
    assert.equal(op!.outcome, 'info');
    assert.equal(endOf(op!, layout.latestMs), 5_000);
    assert.ok(layout.open.has(op!));
    assert.match(opSummary(op!), /c1 put x=1 at n1 · info — indeterminate.*no answer from n1/);
  });

  it('moves a client down a row after an info operation, and bounds the rows', () => {
    const events: StoredEvent[] = [];
    for (let i = 0; i < ROWS_PER_LANE_MAX + 2; i++) {
      const at = i * 1_000;
      events.push(invoke('c1', `c1:${i}`, at, put('x', String(i))));
      events.push(complete('c1', `c1:${i}`, at + 500, put('x', String(i)), { type: 'info' }));
    }
    events.push(invoke('c2', 'c2:1', 0, get('x')), complete('c2', 'c2:1', 10, get('x'), { type: 'ok' }));
    events.push(invoke('c2', 'c2:2', 20, get('x')), complete('c2', 'c2:2', 30, get('x'), { type: 'fail' }));
    const layout = layoutOf(events);
    const rows = layout.ops.filter((op) => op.process === 'c1').map((op) => op.row);
    assert.deepEqual(rows.slice(0, ROWS_PER_LANE_MAX), [0, 1, 2, 3]);
    assert.ok(rows.every((row) => row < ROWS_PER_LANE_MAX));
    // Finished operations free their row: c2 stays on one.
    assert.deepEqual(layout.laneList().find((lane) => lane.process === 'c2'), { process: 'c2', rows: 1 });
  });

  it('skips a completion whose invoke is not in the kept window', () => {
    const layout = layoutOf([complete('c1', 'c1:9', 50, get('x'), { type: 'ok', value: '1' })]);
    assert.equal(layout.ops.length, 0);
  });

  it('starts over for a new run and reads incrementally what a batch read gives', () => {
    const events = [
      invoke('c1', 'c1:1', 0, put('x', '1')),
      complete('c1', 'c1:1', 10, put('x', '1'), { type: 'ok' }),
      invoke('c1', 'c1:2', 20, get('x')),
    ];
    const layout = new HistoryLayout();
    layout.sync(events.slice(0, 1));
    layout.sync(events);
    assert.deepEqual(layout.ops.map((op) => op.outcome), ['ok', 'pending']);
    layout.sync([invoke('c7', 'c7:1', 0, get('y'))]);
    assert.deepEqual(layout.ops.map((op) => op.id), ['c7:1']);
  });
});

describe('window, lanes and picking', () => {
  const events: StoredEvent[] = [];
  for (let i = 0; i < 100; i++) {
    events.push(invoke('c1', `c1:${i}`, i * 100, get('x')), complete('c1', `c1:${i}`, i * 100 + 40, get('x'), { type: 'ok', value: '1' }));
  }
  events.push(invoke('c2', 'c2:1', 500, put('x', '2')), complete('c2', 'c2:1', 600, put('x', '2'), { type: 'info' }));
  const layout = layoutOf(events);

  it('returns the operations overlapping a window, open ones included', () => {
    const visible = layout.visible(5_020, 5_250);
    assert.deepEqual(visible.map((op) => op.id), ['c1:50', 'c1:51', 'c1:52', 'c2:1']);
  });

  it('stacks lanes by their rows and finds the operation under a point', () => {
    const placed = placeHistoryLanes(layout.laneList(), { top: 10, rowPx: 20, gapPx: 5 });
    assert.deepEqual(placed.map((lane) => [lane.process, lane.y, lane.height]), [['c1', 10, 20], ['c2', 35, 20]]);
    const visible = layout.visible(0, 10_000);
    assert.equal(opAt(visible, { timeMs: 5_020, process: 'c1', row: 0, slopMs: 5, latestMs: layout.latestMs })?.id, 'c1:50');
    assert.equal(opAt(visible, { timeMs: 5_070, process: 'c1', row: 0, slopMs: 5, latestMs: layout.latestMs }), null);
    assert.equal(opAt(visible, { timeMs: 9_000, process: 'c2', row: 0, slopMs: 5, latestMs: layout.latestMs })?.id, 'c2:1');
  });
});

describe('failing window', () => {
  const layout = layoutOf([
    invoke('c1', 'c1:1', 0, put('x', '1')),
    complete('c1', 'c1:1', 100, put('x', '1'), { type: 'ok' }),
    invoke('c1', 'c1:2', 1_000, get('x')),
    complete('c1', 'c1:2', 1_100, get('x'), { type: 'ok', value: '0' }),
    invoke('c2', 'c2:1', 1_050, put('x', '0')),
    complete('c2', 'c2:1', 1_200, put('x', '0'), { type: 'info' }),
  ]);
  const [write, read, late] = layout.ops;

  it('marks the operations a checker names, those overlapping the window, and fades the rest', () => {
    const window = { fromTime: 900, toTime: 1_150, opIds: ['c1:2'] };
    assert.equal(failingRole(read!, window, layout.latestMs), 'culprit');
    assert.equal(failingRole(late!, window, layout.latestMs), 'inside');
    assert.equal(failingRole(write!, window, layout.latestMs), 'outside');
    assert.equal(failingRole(write!, null, layout.latestMs), 'plain');
  });

  it('counts an info operation as overlapping any later window', () => {
    assert.equal(failingRole(late!, { fromTime: 5_000, toTime: 6_000 }, 10_000), 'inside');
  });
});

describe('faults', () => {
  it('collects crash, pause and partition periods from the same events, for the bands', () => {
    const layout = layoutOf([
      fault({ kind: 'crash', node: 'n1' }, 1_000),
      fault({ kind: 'restart', node: 'n1' }, 3_000),
      fault({ kind: 'pause', node: 'n2' }, 2_000),
      fault({ kind: 'partition', spec: { groups: [['n1'], ['n2']], oneWay: false } }, 4_000),
    ]);
    assert.deepEqual(
      layout.faults.intervals.map((interval) => [interval.process, interval.kind, interval.start.labTimeMs, interval.end?.labTimeMs ?? null]),
      [['n1', 'down', 1_000, 3_000], ['n2', 'paused', 2_000, null]],
    );
    assert.equal(layout.faults.partitions.length, 1);
  });
});
