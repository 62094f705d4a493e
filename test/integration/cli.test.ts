// The `distlab` command as a newcomer types it: help, bad input with clear errors and exit
// code 2, a headless scenario run that writes a trace, exports of that trace, and the
// browser shell (`web`, and `start` falling back to it where there is no Electron binary).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'distlab.mjs');
let home: string;
/** How long Ctrl+C may take to stop the cluster and exit. */
const STOP_TIMEOUT_MS = 20_000;

function distlab(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DISTLAB_HOME: home, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts a long-running command, resolves with the URL it prints, and stops it on request. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ url: string; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT, env: { ...process.env, DISTLAB_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(output);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        output: () => output,
        // Ctrl+C must end the process; one that lingers (a handle left open) fails the test.
        stop: () => new Promise((done) => {
          const stuck = setTimeout(() => {
            child.kill('SIGKILL');
            done(-1);
          }, STOP_TIMEOUT_MS);
          child.once('exit', (code) => {
            clearTimeout(stuck);
            done(code);
          });
          child.kill('SIGINT');
        }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing a URL:\n${output}`)));
  });
}

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'distlab-cli-test-'));
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('distlab on the command line', () => {
  test('--help lists the commands and the shipped scenarios', () => {
    const result = distlab(['--help']);
    assert.equal(result.status, 0);
    for (const command of ['start', 'web', 'run', 'export', 'bench']) assert.match(result.stdout, new RegExp(`distlab ${command}`));
    assert.match(result.stdout, /crash-recovery/);
  });

  test('bad input: a clear message and exit code 2', async () => {
    const unknown = distlab(['frobnicate']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const bad = path.join(home, 'bad.json');
    await writeFile(bad, JSON.stringify({ name: 'bad', title: 't', summary: 's', protocol: { name: 'primary-backup' }, cluster: { nodes: 99 } }));
    const invalid = distlab(['run', bad]);
    assert.equal(invalid.status, 2);
    assert.match(invalid.stderr, /cluster\.nodes/);
    const notJson = path.join(home, 'not.json');
    await writeFile(notJson, '{ nope');
    assert.match(distlab(['run', notJson]).stderr, /not valid JSON/);
    const notTrace = distlab(['export', notJson, '--format', 'jsonl', '--out', path.join(home, 'x.jsonl')]);
    assert.equal(notTrace.status, 2);
    assert.match(notTrace.stderr, /not a distlab trace/);
    assert.equal(distlab(['export', notJson, '--format', 'pdf', '--out', 'x']).status, 2);
  });

  test('run writes a trace and reports its checks as JSON; export turns it into JSON lines and ShiViz', async () => {
    const scenario = path.join(home, 'tiny.json');
    await writeFile(scenario, JSON.stringify({
      name: 'tiny', title: 'tiny', summary: 'three nodes, a few writes',
      cluster: { nodes: 3 }, protocol: { name: 'primary-backup', params: { mode: 'sync' } },
      workload: { clients: 1, ratePerSec: 10, durationMs: 1_000 },
      durationMs: 1_500, settleMs: 300, checks: [{ kind: 'durability' }, { kind: 'convergence' }],
    }));
    const trace = path.join(home, 'tiny.sqlite');
    const run = distlab(['run', scenario, '--out', trace, '--json']);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout) as { ok: boolean; tracePath: string; checks: { kind: string; ok: boolean }[] };
    assert.equal(report.ok, true);
    assert.equal(report.tracePath, trace);
    assert.deepEqual(report.checks.map((check) => check.kind), ['durability', 'convergence']);
    assert.equal(distlab(['run', scenario, '--out', trace]).status, 2, 'an existing trace is never overwritten');

    const jsonl = path.join(home, 'tiny.jsonl');
    assert.equal(distlab(['export', trace, '--format', 'jsonl', '--out', jsonl]).status, 0);
    const lines = (await readFile(jsonl, 'utf8')).trim().split('\n');
    assert.ok(lines.length > 20);
    const shiviz = path.join(home, 'tiny.log');
    assert.equal(distlab(['export', trace, '--format', 'shiviz', '--out', shiviz]).status, 0);
    assert.ok((await stat(shiviz)).size > 500);
    const history = path.join(home, 'tiny.history.jsonl');
    assert.equal(distlab(['export', trace, '--format', 'history', '--out', history]).status, 0);
    const checked = distlab(['check', history, '--model', 'lab-kv']);
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /linearizable \(model lab-kv, [1-9]\d* operations/);
    const copy = path.join(home, 'copy.sqlite');
    assert.equal(distlab(['export', trace, '--format', 'sqlite', '--out', copy]).status, 0);
    assert.ok((await stat(copy)).size > 10_000);
  });

  test('web serves the UI on 127.0.0.1 with a token, and Ctrl+C leaves nothing running', async () => {
    const server = await serve(['web']);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    const refused = await fetch(server.url.replace(/\?token=.*/, ''));
    assert.equal(refused.status, 403);
    assert.equal(await server.stop(), 0);
  });

  test('start says in one line that there is no Electron binary, and serves the browser shell instead', async () => {
    const server = await serve(['start'], { DISPLAY: '', WAYLAND_DISPLAY: '' });
    const reason = server.output().split('\n').find((line) => line.includes('serving the lab to a browser instead'));
    assert.ok(reason, server.output());
    assert.equal((await fetch(server.url)).status, 200);
    assert.equal(await server.stop(), 0);
  });
});
