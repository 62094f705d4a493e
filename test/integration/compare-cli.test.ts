// `distlab compare` as a workshop instructor types it: the table for a few seeds, one
// variant replayed with its trace written (a trace the lab opens), and bad input refused
// with exit code 2 and a message that says what is wrong.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'distlab.mjs');
let home: string;

function distlab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DISTLAB_HOME: home } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('distlab compare', () => {
  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'distlab-compare-cli-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('prints the table as JSON, one row per protocol', () => {
    const result = distlab(['compare', '--seeds', '2', '--variants', 'async-pb,raft', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { seeds: number[]; rows: { variant: string; messagesPerOp: number }[] };
    assert.deepEqual(report.seeds, [1, 2]);
    assert.deepEqual(report.rows.map((row) => row.variant), ['async-pb', 'raft']);
    assert.ok(report.rows.every((row) => row.messagesPerOp > 0));
  });

  test('replays one variant on one seed and writes its trace', () => {
    const out = path.join(home, 'async.sqlite');
    const result = distlab(['compare', '--variant', 'async-pb', '--seed', '2', '--out', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /async primary\/backup on compare-leader-crash, seed 2/);
    assert.match(result.stdout, /durability: (pass|fail)/);
    assert.match(result.stdout, /replay: npx distlab compare compare-leader-crash --variant async-pb --seed 2/);
    const db = new Database(out, { readonly: true });
    try {
      const { count } = db.prepare("SELECT count(*) AS count FROM events WHERE kind = 'fault'").get() as { count: number };
      assert.ok(count >= 2, 'the crash and the restart are in the trace');
    } finally {
      db.close();
    }
  });

  test('--real runs the table on real node processes and keeps their traces', () => {
    const result = distlab(['compare', '--real', '--variants', 'sync-pb', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { mode: string; dataRoot: string; rows: { variant: string; operations: { ok: number }; lostWrites: number; examples: string[] }[] };
    assert.equal(report.mode, 'real');
    assert.deepEqual(report.rows.map((row) => row.variant), ['sync-pb']);
    assert.ok(report.rows[0]!.operations.ok > 0, 'the workload ran');
    assert.equal(report.rows[0]!.lostWrites, 0, 'sync primary/backup loses nothing it acknowledged');
    assert.deepEqual(report.rows[0]!.examples, [], 'a real run has no seed to replay');
    assert.ok(existsSync(path.join(report.dataRoot, 'compare-leader-crash-sync-pb-1.sqlite')), 'the trace is kept');
    assert.match(distlab(['compare', '--real', '--seeds', '3']).stderr, /real runs have no seeds/);
    assert.match(distlab(['compare', '--runs', '2']).stderr, /--runs goes with --real/);
  });

  test('bad input: exit code 2 and what is wrong', () => {
    const unknown = distlab(['compare', '--variant', 'nope', '--seed', '1']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown variant "nope"; known: async-pb, sync-pb, 2pc, multi-paxos, raft, 3pc, paxos-reelect/);
    assert.match(distlab(['compare', '--seeds', '0']).stderr, /--seeds must be an integer/);
    assert.match(distlab(['compare', '--variant', 'raft']).stderr, /needs both --variant and --seed/);
    assert.match(distlab(['compare', 'no-such-scenario']).stderr, /no shipped scenario 'no-such-scenario'/);
  });
});
