// Raft in the simulator: sweeps of the three Raft profiles find no violation (durability,
// linearizability, Raft's invariants from the trace, liveness after healing); one seed is one
// run, event for event; a seed replays exactly; a full trace judged afterwards gives the same
// invariant verdict as the monitor fed during the run; the workshop scenario passes in simulation.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRaftInvariants } from '../../src-main/checkers/raft-invariants.ts';
import { configFromScenario, SIM_PROFILES } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { sweep } from '../../src-main/sim/sweep.ts';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';

const profile = (name: string) => {
  const found = SIM_PROFILES.get(name);
  assert.ok(found, name);
  return found;
};

/** Seeds per profile: ~15–25 seeds/s on one core, so the file stays well under 40 s. */
const SEEDS_PER_PROFILE = 200;

describe('raft profiles', () => {
  for (const name of ['raft-crashes', 'raft-partitions', 'raft-swarm']) {
    it(`${name}: ${SEEDS_PER_PROFILE} seeds, no violation`, () => {
      const summary = sweep({ source: name, from: 1, count: SEEDS_PER_PROFILE, build: profile(name).build });
      const failures = summary.failed.slice(0, 5).map((outcome) => `${outcome.replay}\n    ${outcome.failures.join('\n    ')}`);
      assert.equal(summary.passed, SEEDS_PER_PROFILE, failures.join('\n'));
      assert.deepEqual(summary.anomalies, {}, 'no check found an anomaly');
    });
  }

  it('every Raft run is judged for linearizability and Raft\'s invariants, with faults and elections', () => {
    const result = simulate(profile('raft-swarm').build(5));
    const kinds = result.checks.map((check) => check.kind);
    for (const kind of ['assertions', 'liveness', 'durability', 'linearizability', 'raft-invariants']) assert.ok(kinds.includes(kind), kind);
    const raft = result.checks.find((check) => check.kind === 'raft-invariants')!;
    assert.equal(raft.verdict, 'pass', raft.summary);
    assert.ok(result.stats.faults > 0, 'the nemesis acted');
  });
});

describe('raft determinism and replay', () => {
  it('one seed gives one run: identical full event streams', () => {
    const first = simulate(profile('raft-swarm').build(4242), { trace: 'full' });
    const second = simulate(profile('raft-swarm').build(4242), { trace: 'full' });
    assert.ok(first.trace.events.length > 500, 'a run of substance');
    assert.equal(first.digest, second.digest);
    assert.deepEqual(first.trace.events, second.trace.events);
    assert.deepEqual(first.history, second.history);
  });

  it('a seed of a sweep replays exactly: the replay command\'s run has the sweep\'s digest', () => {
    const summary = sweep({ source: 'raft-partitions', from: 900, count: 3, build: profile('raft-partitions').build, onRun: () => undefined });
    assert.equal(summary.passed, 3);
    const replayed = simulate(profile('raft-partitions').build(901));
    assert.equal(replayed.replay, 'npx distlab sim raft-partitions --seed 901');
    const again = simulate(profile('raft-partitions').build(901));
    assert.equal(replayed.digest, again.digest);
    assert.notEqual(replayed.digest, simulate(profile('raft-partitions').build(902)).digest);
  });

  it('the full trace, judged afterwards, agrees with the monitor fed during the run, and reads AppendEntries payloads', () => {
    const result = simulate(profile('raft-swarm').build(17), { trace: 'full' });
    const afterwards = checkRaftInvariants(result.trace.events);
    assert.equal(afterwards.verdict, 'valid', afterwards.summary);
    assert.ok(afterwards.stats.appendsRead > 0, 'leader completeness was also judged from AppendEntries');
    assert.ok(afterwards.stats.committedIndices > 10, 'entries were committed');
    const during = result.checks.find((check) => check.kind === 'raft-invariants')!;
    assert.equal(during.verdict, 'pass');
  });

  it('different seeds draw different Raft configurations', () => {
    const sizes = new Set<number>();
    const timeouts = new Set<unknown>();
    for (let seed = 1; seed <= 20; seed += 1) {
      const config = profile('raft-swarm').build(seed);
      sizes.add(config.nodes.length);
      timeouts.add(config.protocol.params['electionTimeoutMsMin']);
    }
    assert.ok(sizes.size >= 3 && timeouts.size >= 10);
  });
});

describe('raft-minority-leader in simulation', () => {
  it('passes on 20 seeds, and its trace shows the old leader truncated on heal', async () => {
    const scenario = await resolveScenario('raft-minority-leader');
    const summary = sweep({ source: scenario.name, from: 1, count: 20, build: (seed) => configFromScenario(scenario, seed) });
    assert.equal(summary.passed, 20, summary.failed.map((outcome) => outcome.failures.join('; ')).join('\n'));
    const result = simulate(configFromScenario(scenario, 1), { trace: 'full' });
    const truncated = result.trace.events.filter((event) => event.kind === 'state' && (event.detail as { name?: string }).name === 'log-truncated');
    assert.ok(truncated.some((event) => event.node === 'n1' && event.labTimeMs >= 8000), 'n1 truncated its uncommitted suffix on heal');
  });
});
