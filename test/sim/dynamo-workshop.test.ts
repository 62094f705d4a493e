// The Dynamo workshop in the simulator: the shopping cart (siblings, client reconciliation,
// nothing added is lost), LWW losing acknowledged writes to a clock that ran ahead — each lost
// write named — and the same run with vector clocks losing nothing. Every scenario runs over
// seeds and every check it makes must give the verdict it predicts; a failing seed prints the
// command that replays it.
// Reference: DeCandia et al., "Dynamo", SOSP 2007, §4.4 (data versioning, the shopping cart);
// the book §5 ("vector clocks", "last writer wins").

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario, resolveScenario, shippedScenarioNames, type Scenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate, type SimResult } from '../../src-main/sim/simulator.ts';
import type { LostWrite } from '../../src-main/checkers/durability.ts';
import type { LostItem } from '../../src-main/checkers/cart.ts';
import { mergeCarts } from '../../src-main/workload/generators.ts';
import { storedVersions } from '../../src-main/sim/checks.ts';
import { runSeeds } from './raft-scenario-seeds.ts';

const WORKSHOP = ['dynamo-shopping-cart', 'dynamo-lww-skew', 'dynamo-vclock-skew'] as const;
const SEEDS = Array.from({ length: 10 }, (_, index) => index + 1);
/** When the scenarios set n1's clock right again (their schedule). */
const CLOCK_FIXED_AT_MS = 3_000;

const loaded = new Map<string, Scenario>();
async function scenario(name: string): Promise<Scenario> {
  let found = loaded.get(name);
  if (found === undefined) {
    found = await resolveScenario(name);
    loaded.set(name, found);
  }
  return found;
}

const checkOf = (result: SimResult, kind: string) => {
  const check = result.checks.find((candidate) => candidate.kind === kind);
  assert.ok(check, `the run judged ${kind}`);
  return check;
};

describe('dynamo workshop scenarios ship', () => {
  it('each is a shipped, valid scenario with a title, a summary and a lesson, driven by a cart workload', async () => {
    const shipped = shippedScenarioNames();
    for (const name of WORKSHOP) {
      assert.ok(shipped.includes(name), `${name} ships in resources/scenarios/`);
      const found = await scenario(name);
      assert.equal(found.protocol.name, 'dynamo');
      assert.equal(found.workload?.kind, 'cart', `${name} runs shopping-cart clients`);
      assert.ok(found.title.startsWith('Dynamo: ') && found.summary.length > 100 && found.lesson.length > 400, `${name} explains itself`);
      assert.ok(found.lesson.startsWith('Predict it before you press play.'), `${name} asks for a prediction first`);
      assert.ok(found.checks.some((check) => check.kind === 'cart'), `${name} checks the cart`);
    }
  });

  it('the LWW scenario and its vector-clock twin are the same run but for the conflict policy and the verdicts', async () => {
    const lww = await scenario('dynamo-lww-skew');
    const vclock = await scenario('dynamo-vclock-skew');
    assert.deepEqual({ ...lww.protocol.params, conflictPolicy: null }, { ...vclock.protocol.params, conflictPolicy: null });
    assert.equal(lww.protocol.params['conflictPolicy'], 'lww');
    assert.equal(vclock.protocol.params['conflictPolicy'], 'vector-clock');
    for (const field of ['cluster', 'workload', 'schedule', 'durationMs', 'seed'] as const) assert.deepEqual(lww[field], vclock[field], field);
    assert.ok(lww.schedule.some((step) => step.fault.kind === 'clock' && step.fault.node === 'n1'), 'n1\'s clock is skewed');
  });
});

