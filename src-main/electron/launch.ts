// Decides whether the desktop app can start on this machine, and starts it. The CLI's
// `start` calls launchDesktop() and, when it answers with a reason, says it in one line
// and opens the browser shell instead.
//
// This runs under plain Node, so it must not import electron: `require('electron')`
// downloads the binary on first use and throws where GitHub is out of reach. It reads
// the binary's location the way the electron package does (node_modules/electron/
// path.txt, or ELECTRON_OVERRIDE_DIST_PATH) and only checks that the file is there.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long a fresh Electron may take to fail before we call the start a success. */
export const START_GRACE_MS = 1_500;
/** The desktop build (`electron-vite build`) takes seconds; give up after this. */
export const BUILD_TIMEOUT_MS = 300_000;
/** Lines of build output kept to explain a failed build. */
const BUILD_OUTPUT_LINES_MAX = 20;
/** Source files looked at to decide whether the build is stale. */
const SOURCE_FILES_MAX = 10_000;

/** What the desktop build must have produced (relative to the app folder). */
export const DESKTOP_OUTPUTS = ['out/main/index.js', 'out/renderer/index.html'] as const;
const PRELOAD_OUTPUTS = ['out/preload/index.cjs', 'out/preload/index.js'] as const;
/** What the desktop build is made from: newer than the outputs means rebuild. */
const DESKTOP_SOURCES = ['src-main', 'src-renderer', 'src-node/contract', 'src-node/protocols', 'electron.vite.config.ts'] as const;

export type Found<T> = ({ ok: true } & T) | { ok: false; reason: string };
export type DesktopLaunch = { ok: true; child: ChildProcess } | { ok: false; reason: string };

export interface LaunchOptions {
  /** The app folder (the repository); by default the one this file is in. */
  root?: string;
  /** Passed to the lab in the app (`createLab({ scenario })`). */
  scenario?: string;
  dataRoot?: string;
  /** stdio of the Electron process; 'inherit' by default, so its logs show in the terminal. */
  stdio?: StdioOptions;
  /** Progress lines (e.g. "building the desktop app"); silent by default. */
  log?: (line: string) => void;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/** The app folder: two levels above src-main/electron/. */
export function appRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

async function exists(file: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(file, mode);
    return true;
  } catch {
    return false;
  }
}

/** Null when a window can be shown; else why not. */
export function displayProblem(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return null;
  if (env['DISPLAY'] || env['WAYLAND_DISPLAY']) return null;
  return 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
}

