// The Dynamo workshop on real processes, as `distlab run` plays it: the shopping cart keeps
// every added item across a partition, LWW under a fast clock loses acknowledged writes and
// names them (findable in the trace by op id), and the same run with vector clocks loses
// nothing — with the client's context carried through the lab's client path (without it every
// put would be a blind write and the cart would pile up siblings) and a refused put sent again
// where the node said (without it every put through a node outside the key's preference list
// would fail).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { runScenario, type ScenarioReport } from '../../src-main/lab/run-scenario.ts';
import { describeReport } from '../support/scenario-runs.ts';
import { startRecorder } from '../../src-main/recorder/recorder-client.ts';
import type { LostWrite } from '../../src-main/checkers/durability.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-dynamo-workshop-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

/** How many of the durability check's acknowledged writes are still in the final cart: its siblings. */
function finalSiblings(report: ScenarioReport): number {
  const summary = report.checks.find((check) => check.kind === 'durability')?.summary ?? '';
  const survived = /\((\d+) survived/.exec(summary);
  assert.ok(survived, `a durability summary with fates: ${summary}`);
  return Number(survived[1]);
}

describe('dynamo workshop on a real cluster', () => {
  test('dynamo-lww-skew: LWW loses acknowledged writes to n1\'s fast clock, named and found in the trace', async () => {
    const tracePath = path.join(dataRoot, 'lww.sqlite');
    const report = await runScenario(await resolveScenario('dynamo-lww-skew'), { dataRoot, tracePath });
    assert.ok(report.ok, describeReport(report));
    const lost = report.checks.find((check) => check.kind === 'durability')?.details as LostWrite[];
    assert.ok(lost.length >= 5, `acknowledged writes were lost (${lost.length})`);
    assert.ok(lost.every((write) => write.finalWriter?.node === 'n1'), 'each lost to a write made through n1');
    const recorder = await startRecorder({ tracePath, mode: 'read' });
    try {
      for (const write of lost.slice(0, 3)) {
        const events = await recorder.query({ text: write.opId!, kinds: ['ok'] });
        assert.ok(events.some((event) => event.msgId === write.opId && event.peer === write.node), `the trace has the acknowledgement of lost write ${write.opId} by ${write.node}`);
      }
    } finally {
      await recorder.close();
    }
  });

  test('dynamo-vclock-skew: the same run with vector clocks loses nothing, and clients reconcile siblings', async () => {
    const report = await runScenario(await resolveScenario('dynamo-vclock-skew'), { dataRoot });
    assert.ok(report.ok, describeReport(report));
    assert.ok(report.operations.ok > 60, `the workload ran (${JSON.stringify(report.operations)})`);
    assert.ok(finalSiblings(report) <= 3, `the puts' contexts superseded what their clients read: ${finalSiblings(report)} siblings at the end for 3 clients`);
  });

  test('dynamo-shopping-cart: siblings across a partition, merged by the clients; no item lost, replicas converge; a refused put follows its redirect', async () => {
    const tracePath = path.join(dataRoot, 'cart.sqlite');
    const report = await runScenario(await resolveScenario('dynamo-shopping-cart'), { dataRoot, tracePath });
    assert.ok(report.ok, describeReport(report));
    assert.ok(finalSiblings(report) <= 4, `at most one sibling per client at the end (${finalSiblings(report)})`);
    // Of five nodes only three replicate cart-1: a client whose home node is not one of them is
    // told where to go, and goes there with the same cart, as the simulator's clients do.
    const recorder = await startRecorder({ tracePath, mode: 'read' });
    try {
      const events = await recorder.query({ kinds: ['invoke', 'fail'], limit: 10_000 });
      const redirected = events.filter((event) => event.kind === 'fail' && typeof (event.detail as { result?: { redirect?: string } }).result?.redirect === 'string');
      assert.ok(redirected.length > 0, 'some put was refused with a redirect');
      for (const refused of redirected) {
        const { op, result } = refused.detail as { op: { value: unknown }; result: { redirect: string } };
        const [client, number] = refused.msgId!.split(':') as [string, string];
        const next = events.find((event) => event.kind === 'invoke' && event.msgId === `${client}:${Number(number) + 1}`);
        assert.ok(next, `${refused.msgId} was followed by another operation of ${client}`);
        assert.equal(next.peer, result.redirect, `${refused.msgId}: the retry went to ${result.redirect}`);
        assert.deepEqual((next.detail as { op: { value: unknown } }).op.value, op.value, `${refused.msgId}: the same cart was sent again`);
      }
    } finally {
      await recorder.close();
    }
  });
});
