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
