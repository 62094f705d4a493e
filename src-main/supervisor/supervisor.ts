// The supervisor: starts the cluster's node processes, breaks them on request (crash,
// pause, partition, lossy links, clock skew…) and puts every fault in the trace with who
// asked for it. It runs in the Electron main process or a plain Node process, so it does
// no blocking I/O and loads no native module.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FromNode, NodeConfig, PhiOptions } from '../../src-node/contract/control.ts';
import {
  TRUE_CLOCK, type ClockFaults, type FaultRequest, type FaultRequester,
} from '../../src-node/contract/faults.ts';
import type { LinkView, NodeView } from '../../src-node/contract/lab-api.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { ProcessClock } from './process-events.ts';
import { NetworkPlan } from './network-plan.ts';
import { NodeProcess, type NodeExit, type NodeProcessEvents } from './node-process.ts';
import { childEntry, nodeBinary } from './child-entry.ts';

export const MAX_NODES = 15;
export const START_TIMEOUT_MS = 15_000;
export const SHUTDOWN_GRACE_MS = 3_000;
export const MAX_CLOCK_SKEW_MS = 3_600_000;
export const MAX_CLOCK_DRIFT_PPM = 500_000;
export const MAX_PERSIST_DELAY_MS = 10_000;

export interface ClusterOptions {
  nodes: NodeId[];
  /** Each node keeps its stable storage in `<dataRoot>/<node id>/`. */
  dataRoot: string;
  host: string;
  protocol: { name: string; params: Record<string, unknown> };
  heartbeatIntervalMs: number;
  failureDetector: PhiOptions;
  suspicionSampleMs: number;
  traceFlushMs: number;
  traceBatchMax: number;
  seed: number;
  runStartEpochMs: number;
}

export interface SupervisorSink {
  /** Events in the order they arrived, from nodes and from the lab itself. */
  events(events: TraceEvent[]): void;
  /** Something in `nodes()` or `links()` changed. */
  changed(): void;
}

export class Supervisor {
  readonly plan: NetworkPlan;
  private readonly processes = new Map<NodeId, NodeProcess>();
  private readonly clocks = new Map<NodeId, ClockFaults>();
  private readonly persistDelays = new Map<NodeId, number>();
  private readonly labClock: ProcessClock;
  private readonly waiters = new Set<() => void>();
  /**
   * Where each node last listened. A node that is down keeps its address here: its peers are
   * told it and keep retrying it, so a node restarted while a peer is down links up with that
   * peer when it comes back (on the same port, as restarts usually do; a moved one is broadcast).
   */
  private readonly addresses = new Map<NodeId, string>();
  private closing = false;

  private constructor(private readonly options: ClusterOptions, private readonly sink: SupervisorSink) {
    if (options.nodes.length < 1 || options.nodes.length > MAX_NODES) {
      throw new Error(`a cluster has 1 to ${MAX_NODES} nodes, not ${options.nodes.length}`);
    }
    this.plan = new NetworkPlan(options.nodes);
    this.labClock = new ProcessClock('lab', options.runStartEpochMs, (event) => sink.events([event]));
    const listener: NodeProcessEvents = {
      onMessage: (node, message) => this.onMessage(node, message),
      onExit: (node, exit) => this.onExit(node, exit),
    };
    for (const id of options.nodes) {
      this.processes.set(id, new NodeProcess(id, path.join(options.dataRoot, id), listener));
      this.clocks.set(id, { ...TRUE_CLOCK });
      this.persistDelays.set(id, 0);
    }
  }

  /** Starts every node and resolves once each one has a live link to every other. */
  static async start(options: ClusterOptions, sink: SupervisorSink): Promise<Supervisor> {
    const supervisor = new Supervisor(options, sink);
    try {
      for (const node of supervisor.processes.values()) supervisor.spawn(node);
      await supervisor.waitFor('every node to listen', () => supervisor.all((node) => node.url !== null));
      supervisor.broadcastPeers();
      await supervisor.waitFor('every link to come up', () => supervisor.fullyConnected());
      return supervisor;
    } catch (error) {
      await supervisor.close();
      throw error;
    }
  }

  get nodeIds(): NodeId[] {
    return [...this.options.nodes];
  }

  nodes(): NodeView[] {
    return [...this.processes.values()].map((node) => ({
      id: node.id,
      state: node.state,
      url: node.url,
      pid: node.pid,
      restarts: node.restarts,
      status: node.status,
      clock: this.clocks.get(node.id) ?? { ...TRUE_CLOCK },
      persistDelayMs: this.persistDelays.get(node.id) ?? 0,
      linksUp: [...node.linksUp].sort(),
    }));
  }

  links(): LinkView[] {
    const links: LinkView[] = [];
    for (const source of this.processes.values()) {
      for (const target of this.options.nodes) {
        if (target === source.id) continue;
        links.push({ source: source.id, target, faults: this.plan.link(source.id, target), up: source.linksUp.has(target) });
      }
    }
    return links;
  }

  fullyConnected(): boolean {
    const size = this.options.nodes.length;
    return this.all((node) => node.state === 'up' && node.linksUp.size === size - 1);
  }

