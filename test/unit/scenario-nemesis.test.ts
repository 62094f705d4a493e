// A scenario's `nemesis` and `network` sections: their defaults, what the simulator and the
// real lab make of them, and a clear error — naming the field — for input that could never
// work (all weights zero, a fault the cluster cannot have, a nemesis that outlives the run, an
// unreliable network on a cluster without links). Then the real lab's nemesis runner, driven
// against a cluster made of data: it respects maxDown and maxActions, undoes at stopMs, and
// stops dead on close.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, resolveScenario } from '../../src-main/scenario/scenario.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { nemesisFromScenario, type NemesisConfig } from '../../src-main/sim/config.ts';
import { scenarioLinkFaults } from '../../src-main/lab/run.ts';
import { startNemesisRunner } from '../../src-main/lab/nemesis-runner.ts';
import { SOAK_MS_PER_CYCLE, soakScenario } from '../../src-main/bench/soak-bench.ts';
import { EXIT_BAD_INPUT, main } from '../../src-main/cli/main.ts';

const base = { name: 'n', title: 't', summary: 's', protocol: { name: 'raft' }, durationMs: 10_000 };
const withNemesis = (nemesis: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({ ...base, nemesis, ...extra });

describe('scenario nemesis', () => {
  test('defaults: none; when given, leaderPct 50, ranges, limits, and maxDown a minority of the cluster', () => {
    const plain = parseScenario(base);
    assert.equal(plain.nemesis, null);
    assert.equal(nemesisFromScenario(plain), null);
    const scenario = parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 } }));
    assert.ok(scenario.nemesis !== null);
    assert.equal(scenario.nemesis.startMs, 0);
    assert.equal(scenario.nemesis.leaderPct, 50);
    assert.deepEqual(scenario.nemesis.downMs, [500, 2_000]);
    assert.equal(scenario.nemesis.maxDown, undefined);
    const config = nemesisFromScenario(scenario);
    assert.ok(config !== null);
    assert.equal(config.maxDown, 2, 'a minority of 5');
    assert.equal(config.stopMs, 10_000, 'stops at durationMs');
    assert.equal(config.maxActions, null);
    assert.equal(nemesisFromScenario(parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 } }, { cluster: { nodes: 7 } })))?.maxDown, 3);
  });

  test('every field is carried over to the simulator\'s and the runner\'s nemesis', () => {
    const scenario = parseScenario(withNemesis({
      startMs: 1_000, stopMs: 8_000, meanIntervalMs: 250, maxActions: 40, leaderPct: 100, maxDown: 1,
      weights: { crash: 3, pause: 1, partition: 2, 'one-way': 1, link: 1, clock: 1, 'slow-disk': 1 },
      downMs: [100, 200], pauseMs: [110, 210], partitionMs: [120, 220], linkMs: [130, 230],
      linkLossPctMax: 40, clockSkewMaxMs: 60_000, clockDriftPpmMax: 10_000, slowDiskMsMax: 50,
    }));
    assert.deepEqual(nemesisFromScenario(scenario), {
      meanIntervalMs: 250, leaderPct: 100, maxActions: 40, startMs: 1_000, stopMs: 8_000, maxDown: 1,
      weights: { crash: 3, pause: 1, partition: 2, 'one-way': 1, link: 1, clock: 1, 'slow-disk': 1 },
      downMs: [100, 200], pauseMs: [110, 210], partitionMs: [120, 220], linkMs: [130, 230],
      linkLossPctMax: 40, clockSkewMaxMs: 60_000, clockDriftPpmMax: 10_000, slowDiskMsMax: 50,
    });
  });

  test('weights that are all zero, or none at all, are refused', () => {
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 0, pause: 0 } })), /nemesis\.weights: at least one weight must be positive/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: {} })), /nemesis\.weights: at least one weight must be positive/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: -1, pause: 1 } })), /nemesis\.weights\.crash/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { meteor: 1 } })), /nemesis\.weights.*meteor/s);
  });

  test('a fault the cluster cannot have is refused, with the reason', () => {
    // One node: maxDown defaults to 0, and there is no link to cut.
    const single = { cluster: { nodes: 1 } };
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1, partition: 1 } }, single)),
      /nemesis\.weights: none of crash, partition can happen in a cluster of 1 with maxDown 0/);
    // Two nodes: a minority is 0 nodes; crash needs maxDown given.
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { pause: 1 } }, { cluster: { nodes: 2 } })), /crash and pause need maxDown ≥ 1/);
    assert.equal(parseScenario(withNemesis({ meanIntervalMs: 500, weights: { pause: 1 }, maxDown: 1 }, { cluster: { nodes: 2 } })).nemesis?.maxDown, 1);
    // A clock jump needs no link and takes nothing down: fine on one node.
    assert.ok(parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1, clock: 1 } }, single)).nemesis);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, maxDown: 6 })), /nemesis\.maxDown: 6 is more than the 5 node\(s\)/);
  });

  test('a nemesis must act within the run and stop before it settles', () => {
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, startMs: 2_000, stopMs: 2_000 })), /nemesis\.stopMs: must be after nemesis\.startMs/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, stopMs: 12_000 })), /nemesis\.stopMs: 12000 is after durationMs \(10000\)/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, startMs: 10_000 })), /nemesis\.startMs: 10000 is not before durationMs/);
  });

  test('ranges, shares and intervals are checked field by field', () => {
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, downMs: [2_000, 500] })), /nemesis\.downMs: a range is \[min, max\] with min ≤ max/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, leaderPct: 120 })), /nemesis\.leaderPct/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 1, weights: { crash: 1 } })), /nemesis\.meanIntervalMs/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, maxActions: 0 })), /nemesis\.maxActions/);
    assert.throws(() => parseScenario(withNemesis({ weights: { crash: 1 } })), /nemesis\.meanIntervalMs/);
    assert.throws(() => parseScenario(withNemesis({ meanIntervalMs: 500, weights: { crash: 1 }, surprise: 1 })), /nemesis.*surprise/s);
  });
});

