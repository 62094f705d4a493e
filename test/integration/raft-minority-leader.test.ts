// The workshop scenario raft-minority-leader on real processes, headless: its checks pass, and
// the trace tells the story its lesson predicts — the leader partitioned into the minority
// acknowledges nothing and steps down, the majority elects a leader in a higher term that
// commits, and on heal the old leader's uncommitted entries are overwritten.
// Reference: Raft §5.2 (elections), §5.3 (log repair), §5.4.1 (election restriction), dissertation §6.2 (check quorum).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { runScenario } from '../../src-main/lab/run-scenario.ts';
import { startRecorder } from '../../src-main/recorder/recorder-client.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-raft-minority-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

const detail = (event: StoredEvent): Record<string, unknown> => (event.detail ?? {}) as Record<string, unknown>;
const note = (event: StoredEvent, name: string): boolean => event.kind === 'state' && detail(event)['name'] === name;

async function readTrace(tracePath: string): Promise<StoredEvent[]> {
  const recorder = await startRecorder({ tracePath, mode: 'read' });
  try {
    const events: StoredEvent[] = [];
    for (let afterId = 0; ;) {
      const page = await recorder.query({ afterId, limit: 10_000 });
      events.push(...page);
      if (page.length < 10_000) return events;
      afterId = page.at(-1)!.id;
    }
  } finally {
    await recorder.close();
  }
}

test('raft-minority-leader: the minority leader stalls and steps down, the majority elects and commits, heal truncates the old leader', async () => {
  const tracePath = path.join(dataRoot, 'raft-minority-leader.sqlite');
  const report = await runScenario(await resolveScenario('raft-minority-leader'), { dataRoot, tracePath });
  assert.ok(report.ok, report.checks.map((check) => `${check.kind}: ${check.verdict} (expected ${check.expect}) ${check.summary}`).join('\n'));
  const events = await readTrace(tracePath);

  const faults = events.filter((event) => event.kind === 'fault');
  const split = faults.find((event) => JSON.stringify((detail(event)['request'] as { spec?: unknown } | undefined)?.spec ?? null).includes('[["n1","n2"],["n3","n4","n5"]]'));
  const heal = faults.find((event) => (detail(event)['request'] as { kind?: string } | undefined)?.kind === 'heal');
  assert.ok(split !== undefined && heal !== undefined, 'the trace has the {n1,n2} | {n3,n4,n5} partition and the heal');
  const [splitMs, healMs] = [split.labTimeMs, heal.labTimeMs];

  // Who led when the minority was cut off: the latest election before it (n1, steered there by the first two partitions).
  const before = events.filter((event) => note(event, 'elected') && event.labTimeMs < splitMs).at(-1);
  assert.ok(before !== undefined, 'a leader was elected before the split');
  const oldLeader = before.node;
  const oldTerm = detail(before)['term'] as number;
  assert.equal(oldLeader, 'n1', 'the first two partitions leave n1 the only node that can win');

  // The minority acknowledges nothing invoked after the split: its writes end in info or fail.
  const invokedAfter = new Set(events.filter((event) => event.kind === 'invoke' && event.labTimeMs > splitMs && event.labTimeMs < healMs && ['n1', 'n2'].includes(event.peer ?? '')).map((event) => event.msgId));
  const minorityOks = events.filter((event) => event.kind === 'ok' && invokedAfter.has(event.msgId) && event.msgType === 'put' && ['n1', 'n2'].includes(event.peer ?? ''));
  assert.deepEqual(minorityOks.map((event) => event.msgId), [], 'no write sent to the minority after the split is acknowledged');
  assert.ok(invokedAfter.size > 0, 'clients did send to the minority after the split');

  // The old leader steps down (check quorum, or the higher term on heal).
  assert.ok(events.some((event) => event.node === oldLeader && note(event, 'step-down') && event.labTimeMs > splitMs), `${oldLeader} stepped down after the split`);

  // The majority elects a leader in a higher term, which commits.
  const newElection = events.find((event) => note(event, 'elected') && event.labTimeMs > splitMs && ['n3', 'n4', 'n5'].includes(event.node));
  assert.ok(newElection !== undefined, 'the majority elected a leader');
  const newTerm = detail(newElection)['term'] as number;
  assert.ok(newTerm > oldTerm, `the new leader's term ${newTerm} is above ${oldTerm}`);
  assert.ok(events.some((event) => event.node === newElection.node && note(event, 'commit') && detail(event)['term'] === newTerm && event.labTimeMs < healMs),
    `${newElection.node} committed in term ${newTerm} before the heal`);

  // On heal the old leader's uncommitted suffix is overwritten.
  const truncated = events.filter((event) => note(event, 'log-truncated') && event.labTimeMs >= healMs);
  assert.ok(truncated.some((event) => event.node === oldLeader), `${oldLeader}'s uncommitted entries were truncated on heal (truncations: ${truncated.map((event) => event.node).join(', ') || 'none'})`);
});
