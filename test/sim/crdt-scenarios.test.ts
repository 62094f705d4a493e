// The book's contrasts (§5, "Disorderly programming" and "CRDTs") as shipped scenarios, each run
// in the simulator on 10 seeds: the outcome each scenario's lesson predicts is asserted, so a
// broken mechanism (a merge that stopped being a join, a counter that overwrites, a set that
// resolves add/remove the wrong way, gossip that stops repairing losses) fails here.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convergenceFromTrace } from '../../src-main/bench/gossip-bench.ts';
import { resolveScenario, type Scenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate, type SimResult } from '../../src-main/sim/simulator.ts';
import type { CompletedOp } from '../../src-main/workload/client.ts';

const SEEDS = Array.from({ length: 10 }, (_, index) => index + 1);

function run(scenario: Scenario, seed: number, trace: 'light' | 'full' = 'light'): SimResult {
  const result = simulate(configFromScenario(scenario, seed), { trace });
  const failures = result.checks.filter((check) => !check.ok).map((check) => `${check.kind}: ${check.verdict} (expected ${check.expect}) — ${check.summary}`);
  assert.ok(result.ok, `${scenario.name} seed ${seed} (${result.replay}): ${failures.join('; ')}`);
  return result;
}

/** What each node last answered a read with: the clients read on to the end, after the replicas have settled. */
function lastReads(result: SimResult): Map<string, unknown> {
  const reads = new Map<string, unknown>();
  for (const op of result.operations) if (op.op.f === 'read' && op.result.type === 'ok') reads.set(op.node, op.result.value);
  return reads;
}

function check(result: SimResult, kind: string) {
  const found = result.checks.find((candidate) => candidate.kind === kind);
  assert.ok(found !== undefined, `no ${kind} check`);
  return found;
}

describe('concatenation diverges, max converges (book §5)', () => {
  it('crdt-concat-diverges: every replica gets every piece, each keeps its own first, and they never agree', async () => {
    const scenario = await resolveScenario('crdt-concat-diverges');
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      assert.equal(check(result, 'liveness').verdict, 'fail', 'the convergence check is expected to fail');
      const reads = lastReads(result);
      const own: Record<string, string> = { n1: 'Hello ', n2: 'World', n3: '!' };
      for (const [node, first] of Object.entries(own)) {
        const text = reads.get(node) as string;
        assert.equal(text.length, 'Hello World!'.length, `seed ${seed}: ${node} has every piece (${JSON.stringify(text)})`);
        assert.ok(text.startsWith(first), `seed ${seed}: ${node} applied its own piece first (${JSON.stringify(text)})`);
      }
      assert.ok(new Set(reads.values()).size > 1, `seed ${seed}: the replicas disagree`);
    }
  });

  it('crdt-max-converges: the same schedule with max() agrees on 7 everywhere', async () => {
    const scenario = await resolveScenario('crdt-max-converges');
    const concat = await resolveScenario('crdt-concat-diverges');
    assert.deepEqual(scenario.schedule, concat.schedule, 'one schedule for both');
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      assert.equal(check(result, 'liveness').verdict, 'pass');
      assert.deepEqual([...lastReads(result).entries()].sort(), [['n1', 7], ['n2', 7], ['n3', 7]], `seed ${seed}`);
    }
  });
});

describe('a register loses a credit, a counter does not (book §5, after Pat Helland)', () => {
  it('crdt-credit-register: the replicas agree on a balance that lacks one credit, and the check names it', async () => {
    const scenario = await resolveScenario('crdt-credit-register');
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      const credits = check(result, 'credits');
      assert.equal(credits.verdict, 'fail', `seed ${seed}: ${credits.summary}`);
      assert.equal(check(result, 'liveness').verdict, 'pass', 'the register converges — on the wrong balance');
      const lost = credits.details as { credit: number; client: string; buriedBy: { client: string; balance: number } | null }[];
      assert.equal(lost.length, 1, `seed ${seed}: exactly one of the two concurrent credits is lost: ${credits.summary}`);
      const [item] = lost as [typeof lost[number]];
      const [mine, theirs] = item.client === 'c1' ? [10, 'c2'] : [20, 'c1'];
      assert.equal(item.credit, mine, `seed ${seed}: ${credits.summary}`);
      assert.deepEqual({ client: item.buriedBy?.client, balance: item.buriedBy?.balance }, { client: theirs, balance: 100 + 30 - mine });
      assert.match(credits.summary, new RegExp(`lost: ${item.client}'s credit of ${mine} on balance .*overwritten by ${theirs}'s write`));
      const balances = new Set([...lastReads(result).values()].map((value) => (value as { balance: number }).balance));
      assert.deepEqual([...balances], [100 + 30 - mine - 30], `seed ${seed}: every replica holds the balance without the lost credit, after the debit`);
    }
  });

  it('crdt-credit-counter: the same schedule on a PN-counter keeps every credit', async () => {
    const scenario = await resolveScenario('crdt-credit-counter');
    const register = await resolveScenario('crdt-credit-register');
    assert.deepEqual({ schedule: scenario.schedule, script: scenario.workload?.crdt?.script }, { schedule: register.schedule, script: register.workload?.crdt?.script });
    for (const seed of SEEDS) {
      const result = run(scenario, seed);
      assert.equal(check(result, 'credits').verdict, 'pass', `seed ${seed}: ${check(result, 'credits').summary}`);
      assert.deepEqual([...lastReads(result).values()], [100, 100, 100].slice(0, lastReads(result).size), `seed ${seed}: 100 + 10 + 20 − 30 everywhere`);
      const updates = result.operations.filter((op) => op.op.f === 'update' && op.result.type === 'ok');
      assert.equal(updates.length, 4, 'four credits and debits, all acknowledged');
    }
  });
});

