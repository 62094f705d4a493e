// Two-phase commit in the lab (issue 6): the shipped 2pc-* scenarios in the simulator over
// seeds — the bank check (conservation, atomicity, clients told the truth) and each
// scenario's own predictions on state notes — then what the traces say in detail (who blocks
// on whom, who finishes them), and a broken participant that the checks must catch.
// Reference: the book §4 "Two phase commit"; Gray & Lamport, "Consensus on Transaction Commit".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoreContext, CoreInput, ProtocolCore, ProtocolDefinition, Ready } from '../../src-node/contract/core.ts';
import { TWO_PHASE_COMMIT } from '../../src-node/protocols/two-phase-commit/core.ts';
import { resolveScenario, shippedScenarioNames, type Scenario } from '../../src-main/scenario/scenario.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { runSeeds } from './raft-scenario-seeds.ts';

const SCENARIOS = ['2pc-commit', '2pc-vote-no', '2pc-participant-crash', '2pc-coordinator-crash', '2pc-coordinator-recovers', '2pc-partition'] as const;
const SEEDS = Array.from({ length: 10 }, (_, index) => index + 1);

type Note = { name?: string; tx?: string; waitingOn?: string; since?: number; outcome?: string; learnedFrom?: string; commitRecords?: string[] };
const noteOf = (detail: unknown): Note => (detail ?? {}) as Note;

function notes(scenario: Scenario, seed: number, options: { definition?: ProtocolDefinition } = {}): { node: string; atMs: number; note: Note }[] {
  const result = simulate(configFromScenario(scenario, seed), { trace: 'full', ...options });
  return result.trace.events.filter((event) => event.kind === 'state').map((event) => ({ node: event.node, atMs: event.labTimeMs, note: noteOf(event.detail) }));
}

describe('2pc scenarios ship', () => {
  it('every one is a shipped, valid 2pc scenario with a bank workload and check, and explains itself', async () => {
    const shipped = shippedScenarioNames();
    for (const name of SCENARIOS) {
      assert.ok(shipped.includes(name), `${name} ships in resources/scenarios/`);
      const scenario = await resolveScenario(name);
      assert.equal(scenario.protocol.name, '2pc');
      assert.equal(scenario.workload?.kind, 'bank');
      assert.ok(scenario.checks.some((check) => check.kind === 'bank' && check.expect === 'pass'), `${name} checks the bank`);
      assert.ok(scenario.checks.some((check) => check.kind === 'events'), `${name} predicts its notes`);
      assert.ok(scenario.title.startsWith('2PC') && scenario.summary.length > 100 && scenario.lesson.startsWith('Predict it'), `${name} explains itself`);
    }
  });
});

describe('2pc scenarios in the simulator', () => {
  for (const name of SCENARIOS) {
    it(`${name}: every check passes on seeds ${SEEDS[0]}–${SEEDS.at(-1)}`, async () => {
      const { failures, verdicts } = runSeeds(await resolveScenario(name), SEEDS);
      assert.equal(failures, '', `${name} failed:\n${failures}`);
      for (const verdict of verdicts) assert.ok(verdict.result.checks.some((check) => check.kind === 'bank' && check.verdict === 'pass'), `${name} seed ${verdict.seed}: the bank was judged`);
    });
  }
});

