// Raft's Figure 8 in the simulator (issue 4): a nemesis kills whoever leads, right after it
// accepted entries, 1,000 times (leaderPct 100, maxActions 1000), on a reliable and on an
// unreliable network. Five to eight minutes of simulated time per run, a few seconds of wall
// time each: a few seeds per scenario. A failing seed prints the command that replays it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { runSeeds } from './raft-scenario-seeds.ts';

const SEEDS = [1, 2, 3, 4, 5];

describe('raft Figure 8 scenarios in the simulator', () => {
  it('the scenario\'s nemesis reaches the simulator: leaders only, 1,000 actions', async () => {
    const config = configFromScenario(await resolveScenario('raft-figure-8'), 1);
    assert.ok(config.nemesis !== null);
    assert.equal(config.nemesis.leaderPct, 100);
    assert.equal(config.nemesis.maxActions, 1000);
    assert.deepEqual(config.nemesis.weights, { crash: 1 });
  });

  for (const name of ['raft-figure-8', 'raft-figure-8-unreliable']) {
    it(`${name}: every check passes on seeds ${SEEDS.join(', ')}`, async () => {
      const { failures, verdicts } = runSeeds(await resolveScenario(name), SEEDS);
      assert.equal(failures, '', `${name} failed:\n${failures}`);
      for (const { result, seed } of verdicts) {
        // A crash and its restart per action, and the liveness phase's heal.
        assert.ok(result.stats.faults >= 2 * 1000, `seed ${seed}: the nemesis made ${result.stats.faults} faults, fewer than 1,000 actions`);
      }
    });
  }
});
