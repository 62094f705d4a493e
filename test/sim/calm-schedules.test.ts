// The CALM lesson on the simulator (src-main/calm/schedules.ts): every shipped example on a
// network that reorders, duplicates and delays every message, seed after seed. A confluent
// program converges on every seed; a program with a point of order diverges on some seed the
// search finds — in its final state or in what a point of order concluded, as the example
// declares — and that seed replays to the same divergence; with the coordination the analysis
// asks for (sealing), every seed converges, and every point of order did run. The shipped
// calm-* scenarios are judged the same way, and as `distlab sim` runs them.
// Reference: the book §5, "The CALM theorem"; Hellerstein and Alvaro, "Keeping CALM" (2020).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CALM_EXAMPLES } from '../../src-node/protocols/calm/examples.ts';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { drawnNetwork, exampleScenario, runSeed, searchSchedules, type SearchTarget } from '../../src-main/calm/schedules.ts';

/** Seeds a converging verdict must hold on; seeds a search may take to find a divergence. */
const SEEDS = 20;
const SEARCH_SEEDS = 40;

describe('calm: the schedule search on every example', () => {
  for (const example of CALM_EXAMPLES) {
    const plain: SearchTarget = { kind: 'example', example: example.name, coordinate: false };
    if (example.diverges === null) {
      it(`${example.name}: confluent, converges on all ${SEEDS} seeds`, () => {
        const result = searchSchedules({ target: plain, seeds: SEEDS });
        assert.equal(result.verdict, 'converges', JSON.stringify(result.found?.differing));
        assert.equal(result.seedsRun, SEEDS);
      });
    } else {
      it(`${example.name}: without coordination some seed diverges in ${example.diverges}, and replays to the same divergence`, () => {
        const kind = example.diverges!;
        let found = null;
        for (let seed = 1; seed <= SEARCH_SEEDS && found === null; seed += 1) {
          const outcome = runSeed(plain, seed);
          if (kind === 'conclusions') assert.notEqual(outcome.diverged, 'state', `seed ${seed}: the state of ${example.name} must converge: ${outcome.state.summary}`);
          if (outcome.diverged === kind) found = outcome;
        }
        assert.ok(found !== null, `no seed of ${SEARCH_SEEDS} made ${example.name} diverge in ${kind}`);
        assert.ok(found.differing !== null && Object.values(found.differing.onlyIn).some((tuples) => tuples.length > 0), 'the differing facts are shown');
        assert.match(found.replay, new RegExp(`distlab calm --example ${example.name} --seed ${found.seed}$`));
        const replayed = runSeed(plain, found.seed);
        assert.equal(replayed.digest, found.digest, 'the same seed, the same run, event for event');
        assert.deepEqual(replayed.differing, found.differing);
      });
    }
    it(`${example.name}: with coordination converges on all ${SEEDS} seeds, every point of order having run`, () => {
      const coordinated: SearchTarget = { kind: 'example', example: example.name, coordinate: true };
      for (let seed = 1; seed <= SEEDS; seed += 1) {
        const outcome = runSeed(coordinated, seed);
        assert.equal(outcome.diverged, null, `seed ${seed}: ${outcome.state.summary}; ${outcome.conclusions.summary}`);
        assert.deepEqual(outcome.waiting, [], `seed ${seed}: a coordinated rule still waits`);
      }
    });
  }

  it('the coordinated programs conclude: a seal that never comes would converge trivially, so the count must be there', () => {
    const outcome = runSeed({ kind: 'example', example: 'vote-count', coordinate: true }, 3);
    const reports = Object.values(outcome.replicas).map((replica) => replica.state['reported']);
    assert.ok(reports.every((reported) => reported?.length === 1 && Number(reported[0]![0]) >= 1), JSON.stringify(reports));
  });
});

describe('calm: a network that loses messages', () => {
  // The theorem's network delays, reorders and duplicates but eventually delivers; the lab's
  // loses messages too, and the nodes send each one again until it is acknowledged.
  const lossy = Array.from({ length: SEEDS }, (_, index) => index + 1).filter((seed) => drawnNetwork(seed).lossPct >= 10);

  it('the swarm draws lossy networks', () => {
    assert.ok(lossy.length >= SEEDS / 3, `seeds with ≥ 10 % loss: ${lossy.join(', ')}`);
  });

  it('set union converges under loss because lost messages are sent again — and does not without retransmission', () => {
    let divergedWithout = 0;
    for (const seed of lossy) {
      const target: SearchTarget = { kind: 'example', example: 'set-union', coordinate: false };
      assert.equal(runSeed(target, seed).diverged, null, `seed ${seed} (${drawnNetwork(seed).lossPct} % loss)`);
      // The same run with retransmission pushed past its end: what is lost stays lost.
      const scenario = exampleScenario('set-union', false, drawnNetwork(seed));
      const withoutRetransmission = { ...scenario, protocol: { ...scenario.protocol, params: { ...scenario.protocol.params, retransmitMs: 600_000 } } };
      if (runSeed({ kind: 'scenario', name: 'set-union without retransmission', scenario: withoutRetransmission }, seed).diverged !== null) divergedWithout += 1;
    }
    assert.ok(divergedWithout >= 1, 'without retransmission some lossy seed leaves the replicas apart (else this test shows nothing)');
  });
});

describe('calm: the shipped scenarios', () => {
  const scenarioTarget = async (name: string): Promise<SearchTarget> => ({ kind: 'scenario', name, scenario: await resolveScenario(name) });

  for (const name of ['calm-set-union', 'calm-cart-monotone', 'calm-vote-count-sealed']) {
    it(`${name}: the state converges on every seed, and \`distlab sim\` passes its checks`, async () => {
      const target = await scenarioTarget(name);
      const result = searchSchedules({ target, seeds: 10 });
      assert.equal(result.diverging.state.length, 0, JSON.stringify(result.found?.differing));
      if (name !== 'calm-cart-monotone') assert.equal(result.verdict, 'converges');
      const scenario = target.kind === 'scenario' ? target.scenario : null;
      for (let seed = 1; seed <= 3; seed += 1) {
        const run = simulate(configFromScenario(scenario!, seed));
        assert.ok(run.ok, `${name} seed ${seed}: ${run.checks.filter((check) => !check.ok).map((check) => check.summary).join('; ')}`);
      }
    });
  }

  for (const name of ['calm-cart-destructive', 'calm-vote-count']) {
    it(`${name}: some seed leaves the replicas' state different, and replays to it`, async () => {
      const target = await scenarioTarget(name);
      const result = searchSchedules({ target, seeds: SEARCH_SEEDS, stopAtFirst: true });
      assert.equal(result.found?.diverged, 'state', `no diverging seed among ${result.seedsRun}`);
      const replayed = runSeed(target, result.found.seed);
      assert.deepEqual(replayed.differing, result.found.differing);
      assert.match(result.found.replay, new RegExp(`distlab calm --scenario ${name} --seed ${result.found.seed}$`));
    });
  }
});