  /** Applies one fault and records it in the trace. Rejects, changing nothing, when it makes no sense now. */
  async apply(request: FaultRequest, by: FaultRequester): Promise<void> {
    if (this.closing) throw new Error('the cluster is shutting down');
    switch (request.kind) {
      case 'crash': return this.crash(this.node(request.node), request, by);
      case 'stop': return this.stop(this.node(request.node), request, by);
      case 'restart': return this.restart(this.node(request.node), request, by);
      case 'pause': return this.pause(this.node(request.node), request, by);
      case 'resume': return this.resume(this.node(request.node), request, by);
      case 'wipe': return this.wipe(this.node(request.node), request, by);
      case 'partition':
        this.plan.setPartition(request.spec);
        return this.networkChanged(request, by);
      case 'heal':
        this.plan.heal();
        return this.networkChanged(request, by);
      case 'link':
        this.plan.setLink(request.source, request.target, request.faults);
        return this.networkChanged(request, by, request.source);
      case 'clock': return this.setClock(this.node(request.node), request, by);
      case 'slow-disk': return this.setPersistDelay(this.node(request.node), request, by);
      default: throw new Error(`unknown fault '${(request as { kind?: unknown }).kind}'`);
    }
  }

  /** Puts a message from the lab itself in the trace (a `log` event of process `lab`). */
  log(message: string, detail: Record<string, unknown> = {}): void {
    this.labClock.record('log', { detail: { message, ...detail } });
  }

  /** Resolves when `predicate` holds (checked after every change), rejects after `timeoutMs`. */
  waitFor(what: string, predicate: () => boolean, timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Asks every running node to report its unsent events, and waits (bounded) for them. */
  async flush(timeoutMs = 2_000): Promise<void> {
    const pending = [...this.processes.values()].filter((node) => node.alive && node.state !== 'paused');
    const flushed = new Set<NodeId>();
    for (const node of pending) {
      node.onFlushed = () => flushed.add(node.id);
      node.send({ t: 'flush' });
    }
    await this.waitFor('nodes to flush their events', () => pending.every((node) => flushed.has(node.id) || !node.alive), timeoutMs)
      .catch(() => undefined);
  }

  /** Stops every node (gracefully, then SIGKILL) and leaves no process behind. */
  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.processes.values()].filter((node) => node.alive);
    await Promise.all(running.map(async (node) => {
      if (node.state === 'paused') node.signal('SIGCONT');
      node.send({ t: 'shutdown' });
      const exited = node.exited();
      const timer = setTimeout(() => { if (node.alive) node.signal('SIGKILL'); }, SHUTDOWN_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }));
  }

  private node(id: NodeId): NodeProcess {
    const node = this.processes.get(id);
    if (!node) throw new Error(`unknown node '${String(id)}' (nodes: ${this.options.nodes.join(', ')})`);
    return node;
  }

  private all(predicate: (node: NodeProcess) => boolean): boolean {
    return [...this.processes.values()].every(predicate);
  }

  private spawn(node: NodeProcess): void {
    const config: NodeConfig = {
      id: node.id,
      cluster: [...this.options.nodes],
      dataDir: node.dataDir,
      host: this.options.host,
      port: node.port,
      runStartEpochMs: this.options.runStartEpochMs,
      protocol: this.options.protocol,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      failureDetector: this.options.failureDetector,
      suspicionSampleMs: this.options.suspicionSampleMs,
      traceFlushMs: this.options.traceFlushMs,
      traceBatchMax: this.options.traceBatchMax,
      seed: this.options.seed,
      seqStart: node.lastSeq + 1,
      restart: node.restarts,
      links: this.plan.outgoing(node.id),
      clock: this.clocks.get(node.id) ?? { ...TRUE_CLOCK },
      persistDelayMs: this.persistDelays.get(node.id) ?? 0,
    };
    node.state = node.restarts === 0 ? 'starting' : 'recovering';
    node.spawn({ entry: childEntry('node'), execPath: nodeBinary(), config });
    this.changed();
  }

  private broadcastPeers(): void {
    for (const node of this.processes.values()) this.sendPeers(node);
  }

  private onMessage(node: NodeProcess, message: FromNode): void {
    switch (message.t) {
      case 'listening': {
        const moved = node.port !== 0 && node.port !== message.port;
        node.url = message.url;
        node.port = message.port;
        this.addresses.set(node.id, message.url);
        // A node listens only once it has recovered from its stable storage.
        if (node.state === 'starting' || node.state === 'recovering') node.state = 'up';
        // A restarted node needs the peers' addresses; if it came back elsewhere, so do they.
        if (moved) this.broadcastPeers();
        else if (node.restarts > 0) this.sendPeers(node);
        break;
      }
      case 'link':
        if (message.up) node.linksUp.add(message.peer);
        else node.linksUp.delete(message.peer);
        break;
      case 'events':
        node.noteEvents(message.events);
        this.sink.events(message.events);
        return;
      case 'status':
        node.status = message.status;
        break;
      case 'flushed':
        node.onFlushed?.();
        node.onFlushed = null;
        break;
      case 'fatal':
        this.labClock.record('log', { peer: node.id, detail: { message: `${node.id} failed: ${message.message}`, stack: message.stack } });
        break;
    }
    this.changed();
  }

