// Opening a recorded run in the page: the store drops the shown events whenever the
// trace changes (a new run, or the same run opened from a file), the banner's words, and
// the start time of a listed run.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabSnapshot, LabUpdate, RunSummary } from '../../src-node/contract/lab-api.ts';
import type { RunMetadata, StoredEvent } from '../../src-node/contract/trace.ts';
import type { ShellLabApi } from '../../src-renderer/api/create-lab-api.ts';
import { createLabStore, traceKeyOf } from '../../src-renderer/lab/use-lab.ts';
import { describeRecordedRun, formatStartedAt } from '../../src-renderer/runs/run-labels.ts';

const RUN: RunMetadata = {
  runId: '2026-11-25T21-12-07-516Z-failure-detector-ef46a1', scenario: 'failure-detector', protocol: 'primary-backup',
  startedAtEpochMs: Date.UTC(2026, 10, 25, 21, 12, 7), labVersion: '0.1.0', seed: 1, mode: 'real', config: null,
};

function snapshotOf(options: { run: RunMetadata; live: boolean; tracePath: string }): LabSnapshot {
  return {
    run: options.run, nodes: [], links: [], phiThreshold: 8, tracePath: options.tracePath, labTimeMs: 0, live: options.live,
  };
}

function events(node: string, count: number): StoredEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    id: index + 1, node, seq: index + 1, kind: 'log', lamport: index + 1, vclock: {}, nodeTimeMs: index, labTimeMs: index,
  }));
}

/** A lab whose trace is whatever `shown` holds; it answers at once, as an in-process lab would. */
function fakeApi(first: { snapshot: LabSnapshot; events: StoredEvent[] }) {
  let shown = first;
  let listener: ((update: LabUpdate) => void) | null = null;
  const api: ShellLabApi = {
    shell: 'browser',
    snapshot: async () => shown.snapshot,
    events: async (query) => shown.events
      .filter((event) => event.id > (query.afterId ?? 0) && event.id < (query.beforeId ?? Infinity))
      .slice(query.beforeId !== undefined ? -(query.limit ?? 1000) : 0, query.limit ?? 1000),
    scenarios: async () => [],
    runs: async (): Promise<RunSummary[]> => [],
    openTrace: async () => shown.snapshot,
    measurePbs: async () => { throw new Error('not in this test'); },
    compareProtocols: async () => { throw new Error('not in this test'); },
    measureConvergence: async () => { throw new Error('not in this test'); },
    fault: async () => undefined,
    clientOp: async () => { throw new Error('not in this test'); },
    exportTrace: async () => { throw new Error('not in this test'); },
    checkHistory: async () => { throw new Error('not in this test'); },
    startScenario: async () => shown.snapshot,
    subscribe: (next) => {
      listener = next;
      return () => (listener = null);
    },
    onConnection: (next) => {
      queueMicrotask(() => next(true));
      return () => undefined;
    },
  };
  return {
    api,
    show(next: { snapshot: LabSnapshot; events: StoredEvent[] }): void {
      shown = next;
      listener?.({ kind: 'snapshot', snapshot: next.snapshot });
    },
  };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('opening a recorded trace', () => {
  it('the same run opened from an exported file is another trace', () => {
    const live = snapshotOf({ run: RUN, live: true, tracePath: '/runs/a/trace.sqlite' });
    const exported = snapshotOf({ run: RUN, live: false, tracePath: '/tmp/handed.sqlite' });
    const reopened = snapshotOf({ run: RUN, live: false, tracePath: '/runs/a/trace.sqlite' });
    assert.notEqual(traceKeyOf(live), traceKeyOf(exported));
    assert.notEqual(traceKeyOf(live), traceKeyOf(reopened), 'live and recorded differ even on one file');
    assert.equal(traceKeyOf(live), traceKeyOf({ ...live, labTimeMs: 5_000 }), 'a later snapshot of one run is the same trace');
    assert.equal(traceKeyOf(null), null);
  });

  it('the store drops the live events and loads the recorded ones, though the run id is the same', async () => {
    const live = fakeApi({ snapshot: snapshotOf({ run: RUN, live: true, tracePath: '/runs/a/trace.sqlite' }), events: events('n1', 30) });
    const store = createLabStore(live.api);
    const stop = store.start();
    try {
      await settle();
      assert.equal(store.events.value.length, 30);
      assert.equal(store.recorded.value, false);
      live.show({ snapshot: snapshotOf({ run: RUN, live: false, tracePath: '/tmp/handed.sqlite' }), events: events('n2', 12) });
      await settle();
      assert.equal(store.recorded.value, true);
      assert.deepEqual(store.events.value.map((event) => event.node), Array(12).fill('n2'), 'only the trace\'s events');
      assert.deepEqual(store.processes.value, ['n2']);
    } finally {
      stop();
    }
  });

  it('a node\'s recorded status notes stay out of the log and the diagram (the panels show them)', async () => {
    const withNotes = events('n1', 6).map((event, index) => (index % 2 === 0
      ? { ...event, kind: 'state' as const, detail: { name: 'status', status: { role: 'leader', facts: {} } } }
      : event));
    const lab = fakeApi({ snapshot: snapshotOf({ run: RUN, live: true, tracePath: '/runs/b/trace.sqlite' }), events: withNotes });
    const store = createLabStore(lab.api);
    const stop = store.start();
    try {
      await settle();
      assert.deepEqual(store.events.value.map((event) => event.id), [2, 4, 6]);
    } finally {
      stop();
    }
  });

  it('the banner names the run and how it ran; a simulated run with the seed that replays it', () => {
    assert.equal(describeRecordedRun(RUN), `failure-detector · ${RUN.runId} · real`);
    assert.equal(describeRecordedRun({ ...RUN, mode: 'sim', seed: 8421 }), `failure-detector · ${RUN.runId} · simulated (seed 8421)`);
  });

  it('a run starts at a local date and time, to the second', () => {
    const text = formatStartedAt(RUN.startedAtEpochMs, 'en-US');
    assert.match(text, /2026/);
    assert.match(text, /\d{1,2}:\d{2}:\d{2}/);
    assert.equal(formatStartedAt(0), 'unknown time');
  });
});
