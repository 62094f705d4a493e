// A simulated run writes the trace schema of a real run (the recorder opens it read-only, mode
// `sim`, with its seed), and `distlab sim` answers with the documented exit codes, printing the
// replay command of a failing run.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { startRecorder } from '../../src-main/recorder/recorder-client.ts';
import { SIM_PROFILES } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { simCommand, simHelp, writeSimTrace } from '../../src-main/cli/sim-command.ts';
import { ensureRecorderBundle, tempDir } from '../recorder/helpers.ts';

async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => void err.push(parts.join(' '));
  try {
    return { code: await run(), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('the trace of a simulated run', () => {
  let dir = '';
  before(async () => {
    await ensureRecorderBundle();
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens with the recorder in read mode, with the real schema, mode sim and the seed', async () => {
    const result = simulate(SIM_PROFILES.get('pb-async-partitions')!.build(5), { trace: 'full' });
    const tracePath = path.join(dir, 'sim.sqlite');
    await writeSimTrace(result, tracePath);
    const recorder = await startRecorder({ tracePath, mode: 'read' });
    try {
      const run = await recorder.run();
      assert.equal(run['mode'], 'sim');
      assert.equal(run['seed'], 5);
      assert.equal(run['protocol'], 'primary-backup');
      // The run's events, then each node's last status (SimResult.statusNotes).
      assert.equal(await recorder.count(), result.trace.events.length + result.statusNotes.length);
      const stored = await recorder.query({ limit: 2000 });
      const first = result.trace.events.slice(0, stored.length);
      assert.deepEqual(stored.map(({ id: _id, ...event }) => event), first.map((event) => JSON.parse(JSON.stringify(event)) as unknown));
      const kinds = new Set((await recorder.query({ kinds: ['send', 'receive', 'persist', 'fault', 'invoke', 'ok', 'suspicion'], limit: 5000 })).map((event) => event.kind));
      for (const kind of ['send', 'receive', 'persist', 'fault', 'invoke', 'ok', 'suspicion']) assert.ok(kinds.has(kind as never), kind);
      const nodes = (await recorder.nodes()).map((node) => node.id);
      for (const id of result.config.nodes) assert.ok(nodes.includes(id), id);
    } finally {
      await recorder.close();
    }
  });

  it('distlab sim --out writes the trace, and refuses to overwrite one', async () => {
    const tracePath = path.join(dir, 'cli.sqlite');
    const first = await captured(() => simCommand(['pb-sync-crashes', '--seed', '3', '--out', tracePath]));
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /trace: /);
    const second = await captured(() => simCommand(['pb-sync-crashes', '--seed', '3', '--out', tracePath]));
    assert.equal(second.code, 2);
  });
});

describe('distlab sim', () => {
  it('exit 0 for a passing seed, with the checks and the replay command', async () => {
    const { code, out } = await captured(() => simCommand(['pb-sync-crashes', '--seed', '1']));
    assert.equal(code, 0);
    assert.match(out, /PASSED/);
    assert.match(out, /durability: pass/);
    assert.match(out, /replay: npx distlab sim pb-sync-crashes --seed 1/);
  });

  it('exit 1 for a failing seed, which prints why and its replay command', async () => {
    const { code, out } = await captured(() => simCommand(['pb-sync-mass-crashes', '--seed', '277']));
    assert.equal(code, 1);
    assert.match(out, /FAIL durability: fail \(expected pass\)/);
    assert.match(out, /npx distlab sim pb-sync-mass-crashes --seed 277/);
  });

  it('a sweep lists failing seeds with their replay commands; --json is machine-readable', async () => {
    const sweep = await captured(() => simCommand(['pb-sync-mass-crashes', '--seeds', '3', '--from', '276']));
    assert.equal(sweep.code, 1);
    assert.match(sweep.out, /seeds 276…278: 2 passed, 1 failed/);
    assert.match(sweep.out, /seed 277: .*\n\s+npx distlab sim pb-sync-mass-crashes --seed 277/);
    const json = await captured(() => simCommand(['pb-async-partitions', '--seeds', '4', '--json']));
    assert.equal(json.code, 0);
    const summary = JSON.parse(json.out) as { passed: number; anomalies: Record<string, number[]> };
    assert.equal(summary.passed, 4);
    assert.ok(Object.keys(summary.anomalies).length > 0);
  });

  it('runs a shipped scenario by name', async () => {
    const { code, out } = await captured(() => simCommand(['split-brain', '--seed', '2']));
    assert.equal(code, 0, out);
    assert.match(out, /split-brain: fail \(expected fail\)/);
  });

  it('exit 2 for bad input', async () => {
    for (const args of [[], ['no-such-thing', '--seed', '1'], ['pb-sync-crashes', '--seed', 'x'], ['pb-sync-crashes', '--seed', '1', '--seeds', '2'], ['pb-sync-crashes', '--bogus'], ['pb-sync-crashes', '--seeds', '2', '--out', 'x.sqlite']]) {
      const { code } = await captured(() => simCommand(args));
      assert.equal(code, 2, args.join(' '));
    }
    const help = await captured(() => simCommand(['--help']));
    assert.equal(help.code, 0);
    assert.equal(help.out, simHelp());
    for (const name of SIM_PROFILES.keys()) assert.match(help.out, new RegExp(name));
  });
});