/** c3's last read at n3 before c1's re-add, the re-add's outcome, and the final value everywhere. */
function addRemoveOutcome(result: SimResult): { beforeReAdd: unknown; reAdd: string; final: unknown[] } {
  const adds = result.operations.filter((op) => op.client === 'c1' && op.op.f === 'update' && (op.op.value as { op: string }).op === 'add');
  const reAdd = adds[1] as CompletedOp;
  const readsBefore = result.operations.filter((op) => op.client === 'c3' && op.op.f === 'read' && op.result.type === 'ok' && op.completedAtMs < reAdd.invokedAtMs);
  return { beforeReAdd: readsBefore.at(-1)?.result.value, reAdd: reAdd.result.type, final: [...lastReads(result).values()] };
}

describe('one add/remove schedule, three sets, three outcomes (book §5; Shapiro et al. 2011 §3.3)', () => {
  const cases = [
    { name: 'crdt-add-remove-2p-set', beforeReAdd: [], reAdd: 'fail', final: [] },
    { name: 'crdt-add-remove-lww-set', beforeReAdd: [], reAdd: 'ok', final: ['milk'] },
    { name: 'crdt-add-remove-or-set', beforeReAdd: ['milk'], reAdd: 'ok', final: ['milk'] },
  ];

  it('the three scenarios run the same schedule and script', async () => {
    const [first, ...others] = await Promise.all(cases.map((item) => resolveScenario(item.name)));
    for (const other of others) {
      assert.deepEqual({ schedule: other.schedule, script: other.workload?.crdt?.script }, { schedule: first!.schedule, script: first!.workload?.crdt?.script });
    }
  });

  for (const expected of cases) {
    it(`${expected.name}: after the heal ${JSON.stringify(expected.beforeReAdd)}, the re-add ${expected.reAdd}s, the list ends ${JSON.stringify(expected.final)}`, async () => {
      const scenario = await resolveScenario(expected.name);
      for (const seed of SEEDS) {
        const outcome = addRemoveOutcome(run(scenario, seed));
        assert.deepEqual(outcome, { beforeReAdd: expected.beforeReAdd, reAdd: expected.reAdd, final: [expected.final, expected.final, expected.final] }, `seed ${seed}`);
      }
    });
  }
});

describe('gossip under 30 % loss (crdt-gossip-loss)', () => {
  for (const mode of ['push', 'pull', 'push-pull']) {
    it(`${mode}: the replicas agree while every link still drops 30 % of messages, on 10 seeds`, async () => {
      const base = await resolveScenario('crdt-gossip-loss');
      const scenario: Scenario = { ...base, protocol: { ...base.protocol, params: { ...base.protocol.params, mode } } };
      for (const seed of SEEDS) {
        const result = run(scenario, seed, 'full');
        const drops = result.trace.events.filter((event) => event.kind === 'drop' && event.detail !== undefined && (event.detail as { reason?: string }).reason === 'loss').length;
        assert.ok(drops > 0, 'the network did drop messages');
        const measure = convergenceFromTrace(result.trace.events, scenario.durationMs);
        assert.ok(measure.equalAtMs !== null, `seed ${seed}: no convergence before the heal at ${scenario.durationMs} ms (last change at ${String(measure.equalAtMs)})`);
        assert.ok(measure.lastUpdateAtMs > 0, 'updates were made');
      }
    });
  }
});