describe('what the 2pc scenarios show, read from the trace', () => {
  it('coordinator crash: the participants that voted yes block on n1, and stay blocked unless a peer knows the outcome', async () => {
    const scenario = await resolveScenario('2pc-coordinator-crash');
    for (const seed of [1, 2, 3]) {
      const all = notes(scenario, seed);
      const blocked = all.filter((entry) => entry.note.name === 'blocked');
      assert.ok(blocked.length >= 1, `seed ${seed}: someone blocked`);
      for (const entry of blocked) {
        assert.equal(entry.note.waitingOn, 'n1', 'blocked on the coordinator');
        assert.ok(entry.atMs > 3000 && entry.note.since! >= 2700, `seed ${seed}: blocked only once n1 stopped answering (${entry.atMs} ms)`);
        const resolved = all.find((other) => other.node === entry.node && other.note.name === 'unblocked' && other.note.tx === entry.note.tx);
        // While n1 is down (until the liveness phase at 8 s) only a peer can unblock it — and a peer that knows can only know abort (it voted no or never voted).
        if (resolved !== undefined && resolved.atMs < 8000) {
          assert.notEqual(resolved.note.learnedFrom, 'n1', 'n1 is down');
          assert.equal(resolved.note.outcome, 'abort', 'no peer can know commit: n1\'s commits never left');
        }
      }
    }
  });

  it('coordinator recovers: its log finishes every blocked transaction — commit where it wrote the record, abort by presumption elsewhere', async () => {
    const scenario = await resolveScenario('2pc-coordinator-recovers');
    for (const seed of [1, 2, 3]) {
      const all = notes(scenario, seed);
      const recovered = all.find((entry) => entry.node === 'n1' && entry.note.name === 'recovered' && entry.atMs >= 6000);
      assert.ok(recovered !== undefined, 'n1 restarted from its disk');
      const records = new Set(recovered.note.commitRecords ?? []);
      const stillBlocked = all.filter((entry) => entry.note.name === 'blocked').filter((entry) => {
        const resolved = all.find((other) => other.node === entry.node && other.note.name === 'unblocked' && other.note.tx === entry.note.tx);
        return resolved === undefined || resolved.atMs >= 6000;
      });
      assert.ok(stillBlocked.length >= 1, `seed ${seed}: some participant waited for n1`);
      for (const entry of stillBlocked) {
        const resolved = all.find((other) => other.node === entry.node && other.note.name === 'unblocked' && other.note.tx === entry.note.tx);
        assert.ok(resolved !== undefined && resolved.atMs < 8000, `seed ${seed}: ${entry.node} finished ${entry.note.tx} soon after n1 returned`);
        const expected = records.has(entry.note.tx!) ? 'commit' : 'abort';
        assert.equal(resolved.note.outcome, expected, `${entry.note.tx}: ${expected}, as n1's log says`);
      }
    }
  });

  it('a participant that decides alone when blocked (aborts) breaks atomicity, and the bank check says so', async () => {
    const scenario = await resolveScenario('2pc-coordinator-recovers');
    const result = simulate(configFromScenario(scenario, 1), { definition: impatient(TWO_PHASE_COMMIT) });
    const bank = result.checks.find((check) => check.kind === 'bank');
    assert.equal(bank?.verdict, 'fail', bank?.summary);
    assert.match(bank!.summary, /the coordinator decided commit on t\d+, but .* applied abort|committed on .* but aborted on/);
  });
});

/**
 * The classic wrong fix for blocking: a participant that has waited a while for the
 * coordinator gives up and aborts on its own (the inner core is told "abort" as if the
 * coordinator had said it). Safe before voting; after a yes vote it may contradict a commit.
 */
function impatient(definition: ProtocolDefinition): ProtocolDefinition {
  return {
    ...definition,
    create: (context: CoreContext): ProtocolCore => {
      const inner = definition.create(context);
      return {
        status: () => inner.status(),
        step: (input: CoreInput): Ready => {
          const ready = inner.step(input);
          for (const note of [...ready.notes]) {
            if (note.name !== 'blocked') continue;
            const more = inner.step({ kind: 'message', nowMs: input.nowMs, source: String(note.detail?.['waitingOn']), type: 'abort', payload: { tx: note.detail?.['tx'] } });
            ready.persist.push(...more.persist);
            ready.messages.push(...more.messages);
            ready.notes.push(...more.notes);
            ready.timers.push(...more.timers);
          }
          return ready;
        },
      };
    },
  };
}