/** The Electron executable installed for this app, found without loading the electron package. */
export async function findElectronBinary(
  root: string = appRoot(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Found<{ executablePath: string }>> {
  const packageDir = path.join(root, 'node_modules', 'electron');
  if (!(await exists(path.join(packageDir, 'package.json')))) {
    return { ok: false, reason: 'the electron package is not installed (run npm ci)' };
  }
  let relative: string | null = null;
  try {
    relative = (await readFile(path.join(packageDir, 'path.txt'), 'utf8')).trim() || null;
  } catch {
    relative = null;
  }
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (!override && relative === null) {
    return {
      ok: false,
      reason: 'no Electron binary (Electron downloads it from GitHub on first use: run `npx install-electron` where GitHub is reachable)',
    };
  }
  const executablePath = override
    ? path.join(override, relative ?? 'electron')
    : path.join(packageDir, 'dist', relative ?? 'electron');
  if (!(await exists(executablePath, constants.X_OK))) {
    return { ok: false, reason: `no Electron binary at ${executablePath} (its download is missing or incomplete)` };
  }
  return { ok: true, executablePath };
}

async function newestSourceMs(root: string): Promise<number> {
  let newest = 0;
  let seen = 0;
  for (const source of DESKTOP_SOURCES) {
    const full = path.join(root, source);
    let files: string[];
    try {
      const info = await stat(full);
      files = info.isDirectory()
        ? (await readdir(full, { recursive: true, withFileTypes: true }))
            .filter((entry) => entry.isFile())
            .map((entry) => path.join(entry.parentPath, entry.name))
        : [full];
    } catch {
      continue;
    }
    for (const file of files) {
      if (++seen > SOURCE_FILES_MAX) return newest;
      newest = Math.max(newest, (await stat(file)).mtimeMs);
    }
  }
  return newest;
}

/** Null when out/ holds a desktop build newer than its sources; else what is missing or stale. */
export async function desktopBuildProblem(root: string): Promise<string | null> {
  const outputs: string[] = [...DESKTOP_OUTPUTS];
  const preloads = await Promise.all(PRELOAD_OUTPUTS.map((file) => exists(path.join(root, file))));
  const preload = PRELOAD_OUTPUTS.find((_file, index) => preloads[index]);
  if (preload === undefined) return `${PRELOAD_OUTPUTS.join(' or ')} is missing`;
  outputs.push(preload);
  let oldestOutputMs = Infinity;
  for (const output of outputs) {
    try {
      oldestOutputMs = Math.min(oldestOutputMs, (await stat(path.join(root, output))).mtimeMs);
    } catch {
      return `${output} is missing`;
    }
  }
  return (await newestSourceMs(root)) > oldestOutputMs ? 'the desktop build is older than its sources' : null;
}

/** Runs `electron-vite build`; null on success, else a one-line reason. */
async function buildDesktop(root: string): Promise<string | null> {
  const cli = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  if (!(await exists(cli))) return 'electron-vite is not installed (run npm ci)';
  return new Promise((resolve) => {
    const lines: string[] = [];
    const keep = (chunk: Buffer): void => {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
      lines.splice(0, Math.max(0, lines.length - BUILD_OUTPUT_LINES_MAX));
    };
    const child = spawn(process.execPath, [cli, 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(`the desktop build could not start (${error.message})`);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(null);
      else {
        const last = lines.at(-1)?.trim() ?? '';
        resolve(`the desktop build failed (electron-vite build: ${signal ?? `exit code ${code}`}${last ? `: ${last}` : ''})`);
      }
    });
  });
}

/** Builds the desktop app when it is missing or stale; null when it is ready, else why not. */
export async function ensureDesktopBuild(root: string, log?: (line: string) => void): Promise<string | null> {
  const problem = await desktopBuildProblem(root);
  if (problem === null) return null;
  log?.(`building the desktop app (${problem}): electron-vite build`);
  const failed = await buildDesktop(root);
  if (failed !== null) return failed;
  // E.g. an ES-module preload (index.mjs), which a sandboxed window cannot load.
  const left = await desktopBuildProblem(root);
  return left === null ? null : `the desktop build is incomplete: ${left} after electron-vite build`;
}

/** The command line of the app: its folder, the lab's options, and what this OS needs. */
export function electronArgs(root: string, options: Pick<LaunchOptions, 'scenario' | 'dataRoot'>, platform: NodeJS.Platform): string[] {
  const args = [root];
  if (options.scenario) args.push(`--distlab-scenario=${options.scenario}`);
  if (options.dataRoot) args.push(`--distlab-data-root=${path.resolve(options.dataRoot)}`);
  // Chromium refuses to run as root with its sandbox on Linux. The window's renderer
  // stays context-isolated and without Node; only the OS-level sandbox is off.
  if (platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}

/** The environment of the app: the caller's, plus the Node binary for the lab's children. */
export function electronEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // The lab inside Electron starts its children (nodes, recorder) on this Node binary:
  // better-sqlite3 is built for Node's ABI (src-main/supervisor/child-entry.ts).
  const childEnv: NodeJS.ProcessEnv = { ...env, DISTLAB_NODE: env['DISTLAB_NODE'] ?? process.execPath };
  // Set, it would make the Electron binary behave as a plain Node.
  delete childEnv['ELECTRON_RUN_AS_NODE'];
  return childEnv;
}

/** Starts Electron and waits START_GRACE_MS for an early failure (a missing library, a bad build). */
function startElectron(executablePath: string, args: string[], options: LaunchOptions & { root: string }): Promise<DesktopLaunch> {
  return new Promise((resolve) => {
    const child = spawn(executablePath, args, {
      cwd: options.root,
      stdio: options.stdio ?? 'inherit',
      env: electronEnv(options.env ?? process.env),
    });
    let timer: NodeJS.Timeout | undefined;
    const settle = (result: DesktopLaunch): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(result);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // Exit code 0 this early is a second instance handing over to the open window.
      if (code === 0) settle({ ok: true, child });
      else settle({ ok: false, reason: `Electron stopped at start (${signal ?? `exit code ${code}`})` });
    };
    child.once('error', (error) => settle({ ok: false, reason: `Electron could not start (${error.message})` }));
    child.once('spawn', () => {
      timer = setTimeout(() => settle({ ok: true, child }), START_GRACE_MS);
    });
    child.on('exit', onExit);
  });
}

/**
 * Starts the desktop app if this machine can run it: a display, an Electron binary and
 * a desktop build (built here when missing or stale). Otherwise says why in one line.
 */
export async function launchDesktop(options: LaunchOptions = {}): Promise<DesktopLaunch> {
  const root = options.root ?? appRoot();
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const noDisplay = displayProblem(platform, env);
  if (noDisplay !== null) return { ok: false, reason: noDisplay };
  const binary = await findElectronBinary(root, env);
  if (!binary.ok) return binary;
  const failed = await ensureDesktopBuild(root, options.log);
  if (failed !== null) return { ok: false, reason: failed };
  return startElectron(binary.executablePath, electronArgs(root, options, platform), { ...options, root });
}
