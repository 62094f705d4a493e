// A scenario's random nemesis and unreliable network in the simulator: one seed is one run;
// the nemesis starts at startMs, stops at stopMs and then undoes what it left pending, acts at
// most maxActions times, and with leaderPct 100 hits only leaders; a scenario's network ends
// up in the simulated links; the profiles keep the nemesis they had. The three real-process
// Raft scenarios (kill the leader, a crash loop, wild clocks) pass here on a few seeds too.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { configFromScenario, SIM_PROFILES, type NemesisConfig } from '../../src-main/sim/config.ts';
import { planMove, type NodeGlance } from '../../src-main/sim/nemesis.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { parseScenario, resolveScenario, type Scenario } from '../../src-main/scenario/scenario.ts';

const detail = (event: TraceEvent): Record<string, unknown> => (event.detail ?? {}) as Record<string, unknown>;
const faultsOf = (events: readonly TraceEvent[]): { atMs: number; by: string; request: FaultRequest }[] => events
  .filter((event) => event.kind === 'fault')
  .map((event) => ({ atMs: event.labTimeMs, by: detail(event)['by'] as string, request: detail(event)['request'] as FaultRequest }));

function raftScenario(extra: Record<string, unknown>): Scenario {
  return parseScenario({
    name: 'nemesis-test', title: 't', summary: 's',
    cluster: { nodes: 5 }, protocol: { name: 'raft', params: {} },
    workload: { clients: 2, ratePerSec: 20, uniqueKeys: true, writeShare: 0.8, durationMs: 6_000 },
    durationMs: 6_000,
    checks: [{ kind: 'durability' }, { kind: 'linearizability' }, { kind: 'raft-invariants' }, { kind: 'convergence' }],
    ...extra,
  });
}

describe('a scenario nemesis in the simulator', () => {
  it('maps the scenario onto the simulator\'s nemesis: maxDown a minority, stopMs the run\'s duration', () => {
    const config = configFromScenario(raftScenario({ nemesis: { meanIntervalMs: 300, weights: { crash: 1, pause: 1 } } }), 1);
    assert.ok(config.nemesis !== null);
    assert.equal(config.nemesis.maxDown, 2);
    assert.equal(config.nemesis.stopMs, 6_000);
    assert.equal(config.nemesis.startMs, 0);
    assert.equal(config.nemesis.leaderPct, 50);
    assert.equal(config.nemesis.maxActions, null);
    assert.deepEqual(config.nemesis.downMs, [500, 2_000]);
    assert.equal(configFromScenario(raftScenario({}), 1).nemesis, null, 'no nemesis unless the scenario has one');
  });

  it('one seed is one run, event for event; another seed is another run', () => {
    const scenario = raftScenario({ nemesis: { meanIntervalMs: 250, weights: { crash: 2, pause: 1, partition: 1, link: 1, clock: 1, 'slow-disk': 1 } } });
    const first = simulate(configFromScenario(scenario, 7), { trace: 'full' });
    const second = simulate(configFromScenario(scenario, 7), { trace: 'full' });
    assert.equal(first.digest, second.digest);
    assert.deepEqual(first.trace.events, second.trace.events);
    assert.notEqual(first.digest, simulate(configFromScenario(scenario, 8)).digest);
    assert.ok(faultsOf(first.trace.events).filter((fault) => fault.by === 'nemesis').length > 5, 'the nemesis acted');
  });

  it('acts only between startMs and stopMs, at most maxActions times, and undoes everything pending at stopMs', () => {
    const scenario = raftScenario({
      nemesis: { startMs: 1_000, stopMs: 4_000, meanIntervalMs: 100, maxActions: 12, weights: { crash: 1, pause: 1, partition: 1 }, downMs: [2_000, 3_000], pauseMs: [2_000, 3_000], partitionMs: [2_000, 3_000] },
    });
    for (const seed of [1, 2, 3]) {
      const result = simulate(configFromScenario(scenario, seed), { trace: 'full' });
      const faults = faultsOf(result.trace.events).filter((fault) => fault.by === 'nemesis');
      const moves = faults.filter((fault) => ['crash', 'pause', 'partition'].includes(fault.request.kind));
      assert.ok(moves.length > 3 && moves.length <= 12, `seed ${seed}: ${moves.length} moves, at most 12`);
      assert.ok(faults.every((fault) => fault.atMs >= 1_000 && fault.atMs <= 4_000), `seed ${seed}: nemesis faults within [1000, 4000] ms`);
      // Every crash restarted, every pause resumed, by stopMs at the latest (the durations reach past it).
      const count = (kind: string): number => faults.filter((fault) => fault.request.kind === kind).length;
      assert.equal(count('restart'), count('crash'), `seed ${seed}: every crash is restarted`);
      assert.equal(count('resume'), count('pause'), `seed ${seed}: every pause is resumed`);
      assert.ok(faults.some((fault) => fault.atMs === 4_000), `seed ${seed}: something was still pending at stopMs and undone then`);
      assert.ok(result.ok, `seed ${seed}: ${result.checks.filter((check) => !check.ok).map((check) => check.summary).join('; ')}`);
    }
  });

  it('leaderPct 100 crashes only the node that leads at that moment', () => {
    const scenario = raftScenario({ nemesis: { startMs: 500, meanIntervalMs: 400, maxActions: 6, maxDown: 1, weights: { crash: 1 }, leaderPct: 100, downMs: [200, 600] } });
    for (const seed of [1, 2, 3, 4]) {
      const result = simulate(configFromScenario(scenario, seed), { trace: 'full' });
      const role = new Map<string, string>();
      let crashes = 0;
      for (const event of result.trace.events) {
        if (event.kind === 'state' && detail(event)['name'] === 'role') role.set(event.node, detail(event)['role'] as string);
        if (event.kind !== 'fault' || detail(event)['by'] !== 'nemesis') continue;
        const request = detail(event)['request'] as FaultRequest;
        if (request.kind !== 'crash') continue;
        crashes += 1;
        assert.equal(role.get(request.node), 'leader', `seed ${seed}: ${request.node} led when it was killed at ${Math.round(event.labTimeMs)} ms`);
      }
      assert.ok(crashes >= 3 && crashes <= 6, `seed ${seed}: ${crashes} crashes, at most maxActions (6)`);
    }
  });

  it('a planned move under leaderPct 100 waits while no node leads', () => {
    const config: NemesisConfig = {
      meanIntervalMs: 100, weights: { crash: 1 }, leaderPct: 100, maxActions: null, startMs: 0, stopMs: null, maxDown: 2,
      downMs: [100, 200], pauseMs: [100, 200], partitionMs: [100, 200], linkMs: [100, 200], linkLossPctMax: 0, clockSkewMaxMs: 0, clockDriftPpmMax: 0, slowDiskMsMax: 0,
    };
    const followers: NodeGlance[] = ['n1', 'n2', 'n3'].map((id) => ({ id, state: 'up', paused: false, role: 'follower' }));
    const random = createRandom(3);
    for (let turn = 0; turn < 20; turn += 1) assert.equal(planMove(random, config, followers), null);
    const withLeader = followers.map((node) => (node.id === 'n2' ? { ...node, role: 'leader' } : node));
    for (let turn = 0; turn < 20; turn += 1) assert.deepEqual(planMove(random, config, withLeader)?.request, { kind: 'crash', node: 'n2' });
  });

  it('the profiles keep their nemesis: half the victims leaders, no limit, the whole safety phase', () => {
    for (const [name, profile] of SIM_PROFILES) {
      const nemesis = profile.build(1).nemesis;
      assert.ok(nemesis !== null, name);
      assert.deepEqual([nemesis.leaderPct, nemesis.maxActions, nemesis.startMs, nemesis.stopMs], [50, null, 0, null], name);
    }
  });
});

