// Raft on real processes under a random nemesis (issue 4): kill -9 of the leader, again and
// again; a kill -9 loop of at least fifty crash/restart cycles; clocks half an hour apart with
// the leader killed. Each scenario runs headless as `distlab run` plays it: every check passes
// (durability, linearizability, Raft's invariants, convergence), and the trace holds the
// crashes the scenario asks for, each one restarted, and no node that died on its own.
// Reference: Raft §5.2 (elections), §5.4 (safety), §5.6 (timing and availability).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { resolveScenario, type Scenario } from '../../src-main/scenario/scenario.ts';
import { runScenario, type ScenarioReport } from '../../src-main/lab/run-scenario.ts';
import { startRecorder } from '../../src-main/recorder/recorder-client.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-raft-real-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

const detail = (event: StoredEvent): Record<string, unknown> => (event.detail ?? {}) as Record<string, unknown>;

/** The lab's fault, state and log events of a trace, in the order the recorder received them. */
async function readTrace(tracePath: string): Promise<StoredEvent[]> {
  const recorder = await startRecorder({ tracePath, mode: 'read' });
  try {
    const events: StoredEvent[] = [];
    for (let afterId = 0; ;) {
      const page = await recorder.query({ afterId, limit: 10_000, kinds: ['fault', 'state', 'log'] });
      events.push(...page);
      if (page.length < 10_000) return events;
      afterId = page.at(-1)!.id;
    }
  } finally {
    await recorder.close();
  }
}

interface Story {
  report: ScenarioReport;
  events: StoredEvent[];
  /** The nemesis's crashes, each with whether its victim's last role note before it said leader. */
  crashes: { node: string; atMs: number; leader: boolean }[];
  restarts: number;
}

async function play(scenario: Scenario): Promise<Story> {
  const tracePath = path.join(dataRoot, `${scenario.name}.sqlite`);
  const report = await runScenario(scenario, { dataRoot, tracePath });
  const failed = report.checks.filter((check) => check.verdict !== 'pass').map((check) => `${check.kind}: ${check.verdict} — ${check.summary}`);
  assert.deepEqual(failed, [], `${scenario.name}: every check passes (trace ${tracePath})`);
  assert.ok(report.ok);
  assert.deepEqual(report.checks.map((check) => check.kind).sort(), ['convergence', 'durability', 'linearizability', 'raft-invariants']);
  const events = await readTrace(tracePath);
  const role = new Map<string, string>();
  const crashes: Story['crashes'] = [];
  let restarts = 0;
  // In lab time, not arrival order: a node's notes reach the lab in batches, the lab's faults at once.
  for (const event of [...events].sort((a, b) => a.labTimeMs - b.labTimeMs)) {
    if (event.kind === 'state' && detail(event)['name'] === 'role') role.set(event.node, detail(event)['role'] as string);
    if (event.kind !== 'fault' || detail(event)['by'] !== 'nemesis') continue;
    const request = detail(event)['request'] as FaultRequest;
    if (request.kind === 'crash') {
      crashes.push({ node: request.node, atMs: event.labTimeMs, leader: role.get(request.node) === 'leader' });
      role.set(request.node, 'crashed');
    }
    if (request.kind === 'restart') restarts += 1;
  }
  // A node that died without being killed (a failed assertion, an uncaught error) is a bug.
  const died = events.filter((event) => event.kind === 'log' && /exited on its own|failed:/.test(String(detail(event)['message'])));
  assert.deepEqual(died.map((event) => detail(event)['message']), [], `${scenario.name}: no node died on its own`);
  assert.equal(restarts, crashes.length, `${scenario.name}: every crashed node was restarted`);
  assert.ok(report.operations.ok > 100, `${scenario.name}: the workload ran (${JSON.stringify(report.operations)})`);
  return { report, events, crashes, restarts };
}

describe('Raft on real processes under a nemesis', () => {
  test('raft-kill-leader: the leader is killed five times; nothing acknowledged is lost, the history is linearizable', async () => {
    const scenario = await resolveScenario('raft-kill-leader');
    const story = await play(scenario);
    assert.equal(story.crashes.length, scenario.nemesis?.maxActions, `crashes: ${JSON.stringify(story.crashes)}`);
    for (const crash of story.crashes) assert.ok(crash.leader, `${crash.node}, killed at ${Math.round(crash.atMs)} ms, was the leader`);
    // Every kill is followed by a new leader in a higher term.
    const elections = story.events.filter((event) => event.kind === 'state' && detail(event)['name'] === 'elected');
    for (const crash of story.crashes) {
      const before = elections.filter((event) => event.labTimeMs < crash.atMs).at(-1);
      const next = elections.find((event) => event.labTimeMs > crash.atMs);
      assert.ok(before !== undefined && next !== undefined, `an election before and after the kill at ${Math.round(crash.atMs)} ms`);
      assert.ok((detail(next)['term'] as number) > (detail(before)['term'] as number), 'the successor leads a higher term');
    }
  });

  test('raft-crash-loop: at least fifty kill -9 / restart cycles of random nodes under load', async () => {
    const scenario = await resolveScenario('raft-crash-loop');
    const story = await play(scenario);
    assert.ok(story.crashes.length >= 50, `${story.crashes.length} crash/restart cycles, at least 50`);
    assert.ok(story.crashes.length <= (scenario.nemesis?.maxActions ?? Infinity), 'no more than maxActions');
    assert.ok(new Set(story.crashes.map((crash) => crash.node)).size === scenario.cluster.nodes, 'every node was killed');
    assert.ok(story.crashes.some((crash) => crash.leader), 'some victims were leaders');
  });

  test('raft-clock-skew: clocks an hour apart and jumping change nothing; the leader is killed twice and replaced', async () => {
    const scenario = await resolveScenario('raft-clock-skew');
    const story = await play(scenario);
    const clocks = story.events.filter((event) => event.kind === 'fault' && (detail(event)['request'] as FaultRequest).kind === 'clock');
    assert.equal(clocks.length, scenario.schedule.filter((step) => step.fault.kind === 'clock').length, 'every clock fault was applied');
    assert.equal(story.crashes.length, scenario.nemesis?.maxActions);
    for (const crash of story.crashes) assert.ok(crash.leader, `${crash.node}, killed at ${Math.round(crash.atMs)} ms, was the leader`);
    const afterSkew = story.events.filter((event) => event.kind === 'state' && detail(event)['name'] === 'elected' && event.labTimeMs > clocks[0]!.labTimeMs);
    assert.ok(new Set(afterSkew.map((event) => detail(event)['term'])).size >= 2, 'leaders were elected in at least two terms under the skewed clocks');
  });
});
