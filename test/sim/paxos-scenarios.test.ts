// Single-decree Paxos in the lab (issue 6): every shipped paxos-* scenario runs in the
// simulator over 10 seeds and every check it makes passes — consensus safety (agreement,
// validity, integrity: src-main/checkers/consensus.ts) and its own predictions about who
// learns when (`events` on the `learned` notes and on the messages sent). A failing seed
// prints the command that replays it. Reference: Lamport, "Paxos Made Simple".

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveScenario, shippedScenarioNames, type Scenario } from '../../src-main/scenario/scenario.ts';
import { runSeed, runSeeds } from './raft-scenario-seeds.ts';

const PAXOS_SCENARIOS = ['paxos-one-proposer', 'paxos-duel', 'paxos-duel-backoff', 'paxos-proposer-crash', 'paxos-acceptor-crash', 'paxos-majority-partition'] as const;
const SEEDS = Array.from({ length: 10 }, (_, index) => index + 1);

const loaded = new Map<string, Scenario>();
async function scenario(name: string): Promise<Scenario> {
  const found = loaded.get(name) ?? await resolveScenario(name);
  loaded.set(name, found);
  return found;
}

type Detail = { name?: string; value?: unknown; ballot?: { round: number; node: string } | null };
const detailOf = (detail: unknown): Detail => (detail ?? {}) as Detail;

describe('paxos scenarios ship', () => {
  it('every one is a shipped, valid scenario that explains itself and checks consensus', async () => {
    const shipped = shippedScenarioNames();
    for (const name of PAXOS_SCENARIOS) {
      assert.ok(shipped.includes(name), `${name} ships in resources/scenarios/`);
      const found = await scenario(name);
      assert.equal(found.protocol.name, 'paxos');
      assert.equal(found.workload?.kind, 'propose');
      assert.ok(found.title.startsWith('Paxos: ') && found.summary.length > 50 && found.lesson.startsWith('Predict it before you press play'), `${name} explains itself`);
      assert.ok(found.checks.some((check) => check.kind === 'consensus' && check.expect === 'pass'), `${name} checks consensus`);
      assert.ok(found.checks.some((check) => check.kind === 'events' && check.name === 'learned'), `${name} predicts who learns when`);
    }
  });
});

describe('paxos scenarios in the simulator', () => {
  for (const name of PAXOS_SCENARIOS) {
    it(`${name}: every check passes on seeds ${SEEDS[0]}–${SEEDS.at(-1)}`, async () => {
      const { failures } = runSeeds(await scenario(name), SEEDS);
      assert.equal(failures, '', `${name} failed:\n${failures}`);
    });
  }
});

describe('what the paxos scenarios claim, read from the trace', () => {
  it('duel: thousands of ballots, the promised ballot climbs on every node, and nothing is learned — not even after the heal', async () => {
    const { result } = runSeed(await scenario('paxos-duel'), 1, { trace: 'full' });
    const events = result.trace.events;
    const prepares = events.filter((event) => event.kind === 'send' && event.msgType === 'prepare');
    assert.ok(prepares.length > 1000, `${prepares.length} prepares`);
    assert.equal(events.filter((event) => event.kind === 'state' && detailOf(event.detail).name === 'learned').length, 0);
    const rounds = prepares.map((event) => (event.detail as { payload?: { ballot?: { round: number } } }).payload?.ballot?.round ?? 0);
    assert.ok(Math.max(...rounds) > 100, `ballots reached round ${Math.max(...rounds)}`);
    const proposers = new Set(prepares.map((event) => event.node));
    assert.equal(proposers.size, 7, 'all seven nodes propose');
    const consensus = result.checks.find((check) => check.kind === 'consensus')!;
    assert.match(consensus.summary, /no node learned a value/);
  });

  it('duel with back-off: one value, told to every client, after a handful of ballots', async () => {
    const { result } = runSeed(await scenario('paxos-duel-backoff'), 1, { trace: 'full' });
    const learned = result.trace.events.filter((event) => event.kind === 'state' && detailOf(event.detail).name === 'learned');
    assert.equal(new Set(learned.map((event) => JSON.stringify(detailOf(event.detail).value))).size, 1);
    const answers = new Set(result.operations.filter((op) => op.op.f === 'propose' && op.result.type === 'ok').map((op) => JSON.stringify(op.result.value)));
    assert.deepEqual([...answers], [JSON.stringify(detailOf(learned[0]!.detail).value)]);
    const clientsAnswered = new Set(result.operations.filter((op) => op.op.f === 'propose' && op.result.type === 'ok').map((op) => op.client));
    assert.equal(clientsAnswered.size, 7, 'every client hears the one value');
    const prepares = result.trace.events.filter((event) => event.kind === 'send' && event.msgType === 'prepare').length;
    assert.ok(prepares < 200, `${prepares} prepares`);
  });

  it('proposer crash: the promises n1 gathered did not block n2, whose ballot outranks them; n1 never reuses its ballot', async () => {
    const { result } = runSeed(await scenario('paxos-proposer-crash'), 1, { trace: 'full' });
    const events = result.trace.events;
    const firstPrepare = events.find((event) => event.kind === 'send' && event.msgType === 'prepare' && event.node === 'n1')!;
    const promisesToN1 = events.filter((event) => event.kind === 'send' && event.msgType === 'promise' && event.peer === 'n1' && event.labTimeMs < 1100);
    assert.ok(promisesToN1.length >= 2, `n1 had a majority of promises (with its own) before it died: ${promisesToN1.length}`);
    const learned = events.filter((event) => event.kind === 'state' && detailOf(event.detail).name === 'learned');
    assert.ok(learned.every((event) => detailOf(event.detail).value === 'c1-2'), 'c1-1 was never chosen: it was accepted by nobody');
    const roundOf = (event: (typeof events)[number]): number => (event.detail as { payload?: { ballot?: { round: number } } }).payload?.ballot?.round ?? 0;
    const n1Prepares = events.filter((event) => event.kind === 'send' && event.msgType === 'prepare' && event.node === 'n1');
    const before = n1Prepares.filter((event) => event.labTimeMs < 1100).map(roundOf);
    const after = n1Prepares.filter((event) => event.labTimeMs >= 2500).map(roundOf);
    assert.ok(before.length > 0 && after.length > 0, 'n1 prepared before its crash and again after its restart');
    assert.ok(Math.min(...after) > Math.max(...before), `after the restart n1 uses a higher round (${after[0]}) than before (${before[0]}): its round was on disk`);
    assert.ok(firstPrepare.labTimeMs >= 850, `n1's prepares left after its slow disk write (${firstPrepare.labTimeMs} ms)`);
  });
});
