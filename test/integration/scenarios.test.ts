// Scenarios on real processes, headless, as `distlab run` plays them: the shipped lessons
// get the verdicts they promise, and asynchronous primary/backup loses acknowledged writes
// when its primary is killed — with the lost writes named, and findable in the trace.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseScenario, resolveScenario, shippedScenarioNames } from '../../src-main/scenario/scenario.ts';
import { runScenario } from '../../src-main/lab/run-scenario.ts';
import { describeReport } from '../support/scenario-runs.ts';
import { startRecorder } from '../../src-main/recorder/recorder-client.ts';
import type { LostWrite } from '../../src-main/checkers/durability.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-scenario-test-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

describe('scenario files', () => {
  test('every shipped scenario is valid', async () => {
    const names = shippedScenarioNames();
    for (const required of ['primary-backup', 'crash-recovery', 'split-brain', 'failure-detector']) {
      assert.ok(names.includes(required), `${required} ships`);
    }
    for (const name of names) assert.equal((await resolveScenario(name)).name, name);
  });

  test('a malformed scenario gets an error that names each bad field', () => {
    assert.throws(() => parseScenario({ name: 'Bad Name', title: '', protocol: {} }, 'x.json'), (error: Error) => {
      assert.match(error.message, /x\.json is not a valid scenario/);
      assert.match(error.message, /name: a scenario name is lowercase/);
      assert.match(error.message, /title:/);
      assert.match(error.message, /summary:/);
      assert.match(error.message, /protocol\.name:/);
      return true;
    });
    const base = { name: 'ok', title: 't', summary: 's', protocol: { name: 'primary-backup' } };
    assert.throws(() => parseScenario({ ...base, schedule: [{ atMs: 10, fault: { kind: 'crash', node: 'n9' } }] }),
      /schedule\.0\.fault: node 'n9' is not in a cluster of 5/);
    assert.throws(() => parseScenario({ ...base, schedule: [{ atMs: 10, fault: { kind: 'melt', node: 'n1' } }] }), /schedule\.0\.fault\.kind/);
    assert.throws(() => parseScenario({ ...base, surprise: true }), /surprise/);
  });

  test('an unknown scenario name lists the known ones', async () => {
    await assert.rejects(resolveScenario('nope'), /no shipped scenario 'nope' \(known: .*crash-recovery/);
  });
});

describe('scenarios on a real cluster', () => {
  test('crash recovery: synchronous P/B loses no acknowledged write when the primary is killed', async () => {
    const report = await runScenario(await resolveScenario('crash-recovery'), { dataRoot });
    assert.ok(report.ok, describeReport(report));
    assert.ok(report.operations.ok > 20, `the workload ran (${JSON.stringify(report.operations)})`);
  });

  test('asynchronous P/B can lose acknowledged writes when the primary is killed, and the trace shows which', async () => {
    const scenario = parseScenario({
      name: 'async-crash', title: 'async crash', summary: 'kill an async primary under writes',
      protocol: { name: 'primary-backup', params: { mode: 'async', shipDelayMs: 400 } },
      workload: { clients: 2, ratePerSec: 40, writeShare: 1, uniqueKeys: true, durationMs: 4_000 },
      schedule: [{ atMs: 1_500, fault: { kind: 'crash', node: 'n1' } }],
      durationMs: 4_000, settleMs: 1_500,
      checks: [{ kind: 'durability', expect: 'fail' }],
    });
    const tracePath = path.join(dataRoot, 'async-crash.sqlite');
    const report = await runScenario(scenario, { dataRoot, tracePath });
    assert.ok(report.ok, describeReport(report));
    const lost = report.checks[0]?.details as (LostWrite & { opId: string; node: string })[];
    assert.ok(lost.length >= 1, 'at least one acknowledged write was lost');
    assert.ok(lost.every((write) => write.node === 'n1'), 'the lost writes were acknowledged by the killed primary');
    const recorder = await startRecorder({ tracePath, mode: 'read' });
    try {
      for (const write of lost.slice(0, 3)) {
        const events = await recorder.query({ text: write.opId, kinds: ['ok'] });
        assert.ok(events.some((event) => event.msgId === write.opId), `the trace has the ok of lost write ${write.opId}`);
      }
    } finally {
      await recorder.close();
    }
  });

  test('split brain: a partition gives two primaries, and healing loses acknowledged writes', async () => {
    const report = await runScenario(await resolveScenario('split-brain'), { dataRoot });
    assert.ok(report.ok, describeReport(report));
  });

  test('raft: two of five crash and restart under load; no acknowledged write lost, history linearizable', async () => {
    const report = await runScenario(await resolveScenario('raft-crashes'), { dataRoot });
    assert.ok(report.ok, describeReport(report));
    assert.ok(report.operations.ok > 50, `the workload ran (${JSON.stringify(report.operations)})`);
  });

  test('failure detector: crash and pause are suspected by all, the lossy link by none', async () => {
    const report = await runScenario(await resolveScenario('failure-detector'), { dataRoot });
    assert.ok(report.ok, describeReport(report));
  });
});
