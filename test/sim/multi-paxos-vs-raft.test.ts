// Multi-Paxos beside Raft (issue 6): the same scenario — workload, fault schedule, nemesis,
// seeds — run on both protocols in the simulator. Both must be linearizable and durable; the
// test prints, per protocol, the messages between nodes per completed operation and the
// latency of acknowledged operations, measured from the trace. The shipped multi-paxos-*
// scenarios are their Raft counterparts with the protocol swapped.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveScenario, type Scenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate, type SimResult } from '../../src-main/sim/simulator.ts';

const PAIRS = [['raft-crashes', 'multi-paxos-basic'], ['raft-kill-leader', 'multi-paxos-leader-crash']] as const;
const SEEDS = [1, 2, 3, 4, 5];

interface Figures { operations: number; messages: number; latencies: number[] }

/** Node-to-node messages (client replies excluded) and the latency of every acknowledged workload operation. */
function figuresOf(result: SimResult): Figures {
  const nodes = new Set(result.config.nodes);
  const messages = result.trace.events.filter((event) => event.kind === 'send' && nodes.has(event.node) && event.peer !== undefined && nodes.has(event.peer)).length;
  const acknowledged = result.operations.filter((op) => op.result.type === 'ok');
  return { operations: acknowledged.length, messages, latencies: acknowledged.map((op) => op.completedAtMs - op.invokedAtMs) };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function verdictOf(result: SimResult, kind: string): string {
  return result.checks.find((check) => check.kind === kind)?.verdict ?? 'not judged';
}

describe('multi-paxos beside raft', () => {
  for (const [raftName, paxosName] of PAIRS) {
    it(`${paxosName} is ${raftName} with the protocol swapped, and both are linearizable and durable on seeds ${SEEDS.join(', ')}`, async () => {
      const raft = await resolveScenario(raftName);
      const shipped = await resolveScenario(paxosName);
      const same = (scenario: Scenario): unknown => ({ cluster: scenario.cluster, workload: scenario.workload, schedule: scenario.schedule, nemesis: scenario.nemesis, network: scenario.network, durationMs: scenario.durationMs });
      assert.deepEqual(same(shipped), same(raft), `${paxosName} runs ${raftName}'s workload and faults`);
      const totals = new Map<string, Figures>();
      for (const scenario of [raft, shipped]) {
        const total: Figures = { operations: 0, messages: 0, latencies: [] };
        for (const seed of SEEDS) {
          const result = simulate(configFromScenario(scenario, seed), { trace: 'full' });
          const failed = result.checks.filter((check) => !check.ok).map((check) => `${check.kind}: ${check.summary}`);
          assert.deepEqual(failed, [], `${scenario.name} seed ${seed} (${result.replay})`);
          assert.equal(verdictOf(result, 'linearizability'), 'pass', `${scenario.name} seed ${seed} is judged linearizable`);
          assert.equal(verdictOf(result, 'durability'), 'pass', `${scenario.name} seed ${seed} loses no acknowledged write`);
          const figures = figuresOf(result);
          total.operations += figures.operations;
          total.messages += figures.messages;
          total.latencies.push(...figures.latencies);
        }
        totals.set(scenario.protocol.name, total);
      }
      for (const [protocol, total] of totals) {
        assert.ok(total.operations > 100, `${protocol} acknowledged ${total.operations} operations`);
        console.log(`${raftName} schedule, ${protocol.padEnd(11)}: ${total.operations} acknowledged ops, ${(total.messages / total.operations).toFixed(1)} messages/op, latency p50 ${percentile(total.latencies, 50).toFixed(1)} ms, p99 ${percentile(total.latencies, 99).toFixed(1)} ms`);
      }
    });
  }
});
