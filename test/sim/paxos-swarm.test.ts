// Single-decree Paxos under the swarm (src-main/sim/paxos-swarm.ts): 1,000 seeds, each drawing
// its cluster, proposers, back-off, network and a nemesis that may take down a majority, and
// on every one agreement, validity and integrity hold (src-main/checkers/consensus.ts). The
// sweep is not vacuous: most seeds decide, many among rival proposers. And the checker is not
// blind: a Paxos whose acceptors hide what they accepted in their promises (so P2c cannot
// work) is caught choosing two values. Reference: Lamport, "Paxos Made Simple" §2.2.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreContext, ProtocolCore, ProtocolDefinition, Ready } from '../../src-node/contract/core.ts';
import { PAXOS } from '../../src-node/protocols/paxos/single-decree.ts';
import { paxosSwarm } from '../../src-main/sim/paxos-swarm.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { outcomeOf } from '../../src-main/sim/sweep.ts';

const SWARM_SEEDS = 1_000;

describe('paxos swarm', () => {
  it(`agreement, validity and integrity hold on ${SWARM_SEEDS} seeds of crashes, partitions, lossy links and duels`, () => {
    const failures: string[] = [];
    let decided = 0;
    let rivals = 0;
    let none = 0;
    let majorityDown = 0;
    for (let seed = 1; seed <= SWARM_SEEDS; seed += 1) {
      const config = paxosSwarm(seed);
      const result = simulate(config);
      const outcome = outcomeOf(result);
      if (!outcome.ok) failures.push(`seed ${seed} (${outcome.replay}): ${outcome.failures.join('; ')}`);
      const consensus = result.checks.find((check) => check.kind === 'consensus');
      assert.ok(consensus !== undefined, `seed ${seed} judged consensus`);
      const learned = !/no node learned a value/.test(consensus.summary);
      if (learned) decided += 1;
      const proposers = new Set(result.operations.filter((op) => op.op.f === 'propose').map((op) => op.node));
      if (learned && proposers.size > 1) rivals += 1;
      if (config.protocol.params['backoff'] === 'none') none += 1;
      if ((config.nemesis?.maxDown ?? 0) * 2 >= config.nodes.length) majorityDown += 1;
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} seed(s) failed`);
    console.log(`paxos swarm: ${SWARM_SEEDS} seeds, ${decided} decided (${rivals} among rival proposers), ${none} with back-off none, ${majorityDown} allowed half or more of the nodes down`);
    assert.ok(decided > SWARM_SEEDS * 0.6, `only ${decided} seeds decided`);
    assert.ok(rivals > SWARM_SEEDS * 0.2, `only ${rivals} seeds decided among rival proposers`);
    assert.ok(none > 100 && majorityDown > 100, 'the swarm draws back-off none and majority crashes');
  });

  it('the same seed replays the same run, event for event', () => {
    for (const seed of [3, 77]) assert.equal(simulate(paxosSwarm(seed)).digest, simulate(paxosSwarm(seed)).digest);
  });

  it('a Paxos whose acceptors hide their accepted value from promises (no P2c) is caught choosing two values', () => {
    // The acceptors answer every prepare as if they had accepted nothing, so a later proposer never
    // adopts an earlier chosen value: under contention two ballots choose different values.
    const broken: ProtocolDefinition = {
      ...PAXOS,
      name: 'paxos',
      create: (context: CoreContext): ProtocolCore => {
        const core = PAXOS.create(context);
        const strip = (ready: Ready): Ready => ({ ...ready, messages: ready.messages.map((message) => (message.type === 'promise' ? { ...message, payload: { ...(message.payload as object), accepted: null } } : message)) });
        return { step: (input) => strip(core.step(input)), status: () => core.status() };
      },
    };
    let caught = 0;
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 200 && caught < 3; seed += 1) {
      const result = simulate(paxosSwarm(seed), { definition: broken });
      const consensus = result.checks.find((check) => check.kind === 'consensus')!;
      if (consensus.verdict === 'fail') {
        caught += 1;
        for (const violation of consensus.details as { property: string }[]) kinds.add(violation.property);
        assert.equal(result.ok, false);
      }
    }
    assert.ok(caught >= 3, `the broken Paxos was caught on ${caught} of 200 seeds`);
    assert.ok(kinds.has('agreement'), `violations found: ${[...kinds].join(', ')}`);
  });
});