describe('scenario network', () => {
  test('defaults to a calm network; the real lab puts the same faults on every link', () => {
    const calm = parseScenario(base);
    assert.deepEqual(calm.network, { lossPct: 0, duplicatePct: 0, reorderPct: 0, delayMs: 0, jitterMs: 0 });
    const rough = parseScenario({ ...base, network: { lossPct: 5, delayMs: 20 } });
    assert.deepEqual(rough.network, { lossPct: 5, duplicatePct: 0, reorderPct: 0, delayMs: 20, jitterMs: 0 });
    assert.deepEqual(scenarioLinkFaults(rough), { cut: false, lossPct: 5, duplicatePct: 0, reorderPct: 0, delayMs: 20, jitterMs: 0 });
  });

  test('an unreliable network on a single node is refused; a calm one is fine', () => {
    assert.throws(() => parseScenario({ ...base, cluster: { nodes: 1 }, network: { lossPct: 5 } }), /network: a cluster of 1 node has no links/);
    assert.equal(parseScenario({ ...base, cluster: { nodes: 1 }, network: {} }).network.lossPct, 0);
  });

  test('percentages and delays are bounded, unknown fields refused', () => {
    assert.throws(() => parseScenario({ ...base, network: { lossPct: 101 } }), /network\.lossPct/);
    assert.throws(() => parseScenario({ ...base, network: { jitterMs: -1 } }), /network\.jitterMs/);
    assert.throws(() => parseScenario({ ...base, network: { partitions: true } }), /network.*partitions/s);
  });
});

