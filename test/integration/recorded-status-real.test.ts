// A real run's trace carries its nodes' statuses (contract/status-note.ts): paxos-one-proposer
// runs on real processes, its scenario checks still count only protocol notes, and the trace,
// opened as a recording (TraceView), gives every node its last status with its Paxos view.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PaxosView } from '../../src-node/contract/core.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { isStatusNote, STATUS_NOTE_INTERVAL_MS, type StatusNoteDetail } from '../../src-node/contract/status-note.ts';
import { resolveScenario } from '../../src-main/scenario/scenario.ts';
import { runScenario } from '../../src-main/lab/run-scenario.ts';
import { TraceView } from '../../src-main/lab/trace-view.ts';

let dataRoot: string;

before(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-recorded-status-'));
});

after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

describe('a real run records its nodes\' statuses', () => {
  test('paxos-one-proposer: checks pass as before; the recording shows every node\'s Paxos view', { timeout: 90_000 }, async () => {
    const scenario = await resolveScenario('paxos-one-proposer');
    const report = await runScenario(scenario, { dataRoot });
    // Its `events` checks count `learned` notes and messages: status notes must not change them.
    assert.ok(report.ok, report.checks.map((check) => `${check.kind}: ${check.verdict} ${check.summary}`).join('\n'));

    const view = await TraceView.open(report.tracePath, dataRoot);
    try {
      const nodes = view.snapshot().nodes;
      assert.equal(nodes.length, scenario.cluster.nodes);
      const learned = new Set<string | null>();
      for (const node of nodes) {
        const paxos = node.status?.view as PaxosView | undefined;
        assert.equal(paxos?.protocol, 'paxos', `${node.id} has its Paxos view`);
        assert.equal(paxos.self, node.id);
        learned.add(paxos.learned);
      }
      assert.equal(learned.size, 1, 'every node learned the one value');
      assert.notEqual([...learned][0], null);

      const notes: StoredEvent[] = [];
      for (let afterId = 0; ;) {
        const page = await view.events({ afterId, limit: 10_000, kinds: ['state'] });
        notes.push(...page.filter(isStatusNote));
        if (page.length < 10_000) break;
        afterId = page.at(-1)!.id;
      }
      for (const node of nodes) {
        const own = notes.filter((event) => event.node === node.id);
        assert.ok(own.length > 0, node.id);
        // The last one is what the recording shows.
        assert.deepEqual((own.at(-1)!.detail as StatusNoteDetail).status, node.status);
        // Rate-limited: one per interval at most (a Paxos status is small, so the character
        // budget does not stretch it; the last may come early: the node stopped).
        for (let index = 1; index < own.length - 1; index += 1) {
          const gapMs = own[index]!.labTimeMs - own[index - 1]!.labTimeMs;
          assert.ok(gapMs >= STATUS_NOTE_INTERVAL_MS - 5, `${node.id}: status notes ${gapMs} ms apart`);
        }
      }
    } finally {
      await view.close();
    }
  });
});
