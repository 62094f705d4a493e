// The desktop shell. Three parts:
// 1. the IPC policy of the main process (pure, runs everywhere);
// 2. launchDesktop() against a fake app folder with a fake Electron (runs everywhere);
// 3. the real app driven by playwright-core's _electron — only where an Electron binary
//    and a display exist. Elsewhere (these build machines cannot download Electron) it
//    is skipped with the reason, stated plainly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LabSnapshot } from '../../src-node/contract/lab-api.ts';
import {
  devServerCsp, exportFilters, isRendererUrl, parseLabCall, rendererSource,
} from '../../src-main/electron/ipc-policy.ts';
import {
  appRoot, displayProblem, electronArgs, electronEnv, ensureDesktopBuild, findElectronBinary, launchDesktop,
} from '../../src-main/electron/launch.ts';

/** What the preload puts on the page (the test has no DOM types; see src-renderer/api/bridge.d.ts). */
interface PageGlobals {
  distlab: { call(method: string, args: unknown[]): Promise<unknown>; onUpdate(listener: (update: unknown) => void): () => void };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('IPC policy of the Electron main process', () => {
  test('a lab:call names a LabApi method and passes an argument array that fits it', () => {
    assert.deepEqual(parseLabCall('snapshot', []), { ok: true, method: 'snapshot', args: [] });
    assert.deepEqual(parseLabCall('fault', [{ kind: 'crash', node: 'n1' }]), {
      ok: true, method: 'fault', args: [{ kind: 'crash', node: 'n1' }],
    });
  });

  test('anything else is refused with a sentence', () => {
    const refusal = (method: unknown, args: unknown): string => {
      const call = parseLabCall(method, args);
      assert.equal(call.ok, false);
      return call.ok ? '' : call.error;
    };
    assert.match(refusal('subscribe', []), /unknown lab method "subscribe"; known: snapshot/);
    assert.match(refusal('constructor', []), /unknown lab method/);
    assert.match(refusal('__proto__', []), /unknown lab method/);
    assert.match(refusal(42, []), /unknown lab method 42/);
    assert.match(refusal('snapshot', 'x'), /arguments must be an array/);
    assert.match(refusal('snapshot', [1]), /snapshot: expects 0 arguments, got 1/);
    assert.match(refusal('fault', [{ kind: 'explode' }]), /fault: unknown fault kind/);
    assert.match(refusal('exportTrace', ['pdf']), /exportTrace: format must be one of/);
    assert.match(refusal('events', new Array(50).fill({})), /too many arguments/);
  });

  test('our page is the built index.html (any hash) or the dev server origin, nothing else', () => {
    const indexFile = path.join(root, 'out', 'renderer', 'index.html');
    const file = rendererSource({ indexFile });
    const page = pathToFileURL(indexFile).href;
    assert.equal(file.kind, 'file');
    assert.ok(isRendererUrl(page, file));
    assert.ok(isRendererUrl(`${page}#/timeline`, file));
    assert.ok(!isRendererUrl(pathToFileURL(path.join(root, 'out', 'renderer', 'other.html')).href, file));
    assert.ok(!isRendererUrl('file:///etc/passwd', file));
    assert.ok(!isRendererUrl('https://example.com/', file));
    assert.ok(!isRendererUrl('about:blank', file));
    assert.ok(!isRendererUrl('not a url', file));

    const dev = rendererSource({ indexFile, devServerUrl: 'http://localhost:5173/' });
    assert.equal(dev.kind, 'dev-server');
    assert.ok(isRendererUrl('http://localhost:5173/src/main.ts', dev));
    assert.ok(!isRendererUrl('http://localhost:5174/', dev));
    assert.ok(!isRendererUrl('http://evil.localhost:5173/', dev));
    assert.ok(!isRendererUrl(page, dev));
    assert.throws(() => rendererSource({ indexFile, devServerUrl: 'file:///tmp/x.html' }), /must be http/);
  });

  test('the dev-server CSP allows only our origin and its HMR socket', () => {
    const policy = devServerCsp('http://localhost:5173');
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /script-src 'self';/);
    assert.match(policy, /connect-src 'self' ws:\/\/localhost:5173/);
    assert.match(policy, /object-src 'none'/);
    assert.doesNotMatch(policy, /unsafe-eval/);
  });

  test('the save dialog offers the export file\'s own extension first', () => {
    assert.deepEqual(exportFilters('sqlite', 'run-7.sqlite'), [
      { name: 'SQLite trace', extensions: ['sqlite'] },
      { name: 'All files', extensions: ['*'] },
    ]);
    assert.deepEqual(exportFilters('jsonl', 'trace'), [{ name: 'All files', extensions: ['*'] }]);
  });
});

