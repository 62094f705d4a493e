// Gossip convergence on real node processes, end to end, on the smallest case: the real bench
// through the CLI (`bench gossip --real`) returns well-formed rows; LabApi.measureConvergence on
// a live crdt-gossip run measures it as the UI's button does — the burst's key ends equal on
// every replica, the loss the link faults set is the loss reported, and the simulator's
// prediction comes with it. No timing thresholds: the figures are the bench's business.
// Needs the node bundles: node scripts/build-node.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab } from '../../src-main/lab/lab.ts';
import type { ConvergenceFigures } from '../../src-node/contract/gossip.ts';
import { gossipWindowMs } from '../../src-main/bench/gossip-bench.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'distlab.mjs');
let home: string;

function wellFormed(figures: ConvergenceFigures, runs: number): void {
  assert.equal(figures.runs, runs);
  assert.equal(figures.timesMs.length, runs);
  assert.equal(figures.censored, figures.timesMs.filter((time) => time === null).length);
  for (const time of figures.timesMs) assert.ok(time === null || (Number.isInteger(time) && time >= 0), `a time in whole ms: ${String(time)}`);
  if (figures.censored < runs) assert.ok(figures.p50Ms !== null && figures.p99Ms !== null && figures.p50Ms <= figures.p99Ms);
}

describe('gossip convergence on real processes', () => {
  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'distlab-gossip-convergence-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  test('distlab bench gossip --real: one row per configuration, as JSON', { timeout: 120_000 }, () => {
    const result = spawnSync(process.execPath, [BIN, 'bench', 'gossip', '--real', '--nodes', '3', '--loss', '0,20', '--modes', 'push-pull', '--runs', '1', '--json'], {
      cwd: ROOT, encoding: 'utf8', timeout: 110_000, env: { ...process.env, DISTLAB_HOME: home },
    });
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { rows: Record<string, unknown>[]; elapsedMs: number };
    assert.deepEqual(report.rows.map((row) => Object.keys(row).sort()), [0, 1].map(() => ['censored', 'lossPct', 'mode', 'nodes', 'p50Ms', 'p99Ms', 'runs']));
    assert.deepEqual(report.rows.map((row) => [row['nodes'], row['lossPct'], row['mode'], row['runs']]), [[3, 0, 'push-pull', 1], [3, 20, 'push-pull', 1]]);
    for (const row of report.rows) {
      assert.ok(row['censored'] === 1 ? row['p50Ms'] === null : typeof row['p50Ms'] === 'number', JSON.stringify(row));
    }
    assert.ok(report.elapsedMs > 0);
  });

  test('bad input: exit 2 and a sentence', () => {
    for (const [args, message] of [
      [['--real', '--runs', '0'], /--runs must be an integer from 1/],
      [['--compare-sim'], /--compare-sim goes with --real/],
      [['--real', '--modes', 'gossip'], /--modes is a comma-separated list of push, pull, push-pull/],
      [['--real', '--loss', '100'], /--loss is a comma-separated list of loss rates/],
    ] as const) {
      const result = spawnSync(process.execPath, [BIN, 'bench', 'gossip', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, DISTLAB_HOME: home } });
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  describe('LabApi.measureConvergence on a live run', () => {
    let lab: Lab;
    before(async () => {
      lab = await createLab({ scenario: 'crdt-max-converges', dataRoot: home, autoplay: false });
    });
    after(async () => {
      await lab.close();
    });

    test('the live cluster as it is, beside the simulator, and the key ends equal everywhere', { timeout: 90_000 }, async () => {
      const snapshot = await lab.snapshot();
      const ids = snapshot.nodes.map((node) => node.id);
      for (const source of ids) for (const target of ids) if (source !== target) await lab.fault({ kind: 'link', source, target, faults: { lossPct: source === 'n1' ? 20 : 10 } });
      const result = await lab.measureConvergence({ runs: 2, seeds: 3 });
      assert.equal(result.nodes, ids.length);
      assert.deepEqual([result.type, result.mode, result.fanout, result.intervalMs], ['max-register', 'push-pull', 1, 100]);
      assert.deepEqual(result.lossRange, { minPct: 10, maxPct: 20 });
      assert.equal(result.lossPct, Math.round(((2 * 20 + 4 * 10) / 6) * 10) / 10);
      assert.match(result.caveats.join(' '), /drop 10–20 %/);
      wellFormed(result.live, 2);
      wellFormed(result.sim, 3);
      assert.equal(result.keys.length, 2);
      const after = await lab.snapshot();
      for (const key of result.keys) {
        const values = new Set(after.nodes.map((node) => JSON.stringify((node.status?.data as Record<string, unknown>)[key])));
        if (result.live.timesMs[result.keys.indexOf(key)] !== null) assert.equal(values.size, 1, `${key}: one value on every replica`);
      }
      // The figures go into the run's trace: whoever gets the trace file gets the measurement.
      let logged: { detail?: unknown }[] = [];
      for (let attempt = 0; attempt < 50 && logged.length === 0; attempt += 1) {
        logged = await lab.events({ nodes: ['lab'], kinds: ['log'], text: 'Gossip convergence measured' });
        if (logged.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(logged.length, 1, 'one log event of the lab for the measurement');
      assert.deepEqual((logged[0]!.detail as { result: { keys: string[] } }).result.keys, result.keys);
    });

    test('links cut everywhere: the run is censored, live and simulated', { timeout: 60_000 }, async () => {
      const ids = (await lab.snapshot()).nodes.map((node) => node.id);
      for (const source of ids) for (const target of ids) if (source !== target) await lab.fault({ kind: 'link', source, target, faults: { cut: true } });
      try {
        const result = await lab.measureConvergence({ runs: 1, seeds: 1 });
        assert.equal(result.lossPct, 100);
        assert.deepEqual([result.live.timesMs, result.live.censored, result.live.p50Ms], [[null], 1, null]);
        assert.deepEqual([result.sim.censored, result.sim.p50Ms], [1, null]);
      } finally {
        for (const source of ids) for (const target of ids) if (source !== target) await lab.fault({ kind: 'link', source, target, faults: { cut: false, lossPct: 0 } });
      }
    });

    test('refuses what it cannot measure, with a sentence', async () => {
      await assert.rejects(lab.measureConvergence({ runs: 0 }), /runs must be an integer in \[1, 10\]/);
      await lab.fault({ kind: 'pause', node: 'n2' });
      try {
        await assert.rejects(lab.measureConvergence({}), /every replica must be up to measure convergence: n2 is paused/);
      } finally {
        await lab.fault({ kind: 'resume', node: 'n2' });
      }
    });

    test('a measurement stops when a replica does, instead of waiting out its window', { timeout: 30_000 }, async () => {
      const ids = (await lab.snapshot()).nodes.map((node) => node.id);
      // Cut links: the burst cannot converge, so only the crash can end the measurement early.
      for (const source of ids) for (const target of ids) if (source !== target) await lab.fault({ kind: 'link', source, target, faults: { cut: true } });
      const startedAtLabMs = (await lab.snapshot()).labTimeMs;
      const measuring = lab.measureConvergence({ runs: 3, seeds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await lab.fault({ kind: 'crash', node: 'n3' });
      await assert.rejects(measuring, /every replica must be up to measure convergence: n3 is (down|recovering)/);
      // Not a speed figure: a measurement that ignored the crash would reject only after its first run's window (6 s of lab time).
      assert.ok((await lab.snapshot()).labTimeMs - startedAtLabMs < gossipWindowMs(100), 'rejected within the first run\'s window');
    });
  });
});
