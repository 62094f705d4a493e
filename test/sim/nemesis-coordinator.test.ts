// "Whoever leads" includes the 2PC coordinator: the nemesis's leaderPct aims at the node whose
// role is primary, leader or coordinator (LEADING_ROLES in src-main/sim/nemesis.ts), and the
// lab's clients ask the coordinator a status names, as they ask a primary. So the comparison's
// "crash whoever leads" crashes 2PC's coordinator — where 2PC blocks — and not a participant.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { configFromScenario, type NemesisConfig } from '../../src-main/sim/config.ts';
import { LEADING_ROLES, leads, planMove, type NodeGlance } from '../../src-main/sim/nemesis.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';

const CONFIG: NemesisConfig = {
  meanIntervalMs: 100, weights: { crash: 1, pause: 1 }, leaderPct: 100, maxActions: null, startMs: 0, stopMs: null, maxDown: 1,
  downMs: [100, 200], pauseMs: [100, 200], partitionMs: [100, 200], linkMs: [100, 200], linkLossPctMax: 0, clockSkewMaxMs: 0, clockDriftPpmMax: 0, slowDiskMsMax: 0,
};

describe('the nemesis and the 2PC coordinator', () => {
  it('counts primary, leader and coordinator as the role that leads, and nothing else', () => {
    assert.deepEqual([...LEADING_ROLES].sort(), ['coordinator', 'leader', 'primary']);
    for (const role of ['participant', 'prepared', 'blocked', 'follower', 'backup', 'candidate', null, undefined]) assert.equal(leads(role), false, String(role));
  });

  it('leaderPct 100 picks the coordinator among 2PC participants, and waits while it is down', () => {
    const cluster: NodeGlance[] = [
      { id: 'n1', state: 'up', paused: false, role: 'participant' },
      { id: 'n2', state: 'up', paused: false, role: 'blocked' },
      { id: 'n3', state: 'up', paused: false, role: 'coordinator' },
    ];
    const random = createRandom(11);
    for (let turn = 0; turn < 30; turn += 1) {
      const request = planMove(random, CONFIG, cluster)!.request;
      assert.ok((request.kind === 'crash' || request.kind === 'pause') && request.node === 'n3', JSON.stringify(request));
    }
    const coordinatorDown = cluster.map((node) => (node.id === 'n3' ? { ...node, state: 'down' as const, role: null } : node));
    for (let turn = 0; turn < 30; turn += 1) assert.equal(planMove(random, { ...CONFIG, maxDown: 2 }, coordinatorDown), null);
  });

  it('in the simulator, "crash whoever leads" kills the coordinator wherever it is, and clients go straight to it', async () => {
    const scenario = await resolveScenario('compare-leader-crash');
    // n2 coordinates: the victim is chosen by role, not because n1 happens to be first.
    const config = configFromScenario({ ...scenario, protocol: { name: '2pc', params: { data: 'kv', coordinator: 'n2' } } }, 3);
    const result = simulate(config, { trace: 'full' });
    const crashes = result.trace.events.filter((event) => event.kind === 'fault' && (event.detail as { by?: string }).by === 'nemesis')
      .map((event) => (event.detail as { request: FaultRequest }).request).filter((request) => request.kind === 'crash');
    assert.deepEqual(crashes, [{ kind: 'crash', node: 'n2' }]);
    const crashAtMs = result.trace.events.find((event) => event.kind === 'fault' && event.msgType === 'crash')!.labTimeMs;
    // Before the crash no client needed a redirect: each asked the coordinator its home node names.
    const before = result.operations.filter((op) => op.completedAtMs < crashAtMs);
    assert.ok(before.length > 50, `${before.length} operations before the crash`);
    assert.deepEqual(new Set(before.map((op) => `${op.node}:${op.result.type}`)), new Set(['n2:ok']));
  });
});
