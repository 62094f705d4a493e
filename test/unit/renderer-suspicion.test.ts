// The suspicion chart's data: phi per observer and peer from `suspicion` samples, gaps
// where an observer went silent, the log scale, and the legend's current values — the
// pieces that make a crash, a pause and a lossy link look different.
// Reference: Hayashibara et al. 2004, "The φ accrual failure detector".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import {
  formatPhi, phiToUnit, PHI_CAP, summarize, SuspicionSeries, visibleRuns,
} from '../../src-renderer/suspicion/suspicion-series.ts';
import { placeEndLabels } from '../../src-renderer/suspicion/suspicion-draw.ts';
import { causeRows } from '../../src-renderer/timeline/cause-rows.ts';
import { describeLinkFaults, LinkFaultTimeline } from '../../src-renderer/timeline/link-spans.ts';
import { chartWindow, MIN_WINDOW_MS } from '../../src-renderer/timeline/live-window.ts';

let nextId = 1;
const seqs = new Map<string, number>();

function event(node: string, kind: StoredEvent['kind'], labTimeMs: number, detail?: unknown): StoredEvent {
  const seq = (seqs.get(node) ?? 0) + 1;
  seqs.set(node, seq);
  return { id: nextId++, node, seq, kind, lamport: 0, vclock: {}, nodeTimeMs: labTimeMs, labTimeMs, detail };
}

function sample(observer: string, labTimeMs: number, phi: Record<string, number>, suspected: string[] = []): StoredEvent {
  return event(observer, 'suspicion', labTimeMs, { phi, suspected });
}

function fault(request: FaultRequest, labTimeMs: number): StoredEvent {
  return event('lab', 'fault', labTimeMs, { request, by: 'test' });
}

function seriesOf(events: StoredEvent[]): SuspicionSeries {
  const series = new SuspicionSeries();
  series.sync(events);
  return series;
}

describe('series', () => {
  it('keeps one line per observer and peer, every sample, in time order', () => {
    const series = seriesOf([
      sample('n1', 0, { n2: 0.2, n3: 0.3 }),
      event('n1', 'send', 100),
      sample('n1', 250, { n2: 0.4, n3: 9 }, ['n3']),
      sample('n2', 260, { n1: 0.1 }),
    ]);
    assert.deepEqual(series.observers.get('n1')?.peers.get('n3'), { times: [0, 250], phi: [0.3, 9] });
    assert.deepEqual(series.observers.get('n2')?.peers.get('n1'), { times: [260], phi: [0.1] });
    assert.equal(series.sampleCount, 3);
    assert.deepEqual(series.observers.get('n1')?.last?.suspected, ['n3']);
  });

  it('ignores samples whose detail is not phi', () => {
    const series = seriesOf([event('n1', 'suspicion', 0, { nonsense: true }), event('n1', 'suspicion', 1, null)]);
    assert.equal(series.sampleCount, 0);
  });

  it('reads incrementally what a batch read gives', () => {
    const events = [sample('n1', 0, { n2: 1 }), sample('n1', 250, { n2: 2 }), sample('n1', 500, { n2: 3 })];
    const incremental = new SuspicionSeries();
    incremental.sync(events.slice(0, 1));
    incremental.sync(events.slice(0, 2));
    assert.equal(incremental.sync(events), true);
    assert.equal(incremental.sync(events), false);
    assert.deepEqual(incremental.observers.get('n1')?.peers.get('n2'), seriesOf(events).observers.get('n1')?.peers.get('n2'));
  });
});

describe('gaps', () => {
  it('breaks a line where the observer went silent (a paused node takes no samples)', () => {
    const times = [0, 250, 500, 750, 4750, 5000, 5250];
    const line = { times, phi: times.map(() => 0.2) };
    assert.deepEqual(visibleRuns(line, 0, 6000), [[0, 4], [4, 7]]);
  });

  it('includes one sample either side of the window so lines reach its edges', () => {
    const times = [0, 250, 500, 750, 1000];
    const line = { times, phi: times.map(() => 1) };
    assert.deepEqual(visibleRuns(line, 300, 700), [[1, 4]]);
  });
});

describe('log scale', () => {
  it('spreads 0.1 … 1000 evenly by decade, floor at the bottom, cap at the top', () => {
    assert.equal(phiToUnit(0), 0);
    assert.equal(phiToUnit(Number.NaN), 0);
    assert.equal(phiToUnit(Number.POSITIVE_INFINITY), 1);
    assert.equal(phiToUnit(PHI_CAP * 10), 1);
    const decade = phiToUnit(10) - phiToUnit(1);
    assert.ok(Math.abs(phiToUnit(100) - phiToUnit(10) - decade) < 1e-12);
    assert.ok(phiToUnit(0.1) > 0 && phiToUnit(0.1) < phiToUnit(1));
  });

  it('formats phi for the legend', () => {
    assert.deepEqual([0.123, 7.94, 35.4, 5000, Number.POSITIVE_INFINITY].map(formatPhi), ['0.12', '7.9', '35', '>1000', '>1000']);
  });
});