  private sendPeers(node: NodeProcess): void {
    const peers = [...this.addresses].filter(([id]) => id !== node.id).map(([id, url]) => ({ id, url }));
    node.send({ t: 'peers', peers });
  }

  private onExit(node: NodeProcess, exit: NodeExit): void {
    if (node.state !== 'stopped') node.state = 'down';
    if (!exit.expected && !this.closing) {
      const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
      this.labClock.record('log', {
        peer: node.id,
        detail: { message: `${node.id} exited on its own (${how})`, stderr: exit.stderr.slice(-1000) },
      });
    }
    this.changed();
  }

  private recordFault(request: FaultRequest, by: FaultRequester, node?: NodeId): void {
    this.labClock.record('fault', { ...(node ? { peer: node } : {}), msgType: request.kind, detail: { request, by } });
  }

  private async crash(node: NodeProcess, request: FaultRequest, by: FaultRequester): Promise<void> {
    if (!node.alive) throw new Error(`${node.id} is not running (it is ${node.state})`);
    this.recordFault(request, by, node.id);
    const exited = node.exited();
    node.signal('SIGKILL');
    await exited;
  }

  private async stop(node: NodeProcess, request: FaultRequest, by: FaultRequester): Promise<void> {
    if (node.state === 'stopped') throw new Error(`${node.id} is already stopped`);
    this.recordFault(request, by, node.id);
    node.state = 'stopped';
    if (node.alive) {
      const exited = node.exited();
      node.signal('SIGKILL');
      await exited;
    }
    this.changed();
  }

  private async restart(node: NodeProcess, request: FaultRequest, by: FaultRequester): Promise<void> {
    if (node.alive) throw new Error(`${node.id} is running: crash it before restarting it`);
    if (node.state === 'stopped') throw new Error(`${node.id} was stopped for good (crash-stop); it does not come back`);
    this.recordFault(request, by, node.id);
    node.restarts += 1;
    this.spawn(node);
    await this.waitFor(`${node.id} to recover`, () => node.state === 'up' || !node.alive);
    if (!node.alive) throw new Error(`${node.id} exited while recovering`);
  }

  private pause(node: NodeProcess, request: FaultRequest, by: FaultRequester): void {
    if (!node.alive || node.state === 'paused') throw new Error(`${node.id} is ${node.state}: only a running node can be paused`);
    this.recordFault(request, by, node.id);
    node.signal('SIGSTOP');
    node.state = 'paused';
    this.changed();
  }

  private resume(node: NodeProcess, request: FaultRequest, by: FaultRequester): void {
    if (node.state !== 'paused') throw new Error(`${node.id} is ${node.state}, not paused`);
    this.recordFault(request, by, node.id);
    node.signal('SIGCONT');
    node.state = 'up';
    this.changed();
  }

  private async wipe(node: NodeProcess, request: FaultRequest, by: FaultRequester): Promise<void> {
    this.recordFault(request, by, node.id);
    if (node.alive) {
      const exited = node.exited();
      node.signal('SIGKILL');
      await exited;
    }
    await rm(node.dataDir, { recursive: true, force: true });
    // A wiped node comes back as a new member with an empty disk: its old event numbers stay.
    this.changed();
  }

  private setClock(node: NodeProcess, request: Extract<FaultRequest, { kind: 'clock' }>, by: FaultRequester): void {
    const clock = { ...(this.clocks.get(node.id) ?? TRUE_CLOCK), ...request.clock };
    checkNumber('skewMs', clock.skewMs, -MAX_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS);
    checkNumber('driftPpm', clock.driftPpm, -MAX_CLOCK_DRIFT_PPM, MAX_CLOCK_DRIFT_PPM);
    this.clocks.set(node.id, clock);
    this.recordFault(request, by, node.id);
    this.sendFaults(node);
    this.changed();
  }

  private setPersistDelay(node: NodeProcess, request: Extract<FaultRequest, { kind: 'slow-disk' }>, by: FaultRequester): void {
    checkNumber('persistDelayMs', request.persistDelayMs, 0, MAX_PERSIST_DELAY_MS);
    this.persistDelays.set(node.id, request.persistDelayMs);
    this.recordFault(request, by, node.id);
    this.sendFaults(node);
    this.changed();
  }

  private networkChanged(request: FaultRequest, by: FaultRequester, only?: NodeId): void {
    this.recordFault(request, by, only);
    for (const node of this.processes.values()) if (!only || node.id === only) this.sendFaults(node);
    this.changed();
  }

  private sendFaults(node: NodeProcess): void {
    node.send({
      t: 'faults',
      links: this.plan.outgoing(node.id),
      clock: this.clocks.get(node.id) ?? { ...TRUE_CLOCK },
      persistDelayMs: this.persistDelays.get(node.id) ?? 0,
    });
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
    this.sink.changed();
  }
}

function checkNumber(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
}