describe('a scenario network in the simulator', () => {
  it('puts loss, duplication and reordering on every link and adds delay and jitter to the drawn delays', () => {
    const calm = configFromScenario(raftScenario({}), 5);
    const rough = configFromScenario(raftScenario({ network: { lossPct: 4, duplicatePct: 3, reorderPct: 10, delayMs: 5, jitterMs: 2 } }), 5);
    assert.deepEqual([rough.network.lossPct, rough.network.duplicatePct, rough.network.reorderPct], [4, 3, 10]);
    assert.deepEqual(rough.network.delay, { kind: 'plus', base: calm.network.delay, addMs: 5, jitterMs: 2 });
    assert.deepEqual([calm.network.lossPct, calm.network.duplicatePct, calm.network.reorderPct], [0, 0, 0], 'a scenario without network has a calm one');
    const result = simulate(rough, { trace: 'full' });
    const lost = result.trace.events.filter((event) => event.kind === 'drop' && detail(event)['reason'] === 'loss');
    assert.ok(lost.length > 10, `messages were lost (${lost.length})`);
    assert.ok(result.ok, result.checks.filter((check) => !check.ok).map((check) => check.summary).join('; '));
  });
});

describe('the real-process Raft scenarios, simulated', () => {
  const expected: Record<string, { crashes: number }> = {
    'raft-kill-leader': { crashes: 5 },
    'raft-crash-loop': { crashes: 60 },
    'raft-clock-skew': { crashes: 2 },
  };
  for (const [name, { crashes }] of Object.entries(expected)) {
    it(`${name}: seeds 1–3 pass every check, with ${crashes} crashes each, all restarted`, async () => {
      const scenario = await resolveScenario(name);
      for (const seed of [1, 2, 3]) {
        const result = simulate(configFromScenario(scenario, seed), { trace: 'full' });
        const failed = result.checks.filter((check) => check.verdict !== 'pass').map((check) => `${check.kind}: ${check.verdict} ${check.summary}`);
        assert.deepEqual(failed, [], `${result.replay}`);
        for (const kind of ['durability', 'linearizability', 'raft-invariants', 'liveness']) {
          assert.ok(result.checks.some((check) => check.kind === kind), `${name}: ${kind} was judged`);
        }
        const faults = faultsOf(result.trace.events).filter((fault) => fault.by === 'nemesis');
        assert.equal(faults.filter((fault) => fault.request.kind === 'crash').length, crashes, `${result.replay}: crashes`);
        assert.equal(faults.filter((fault) => fault.request.kind === 'restart').length, crashes, `${result.replay}: restarts`);
      }
    });
  }
});