describe('legend', () => {
  const nodes = ['n1', 'n2', 'n3'];

  it("flags peers over the threshold and tells a paused observer's silence from a sampling one", () => {
    const series = seriesOf([
      sample('n1', 0, { n2: 0.2, n3: 0.3 }),
      sample('n3', 0, { n1: 0.2, n2: 0.2 }),
      fault({ kind: 'pause', node: 'n3' }, 100),
      sample('n1', 3000, { n2: 0.2, n3: 14 }, ['n3']),
    ]);
    const [n1, n2, n3] = summarize(series, nodes, 8);
    assert.equal(n1?.status, 'sampling');
    assert.deepEqual(n1?.peers.map((peer) => [peer.peer, peer.suspected]), [['n2', false], ['n3', true]]);
    assert.equal(n2?.status, 'none');
    assert.equal(n3?.status, 'paused');
    assert.deepEqual(series.intervalsOf('n3').map((interval) => interval.kind), ['paused']);
  });

  it('says an observer is down after a crash and sampling again after its restart', () => {
    const events = [sample('n2', 0, { n1: 0.2 }), fault({ kind: 'crash', node: 'n2' }, 100)];
    assert.equal(summarize(seriesOf(events), nodes, 8)[1]?.status, 'down');
    events.push(fault({ kind: 'restart', node: 'n2' }, 2000), sample('n2', 2100, { n1: 0.3 }));
    assert.equal(summarize(seriesOf(events), nodes, 8)[1]?.status, 'sampling');
  });
});

describe('live window', () => {
  it('fits what exists until the window fills, then scrolls', () => {
    // Early in a run: the first seconds use the whole width, not a corner of a minute.
    assert.deepEqual(chartWindow({ latestMs: 1_000, earliestMs: 0, windowMs: 60_000 }), { fromMs: 0, toMs: MIN_WINDOW_MS });
    assert.deepEqual(chartWindow({ latestMs: 12_000, earliestMs: 0, windowMs: 60_000 }), { fromMs: 0, toMs: 12_000 });
    assert.deepEqual(chartWindow({ latestMs: 90_000, earliestMs: 0, windowMs: 60_000 }), { fromMs: 30_000, toMs: 90_000 });
  });

  it('shows everything for an infinite window, and a sane window before any event', () => {
    assert.deepEqual(chartWindow({ latestMs: 90_000, earliestMs: 0, windowMs: Infinity }), { fromMs: 0, toMs: 90_000 });
    assert.deepEqual(chartWindow({ latestMs: -Infinity, earliestMs: Infinity, windowMs: 30_000 }), { fromMs: 0, toMs: MIN_WINDOW_MS });
  });
});

describe('causes under the chart', () => {
  // The failure-detector scenario: n2 crashed at 2 s, n3 paused 2–6 s, link n4→n5 30% loss.
  const events = [
    fault({ kind: 'link', source: 'n4', target: 'n5', faults: { lossPct: 30 } }, 500),
    fault({ kind: 'crash', node: 'n2' }, 2_000),
    fault({ kind: 'pause', node: 'n3' }, 2_000),
    fault({ kind: 'resume', node: 'n3' }, 6_000),
    sample('n5', 12_000, { n4: 0.3 }),
  ];

  it('gives a crash, a pause and a lossy link each a row and a kind of its own', () => {
    const series = seriesOf(events);
    const { rows, hidden } = causeRows({
      peerIntervals: series.peerIntervalsOf('n5'),
      links: series.linkSpansInto('n5'),
      partitions: series.faults.partitions,
      fromMs: 0,
      toMs: 12_000,
    });
    assert.equal(hidden, 0);
    assert.deepEqual(
      rows.map((row) => row.segments.map((segment) => [segment.kind, segment.label, segment.fromMs, segment.toMs])),
      [
        [['crashed', 'n2 crashed', 2_000, null]],
        [['paused', 'n3 paused', 2_000, 6_000]],
        [['link', 'n4→n5 loss 30%', 500, null]],
      ],
    );
    // Only the observer at the far end of the lossy link sees it.
    assert.deepEqual(series.linkSpansInto('n1'), []);
  });

  it('leaves out causes outside the window and counts what does not fit', () => {
    const series = seriesOf(events);
    const late = causeRows({ peerIntervals: series.peerIntervalsOf('n5'), links: [], partitions: [], fromMs: 7_000, toMs: 12_000 });
    assert.deepEqual(late.rows.map((row) => row.key), ['process:n2']);
    const squeezed = causeRows({
      peerIntervals: series.peerIntervalsOf('n5'), links: series.linkSpansInto('n5'), partitions: [], fromMs: 0, toMs: 12_000, maxRows: 2,
    });
    assert.equal(squeezed.rows.length, 2);
    assert.equal(squeezed.hidden, 1);
  });

  it('ends a link span when the link is healthy again; heal uncuts but keeps the loss', () => {
    const links = new LinkFaultTimeline();
    for (const request of [
      { kind: 'link', source: 'n1', target: 'n2', faults: { lossPct: 20 } },
      { kind: 'link', source: 'n1', target: 'n2', faults: { cut: true } },
      { kind: 'heal' },
      { kind: 'link', source: 'n1', target: 'n2', faults: { lossPct: 0 } },
    ] as FaultRequest[]) {
      links.ingest(fault(request, links.spans.length * 1000 + 1000));
    }
    assert.deepEqual(
      links.spans.map((span) => [span.label, span.startMs, span.endMs]),
      [['loss 20%', 1000, 2000], ['cut, loss 20%', 2000, 3000], ['loss 20%', 3000, 4000]],
    );
    assert.equal(describeLinkFaults({ cut: false, lossPct: 0, delayMs: 200, jitterMs: 50, duplicatePct: 0, reorderPct: 0 }), 'delay 200±50 ms');
  });

  it('pushes line names apart where lines end together, inside the plot', () => {
    const placed = placeEndLabels([{ x: 100, y: 10 }, { x: 100, y: 10 }, { x: 100, y: 90 }, { x: 20, y: 10 }], { top: 8, bottom: 95 });
    const column = placed.filter((end) => end.x === 100).map((end) => end.labelY);
    assert.deepEqual(column, [10, 22, 90]);
    assert.ok(placed.every((end) => end.labelY >= 8 && end.labelY <= 95));
  });
});
