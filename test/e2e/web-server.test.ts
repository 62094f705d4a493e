// The browser shell's own rules, checked over real HTTP and socket.io with a stub lab:
// the token guards every door, static files cannot escape the renderer folder, bad
// calls get a sentence back and never crash the server, and close() leaves nothing.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { LabApi, LabSnapshot, LabUpdate } from '../../src-node/contract/lab-api.ts';
import { startWebServer } from '../../src-main/server/web-server.ts';

const SNAPSHOT: LabSnapshot = { run: null, nodes: [], links: [], phiThreshold: 8, tracePath: null, labTimeMs: 0, live: true };

function stubLab(exportFile: string) {
  const listeners = new Set<(update: LabUpdate) => void>();
  const faults: unknown[] = [];
  const lab: LabApi = {
    snapshot: async () => SNAPSHOT,
    fault: async (request) => {
      faults.push(request);
      if (request.kind === 'crash' && request.node === 'n9') throw new Error('no node n9 in this cluster');
    },
    clientOp: async () => {
      throw new Error('not in this stub');
    },
    checkHistory: async () => {
      throw new Error('not in this stub');
    },
    runs: async () => [],
    openTrace: async () => {
      throw new Error('not in this stub');
    },
    measurePbs: async () => {
      throw new Error('not in this stub');
    },
    compareProtocols: async () => {
      throw new Error('not in this stub');
    },
    measureConvergence: async () => {
      throw new Error('not in this stub');
    },
    events: async () => [],
    exportTrace: async (format) => ({ format, fileName: 'run 1.jsonl', bytes: 11, savedPath: exportFile }),
    scenarios: async () => [],
    startScenario: async () => SNAPSHOT,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { lab, listeners, faults };
}

function connect(url: string, query: Record<string, string>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { query, transports: ['websocket'], reconnection: false, forceNew: true });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

type Ack = { ok: boolean; value?: unknown; error?: string };
const call = (socket: Socket, method: unknown, args: unknown): Promise<Ack> =>
  socket.timeout(5000).emitWithAck('call', method, args) as Promise<Ack>;

test('web server: token, static files, socket calls, exports, close', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'distlab-web-'));
  const rendererDir = path.join(dir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'secret.txt'), 'secret');
  const exportFile = path.join(dir, 'export.jsonl');
  writeFileSync(exportFile, '{"id":1}\n{}\n');
  const { lab, listeners, faults } = stubLab(exportFile);
  const server = await startWebServer({ lab, rendererDir });
  const origin = `http://127.0.0.1:${server.port}`;
  const sockets: Socket[] = [];
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);

    // Every HTTP request needs the token.
    assert.equal((await fetch(`${origin}/`)).status, 403);
    assert.equal((await fetch(`${origin}/?token=wrong`)).status, 403);
    assert.equal((await fetch(`${origin}/assets/app.js`)).status, 403);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(cookie, /^distlab_token=/);
    // The cookie alone opens the page's own files.
    const script = await fetch(`${origin}/assets/app.js`, { headers: { cookie } });
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    // No way out of the renderer folder, however it is spelled.
    for (const escape of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2F..%2Fsecret.txt', '/..%5csecret.txt', '/%00']) {
      const response = await fetch(`${origin}${escape}`, { headers: { cookie } });
      assert.notEqual(response.status, 200, escape);
      assert.doesNotMatch(await response.text(), /secret/);
    }
    assert.equal((await fetch(`${origin}/assets`, { headers: { cookie } })).status, 404);
    writeFileSync(path.join(rendererDir, '.build-stamp'), 'stamp');
    assert.equal((await fetch(`${origin}/.build-stamp`, { headers: { cookie } })).status, 404);
    assert.equal((await fetch(`${origin}/`, { method: 'POST', headers: { cookie } })).status, 405);

    // socket.io refuses a connection without the token.
    await assert.rejects(connect(origin, {}));
    await assert.rejects(connect(origin, { token: 'x'.repeat(64) }));
    const socket = await connect(origin, { token: server.token });
    sockets.push(socket);
    assert.equal(listeners.size, 1, 'a connected socket subscribes to lab updates');

    assert.deepEqual(await call(socket, 'snapshot', []), { ok: true, value: SNAPSHOT });
    const unknown = await call(socket, 'close', []);
    assert.equal(unknown.ok, false);
    assert.match(unknown.error ?? '', /unknown lab method "close"/);
    assert.match((await call(socket, 'subscribe', [])).error ?? '', /unknown lab method/);
    assert.match((await call(socket, 'fault', { kind: 'heal' })).error ?? '', /must be an array/);
    assert.match((await call(socket, 'fault', [])).error ?? '', /expects 1 argument/);
    assert.match((await call(socket, 'fault', [{ kind: 'explode' }])).error ?? '', /unknown fault kind/);
    assert.match((await call(socket, 'fault', [{ kind: 'crash' }])).error ?? '', /needs a node id/);
    assert.match((await call(socket, 'fault', [{ kind: 'link', source: 'n1', target: 'n2', faults: { lossPct: '5' } }])).error ?? '', /wrong type/);
    assert.match((await call(socket, 'exportTrace', ['pdf'])).error ?? '', /format must be one of/);
    assert.match((await call(socket, 'events', [{ limit: 'all' }])).error ?? '', /limit must be a number/);
    assert.match((await call(socket, 'compareProtocols', [{ scenario: 'compare-leader-crash', seeds: 0 }])).error ?? '', /expects \{scenario: a scenario name, seeds: 1–200\}/);
    assert.match((await call(socket, 'compareProtocols', [{ seeds: 3 }])).error ?? '', /expects \{scenario/);
    // The lab's own errors come back as its sentence.
    assert.deepEqual(await call(socket, 'fault', [{ kind: 'crash', node: 'n9' }]), { ok: false, error: 'no node n9 in this cluster' });
    assert.deepEqual(await call(socket, 'fault', [{ kind: 'partition', spec: { groups: [['n1'], ['n2']], oneWay: true } }]), { ok: true, value: null });
    assert.equal(faults.length, 2, 'only well-formed requests reached the lab');
    socket.emit('call', 'snapshot', []); // no ack: ignored, no crash

    // Lab updates reach the socket.
    const received = new Promise<LabUpdate>((resolve) => socket.once('update', resolve));
    for (const listener of listeners) listener({ kind: 'snapshot', snapshot: SNAPSHOT });
    assert.deepEqual(await received, { kind: 'snapshot', snapshot: SNAPSHOT });

    // An export becomes a same-origin download of exactly the registered file.
    const exported = await call(socket, 'exportTrace', ['jsonl']);
    assert.equal(exported.ok, true);
    const result = exported.value as { downloadUrl: string; savedPath?: string; fileName: string };
    assert.equal(result.savedPath, undefined);
    assert.match(result.downloadUrl, /^\/exports\/[0-9a-f]+\/run%201\.jsonl\?token=/);
    const download = await fetch(`${origin}${result.downloadUrl}`);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('content-disposition') ?? '', /attachment; filename="run_1.jsonl"/);
    assert.equal(await download.text(), '{"id":1}\n{}\n');
    const other = result.downloadUrl.replace('run%201.jsonl', 'secret.txt');
    assert.equal((await fetch(`${origin}${other}`)).status, 404);
    assert.equal((await fetch(`${origin}/exports/0000/run%201.jsonl?token=${server.token}`)).status, 404);
    assert.equal((await fetch(`${origin}${result.downloadUrl.split('?')[0]}`)).status, 403);

    socket.close();
    await waitFor(() => listeners.size === 0);
    const again = await connect(origin, { token: server.token });
    sockets.push(again);
    await waitFor(() => listeners.size === 1);
  } finally {
    await server.close();
    for (const socket of sockets) socket.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(listeners.size, 0, 'close() unsubscribes every socket');
  await assert.rejects(fetch(server.url), 'the port is closed');
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !condition(); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(condition());
}
