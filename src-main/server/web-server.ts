// The browser shell: serves the built renderer and carries LabApi over socket.io, on one
// HTTP server. It binds 127.0.0.1 unless told otherwise, and every request and socket
// must carry the per-run token (query `token`, or the cookie set when the page is first
// loaded with it), so another local user or a web page in some other tab cannot drive
// the lab. The renderer uses the same LabApi as in Electron; this file only carries it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import path from 'node:path';
import { Server as SocketServer, type Socket } from 'socket.io';
import {
  LAB_METHODS,
  type ExportResult,
  type LabApi,
  type LabMethod,
  type LabUpdate,
} from '../../src-node/contract/lab-api.ts';
import { validateCallArgs } from './call-validation.ts';

export interface WebServerOptions {
  lab: LabApi;
  /** Interface to listen on; 127.0.0.1 unless the user asks for a LAN. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The per-run secret; random by default. */
  token?: string;
  /** The built renderer (out/renderer). */
  rendererDir: string;
}

export interface WebServer {
  /** The page to open, with the token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export type CallAck = { ok: true; value: unknown } | { ok: false; error: string };

const TOKEN_COOKIE = 'distlab_token';
/** Exports the server remembers for download; older ones are forgotten first. */
const EXPORTS_MAX = 64;
/** Arguments of one call, after JSON decoding; socket.io itself caps a message at 1 MB. */
const CALL_ARGS_MAX = 4;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.sqlite': 'application/vnd.sqlite3',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
};

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('hex');
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new Error('the web server token must be at least 16 printable characters');
  }
  const rendererDir = path.resolve(options.rendererDir);
  const exports = new Map<string, { filePath: string; fileName: string }>();
  const tokenMatches = (candidate: string | null | undefined): boolean => safeEqual(candidate, token);
  const requestHasToken = (request: IncomingMessage): boolean =>
    tokenMatches(queryToken(request)) || tokenMatches(readCookie(request, TOKEN_COOKIE));

  const server = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendText(response, 500, 'internal error');
      else response.destroy();
      console.error('distlab web server:', error);
    });
  });
  const connections = new Set<NetSocket>();
  server.on('connection', (connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
  });

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    setSecurityHeaders(response);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendText(response, 405, 'method not allowed');
      return;
    }
    if (!requestHasToken(request)) {
      sendText(response, 403, 'forbidden: open the URL with the token that distlab printed');
      return;
    }
    if (tokenMatches(queryToken(request))) {
      // The page's own requests (scripts, styles, the socket) then carry the cookie.
      response.setHeader(
        'Set-Cookie',
        `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`,
      );
    }
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname.startsWith('/exports/')) {
      await serveExport(pathname, response);
      return;
    }
    await serveStatic(pathname, response);
  }

  async function serveStatic(pathname: string, response: ServerResponse): Promise<void> {
    const filePath = resolveInside(rendererDir, pathname === '/' ? '/index.html' : pathname);
    // Dot files (the build stamp, editor droppings) are not part of the page.
    if (filePath === null || path.relative(rendererDir, filePath).split(path.sep).some((part) => part.startsWith('.'))) {
      sendText(response, 404, 'not found');
      return;
    }
    const info = await stat(filePath).catch(() => null);
    if (info === null || !info.isFile()) {
      sendText(response, 404, 'not found');
      return;
    }
    const extension = path.extname(filePath).toLowerCase();
    response.statusCode = 200;
    response.setHeader('Content-Type', CONTENT_TYPES[extension] ?? 'application/octet-stream');
    response.setHeader('Content-Length', info.size);
    // Vite puts a content hash in asset names; index.html must always be fresh.
    response.setHeader(
      'Cache-Control',
      pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    await pipeFile(filePath, response);
  }

  async function serveExport(pathname: string, response: ServerResponse): Promise<void> {
    const [, , id, encodedName, ...rest] = pathname.split('/');
    const entry = id === undefined ? undefined : exports.get(id);
    if (entry === undefined || rest.length > 0 || safeDecode(encodedName ?? '') !== entry.fileName) {
      sendText(response, 404, 'no such export');
      return;
    }
    const info = await stat(entry.filePath).catch(() => null);
    if (info === null || !info.isFile()) {
      sendText(response, 410, 'the exported file is gone');
      return;
    }
    const extension = path.extname(entry.fileName).toLowerCase();
    response.statusCode = 200;
    response.setHeader('Content-Type', CONTENT_TYPES[extension] ?? 'application/octet-stream');
    response.setHeader('Content-Length', info.size);
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="${entry.fileName.replace(/[^\w.-]/g, '_')}"`,
    );
    await pipeFile(entry.filePath, response);
  }

  /** Turns the lab's saved file into a same-origin download that only this server serves. */
  function registerExport(result: ExportResult): ExportResult {
    if (result.savedPath === undefined) return result;
    const id = randomBytes(12).toString('hex');
    exports.set(id, { filePath: result.savedPath, fileName: result.fileName });
    while (exports.size > EXPORTS_MAX) exports.delete(exports.keys().next().value as string);
    const { savedPath: _savedPath, ...rest } = result;
    return {
      ...rest,
      downloadUrl: `/exports/${id}/${encodeURIComponent(result.fileName)}?token=${token}`,
    };
  }

  const io = new SocketServer(server, {
    serveClient: false,
    // The engine refuses a handshake without the token before socket.io sees it.
    allowRequest: (request, callback) => {
      const ok = requestHasToken(request) && originIsSelf(request);
      callback(ok ? null : 'forbidden', ok);
    },
  });
  const unsubscribes = new Set<() => void>();

  io.on('connection', (socket: Socket) => {
    const unsubscribe = options.lab.subscribe((update: LabUpdate) => {
      socket.emit('update', update);
    });
    unsubscribes.add(unsubscribe);
    socket.on('disconnect', () => {
      unsubscribe();
      unsubscribes.delete(unsubscribe);
    });
    socket.on('call', (method: unknown, args: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return; // a call without an answer channel is ignored
      const reply = ack as (answer: CallAck) => void;
      void answerCall(method, args).then(reply);
    });
  });

  async function answerCall(method: unknown, args: unknown): Promise<CallAck> {
    if (typeof method !== 'string' || !(LAB_METHODS as readonly string[]).includes(method)) {
      return { ok: false, error: `unknown lab method ${JSON.stringify(method)}; known: ${LAB_METHODS.join(', ')}` };
    }
    if (!Array.isArray(args) || args.length > CALL_ARGS_MAX) {
      return { ok: false, error: `arguments of ${method} must be an array` };
    }
    const problem = validateCallArgs(method as LabMethod, args);
    if (problem !== null) return { ok: false, error: `${method}: ${problem}` };
    try {
      const call = options.lab[method as LabMethod] as (...values: unknown[]) => Promise<unknown>;
      const value = await call.apply(options.lab, args);
      if (method === 'exportTrace') return { ok: true, value: registerExport(value as ExportResult) };
      return { ok: true, value: value ?? null };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close() {
      closed ??= (async () => {
        for (const unsubscribe of unsubscribes) unsubscribe();
        unsubscribes.clear();
        io.disconnectSockets(true);
        // io.close() also closes the HTTP server; idle keep-alive sockets are ended here.
        const serverClosed = new Promise<void>((resolve) => io.close(() => resolve()));
        for (const connection of connections) connection.destroy();
        await serverClosed;
      })();
      return closed;
    },
  };
}

function setSecurityHeaders(response: ServerResponse): void {
  response.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.statusCode = status;
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.end(`${text}\n`);
}

function pipeFile(filePath: string, response: ServerResponse): Promise<void> {
  if (response.req.method === 'HEAD') {
    response.end();
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const stream = createReadStream(filePath);
    stream.on('error', reject);
    response.on('close', () => {
      stream.destroy();
      resolve();
    });
    stream.pipe(response);
  });
}

/** The file under `root` that a URL path names, or null if it would leave `root`. */
export function resolveInside(root: string, urlPath: string): string | null {
  const decoded = safeDecode(urlPath);
  if (decoded === null || decoded.includes('\0') || decoded.includes('\\')) return null;
  const resolved = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  return resolved.startsWith(root + path.sep) ? resolved : null;
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function queryToken(request: IncomingMessage): string | null {
  return new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
}

function readCookie(request: IncomingMessage, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}

/** A browser sends Origin on cross-site requests and WebSockets: it must be this server. */
function originIsSelf(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // not a browser, or a same-origin GET
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function safeEqual(candidate: string | null | undefined, token: string): boolean {
  if (typeof candidate !== 'string') return false;
  const given = Buffer.from(candidate);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
