// The Electron main process: a thin shell around the lab. It starts the lab (the same
// supervisor that runs under plain Node), opens one sandboxed window on the renderer,
// carries LabApi over IPC (`lab:call` in, `lab:update` out) and closes the lab — and
// with it every node and the recorder — when the app quits.
//
// The supervisor runs in this process, so nothing here blocks or loads a native
// module: SQLite lives in child processes that run on a Node binary (VERSIONS.md).
// Everything the renderer sends is checked first: the sender must be our window's top
// frame on our page, the method a LabApi method, the arguments well-formed.
import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { access, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExportFormat, ExportResult, LabUpdate } from '../../src-node/contract/lab-api.ts';
import { createLab } from '../lab/lab.ts';
import { LAB_CALL_CHANNEL, LAB_UPDATE_CHANNEL } from './channels.ts';
import { devServerCsp, exportFilters, isRendererUrl, parseLabCall, rendererSource } from './ipc-policy.ts';

type Lab = Awaited<ReturnType<typeof createLab>>;

/** How long quitting waits for the lab to stop its processes before giving up. */
const LAB_CLOSE_TIMEOUT_MS = 10_000;
/** Command-line options that launch.ts passes through (`--distlab-scenario=raft-basic`). */
const SCENARIO_ARG = '--distlab-scenario=';
const DATA_ROOT_ARG = '--distlab-data-root=';

// out/main/index.js → out/renderer/index.html and out/preload/index.cjs.
const mainDir = path.dirname(fileURLToPath(import.meta.url));
const source = rendererSource({
  indexFile: path.join(mainDir, '..', 'renderer', 'index.html'),
  devServerUrl: app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'],
});

let mainWindow: BrowserWindow | null = null;
let labClosed = false;
let labClosing: Promise<void> | null = null;

function argValue(prefix: string): string | undefined {
  const arg = process.argv.find((value) => value.startsWith(prefix));
  return arg === undefined ? undefined : arg.slice(prefix.length);
}

function labOptions(): { scenario?: string; dataRoot?: string } {
  const scenario = argValue(SCENARIO_ARG);
  // By default the lab keeps runs where the CLI keeps them (DISTLAB_HOME or ~/.distlab).
  const dataRoot = argValue(DATA_ROOT_ARG);
  return { ...(scenario ? { scenario } : {}), ...(dataRoot ? { dataRoot } : {}) };
}

/** The built preload: it must be CommonJS, since a sandboxed preload cannot be an ES module. */
async function findPreload(): Promise<string> {
  for (const name of ['index.cjs', 'index.js']) {
    const candidate = path.join(mainDir, '..', 'preload', name);
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next name
    }
  }
  throw new Error(
    `no CommonJS preload in ${path.join(mainDir, '..', 'preload')}: a sandboxed preload cannot be an ES module; ` +
      "build it with output format 'cjs' (electron.vite.config.ts)",
  );
}

/** Why a `lab:call` is refused, or null when it comes from our page in our window. */
function untrustedSender(event: IpcMainInvokeEvent): string | null {
  if (mainWindow === null || mainWindow.isDestroyed() || event.sender !== mainWindow.webContents) return 'not the distlab window';
  const frame = event.senderFrame;
  if (frame === null) return 'the calling frame is gone';
  if (frame.parent !== null) return 'not the top frame';
  if (!isRendererUrl(frame.url, source)) return `not the distlab page (${frame.url})`;
  return null;
}

/** Desktop export: the lab writes the file, the user picks where a copy goes. */
async function exportTrace(lab: Lab, format: ExportFormat): Promise<ExportResult> {
  const result = await lab.exportTrace(format);
  if (!result.savedPath) throw new Error('the lab wrote no export file');
  const options = {
    title: 'Export trace',
    defaultPath: path.join(app.getPath('downloads'), result.fileName),
    filters: exportFilters(format, result.fileName),
  };
  const choice = mainWindow && !mainWindow.isDestroyed()
    ? await dialog.showSaveDialog(mainWindow, options)
    : await dialog.showSaveDialog(options);
  if (choice.canceled || !choice.filePath) throw new Error('cancelled; nothing was saved');
  await copyFile(result.savedPath, choice.filePath);
  return { ...result, savedPath: choice.filePath };
}

