// Same seed, same run, event for event: the hash of the whole event stream of two runs of one
// seed is equal, and different seeds give different runs. The swarm draws the configuration
// from the seed too.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SIM_PROFILES } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';

const profile = (name: string) => {
  const found = SIM_PROFILES.get(name);
  assert.ok(found, name);
  return found;
};

describe('determinism', () => {
  it('one seed gives one run: identical full event streams (JSON of every event, clocks and details)', () => {
    for (const name of ['pb-async-partitions', 'pb-sync-crashes']) {
      const first = simulate(profile(name).build(4242), { trace: 'full' });
      const second = simulate(profile(name).build(4242), { trace: 'full' });
      assert.ok(first.trace.events.length > 500, `${name}: a run of substance`);
      assert.equal(first.digest, second.digest, name);
      assert.deepEqual(first.trace.events, second.trace.events, name);
      assert.deepEqual(first.history, second.history, name);
    }
  });

  it('a light run (sweeps) is the same run as a full one, and is itself repeatable', () => {
    const config = profile('pb-async-partitions').build(77);
    const full = simulate(config, { trace: 'full' });
    const light = simulate(config);
    assert.equal(simulate(config).digest, light.digest);
    assert.equal(light.trace.total, full.trace.events.length);
    assert.deepEqual(light.history, full.history);
    assert.deepEqual(light.checks.map((check) => check.verdict), full.checks.map((check) => check.verdict));
  });

  it('different seeds give different runs and draw different configurations', () => {
    const digests = new Set<string>();
    const sizes = new Set<number>();
    for (let seed = 1; seed <= 12; seed += 1) {
      const config = profile('pb-sync-crashes').build(seed);
      sizes.add(config.nodes.length);
      digests.add(simulate(config).digest);
    }
    assert.equal(digests.size, 12);
    assert.ok(sizes.size >= 3, 'the swarm draws the cluster size');
    for (const size of sizes) assert.ok(size >= 3 && size <= 7);
  });
});