describe('launchDesktop (a fake app folder and a fake Electron)', () => {
  let folder = '';
  const display = { DISPLAY: ':99' };

  /** An app folder with an electron package whose "binary" is `script`, and a fresh desktop build. */
  async function fakeApp(name: string, script: string | null): Promise<string> {
    const app = path.join(folder, name);
    const electron = path.join(app, 'node_modules', 'electron');
    await mkdir(path.join(electron, 'dist'), { recursive: true });
    await writeFile(path.join(electron, 'package.json'), '{"name":"electron","version":"45.5.0"}');
    if (script !== null) {
      await writeFile(path.join(electron, 'path.txt'), 'electron');
      await writeFile(path.join(electron, 'dist', 'electron'), script);
      await chmod(path.join(electron, 'dist', 'electron'), 0o755);
    }
    await mkdir(path.join(app, 'src-main'), { recursive: true });
    await writeFile(path.join(app, 'src-main', 'a.ts'), '');
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(app, 'src-main', 'a.ts'), old, old);
    for (const output of ['out/main/index.js', 'out/renderer/index.html', 'out/preload/index.cjs']) {
      await mkdir(path.dirname(path.join(app, output)), { recursive: true });
      await writeFile(path.join(app, output), '');
    }
    return app;
  }

  before(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'distlab-launch-'));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('a Linux machine without DISPLAY or WAYLAND_DISPLAY has no display; macOS and Windows always do', () => {
    assert.match(displayProblem('linux', {}) ?? '', /no display/);
    assert.equal(displayProblem('linux', { WAYLAND_DISPLAY: 'wayland-0' }), null);
    assert.equal(displayProblem('darwin', {}), null);
    assert.equal(displayProblem('win32', {}), null);
  });

  test('no path.txt means no Electron binary, said in one line', async () => {
    const app = await fakeApp('no-binary', null);
    const found = await findElectronBinary(app, {});
    assert.equal(found.ok, false);
    assert.match(found.ok ? '' : found.reason, /^no Electron binary \(.*GitHub.*\)$/);
    const launched = await launchDesktop({ root: app, platform: 'linux', env: display });
    assert.equal(launched.ok, false);
    assert.doesNotMatch(launched.ok ? '' : launched.reason, /\n/);
  });

  test('no display: no attempt to start', async () => {
    const app = await fakeApp('headless', '#!/bin/sh\ntouch "$0.started"\n');
    const launched = await launchDesktop({ root: app, platform: 'linux', env: {} });
    assert.deepEqual(launched, { ok: false, reason: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' });
    assert.equal(existsSync(path.join(app, 'node_modules', 'electron', 'dist', 'electron.started')), false);
  });

  test('with a display, a binary and a build it starts the binary on the app folder with the lab options', async (t) => {
    if (process.platform === 'win32') return t.skip('the fake Electron is a shell script');
    const app = await fakeApp('ready', '#!/bin/sh\necho "$@" > "$0.args"\necho "$DISTLAB_NODE" > "$0.node"\nexec sleep 30\n');
    const launched = await launchDesktop({
      root: app, platform: 'linux', env: { ...display, PATH: process.env['PATH'] }, scenario: 'raft-basic', stdio: 'ignore',
    });
    assert.ok(launched.ok, launched.ok ? '' : launched.reason);
    try {
      const binary = path.join(app, 'node_modules', 'electron', 'dist', 'electron');
      const args = (await readFile(`${binary}.args`, 'utf8')).trim().split(' ');
      assert.equal(args[0], app);
      assert.ok(args.includes('--distlab-scenario=raft-basic'));
      assert.equal((await readFile(`${binary}.node`, 'utf8')).trim(), process.execPath);
    } finally {
      launched.child.kill('SIGKILL');
    }
  });

  test('an Electron that dies at start is a reason, not a child', async (t) => {
    if (process.platform === 'win32') return t.skip('the fake Electron is a shell script');
    const app = await fakeApp('broken', '#!/bin/sh\nexit 3\n');
    const launched = await launchDesktop({ root: app, platform: 'linux', env: display, stdio: 'ignore' });
    assert.deepEqual(launched, { ok: false, reason: 'Electron stopped at start (exit code 3)' });
  });

  test('the app gets the Node binary for its children and never runs as plain Node', () => {
    const env = electronEnv({ ELECTRON_RUN_AS_NODE: '1', HOME: '/home/x' });
    assert.equal(env['ELECTRON_RUN_AS_NODE'], undefined);
    assert.equal(env['DISTLAB_NODE'], process.execPath);
    assert.equal(env['HOME'], '/home/x');
    assert.equal(electronArgs('/app', { dataRoot: '/data' }, 'darwin').join(' '), '/app --distlab-data-root=/data');
  });
});

