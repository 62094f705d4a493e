// The pure parts of gossip convergence measured live (issue 7): the convergence time read from
// a trace for one key among others, the chart's geometry, the LabApi request's validation at
// the socket and in the lab, the real bench's side-by-side table, and the simulator's
// prediction for one configuration (seeded: the same figures twice).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConvergenceFigures, ConvergenceMeasurement } from '../../src-node/contract/gossip.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { convergenceFromTrace, predictGossipConvergence, summarizeConvergence, type GossipBenchResults } from '../../src-main/bench/gossip-bench.ts';
import { formatGossipComparison, type GossipRealResults } from '../../src-main/bench/gossip-real-bench.ts';
import { gossipParamsOf, parseConvergenceRequest, valuesAgree } from '../../src-main/gossip/convergence.ts';
import type { LabRun } from '../../src-main/lab/run.ts';
import { validateCallArgs } from '../../src-main/server/call-validation.ts';
import { CONVERGENCE_CHART, SIM_OFFSET_PX, X_PAD_PX, convergenceChart } from '../../src-renderer/crdt/convergence-chart.ts';

function event(fields: Partial<TraceEvent> & Pick<TraceEvent, 'kind' | 'node' | 'labTimeMs'>): TraceEvent {
  return { seq: 0, lamport: 0, vclock: {}, nodeTimeMs: fields.labTimeMs, ...fields } as TraceEvent;
}
const update = (node: string, key: string, atMs: number): TraceEvent =>
  event({ kind: 'receive', node, labTimeMs: atMs, msgType: 'client-request', peer: 'c91', detail: { requestId: 'r', op: { f: 'update', key, value: { op: 'add', element: 'e1' } } } });
const persist = (node: string, keys: string[], atMs: number, count = keys.length): TraceEvent =>
  event({ kind: 'persist', node, labTimeMs: atMs, detail: { keys, count, durationMs: 1 } });

describe('convergence read from a trace, for one key', () => {
  const events = [
    update('n1', 'k', 1_000), update('n2', 'k', 1_100), update('n3', 'other', 1_300),
    persist('n1', ['s:k'], 1_010), persist('n2', ['s:k'], 1_150), persist('n3', ['s:k', 's:other'], 1_240),
    persist('n1', ['s:other'], 1_900),
  ];

  it('counts only updates of the key and changes of its state', () => {
    const measure = convergenceFromTrace(events, 7_000, { key: 'k' });
    assert.equal(measure.lastUpdateAtMs, 1_100);
    assert.equal(measure.equalAtMs, 1_240);
    assert.equal(measure.convergenceMs, 140);
  });

  it('without a key, every update and every change counts (the simulator bench)', () => {
    const measure = convergenceFromTrace(events, 7_000);
    assert.equal(measure.lastUpdateAtMs, 1_300);
    assert.equal(measure.convergenceMs, 600);
  });

  it('a persist that names fewer keys than it wrote may hold the key: it counts', () => {
    const truncated = [...events, persist('n4', ['s:a'], 2_500, 40)];
    assert.equal(convergenceFromTrace(truncated, 7_000, { key: 'k' }).equalAtMs, 2_500);
  });

  it('a last change at or after the window is censored, never a time', () => {
    assert.equal(convergenceFromTrace(events, 1_240, { key: 'k' }).convergenceMs, null);
  });

  it('summaries: nearest-rank p50 and p99 of the converged runs, censored counted apart', () => {
    assert.deepEqual(summarizeConvergence([30, null, 10, 20]), { runs: 4, p50Ms: 20, p99Ms: 30, maxMs: 30, censored: 1 });
    assert.deepEqual(summarizeConvergence([null]), { runs: 1, p50Ms: null, p99Ms: null, maxMs: null, censored: 1 });
  });
});

describe('replicas agree on a value', () => {
  const node = (id: string, data: Record<string, unknown>, state: NodeView['state'] = 'up'): NodeView => ({
    id, state, url: null, pid: null, restarts: 0, clock: { skewMs: 0, driftPpm: 0 }, persistDelayMs: 0, linksUp: [],
    status: { role: 'replica', facts: {}, data },
  });

  it('when every replica is up and reads the same (a replica that never heard of the key differs)', () => {
    assert.equal(valuesAgree([node('n1', { k: ['e1'] }), node('n2', { k: ['e1'] })], 'k'), true);
    assert.equal(valuesAgree([node('n1', { k: ['e1'] }), node('n2', {})], 'k'), false);
    assert.equal(valuesAgree([node('n1', { k: ['e1'] }), node('n2', { k: ['e1'] }, 'paused')], 'k'), false);
  });
});