describe('the shipped nemesis scenarios', () => {
  test('raft-kill-leader, raft-crash-loop and raft-clock-skew parse, with the nemesis their tests count on', async () => {
    const killLeader = await resolveScenario('raft-kill-leader');
    assert.deepEqual([killLeader.nemesis?.leaderPct, killLeader.nemesis?.maxActions, killLeader.nemesis?.weights], [100, 5, { crash: 1 }]);
    const loop = await resolveScenario('raft-crash-loop');
    assert.ok((loop.nemesis?.maxActions ?? 0) >= 50, 'at least 50 crash/restart cycles');
    assert.deepEqual(loop.nemesis?.weights, { crash: 1 });
    assert.ok((nemesisFromScenario(loop)?.maxDown ?? 0) < 5 / 2, 'a minority down at once');
    const skew = await resolveScenario('raft-clock-skew');
    assert.ok(skew.schedule.filter((step) => step.fault.kind === 'clock').length >= 4);
    assert.equal(skew.nemesis?.leaderPct, 100);
    for (const scenario of [killLeader, loop, skew]) {
      assert.deepEqual(scenario.checks.map((check) => check.kind).sort(), ['convergence', 'durability', 'linearizability', 'raft-invariants']);
      assert.ok(scenario.lesson.length > 200, `${scenario.name} has a lesson that predicts the run`);
    }
  });
});

describe('distlab bench soak', () => {
  test('stretches raft-crash-loop to the cycles asked for, its nemesis stopping with the run', async () => {
    const soak = soakScenario(await resolveScenario('raft-crash-loop'), 200);
    assert.equal(soak.nemesis?.maxActions, 200);
    assert.equal(soak.durationMs, 200 * SOAK_MS_PER_CYCLE);
    assert.equal(nemesisFromScenario(soak)?.stopMs, soak.durationMs);
    assert.ok(soak.workload !== null && soak.workload.durationMs < soak.durationMs);
    assert.deepEqual(soak.checks, (await resolveScenario('raft-crash-loop')).checks);
  });

  test('a bad --cycles is bad input, before any process starts', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      assert.equal(await main(['bench', 'soak', '--cycles', '0']), EXIT_BAD_INPUT);
      assert.equal(await main(['bench', 'soak', '--cycles', 'many']), EXIT_BAD_INPUT);
    } finally {
      console.error = original;
    }
    assert.match(errors.join('\n'), /--cycles must be an integer from 1 to \d+, not 0/);
  });
});