function serveLabCalls(labReady: Promise<Lab>): void {
  ipcMain.handle(LAB_CALL_CHANNEL, async (event, method: unknown, args: unknown) => {
    const refusal = untrustedSender(event);
    if (refusal !== null) throw new Error(`lab call refused: ${refusal}`);
    const call = parseLabCall(method, args);
    if (!call.ok) throw new Error(call.error);
    const lab = await labReady;
    if (call.method === 'exportTrace') return exportTrace(lab, call.args[0] as ExportFormat);
    const invoke = lab[call.method] as (...values: unknown[]) => Promise<unknown>;
    // IPC clones the value; `undefined` (fault) arrives as undefined, as LabApi says.
    return invoke.apply(lab, call.args);
  });
}

/** CSP for dev-server pages (file:// pages take theirs from index.html's <meta>), and no permissions. */
function secureSession(): void {
  if (source.kind === 'dev-server') {
    const policy = devServerCsp(source.origin);
    session.defaultSession.webRequest.onHeadersReceived({ urls: [`${source.origin}/*`] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
    });
  }
  // The lab page needs no camera, notifications, geolocation, …; copying text is allowed.
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    callback(permission === 'clipboard-sanitized-write');
  });
}

function createWindow(preload: string): BrowserWindow {
  const created = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'distlab',
    show: false,
    backgroundColor: '#111318',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  created.once('ready-to-show', () => created.show());
  const contents = created.webContents;
  // The page may reload itself; it may not go anywhere else, nor open windows.
  contents.on('will-navigate', (event) => {
    if (!isRendererUrl(event.url, source)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isRendererUrl(event.url, source)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isRendererUrl(event.url, source)) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('render-process-gone', (_event, details) => {
    console.error(`distlab: the window's renderer process is gone (${details.reason}, exit code ${details.exitCode})`);
  });
  created.on('closed', () => {
    if (mainWindow === created) mainWindow = null;
  });
  // Known before the page loads: its scripts call the lab before `loadURL` resolves.
  mainWindow = created;
  return created;
}

function pushUpdates(lab: Lab, target: BrowserWindow): void {
  if (target.isDestroyed()) return;
  const unsubscribe = lab.subscribe((update: LabUpdate) => {
    if (!target.isDestroyed() && !target.webContents.isDestroyed()) target.webContents.send(LAB_UPDATE_CHANNEL, update);
  });
  target.on('closed', unsubscribe);
}

/** Closes the lab once (killing its nodes and the recorder), bounded in time. */
function closeLab(labReady: Promise<Lab>): Promise<void> {
  labClosing ??= (async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(`distlab: the lab did not close within ${LAB_CLOSE_TIMEOUT_MS} ms; quitting anyway`);
        resolve();
      }, LAB_CLOSE_TIMEOUT_MS);
    });
    // A lab that never started has nothing to close (its failure was reported already).
    const close = labReady.then((lab) => lab.close(), () => undefined).catch((error: unknown) => {
      console.error(`distlab: closing the lab failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    await Promise.race([close, timeout]);
    clearTimeout(timer);
    labClosed = true;
  })();
  return labClosing;
}

function fail(title: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`distlab: ${title}: ${message}`);
  if (app.isReady()) dialog.showErrorBox(title, message);
  app.quit();
}

function main(): void {
  app.enableSandbox();
  if (!app.requestSingleInstanceLock()) {
    // Another distlab window is open; it comes to the front (second-instance below).
    app.quit();
    return;
  }
  // Start the cluster while Electron gets ready; lab calls made meanwhile wait for it.
  const labReady = createLab(labOptions());
  labReady.catch((error: unknown) => fail('distlab could not start the lab', error));

  app.on('second-instance', () => {
    if (mainWindow === null || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  // One window is the whole app: closing it quits, on macOS too, so that no node is left running.
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (labClosed) return;
    event.preventDefault();
    void closeLab(labReady).then(() => app.quit());
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  serveLabCalls(labReady);
  void app
    .whenReady()
    .then(async () => {
      secureSession();
      const opened = createWindow(await findPreload());
      // Subscribed before any call of the page can reach the lab (calls wait for
      // labReady too, and this callback was queued first), so no update falls in a gap
      // between the page's first query and the stream of updates.
      void labReady.then((lab) => pushUpdates(lab, opened), () => undefined);
      await opened.loadURL(source.url);
    })
    .catch((error: unknown) => fail('distlab could not open its window', error));
}

main();