describe('the desktop app (real Electron)', () => {
  test('the built main process loads no native module', async (t) => {
    const main = path.join(root, 'out', 'main', 'index.js');
    if (!existsSync(main)) return t.skip('out/main/index.js is not built (npm test builds it with electron-vite)');
    const code = await readFile(main, 'utf8');
    assert.doesNotMatch(code, /\.node["']\)/, 'out/main/index.js loads a .node addon');
    // Every package the bundle imports must be pure JavaScript: no node-gyp build inside.
    // Static imports head the ESM bundle; dynamic ones are import("x") / require("x") calls.
    const specifiers = new Set([
      ...[...code.matchAll(/^import\s[^;]*?from\s*["']([^"']+)["']/gm)].map((match) => match[1] as string),
      ...[...code.matchAll(/^import\s*["']([^"']+)["']/gm)].map((match) => match[1] as string),
      ...[...code.matchAll(/\b(?:import|require)\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1] as string),
    ]);
    const packages = [...specifiers].filter((name) => !name.startsWith('node:') && !name.startsWith('.') && name !== 'electron');
    assert.ok(packages.length > 0, 'the bundle imports some packages');
    for (const name of packages) {
      const dir = path.join(root, 'node_modules', ...name.split('/').slice(0, name.startsWith('@') ? 2 : 1));
      assert.ok(existsSync(dir), `${name} is installed`);
      assert.ok(!existsSync(path.join(dir, 'binding.gyp')), `${name} is a native module: the Electron main process must not load it`);
    }
    assert.ok(!specifiers.has('better-sqlite3'));
  });

  test('a window opens, five nodes come up, a crash click takes one down, quitting leaves no process', async (t) => {
    const noDisplay = displayProblem(process.platform, process.env);
    const binary = await findElectronBinary(appRoot());
    if (!binary.ok) return t.skip(`Electron binary not available here: ${binary.reason}`);
    if (noDisplay !== null) return t.skip(`Electron cannot open a window here: ${noDisplay}`);
    const buildFailure = await ensureDesktopBuild(root);
    assert.equal(buildFailure, null, buildFailure ?? '');

    const { _electron } = await import('playwright-core');
    const dataRoot = await mkdtemp(path.join(tmpdir(), 'distlab-electron-'));
    const app = await _electron.launch({
      executablePath: binary.executablePath,
      args: electronArgs(root, { dataRoot }, process.platform),
      env: electronEnv(process.env) as Record<string, string>,
      cwd: root,
      timeout: 60_000,
    });
    const pids: number[] = [];
    try {
      const page = await app.firstWindow();
      const snapshot = (): Promise<LabSnapshot> =>
        page.evaluate(() => (globalThis as unknown as PageGlobals).distlab.call('snapshot', [])) as Promise<LabSnapshot>;
      const waitFor = async (what: string, ok: (s: LabSnapshot) => boolean): Promise<LabSnapshot> => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const current = await snapshot();
          if (ok(current)) return current;
          assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify(current.nodes.map((n) => [n.id, n.state]))}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      const up = await waitFor('5 nodes up', (s) => s.nodes.length === 5 && s.nodes.every((node) => node.state === 'up'));
      pids.push(...up.nodes.flatMap((node) => (node.pid === null ? [] : [node.pid])));
      for (const node of up.nodes) await page.getByText(node.id, { exact: true }).first().waitFor({ timeout: 10_000 });

      // The bridge exposes exactly call and onUpdate, and refuses what is not LabApi.
      const bridgeKeys = await page.evaluate(() => Object.keys((globalThis as unknown as PageGlobals).distlab).sort());
      assert.deepEqual(bridgeKeys, ['call', 'onUpdate']);
      const refused = await page.evaluate(() =>
        (globalThis as unknown as PageGlobals).distlab.call('close', []).then(() => 'accepted', (error: Error) => error.message));
      assert.match(refused, /^unknown lab method "close"/);

      await page.getByRole('button', { name: /crash/i }).first().click();
      const after = await waitFor('a crashed node', (s) => s.nodes.some((node) => node.state !== 'up' || node.restarts > 0));
      pids.push(...after.nodes.flatMap((node) => (node.pid === null ? [] : [node.pid])));
    } finally {
      await app.close();
      await rm(dataRoot, { recursive: true, force: true });
    }
    const isAlive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // The app quits only after lab.close(); allow the kernel a moment to reap.
    const deadline = Date.now() + 5_000;
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(pids.filter(isAlive), [], 'node processes left running after the app quit');
  });
});
