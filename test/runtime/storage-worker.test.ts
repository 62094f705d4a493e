// The node's stable storage with its storage worker (stable-storage.ts, storage-worker.ts):
// groups of writes become durable in the order they were handed over, groups that arrive
// during one fsync share the next transaction, the event loop's own commits (writeNow) keep
// that order, a slow disk holds the groups behind a slow one,
// an orderly close commits what the worker holds, and a reopened store reads it all back.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DurableNotice, StableStorage } from '../../src-node/runtime/stable-storage.ts';
import { openStableStorage } from '../../src-node/runtime/stable-storage.ts';
import { buildTestBundle, waitFor } from './harness.ts';

/** The worker as it runs: bundled beside a node bundle (scripts/child-bundles.mjs). */
let workerFile = '';
const dirs: string[] = [];

before(async () => {
  workerFile = path.join(path.dirname(await buildTestBundle()), 'storage-worker.cjs');
});

function open(dir?: string): { storage: StableStorage; notices: DurableNotice[]; errors: Error[]; dir: string } {
  const dataDir = dir ?? mkdtempSync(path.join(os.tmpdir(), 'distlab-storage-'));
  if (dir === undefined) dirs.push(dataDir);
  const notices: DurableNotice[] = [];
  const errors: Error[] = [];
  const storage = openStableStorage(dataDir, { onDurable: (notice) => notices.push(notice), onError: (error) => errors.push(error) }, { workerFile });
  return { storage, notices, errors, dir: dataDir };
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('stable storage with its worker', () => {
  it('makes groups durable in order, coalescing those that arrive during an fsync, last write wins', async () => {
    const { storage, notices, errors, dir } = open();
    const seqs: number[] = [];
    for (let group = 1; group <= 200; group += 1) {
      // Every group rewrites `x`, adds a key, and deletes the key the group before the previous one added.
      seqs.push(storage.write([{ key: 'x', value: { group } }, { key: `k${group}`, value: group }, { key: `k${group - 2}`, value: undefined }], 0));
    }
    assert.deepEqual(seqs, Array.from({ length: 200 }, (_, index) => index + 1));
    await waitFor('every group durable', () => notices.at(-1)?.seq === 200, 10_000);
    assert.deepEqual(errors, []);
    const reported = notices.map((notice) => notice.seq);
    assert.deepEqual(reported, [...reported].sort((a, b) => a - b), 'durable in order');
    assert.equal(notices.reduce((sum, notice) => sum + notice.groups, 0), 200, 'every group reported once');
    assert.ok(notices.length < 200, `groups shared transactions (${notices.length} commits for 200 groups)`);
    assert.equal(storage.inFlight, 0);
    await storage.close();

    const again = open(dir);
    const stable = again.storage.loadAll();
    assert.deepEqual(stable.get('x'), { group: 200 });
    assert.deepEqual([...stable.keys()].filter((key) => key !== 'x').sort(), ['k199', 'k200']);
    await again.storage.close();
  });

  it('the event loop commits a group itself only when the worker is idle; the order of groups holds across both', async () => {
    const { storage, notices, dir } = open();
    storage.write([{ key: 'x', value: 1 }], 0);
    assert.throws(() => storage.writeNow([{ key: 'x', value: 'overtaking' }]), /in flight/);
    await waitFor('the worker\'s group durable', () => notices.at(-1)?.seq === 1);
    const notice = storage.writeNow([{ key: 'x', value: 2 }, { key: 'y', value: 2 }]);
    assert.deepEqual({ seq: notice.seq, groups: notice.groups, writes: notice.writes }, { seq: 2, groups: 1, writes: 2 });
    assert.equal(storage.inFlight, 0);
    assert.equal(storage.write([{ key: 'y', value: undefined }], 0), 3);
    await waitFor('the next group durable', () => notices.at(-1)?.seq === 3);
    assert.deepEqual(notices.map((durable) => durable.seq), [1, 3], 'a group committed on the event loop is not reported again');
    await storage.close();
    const again = open(dir);
    assert.deepEqual([...again.storage.loadAll()], [['x', 2]]);
    await again.storage.close();
  });

  it('a slow disk holds a group, and every group behind it, for its delay', async () => {
    const { storage, notices } = open();
    const startedMs = performance.now();
    storage.write([{ key: 'slow', value: 1 }], 300);
    storage.write([{ key: 'fast', value: 2 }], 0);
    await waitFor('both durable', () => notices.at(-1)?.seq === 2, 5000);
    assert.ok(performance.now() - startedMs >= 290, 'the slow group waited');
    assert.equal(notices[0]!.seq, 2, 'the fast group did not overtake: both in one commit after the delay');
    await storage.close();
  });

  it('an orderly close commits what the worker still holds; reservations of the clock are synchronous', async () => {
    const { storage, dir } = open();
    storage.setMeta({ seqCeiling: 1000 });
    storage.write([{ key: 'held', value: 'by a slow disk' }], 60_000);
    await storage.close();
    const again = open(dir);
    assert.deepEqual(again.storage.loadAll().get('held'), 'by a slow disk');
    assert.equal(again.storage.getMeta('seqCeiling'), 1000);
    assert.throws(() => storage.write([{ key: 'late', value: 1 }], 0), /closed/);
    await again.storage.close();
  });
});
