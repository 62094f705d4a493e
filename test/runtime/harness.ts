// Starts real node processes for the runtime tests, wires their peers, collects what they
// report, and kills every one of them in `stop()` — no process is left behind.

import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChildren } from '../../scripts/child-bundles.mjs';
import { io, type Socket } from 'socket.io-client';
import type { ClientAck, FromNode, NodeConfig, ToNode } from '../../src-node/contract/control.ts';
import { CLIENT_REQUEST_EVENT } from '../../src-node/contract/control.ts';
import type { CoreStatus } from '../../src-node/contract/core.ts';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { TEST_PROTOCOL } from './fixtures/test-core.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_BUNDLE = path.join(ROOT, 'out/test-node/test-node.cjs');
export const NODE_BUNDLE = path.join(ROOT, 'out/node/node.cjs');

/** Bundles the runtime with the test core (the same way scripts/build-node.mjs bundles node.cjs). */
export async function buildTestBundle(): Promise<string> {
  await bundleChildren({ 'test-node': 'test/runtime/fixtures/test-node-main.ts' }, 'out/test-node');
  return TEST_BUNDLE;
}

export function buildNodeBundle(): string {
  const result = spawnSync(process.execPath, ['scripts/build-node.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('scripts/build-node.mjs failed');
  return NODE_BUNDLE;
}

export interface HarnessNode {
  id: string;
  config: NodeConfig;
  child: ChildProcess;
  /** Every pid this node had (restarts included). */
  pids: number[];
  url: string | undefined;
  /** Events of every incarnation, in arrival order. */
  events: TraceEvent[];
  statuses: CoreStatus[];
  links: Map<string, boolean>;
  messages: FromNode[];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export interface ClusterOptions {
  size: number;
  bundle: string;
  protocol?: { name: string; params: Record<string, unknown> };
  configure?: (config: NodeConfig) => NodeConfig;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Retries an async probe until it returns a value (undefined = not yet). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class Cluster {
  readonly nodes = new Map<string, HarnessNode>();
  readonly dir: string;
  readonly runStartEpochMs = Date.now();
  private readonly clients: Socket[] = [];
  private requestCounter = 0;

  private constructor(private readonly options: ClusterOptions) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'distlab-runtime-'));
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    const ids = Array.from({ length: options.size }, (_, index) => `n${index + 1}`);
    try {
      for (const id of ids) cluster.spawn(cluster.baseConfig(id, ids));
      await Promise.all(ids.map((id) => waitFor(`${id} listening`, () => cluster.node(id).url, 10_000)));
      cluster.sendPeers();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  node(id: string): HarnessNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  send(id: string, message: ToNode): void {
    this.node(id).child.send(message);
  }

  sendPeers(): void {
    const peers = [...this.nodes.values()].filter((node) => node.url !== undefined).map((node) => ({ id: node.id, url: node.url ?? '' }));
    for (const node of this.nodes.values()) if (node.exit === undefined) node.child.send({ t: 'peers', peers });
  }

  events(id: string, kind?: TraceEvent['kind']): TraceEvent[] {
    const events = this.node(id).events;
    return kind === undefined ? events : events.filter((event) => event.kind === kind);
  }

  /** Asks the node for its unflushed events and waits until they are here. */
  async flush(id: string): Promise<void> {
    const node = this.node(id);
    const before = node.messages.filter((message) => message.t === 'flushed').length;
    this.send(id, { t: 'flush' });
    await waitFor(`${id} flushed`, () => node.messages.filter((message) => message.t === 'flushed').length > before);
  }

  async waitExit(id: string, timeoutMs = 5000): Promise<NonNullable<HarnessNode['exit']>> {
    const node = this.node(id);
    return waitFor(`${id} to exit`, () => node.exit, timeoutMs);
  }

  async kill(id: string): Promise<void> {
    this.node(id).child.kill('SIGKILL');
    await this.waitExit(id);
  }

  /** Restarts a dead node on the same data dir, continuing its seq as a supervisor would. */
  async restart(id: string): Promise<HarnessNode> {
    const old = this.node(id);
    if (old.exit === undefined) throw new Error(`${id} is still running`);
    const seqStart = Math.max(0, ...old.events.map((event) => event.seq)) + 1;
    const config: NodeConfig = { ...old.config, restart: old.config.restart + 1, seqStart, port: 0 };
    const node = this.spawn(config, old);
    await waitFor(`${id} listening again`, () => node.url, 10_000);
    this.sendPeers();
    return node;
  }

  /** A lab client: emits `client-request` on the node's server and waits for the ack. */
  async clientRequest(id: string, op: ClientOp, timeoutMs = 5000): Promise<ClientAck> {
    const socket = await this.client(id);
    this.requestCounter += 1;
    const requestId = `c1:${this.requestCounter}`;
    const envelope = {
      source: 'c1', target: id, type: 'client-request', id: requestId, lamport: 0, vclock: {},
      sentAtNodeMs: Date.now() - this.runStartEpochMs, payload: { requestId, op },
    };
    return (await socket.timeout(timeoutMs).emitWithAck(CLIENT_REQUEST_EVENT, envelope)) as ClientAck;
  }

  async client(id: string): Promise<Socket> {
    const url = this.node(id).url;
    if (url === undefined) throw new Error(`${id} is not listening`);
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    this.clients.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  }

  /** Kills every process still running, waits for them, removes the temp dir. */
  async stop(): Promise<void> {
    for (const socket of this.clients) socket.disconnect();
    for (const node of this.nodes.values()) if (node.exit === undefined) node.child.kill('SIGKILL');
    await Promise.all([...this.nodes.values()].map((node) => waitFor(`${node.id} exit`, () => node.exit !== undefined, 5000)));
    rmSync(this.dir, { recursive: true, force: true });
    for (const node of this.nodes.values()) {
      for (const pid of node.pids) if (isAlive(pid)) throw new Error(`process ${pid} of ${node.id} is still alive`);
    }
  }

  private baseConfig(id: string, cluster: string[]): NodeConfig {
    const config: NodeConfig = {
      id, cluster, dataDir: path.join(this.dir, id), host: '127.0.0.1', port: 0,
      runStartEpochMs: this.runStartEpochMs,
      protocol: this.options.protocol ?? { name: TEST_PROTOCOL, params: {} },
      heartbeatIntervalMs: 100, failureDetector: { ...LAB_PHI_OPTIONS }, suspicionSampleMs: 200,
      traceFlushMs: 20, traceBatchMax: 256, seed: 42, seqStart: 1, restart: 0,
      links: {}, clock: { ...TRUE_CLOCK }, persistDelayMs: 0,
    };
    return this.options.configure?.(config) ?? config;
  }

  private spawn(config: NodeConfig, previous?: HarnessNode): HarnessNode {
    const child = fork(this.options.bundle, [], {
      env: { ...process.env, DISTLAB_NODE_CONFIG: JSON.stringify(config) },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const node: HarnessNode = previous ?? {
      id: config.id, config, child, pids: [], url: undefined, events: [], statuses: [], links: new Map(), messages: [], exit: undefined,
    };
    Object.assign(node, { config, child, url: undefined, exit: undefined, links: new Map() });
    if (child.pid !== undefined) node.pids.push(child.pid);
    child.on('message', (message: FromNode) => {
      if (node.child !== child) return;
      node.messages.push(message);
      if (message.t === 'listening') node.url = message.url;
      else if (message.t === 'events') node.events.push(...message.events);
      else if (message.t === 'status') node.statuses.push(message.status);
      else if (message.t === 'link') node.links.set(message.peer, message.up);
    });
    child.on('exit', (code, signal) => {
      if (node.child === child) node.exit = { code, signal };
    });
    this.nodes.set(config.id, node);
    return node;
  }
}