describe('the convergence request', () => {
  it('defaults, bounds and unknown fields, in the lab', () => {
    assert.deepEqual(parseConvergenceRequest({}), { runs: 3, seeds: 20 });
    assert.deepEqual(parseConvergenceRequest(undefined), { runs: 3, seeds: 20 });
    assert.deepEqual(parseConvergenceRequest({ runs: 5, seeds: 1 }), { runs: 5, seeds: 1 });
    assert.throws(() => parseConvergenceRequest({ runs: 0 }), /runs must be an integer in \[1, 10\], not 0/);
    assert.throws(() => parseConvergenceRequest({ seeds: 2.5 }), /seeds must be an integer/);
    assert.throws(() => parseConvergenceRequest({ loss: 30 }), /has runs and seeds, not loss/);
    assert.throws(() => parseConvergenceRequest([1]), /an object like/);
  });

  it('only a crdt-gossip run of a CRDT, with rounds a measurement can wait for', () => {
    const run = (name: string, params: Record<string, unknown>): LabRun => ({ options: { scenario: { protocol: { name, params } } } }) as unknown as LabRun;
    assert.equal(gossipParamsOf(run('crdt-gossip', { type: 'g-set', mode: 'pull' })).mode, 'pull');
    assert.throws(() => gossipParamsOf(run('raft', {})), /convergence is measured on a crdt-gossip run; this run is raft/);
    assert.throws(() => gossipParamsOf(run('crdt-gossip', { type: 'naive-concat' })), /naive-concat is not a CRDT: its replicas never agree/);
    assert.throws(() => gossipParamsOf(run('crdt-gossip', { intervalMs: 5_000 })), /gossip every 5000 ms: .* at most 1000 ms/);
  });

  it('at the socket: one object of optional runs and seeds', () => {
    assert.equal(validateCallArgs('measureConvergence', [{}]), null);
    assert.equal(validateCallArgs('measureConvergence', [{ runs: 2, seeds: 10 }]), null);
    assert.match(validateCallArgs('measureConvergence', []) ?? '', /expects 1 argument/);
    assert.match(validateCallArgs('measureConvergence', [{ runs: 11 }]) ?? '', /expects \{runs\?: 1–10, seeds\?: 1–200\}/);
    assert.match(validateCallArgs('measureConvergence', [{ runs: '3' }]) ?? '', /expects \{runs/);
    assert.match(validateCallArgs('measureConvergence', [{ nodes: 3 }]) ?? '', /expects \{runs/);
    assert.match(validateCallArgs('measureConvergence', ['fast']) ?? '', /expects \{runs/);
  });
});

function figures(p50Ms: number | null, p99Ms: number | null, censored = 0, runs = 3): ConvergenceFigures {
  return { runs, timesMs: [], p50Ms, p99Ms, censored };
}
function measurement(nodes: number, lossPct: number, live: ConvergenceFigures, sim: ConvergenceFigures): ConvergenceMeasurement {
  return {
    nodes, type: 'or-set', mode: 'push-pull', fanout: 1, intervalMs: 100, lossPct, lossRange: { minPct: lossPct, maxPct: lossPct },
    windowMs: 6_000, live, sim, keys: [], atLabMs: 0, caveats: [],
  };
}

describe('the convergence chart', () => {
  const chart = convergenceChart([
    measurement(5, 30, figures(400, 900), figures(220, 620)),
    measurement(3, 0, figures(60, 80), figures(80, 120)),
    measurement(5, 0, figures(120, 300), figures(125, 280)),
    measurement(3, 30, figures(null, null, 3), figures(150, 400)),
  ]);
  const { plot } = chart;

  it('one series per cluster size, smallest first, each its own colour', () => {
    assert.deepEqual(chart.series.map((series) => series.nodes), [3, 5]);
    assert.notEqual(chart.series[0]!.color, chart.series[1]!.color);
    assert.deepEqual(chart.series.map((series) => series.live.length), [2, 2]);
  });

  it('x is the loss rate (0 near the left edge, 30 % near the right), the prediction a few pixels right of its point, inside the plot', () => {
    const five = chart.series[1]!;
    assert.equal(five.live[0]!.x, plot.x + plot.width - X_PAD_PX);
    assert.equal(five.live[1]!.x, plot.x + X_PAD_PX);
    assert.equal(five.sim[1]!.x, plot.x + X_PAD_PX + SIM_OFFSET_PX);
    assert.ok(five.sim[0]!.x < plot.x + plot.width, 'the prediction at 30 % is inside the plot');
    assert.deepEqual(chart.xTicks.map((tick) => tick.label), ['0 %', '10 %', '20 %', '30 %']);
  });

  it('y is the time: p50 below its p99 whisker, the axis reaching past the slowest p99', () => {
    const worst = chart.series[1]!.live[0]!;
    assert.ok(worst.yHigh < worst.y, 'p99 is higher on the chart than p50');
    assert.ok(worst.yHigh >= plot.y, 'the p99 of 900 ms fits');
    assert.equal(chart.yTicks[0]!.label, '0');
    assert.equal(chart.yTicks[0]!.y, plot.y + plot.height);
    assert.ok(Number(chart.yTicks.at(-1)!.label) >= 900);
    const fastest = chart.series[0]!.live[0]!;
    assert.ok(fastest.y > worst.y, 'a faster convergence is drawn lower');
  });

  it('a measurement with no converged run sits on the top edge, marked censored; its prediction is still drawn', () => {
    const censored = chart.series[0]!.live[1]!;
    assert.equal(censored.censored, true);
    assert.equal(censored.y, plot.y);
    assert.equal(chart.series[0]!.sim[1]!.censored, false);
  });

  it('lines join the points of a series in loss order', () => {
    const five = chart.series[1]!;
    assert.match(five.livePath, new RegExp(`^M${(plot.x + X_PAD_PX).toFixed(1)},`));
    assert.equal(five.livePath.split(' ').length, 2);
  });

  it('no measurement, no series; a loss beyond 30 % widens the axis', () => {
    assert.deepEqual(convergenceChart([]).series, []);
    const wide = convergenceChart([measurement(3, 45, figures(500, 700), figures(450, 800))]);
    assert.equal(wide.xTicks.at(-1)!.label, '50 %');
    assert.ok(wide.series[0]!.live[0]!.x < CONVERGENCE_CHART.width - CONVERGENCE_CHART.right);
  });
});

describe('the real bench beside the simulated one', () => {
  it('pairs rows by nodes, loss and mode', () => {
    const real: GossipRealResults = {
      method: 'real', intervalMs: 100, fanout: 1, elapsedMs: 4_200,
      rows: [{ nodes: 3, lossPct: 30, mode: 'push', runs: 3, p50Ms: 150, p99Ms: 300, censored: 1 }, { nodes: 9, lossPct: 0, mode: 'pull', runs: 3, p50Ms: null, p99Ms: null, censored: 3 }],
    };
    const sim: GossipBenchResults = {
      method: 'sim', intervalMs: 100, fanout: 1,
      rows: [{ nodes: 3, lossPct: 30, mode: 'push', seeds: 10, p50Ms: 140, p99Ms: 280, maxMs: 280, p50Rounds: 1.4, censored: 0, messagesPerRun: 1 }],
    };
    const lines = formatGossipComparison(real, sim).split('\n');
    assert.match(lines.find((line) => line.startsWith('3 '))!, /150 \/ 300 \(1\/3 censored\)\s+140 \/ 280$/);
    assert.match(lines.find((line) => line.startsWith('9 '))!, /none converged \(3\/3 censored\)\s+—$/);
  });
});

describe("the simulator's prediction for one configuration", () => {
  it('is seeded: the same parameters give the same figures, and other parameters other ones', async () => {
    const spec = { nodes: 3, lossPct: 30, mode: 'push-pull' as const, fanout: 1, intervalMs: 100, type: 'pn-counter' };
    const once = await predictGossipConvergence(spec, 3);
    const again = await predictGossipConvergence(spec, 3);
    assert.deepEqual(once, again);
    assert.equal(once.runs, 3);
    assert.equal(once.timesMs.length, 3);
    const slower = await predictGossipConvergence({ ...spec, intervalMs: 400 }, 3);
    assert.notDeepEqual(slower.timesMs, once.timesMs);
    await assert.rejects(predictGossipConvergence(spec, 0), /seeds must be an integer/);
  });
});
