// The deterministic simulator (FoundationDB, TigerBeetle's VOPR): the same protocol cores as
// the real cluster, built through the registry and hosted in one process, on simulated time,
// a simulated network and simulated disks, with one seeded generator forked per subsystem.
// Nothing here reads the wall clock, sets a real timer or awaits: a run is a pure function of
// its config, so a seed replays its run event for event (lint keeps it so: eslint.config.js).
//
// A run has two phases. Safety: the workload runs while the nemesis (and/or a scenario's
// schedule) injects faults. Liveness: at `safetyMs` the network heals, crashed nodes restart,
// paused ones resume, faults stop; clients work a little longer, then stop; the cluster must
// settle (one view, equal data; for a primary-based protocol also a probe write acknowledged)
// within the bound, or the run fails.

import type { NodeId, ProcessId } from '../../src-node/contract/clock.ts';
import type { OutMessage, ProtocolDefinition, Reply } from '../../src-node/contract/core.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import type { TraceEvent, TraceKind } from '../../src-node/contract/trace.ts';
import { statusNoteDetail } from '../../src-node/contract/status-note.ts';
import { protocolByName } from '../../src-node/protocols/registry.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { CheckResult } from '../checks/run-checks.ts';
import { RaftInvariantMonitor } from '../checkers/raft-invariants.ts';
import { ConsensusMonitor } from '../checkers/consensus.ts';
import { BankLedgerMonitor, bankSetup } from '../checkers/bank.ts';
import { TraceAssertionMonitor, isTraceAssertion } from '../checkers/trace-assertions.ts';
import type { FaultSample, NodeSample, SuspicionSample } from '../lab/observations.ts';
import type { CompletedOp } from '../workload/client.ts';
import { judgeRun, unsettledReason, authority, type NodeEnd } from './checks.ts';
import { drawDelay, type SimConfig } from './config.ts';
import { EventQueue } from './event-queue.ts';
import type { ClientRequest, FaultSource, SimEvent } from './events.ts';
import { leads, planMove } from './nemesis.ts';
import { SimNetwork } from './network.ts';
import { routeHeartbeat, routeMessage, routeReply } from './routing.ts';
import { SimNode, type NodeWorld } from './sim-node.ts';
import { SimTrace, type Stamp, type TraceMode } from './sim-trace.ts';
import { SimClient } from './workload.ts';

/** Events one run may process; past it the run fails visibly (a livelock, a message storm). */
export const SIM_EVENTS_MAX = 20_000_000;
/** Protocols that serve the lab's key-value operations: their history is judged with the lab-kv model. */
export const KEY_VALUE_PROTOCOLS: ReadonlySet<string> = new Set(['primary-backup', 'raft', 'multi-paxos']);

/** Whether a run's history is judged with the lab-kv model: a key-value protocol, or 2PC replicating a key-value map. */
export function servesKeyValue(protocol: { name: string; params: Record<string, unknown> }): boolean {
  return KEY_VALUE_PROTOCOLS.has(protocol.name) || ((protocol.name === '2pc' || protocol.name === '3pc') && protocol.params['data'] === 'kv');
}
/** How often the liveness phase looks whether the cluster has settled. */
export const LIVENESS_CHECK_MS = 100;

export interface SimOptions {
  /** `full` keeps every TraceEvent (for a trace file, a replay); `light` only counts and hashes (sweeps). */
  trace?: TraceMode;
  /** The protocol to host instead of the registry's (tests host small probe cores). */
  definition?: ProtocolDefinition;
}

export interface SimResult {
  config: SimConfig;
  /** Every check gave the verdict the profile or scenario expects. */
  ok: boolean;
  checks: CheckResult[];
  /** Checks that found an anomaly (verdict `fail`), expected or not. */
  anomalies: string[];
  history: HistoryEntry[];
  operations: CompletedOp[];
  trace: SimTrace;
  /** Hash of the whole event stream: one seed, one hash. */
  digest: string;
  /**
   * Full traces: each node's status at the end (a node that is down: when it last crashed),
   * as `status` notes that continue its events (contract/status-note.ts); a trace file ends
   * with them. Taken after the digest and kept out of `trace.events`, so the run's event
   * stream and its digest are those of a light run. Empty in light mode.
   */
  statusNotes: TraceEvent[];
  stats: {
    simulatedMs: number;
    events: number;
    traceEvents: number;
    faults: number;
    operations: { total: number; ok: number; fail: number; info: number };
    healAtMs: number | null;
    convergedAtMs: number | null;
  };
  replay: string;
}

