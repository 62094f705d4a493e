// A calm scenario on real processes, headless, as `distlab run` plays it: three node
// processes on links that duplicate, reorder and delay; the sealed vote count converges and
// the convergence check says so. (The check used to trace every fact a node held back to a
// client write, as for a register, and called the derived count "never written".)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { runScenario } from '../../src-main/lab/run-scenario.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-calm-scenario-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

test('calm-vote-count-sealed on real processes: every node reports the same single count', { timeout: 120_000 }, async () => {
  const report = await runScenario(await resolveScenario('calm-vote-count-sealed'), { dataRoot });
  const convergence = report.checks.find((check) => check.kind === 'convergence')!;
  assert.equal(convergence.verdict, 'pass', convergence.summary);
  assert.ok(report.ok);
  assert.ok(report.operations.ok >= 3 * 4, `every client described, voted twice and sealed (${JSON.stringify(report.operations)})`);
});