describe('the nemesis runner of real runs, against a cluster made of data', () => {
  /** Five nodes that change state as the supervisor's would, a little later than asked. */
  function fakeCluster(): { nodes: () => NodeView[]; apply: (request: FaultRequest) => Promise<void>; applied: FaultRequest[]; maxDown: number } {
    const views = new Map<string, NodeView>(['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => [id, {
      id, state: 'up', url: null, pid: null, restarts: 0, linksUp: [], clock: { skewMs: 0, driftPpm: 0 }, persistDelayMs: 0,
      status: { role: id === 'n1' ? 'leader' : 'follower', facts: {}, data: {} },
    } as NodeView]));
    const cluster = {
      applied: [] as FaultRequest[],
      maxDown: 0,
      nodes: () => [...views.values()].map((view) => ({ ...view })),
      apply: async (request: FaultRequest): Promise<void> => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const view = 'node' in request ? views.get(request.node) : undefined;
        const is = (state: NodeView['state']): boolean => view?.state === state;
        if (request.kind === 'crash' && !is('up')) throw new Error(`${request.node} is not running`);
        if (request.kind === 'restart' && !is('down')) throw new Error(`${request.node} is running`);
        if (request.kind === 'pause' && !is('up')) throw new Error(`${request.node} cannot be paused`);
        if (request.kind === 'resume' && !is('paused')) throw new Error(`${request.node} is not paused`);
        if (view !== undefined) view.state = ({ crash: 'down', restart: 'up', pause: 'paused', resume: 'up' } as Record<string, NodeView['state']>)[request.kind] ?? view.state;
        cluster.applied.push(request);
        cluster.maxDown = Math.max(cluster.maxDown, [...views.values()].filter((node) => node.state !== 'up').length);
      },
    };
    return cluster;
  }

  const config = (overrides: Partial<NemesisConfig>): NemesisConfig => ({
    meanIntervalMs: 10, weights: { crash: 2, pause: 1, partition: 1, link: 1 }, leaderPct: 50, maxActions: null, startMs: 0, stopMs: 400, maxDown: 2,
    downMs: [30, 80], pauseMs: [30, 80], partitionMs: [30, 80], linkMs: [30, 80], linkLossPctMax: 10, clockSkewMaxMs: 0, clockDriftPpmMax: 0, slowDiskMsMax: 0,
    ...overrides,
  });
  const baseline = { cut: false, lossPct: 2, duplicatePct: 0, reorderPct: 0, delayMs: 3, jitterMs: 0 };

  test('at stopMs it stops and undoes what is pending: every crash restarted, every pause resumed, the network healed', async () => {
    const cluster = fakeCluster();
    const logs: string[] = [];
    const runner = startNemesisRunner({ config: config({ downMs: [200, 1_000], pauseMs: [200, 1_000] }), seed: 9, baseline, nodes: cluster.nodes, apply: cluster.apply, log: (line) => logs.push(line) });
    await runner.finished;
    const count = (kind: string): number => cluster.applied.filter((request) => request.kind === kind).length;
    assert.ok(runner.stats().actions > 5 && count('crash') + count('pause') >= 2, `the nemesis acted (${JSON.stringify(runner.stats())})`);
    assert.equal(count('restart'), count('crash'));
    assert.equal(count('resume'), count('pause'));
    assert.ok(cluster.nodes().every((node) => node.state === 'up'), 'the whole cluster is back');
    assert.ok(cluster.maxDown <= 2, `never more than maxDown nodes down (${cluster.maxDown})`);
    assert.ok(logs.some((line) => /nemesis stopped: undoing \d+ pending/.test(line)), logs.join('\n'));
    // Link faults go on top of the scenario's network and their undo restores it.
    for (const request of cluster.applied) {
      if (request.kind !== 'link') continue;
      assert.ok((request.faults.lossPct ?? 0) >= 2 && (request.faults.delayMs ?? 0) >= 3, JSON.stringify(request));
    }
    const restored = cluster.applied.filter((request) => request.kind === 'link' && request.faults.lossPct === 2 && request.faults.delayMs === 3);
    assert.equal(restored.length, count('link') / 2, 'every link fault was restored to the scenario\'s network');
    const done = cluster.applied.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(cluster.applied.length, done, 'nothing happens after the stop');
    assert.equal(runner.stats().refused, 0);
  });

  test('maxActions bounds it, and leaderPct 100 hits only the leader', async () => {
    const cluster = fakeCluster();
    const runner = startNemesisRunner({ config: config({ weights: { crash: 1 }, leaderPct: 100, maxActions: 3, maxDown: 1, downMs: [10, 20] }), seed: 4, baseline, nodes: cluster.nodes, apply: cluster.apply, log: () => undefined });
    await runner.finished;
    const crashes = cluster.applied.filter((request) => request.kind === 'crash');
    assert.deepEqual(crashes, [{ kind: 'crash', node: 'n1' }, { kind: 'crash', node: 'n1' }, { kind: 'crash', node: 'n1' }]);
    assert.deepEqual(runner.stats(), { actions: 3, byKind: { crash: 3 }, undone: 3, refused: 0 });
  });

  test('close stops it at once without undoing, and nothing is applied afterwards', async () => {
    const cluster = fakeCluster();
    const runner = startNemesisRunner({ config: config({ stopMs: null, weights: { crash: 1 }, downMs: [5_000, 6_000] }), seed: 2, baseline, nodes: cluster.nodes, apply: cluster.apply, log: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await runner.close();
    await runner.finished;
    const done = cluster.applied.length;
    assert.ok(cluster.applied.some((request) => request.kind === 'crash'), 'it crashed something');
    assert.ok(!cluster.applied.some((request) => request.kind === 'restart'), 'and did not restart it: the run is closing');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(cluster.applied.length, done);
  });
});