export function replayCommand(source: string, seed: number): string {
  return `npx distlab sim ${source} --seed ${seed}`;
}

/** Runs one simulation to its end and judges it. */
export function simulate(config: SimConfig, options: SimOptions = {}): SimResult {
  return new Simulation(config, options.trace ?? 'light', options.definition).run();
}

class Simulation implements NodeWorld {
  readonly trace: SimTrace;
  private readonly queue = new EventQueue<SimEvent>();
  private nowMs = 0;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly nodeIds: readonly NodeId[];
  private readonly clients = new Map<ProcessId, SimClient>();
  private readonly network: SimNetwork;
  private readonly diskRandom: Random;
  private readonly nemesisRandom: Random;
  private readonly history: HistoryEntry[] = [];
  private readonly operations: CompletedOp[] = [];
  private readonly nodeSamples: NodeSample[] = [];
  private readonly lastSample = new Map<NodeId, NodeSample>();
  private readonly suspicions: SuspicionSample[] = [];
  private readonly faults: FaultSample[] = [];
  private readonly fatals: { node: NodeId; atMs: number; message: string }[] = [];
  private phase: 'safety' | 'liveness' = 'safety';
  private healAtMs: number | null = null;
  private workEndMs = Infinity;
  private convergedAtMs: number | null = null;
  private unsettled: string | null = null;
  private probe: SimClient | null = null;
  private probeAcked = false;
  /** The nemesis's undo requests not yet applied (a stale one, undone early at stopMs, is skipped). */
  private readonly pendingUndos = new Set<FaultRequest>();
  private nemesisActions = 0;
  /** Raft runs: the invariants judged from the trace as it is recorded (light traces keep no events). */
  private readonly raftMonitor: RaftInvariantMonitor | null;
  /** A scenario's `events` and `leaders` checks, judged from the trace as it is recorded (in both trace modes). */
  private readonly assertionMonitor: TraceAssertionMonitor | null;
  /** Single-decree Paxos: agreement, validity, integrity from the `learned` notes, as they are recorded. */
  private readonly consensusMonitor: ConsensusMonitor | null;
  /** 2PC bank runs: what each transaction's coordinator and participants noted, as it is recorded. */
  private readonly bankMonitor: BankLedgerMonitor | null;
  private events = 0;
  /** Where each key must live, for protocols that partition their data (Dynamo); undefined: everywhere. */
  private readonly holdersOf: ((key: string) => readonly NodeId[]) | undefined;

  constructor(private readonly config: SimConfig, mode: TraceMode, definitionOverride?: ProtocolDefinition) {
    this.trace = new SimTrace(mode);
    const monitor = config.protocol.name === 'raft' ? new RaftInvariantMonitor() : null;
    this.raftMonitor = monitor;
    const consensus = config.expect.consensus !== undefined ? new ConsensusMonitor() : null;
    this.consensusMonitor = consensus;
    const bank = config.expect.bank !== undefined ? new BankLedgerMonitor() : null;
    this.bankMonitor = bank;
    // Simulated lab time starts at 0 with the schedule: the assertions' windows need no offset.
    const assertions = (config.expect.assertions ?? []).filter(isTraceAssertion);
    const judge = assertions.length > 0 ? new TraceAssertionMonitor(assertions) : null;
    this.assertionMonitor = judge;
    if (monitor !== null || judge !== null || consensus !== null || bank !== null) {
      this.trace.listener = (event) => {
        monitor?.observe(event);
        judge?.observe(event);
        consensus?.observe(event);
        bank?.observe(event);
      };
    }
    const root = createRandom(config.seed);
    root.fork(); // the config's own stream (config.ts draws the swarm from it)
    this.network = new SimNetwork(config.network, config.nodes, root.fork());
    this.diskRandom = root.fork();
    this.nemesisRandom = root.fork();
    const workloadRandom = root.fork();
    const definition = definitionOverride ?? protocolByName(config.protocol.name);
    this.holdersOf = definition.holdersOf?.(definition.parseParams(config.protocol.params), config.nodes);
    const params = definition.parseParams(config.protocol.params);
    this.nodeIds = config.nodes;
    for (const id of config.nodes) {
      this.nodes.set(id, new SimNode({
        id, peers: config.nodes.filter((other) => other !== id), definition, params,
        clock: config.clocks[id] ?? { skewMs: 0, driftPpm: 0 }, random: root.fork(),
        failureDetector: config.failureDetector, heartbeatIntervalMs: config.heartbeatIntervalMs, suspicionSampleMs: config.suspicionSampleMs,
      }, this));
    }
    const clients = config.workload?.clients ?? 0;
    for (let index = 0; index < clients; index += 1) {
      const id = `c${index + 1}`;
      this.clients.set(id, new SimClient(id, config.nodes[index % config.nodes.length]!, workloadRandom.fork()));
    }
    this.probe = new SimClient(`c${clients + 1}`, config.nodes[0]!, workloadRandom.fork(), true);
    this.probe.active = false;
  }