describe('dynamo workshop scenarios in the simulator', () => {
  for (const name of WORKSHOP) {
    it(`${name}: every check gives its predicted verdict on seeds ${SEEDS[0]}–${SEEDS.at(-1)}`, async () => {
      const { failures } = runSeeds(await scenario(name), SEEDS);
      assert.equal(failures, '', `${name} failed:\n${failures}`);
    });
  }

  it('shopping cart: both sides of the partition add items, siblings meet after the heal, a client merges them, and every acknowledged item is in the final cart', async () => {
    const cart = await scenario('dynamo-shopping-cart');
    const [partitionAt, healAt] = cart.schedule.map((step) => step.atMs) as [number, number];
    for (const seed of SEEDS.slice(0, 3)) {
      const result = simulate(configFromScenario(cart, seed), { trace: 'full' });
      const acked = result.operations.filter((op) => op.op.f === 'put' && op.result.type === 'ok');
      // Once gossip has seen the cut (gossipFailAfterMs), each side writes on its own.
      const during = acked.filter((op) => op.invokedAtMs > partitionAt + 1_600 && op.completedAtMs < healAt);
      const minority = during.filter((op) => op.node === 'n1' || op.node === 'n2');
      const majority = during.filter((op) => op.node !== 'n1' && op.node !== 'n2');
      assert.ok(minority.length > 0 && majority.length > 0, `seed ${seed}: both sides took writes during the partition (${minority.length} | ${majority.length})`);
      const siblingNotes = result.trace.events.filter((event) => event.kind === 'state' && noteName(event.detail) === 'siblings' && event.labTimeMs >= healAt);
      assert.ok(siblingNotes.length > 0, `seed ${seed}: the two sides' carts were kept as siblings after the heal`);
      const merged = result.operations.filter((op) => op.op.f === 'get' && op.result.type === 'ok' && (op.result.siblings?.length ?? 0) > 1 && op.invokedAtMs >= healAt);
      assert.ok(merged.length > 0, `seed ${seed}: a client read siblings after the heal`);
      const promised = new Set(acked.flatMap((op) => mergeCarts([op.op.value])));
      const check = checkOf(result, 'cart');
      assert.equal(check.verdict, 'pass', `seed ${seed}: ${check.summary}`);
      assert.match(check.summary, new RegExp(`^all ${promised.size} item\\(s\\)`), `seed ${seed}: the check judged every promised item`);
      assert.ok(promised.size > 50, `seed ${seed}: a cart of substance (${promised.size} items)`);
    }
  });

  it('LWW under skew: the durability check names every lost write — key, value, client, op id, node, times — and the older write that beat it', async () => {
    const lww = await scenario('dynamo-lww-skew');
    for (const seed of SEEDS) {
      const result = simulate(configFromScenario(lww, seed));
      const durability = checkOf(result, 'durability');
      assert.equal(durability.verdict, 'fail', `seed ${seed}: ${durability.summary}`);
      const lost = durability.details as LostWrite[];
      assert.ok(lost.length >= 10, `seed ${seed}: many acknowledged writes lost (${lost.length})`);
      const byOpId = new Map(result.operations.map((op) => [op.opId, op]));
      for (const write of lost) {
        const op = byOpId.get(write.opId!);
        assert.ok(op, `seed ${seed}: lost write ${write.opId} is a client operation of the run`);
        assert.equal(op.result.type, 'ok', `${write.opId} was acknowledged`);
        assert.deepEqual([write.key, write.value, write.process, write.node], [op.op.key, op.op.value, op.client, op.node]);
        assert.equal(write.acknowledgedAtMs, op.completedAtMs);
        assert.equal(write.invokedAtMs, op.invokedAtMs);
        // The write that won was made through the fast clock, before it was set right, and completed before the lost one began.
        const winner = byOpId.get(write.finalWriter!.opId!);
        assert.ok(winner, `seed ${seed}: the winner of ${write.opId} is named`);
        assert.equal(write.finalWriter!.node, 'n1');
        assert.ok(winner.invokedAtMs < CLOCK_FIXED_AT_MS, `seed ${seed}: the winner was written while n1's clock was ahead`);
        assert.ok(winner.completedAtMs < op.invokedAtMs, `seed ${seed}: ${write.opId} came after the write it lost to`);
      }
      const after = lost.filter((write) => write.invokedAtMs! > CLOCK_FIXED_AT_MS + 200);
      assert.deepEqual(new Set(after.map((write) => write.process)), new Set(['c1', 'c2', 'c3']), `seed ${seed}: after the fix every client loses, c1 through n1 too`);
      const items = checkOf(result, 'cart').details as LostItem[];
      assert.ok(items.length > 0 && items.every((item) => item.carriedBy.length > 0 && item.missingFrom.length === 3), `seed ${seed}: the cart check names lost items, missing on all three replicas`);
    }
  });

  it('the contrast: the same seeds with vector clocks lose nothing, and LWW with true clocks loses no write to an older one', async () => {
    const lww = await scenario('dynamo-lww-skew');
    const vclock = await scenario('dynamo-vclock-skew');
    const trueClocks = parseScenario({ ...structuredClone(lww), name: 'dynamo-lww-true-clocks', schedule: [], checks: [{ kind: 'durability', expect: 'pass' }, { kind: 'cart', expect: 'either' }] });
    for (const seed of SEEDS.slice(0, 5)) {
      const withVectorClocks = simulate(configFromScenario(vclock, seed));
      assert.equal(checkOf(withVectorClocks, 'durability').verdict, 'pass', `seed ${seed}: ${checkOf(withVectorClocks, 'durability').summary}`);
      assert.equal(checkOf(withVectorClocks, 'cart').verdict, 'pass');
      const withTrueClocks = simulate(configFromScenario(trueClocks, seed));
      assert.equal(checkOf(withTrueClocks, 'durability').verdict, 'pass', `seed ${seed}: without the skew no write loses to an earlier one: ${checkOf(withTrueClocks, 'durability').summary}`);
      // Concurrent read-modify-writes still overwrite each other's items under LWW: the cart
      // check is not the skew's alone, the durability one is.
      assert.equal(checkOf(withTrueClocks, 'cart').verdict, 'fail');
    }
  });

  it('a replica\'s status shows a key with siblings as {siblings: [...]}: both judges read every sibling', () => {
    assert.deepEqual(storedVersions({ siblings: [['a'], ['b']] }), [['a'], ['b']]);
    assert.deepEqual(storedVersions(['a']), [['a']]);
    assert.deepEqual(storedVersions('x'), ['x']);
    assert.deepEqual(storedVersions(null), []);
  });

  it('one seed, one run: a cart workload replays event for event', async () => {
    const config = configFromScenario(await scenario('dynamo-shopping-cart'), 4);
    const first = simulate(config, { trace: 'full' });
    const second = simulate(config, { trace: 'full' });
    assert.equal(first.digest, second.digest);
    assert.deepEqual(first.operations, second.operations);
  });
});

function noteName(detail: unknown): string | undefined {
  return (detail as { name?: string } | null)?.name;
}