  run(): SimResult {
    const config = this.config;
    for (const node of this.nodes.values()) node.start();
    if (config.workload !== null) {
      const intervalMs = this.intervalMs();
      for (const client of this.clients.values()) {
        this.schedule(config.workload.startMs + client.random.next() * intervalMs, { kind: 'client-next', client: client.id });
      }
    }
    for (const step of config.schedule) this.schedule(step.atMs, { kind: 'fault', request: step.fault, by: 'scenario' });
    if (config.nemesis !== null) this.startNemesis(config.nemesis.startMs);
    this.schedule(config.safetyMs, { kind: 'heal' });
    const endMs = config.safetyMs + config.liveness.boundMs;
    while (this.convergedAtMs === null) {
      if (this.queue.peekTime() > endMs) break;
      const next = this.queue.pop();
      if (next === undefined) break;
      this.nowMs = next.atMs;
      this.events += 1;
      if (this.events > SIM_EVENTS_MAX) throw new Error(`simulation ${config.source} seed ${config.seed}: more than ${SIM_EVENTS_MAX} events`);
      this.dispatch(next.event);
    }
    if (this.convergedAtMs === null) this.nowMs = Math.max(this.nowMs, endMs);
    return this.result();
  }

  // ---- NodeWorld ---------------------------------------------------------------------------

  now(): number {
    return this.nowMs;
  }

  schedule(atMs: number, event: SimEvent): void {
    this.queue.push(atMs, event);
  }

  send(source: SimNode, message: OutMessage, payloadJson: string, msgId: string): void {
    routeMessage(this, this.network, { source, target: this.nodes.get(message.target), message, payloadJson, msgId });
  }

  heartbeat(source: SimNode, peer: NodeId): void {
    routeHeartbeat(this, this.network, { source, target: this.nodes.get(peer), peer });
  }

  reply(node: SimNode, request: ClientRequest, reply: Reply): void {
    routeReply(this, this.network, { node, request, reply });
  }

  abandon(node: SimNode, request: ClientRequest): void {
    this.schedule(this.nowMs + this.network.clientDelayMs(), {
      kind: 'response', client: request.client, opNumber: request.opNumber, node: node.id,
      result: { type: 'info', error: `connection to ${node.id} lost` }, stamp: null,
    });
  }

  persistLatencyMs(): number {
    return drawDelay(this.diskRandom, this.config.persistLatency);
  }

  observe(node: SimNode): void {
    const state = node.state === 'up' && node.paused ? 'paused' : node.state;
    let role: string | null = null;
    if (node.core !== null) {
      try {
        role = node.core.roleName?.() ?? node.core.status().role;
      } catch (error) {
        this.fatal(node, error);
        return;
      }
    }
    const last = this.lastSample.get(node.id);
    if (last !== undefined && last.state === state && last.role === role) return;
    const sample: NodeSample = { atMs: this.nowMs, node: node.id, state, role };
    this.lastSample.set(node.id, sample);
    this.nodeSamples.push(sample);
  }

  fatal(node: SimNode, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    node.record('log', { detail: { message: `fatal: ${message}`, fatal: true } });
    this.fatals.push({ node: node.id, atMs: this.nowMs, message });
    if (node.state === 'up') node.crash('down');
  }

  // ---- the event loop ----------------------------------------------------------------------

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver': return this.nodes.get(event.message.target)?.input(event);
      case 'heartbeat': return this.nodes.get(event.target)?.input(event);
      case 'timer': case 'request': return this.nodes.get(event.node)?.input(event);
      case 'disk': {
        const node = this.nodes.get(event.node);
        if (node?.incarnation === event.incarnation) node.drainDisk();
        return;
      }
      case 'beat': case 'sample': return this.onMonitorTick(event.kind, event.node, event.incarnation);
      case 'response': return this.onResponse(event.client, event.opNumber, event.result, event.stamp);
      case 'client-next': return this.onClientNext(event.client);
      case 'client-timeout': {
        const client = this.client(event.client);
        if (client.open?.opNumber !== event.opNumber) return;
        return this.complete(client, { type: 'info', error: `no answer from ${client.open.node} within ${this.config.workload?.timeoutMs ?? 0} ms` }, null);
      }
      case 'fault':
        if (this.phase === 'liveness' && event.by !== 'liveness') return;
        // The nemesis's own moves apply at once; its 'fault' events are undos, unless undone already at stopMs.
        if (event.by === 'nemesis' && !this.pendingUndos.delete(event.request)) return;
        return this.applyFault(event.request, event.by);
      case 'nemesis': return this.onNemesis();
      case 'heal': return this.startLiveness();
      case 'liveness-check': return this.checkLiveness();
    }
  }

  private onMonitorTick(kind: 'beat' | 'sample', id: NodeId, incarnation: number): void {
    const node = this.nodes.get(id);
    if (node === undefined || node.incarnation !== incarnation || node.state !== 'up') return;
    if (kind === 'beat') {
      node.beat();
      this.schedule(this.nowMs + this.config.heartbeatIntervalMs, { kind: 'beat', node: id, incarnation });
      return;
    }
    const sample = node.sample();
    if (sample !== null) this.suspicions.push({ atMs: this.nowMs, observer: id, suspected: sample.suspected });
    this.schedule(this.nowMs + this.config.suspicionSampleMs, { kind: 'sample', node: id, incarnation });
  }

  // ---- faults --------------------------------------------------------------------------------

  private applyFault(request: FaultRequest, by: FaultSource): void {
    const node = 'node' in request ? this.nodes.get(request.node) : undefined;
    if ('node' in request && node === undefined) throw new Error(`fault ${request.kind} names unknown node ${request.node}`);
    if (!this.faultApplies(request, node)) return;
    this.trace.record('lab', 'fault', this.nowMs, this.nowMs, {
      ...(node ? { peer: node.id } : {}), msgType: request.kind, detail: { request, by },
    });
    this.faults.push({ atMs: this.nowMs, request });
    switch (request.kind) {
      case 'crash': return node!.crash('down');
      case 'stop': return node!.crash('stopped');
      case 'wipe':
        if (node!.state === 'up') node!.crash('down');
        return node!.wipe();
      case 'restart': return node!.start();
      case 'pause': return node!.pause();
      case 'resume': return node!.resume();
      case 'clock': return node!.clock.setFaults(this.nowMs, request.clock);
      case 'slow-disk':
        node!.slowDiskMs = request.persistDelayMs;
        return;
      case 'partition': case 'heal': case 'link': return this.network.apply(request);
    }
  }

  /** A fault that cannot apply now (crash a node that is down…) is skipped, as the lab refuses it. */
  private faultApplies(request: FaultRequest, node: SimNode | undefined): boolean {
    switch (request.kind) {
      case 'crash': case 'stop': case 'pause': return node!.state === 'up' && !(request.kind === 'pause' && node!.paused);
      case 'restart': return node!.state === 'down';
      case 'resume': return node!.state === 'up' && node!.paused;
      default: return true;
    }
  }

  /** When the nemesis stops: its stopMs, within the safety phase (whose end heals everything anyway). */
  private nemesisStopMs(): number {
    return Math.min(this.config.nemesis?.stopMs ?? Infinity, this.config.safetyMs);
  }

  private startNemesis(startMs: number): void {
    const first = startMs + this.nemesisDelay();
    const stopMs = this.nemesisStopMs();
    if (first < stopMs) this.schedule(first, { kind: 'nemesis' });
    // Stopping before the liveness phase: an event of its own undoes what is still pending.
    if (stopMs < this.config.safetyMs) this.schedule(stopMs, { kind: 'nemesis' });
  }

  private onNemesis(): void {
    const nemesis = this.config.nemesis;
    if (this.phase !== 'safety' || nemesis === null) return;
    if (this.nowMs >= this.nemesisStopMs()) return this.stopNemesis();
    if (nemesis.maxActions !== null && this.nemesisActions >= nemesis.maxActions) return;
    const glance = [...this.nodes.values()].map((node) => ({ id: node.id, state: node.state, paused: node.paused, role: this.lastSample.get(node.id)?.role ?? null }));
    const move = planMove(this.nemesisRandom, nemesis, glance);
    if (move !== null) {
      this.nemesisActions += 1;
      this.applyFault(move.request, 'nemesis');
      if (move.undo !== null) {
        this.pendingUndos.add(move.undo.request);
        this.schedule(this.nowMs + move.undo.afterMs, { kind: 'fault', request: move.undo.request, by: 'nemesis' });
      }
    }
    const next = this.nowMs + this.nemesisDelay();
    const more = nemesis.maxActions === null || this.nemesisActions < nemesis.maxActions;
    if (more && next < this.nemesisStopMs()) this.schedule(next, { kind: 'nemesis' });
  }

  /** At stopMs: every fault still pending is undone now (restart, resume, heal…), in the order it was made. */
  private stopNemesis(): void {
    const pending = [...this.pendingUndos];
    this.pendingUndos.clear();
    for (const request of pending) this.applyFault(request, 'nemesis');
  }

  private nemesisDelay(): number {
    const mean = this.config.nemesis?.meanIntervalMs ?? 1000;
    return -mean * Math.log(1 - this.nemesisRandom.next());
  }

  // ---- the liveness phase --------------------------------------------------------------------

  private startLiveness(): void {
    this.phase = 'liveness';
    this.healAtMs = this.nowMs;
    this.workEndMs = this.nowMs + this.config.liveness.workMs;
    this.trace.record('lab', 'log', this.nowMs, this.nowMs, { detail: { message: 'liveness phase: network healed, crashed nodes restarted, paused ones resumed, no more faults' } });
    this.applyFault({ kind: 'heal' }, 'liveness');
    this.network.calm();
    for (const node of this.nodes.values()) {
      if (node.slowDiskMs > 0) this.applyFault({ kind: 'slow-disk', node: node.id, persistDelayMs: 0 }, 'liveness');
      if (node.paused) this.applyFault({ kind: 'resume', node: node.id }, 'liveness');
      if (node.state === 'down') this.applyFault({ kind: 'restart', node: node.id }, 'liveness');
    }
    this.schedule(this.nowMs + LIVENESS_CHECK_MS, { kind: 'liveness-check' });
  }

  private nodeEnds(): NodeEnd[] {
    return [...this.nodes.values()].map((node) => ({ id: node.id, state: node.state, paused: node.paused, status: node.core?.status() ?? null }));
  }

  private checkLiveness(): void {
    this.schedule(this.nowMs + LIVENESS_CHECK_MS, { kind: 'liveness-check' });
    const busy = [...this.clients.values()].filter((client) => client.active || client.open !== null);
    if (busy.length > 0) {
      this.unsettled = `client(s) ${busy.map((client) => client.id).join(', ')} still working`;
      return;
    }
    const ends = this.nodeEnds();
    this.unsettled = unsettledReason(ends, this.holdersOf);
    if (this.unsettled !== null) return;
    const primary = authority(ends);
    const facts = primary?.status?.facts;
    const hasPrimary = facts?.['primary'] !== undefined || facts?.['leader'] !== undefined;
    if (hasPrimary && !this.probeAcked) {
      // The last word of liveness: a write through the client path, acknowledged.
      this.unsettled = 'probe write not acknowledged yet';
      const probe = this.probe!;
      if (probe.open === null) this.invoke(probe, { f: 'put', key: `probe-${probe.opNumber + 1}`, value: 'probe' }, primary!.id, false);
      return;
    }
    this.convergedAtMs = this.nowMs;
    this.trace.record('lab', 'log', this.nowMs, this.nowMs, { detail: { message: `converged ${Math.round(this.nowMs - this.healAtMs!)} ms after healing` } });
  }

  // ---- clients -------------------------------------------------------------------------------

  private client(id: ProcessId): SimClient {
    if (id === this.probe?.id) return this.probe;
    const client = this.clients.get(id);
    if (client === undefined) throw new Error(`unknown client ${id}`);
    return client;
  }

  private intervalMs(): number {
    const workload = this.config.workload;
    return workload === null ? 1000 : (workload.clients * 1000) / workload.ratePerSec;
  }

  private onClientNext(id: ProcessId): void {
    const client = this.client(id);
    const workload = this.config.workload;
    if (workload === null || !client.active) return;
    if (this.nowMs >= this.workEndMs) {
      client.active = false;
      return;
    }
    client.startedAtMs = this.nowMs;
    this.invoke(client, client.nextOp(workload), this.pickTarget(client.home), false);
  }

  /**
   * The node a client asks, as the real lab's workload picks it (LabRun.pickTarget): the
   * primary its home node believes in (or leader, or 2PC coordinator), if that one runs; else
   * the home node; with the home node down, the node whose role leads, else the first one running.
   */
  private pickTarget(home: NodeId): NodeId {
    const running = [...this.nodes.values()].filter((node) => node.state === 'up' && !node.paused && node.core !== null);
    const homeNode = running.find((node) => node.id === home);
    if (homeNode !== undefined) {
      const facts = homeNode.core!.status().facts;
      const believed = facts['primary'] ?? facts['leader'] ?? facts['coordinator'];
      if (typeof believed === 'string' && running.some((node) => node.id === believed)) return believed;
      return homeNode.id;
    }
    const leader = running.find((node) => leads(this.lastSample.get(node.id)?.role));
    return leader?.id ?? running[0]?.id ?? this.nodeIds[0]!;
  }

  private invoke(client: SimClient, op: ClientOp, node: NodeId, redirected: boolean): void {
    client.opNumber += 1;
    const requestId = `${client.id}:${client.opNumber}`;
    this.trace.record(client.id, 'invoke', this.nowMs, this.nowMs, { msgId: requestId, peer: node, msgType: op.f, detail: { op } });
    this.historyEntry('invoke', client.id, op, op.value, requestId, node);
    client.open = { opNumber: client.opNumber, requestId, op, node, invokedAtMs: this.nowMs, redirected };
    if (this.nodes.get(node)?.state !== 'up') {
      this.complete(client, { type: 'fail', error: `${node} is not running` }, null);
      return;
    }
    const request: ClientRequest = { client: client.id, requestId, opNumber: client.opNumber, op, stamp: this.trace.stampOf(client.id) };
    this.schedule(this.nowMs + this.network.clientDelayMs(), { kind: 'request', node, request });
    this.schedule(this.nowMs + (this.config.workload?.timeoutMs ?? 1500), { kind: 'client-timeout', client: client.id, opNumber: client.opNumber });
  }

  private onResponse(id: ProcessId, opNumber: number, result: ClientResult, stamp: Stamp | null): void {
    const client = this.client(id);
    if (client.open?.opNumber !== opNumber) return; // late: the client gave up on it already
    this.complete(client, result, stamp);
  }

  private complete(client: SimClient, result: ClientResult, stamp: Stamp | null): void {
    const open = client.open!;
    client.open = null;
    const fields = { msgId: open.requestId, peer: open.node, msgType: open.op.f, detail: { op: open.op, result } };
    this.trace.record(client.id, result.type as TraceKind, this.nowMs, this.nowMs, stamp === null ? fields : { ...fields, received: stamp });
    this.historyEntry(result.type, client.id, open.op, result.type === 'ok' && open.op.f !== 'put' ? result.value ?? null : open.op.value, open.requestId, open.node, result.error);
    this.operations.push({ client: client.id, node: open.node, op: open.op, result, invokedAtMs: open.invokedAtMs, completedAtMs: this.nowMs, opId: open.requestId });
    const redirect = result.redirect;
    if (result.type === 'fail' && redirect !== undefined && redirect !== open.node && !open.redirected && this.nodes.has(redirect)) {
      this.invoke(client, open.op, redirect, true);
      return;
    }
    if (client.probe) {
      if (result.type === 'ok') this.probeAcked = true;
      return;
    }
    client.completed(open.op, result);
    this.schedule(Math.max(this.nowMs, client.startedAtMs + this.intervalMs()), { kind: 'client-next', client: client.id });
  }

  private historyEntry(type: HistoryEntry['type'], process: ProcessId, op: ClientOp, value: unknown, id: string, node: NodeId, error?: string): void {
    const entry: HistoryEntry = { index: this.history.length, type, process, f: op.f, time: this.nowMs, id, node };
    if (op.key !== undefined) entry.key = op.key;
    if (value !== undefined) entry.value = value;
    if (error !== undefined) entry.error = error;
    this.history.push(entry);
  }

  // ---- the end -------------------------------------------------------------------------------

  private result(): SimResult {
    const config = this.config;
    const workloadOps = this.operations.filter((op) => op.client !== this.probe?.id);
    const ends = this.nodeEnds();
    const consensus = this.consensusMonitor?.result({ history: this.history, finals: ends.map((end) => ({ node: end.id, up: end.state === 'up', data: end.status?.data })) }) ?? null;
    const checks = judgeRun({
      nodes: ends, consensus, history: this.history, keyValue: servesKeyValue(this.config.protocol), operations: workloadOps, nodeSamples: this.nodeSamples, suspicions: this.suspicions,
      raftInvariants: this.raftMonitor?.result() ?? null, traceAssertions: this.assertionMonitor?.results() ?? null, holdersOf: this.holdersOf,
      bank: this.bankMonitor === null ? null : { transactions: this.bankMonitor.transactions, ...bankSetup(config.protocol.params, config.nodes) },
      faults: this.faults, fatals: this.fatals, healAtMs: this.healAtMs, convergedAtMs: this.convergedAtMs,
      unsettled: this.unsettled, endMs: this.nowMs, boundMs: config.liveness.boundMs,
    }, config.expect);
    const count = (type: string): number => this.operations.filter((op) => op.result.type === type).length;
    return {
      config,
      ok: checks.every((check) => check.ok),
      checks,
      anomalies: checks.filter((check) => check.verdict === 'fail').map((check) => check.kind),
      history: this.history,
      operations: this.operations,
      trace: this.trace,
      digest: this.trace.digest,
      stats: {
        simulatedMs: this.nowMs, events: this.events, traceEvents: this.trace.total, faults: this.faults.length,
        operations: { total: this.operations.length, ok: count('ok'), fail: count('fail'), info: count('info') },
        healAtMs: this.healAtMs, convergedAtMs: this.convergedAtMs,
      },
      replay: replayCommand(config.source, config.seed),
      statusNotes: this.statusNotes(ends),
    };
  }

  /** Called last, once the digest and the checks are taken: see SimResult.statusNotes. */
  private statusNotes(ends: readonly NodeEnd[]): TraceEvent[] {
    if (this.trace.mode !== 'full') return [];
    const first = this.trace.events.length;
    for (const end of ends) {
      const node = this.nodes.get(end.id)!;
      if (end.status !== null) {
        node.record('state', { detail: statusNoteDetail(end.status, JSON.stringify(end.status)) });
      } else if (node.crashStatus !== null) {
        const { status, atMs } = node.crashStatus;
        node.record('state', { detail: { ...statusNoteDetail(status, JSON.stringify(status)), takenAtLabMs: atMs } });
      }
    }
    return this.trace.events.splice(first);
  }
}
