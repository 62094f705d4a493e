// One simulated node: the host of one protocol core, with the semantics of the real runtime
// (src-node/runtime/core-host.ts, cluster-node.ts, failure-monitor.ts, node-clock.ts) in
// simulated time:
//
// * Stable storage is a map that survives crashes. A step's Ready is applied in the contract's
//   order — persist, then state notes, messages, replies, timers — once its persist completes
//   after a drawn fsync latency; later steps' effects queue behind it, so the order between
//   steps holds. A crash before completion loses the writes and the messages together: a
//   crash loses exactly what was not persisted.
// * The host pipelines, as the runtime's (core-host.ts, CoreContext.pipelined): a step's
//   `early` messages and replies leave at once, before its writes are durable — so a crash
//   before completion loses the writes but not them, the case that Raft's §10.2.1 must
//   survive; `persisted` follows each step's completion, and `flush` each input (the
//   simulator delivers one input at a time, so every input is a batch of one).
// * A crash drops the core, its timers, its queued effects and its inbox; a restart builds a
//   new core through the protocol's factory and feeds it `recover` with the persisted map.
// * A paused process takes no step: deliveries, timers and client requests wait in its inbox;
//   on resume the overdue failure-detector tick runs first (it forgives the silence it could
//   not hear, as the real monitor does), then the inbox, in order.
// * The node's clock has skew, drift and jumps; cores get `nowMs` from it. The failure
//   detector measures on the lab's (simulated) monotonic time, as the real monitor does.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { PhiOptions } from '../../src-node/contract/control.ts';
import type { CoreInput, CoreStatus, OutMessage, ProtocolCore, ProtocolDefinition, Ready, Reply } from '../../src-node/contract/core.ts';
import type { ClockFaults } from '../../src-node/contract/faults.ts';
import type { TraceKind } from '../../src-node/contract/trace.ts';
import { PhiAccrualDetector } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import type { ClientRequest, NodeInputEvent, SimEvent } from './events.ts';
import type { SimTrace, TraceFields } from './sim-trace.ts';

/** Core timers alive at once, and steps waiting behind the disk (as the real runtime's limits). */
export const CORE_TIMERS_MAX = 10_000;
export const DELAYED_STEPS_MAX = 100_000;
/** Inputs a paused node holds; past it the run fails visibly. */
export const INBOX_MAX = 100_000;
/** A `persist` event lists at most this many keys (TRACE_PERSIST_KEYS_MAX of the runtime). */
export const TRACE_PERSIST_KEYS_MAX = 32;
/** Send events carry the payload when its JSON is at most this long (as the runtime). */
export const TRACE_PAYLOAD_MAX_CHARS = 4096;

export type SimNodeState = 'up' | 'down' | 'stopped';

/** What a node needs from the simulation around it. */
export interface NodeWorld {
  readonly trace: SimTrace;
  now(): number;
  schedule(atMs: number, event: SimEvent): void;
  send(source: SimNode, message: OutMessage, payloadJson: string, msgId: string): void;
  heartbeat(source: SimNode, peer: NodeId): void;
  /** The core answered a client: the answer travels back to it. */
  reply(node: SimNode, request: ClientRequest, reply: Reply): void;
  /** The node crashed with a client's request open: the client sees its connection drop. */
  abandon(node: SimNode, request: ClientRequest): void;
  persistLatencyMs(node: SimNode): number;
  /** A step may have changed the node's role (it produced state notes), or its state changed. */
  observe(node: SimNode): void;
  /** The core threw: a failed assertion, a bug the run must show. */
  fatal(node: SimNode, error: unknown): void;
}

/** nodeTime = labTime × (1 + driftPpm/10⁶) + skewMs, re-anchored when the drift changes (node-clock.ts). */
export class SimClock {
  private anchorLabMs = 0;
  private anchorUnskewedMs = 0;
  private rate: number;
  private skewMs: number;

  constructor(faults: ClockFaults) {
    this.rate = 1 + faults.driftPpm / 1e6;
    this.skewMs = faults.skewMs;
  }

  nowMs(labMs: number): number {
    return this.anchorUnskewedMs + (labMs - this.anchorLabMs) * this.rate + this.skewMs;
  }

  setFaults(labMs: number, faults: Partial<ClockFaults>): void {
    const nextRate = faults.driftPpm === undefined ? this.rate : 1 + faults.driftPpm / 1e6;
    if (nextRate !== this.rate) {
      this.anchorUnskewedMs = this.nowMs(labMs) - this.skewMs;
      this.anchorLabMs = labMs;
      this.rate = nextRate;
    }
    if (faults.skewMs !== undefined) this.skewMs = faults.skewMs;
  }

  faults(): ClockFaults {
    return { skewMs: this.skewMs, driftPpm: Math.round((this.rate - 1) * 1e6 * 1000) / 1000 };
  }
}

/** A check later than this (beyond its schedule) means this process itself was not running (failure-monitor.ts). */
export function pauseGapMs(heartbeatIntervalMs: number): number {
  return Math.max(3 * heartbeatIntervalMs, 250);
}

/** The real FailureMonitor's decisions, driven by simulated ticks instead of setInterval. */
export class SimFailureMonitor {
  private readonly detectors = new Map<NodeId, PhiAccrualDetector>();
  readonly suspected = new Set<NodeId>();
  private readonly heard = new Set<NodeId>();
  private lastCheckMs: number;

  constructor(private readonly peers: readonly NodeId[], private readonly options: PhiOptions, private readonly heartbeatIntervalMs: number, nowMs: number) {
    for (const peer of peers) {
      const detector = new PhiAccrualDetector(options);
      // A peer never heard from must become suspected too: the start counts as its first beat.
      detector.heartbeat(nowMs);
      this.detectors.set(peer, detector);
    }
    this.lastCheckMs = nowMs;
  }

  heartbeatFrom(peer: NodeId, nowMs: number): void {
    const detector = this.detectors.get(peer);
    if (detector === undefined) return;
    detector.heartbeat(nowMs);
    this.heard.add(peer);
  }

  phiOf(peer: NodeId, nowMs: number): number {
    return this.detectors.get(peer)?.phi(nowMs) ?? 0;
  }

  /** Returns the verdicts that changed, in peer order; `gapMs` > 0 when this process was away. */
  check(nowMs: number): { changes: { peer: NodeId; suspected: boolean }[]; gapMs: number } {
    const lateMs = nowMs - this.lastCheckMs - this.heartbeatIntervalMs;
    this.lastCheckMs = nowMs;
    let gapMs = 0;
    if (lateMs > pauseGapMs(this.heartbeatIntervalMs)) {
      for (const detector of this.detectors.values()) detector.forgive(lateMs, nowMs);
      gapMs = lateMs;
    }
    const changes: { peer: NodeId; suspected: boolean }[] = [];
    for (const peer of this.peers) {
      const over = this.phiOf(peer, nowMs) >= this.options.threshold;
      if (over && !this.suspected.has(peer)) {
        this.suspected.add(peer);
        changes.push({ peer, suspected: true });
      } else if (!over && this.suspected.has(peer) && this.heard.has(peer)) {
        this.suspected.delete(peer);
        changes.push({ peer, suspected: false });
      }
    }
    return { changes, gapMs };
  }
}

export interface SimNodeOptions {
  id: NodeId;
  peers: readonly NodeId[];
  definition: ProtocolDefinition;
  params: Record<string, unknown>;
  clock: ClockFaults;
  random: Random;
  failureDetector: PhiOptions;
  heartbeatIntervalMs: number;
  suspicionSampleMs: number;
}

interface DelayedStep {
  dueMs: number;
  latencyMs: number;
  ready: Ready;
}

/** One input to the core: a CoreInput, or a call the pipelined contract adds. */
type CoreCall = { kind: 'input'; input: CoreInput } | { kind: 'flush' } | { kind: 'persisted'; token: number };

export class SimNode {
  readonly id: NodeId;
  readonly peers: readonly NodeId[];
  readonly clock: SimClock;
  /** What survives a crash. Values are JSON, as in SQLite. */
  readonly stable = new Map<string, unknown>();
  state: SimNodeState = 'down';
  paused = false;
  /** Bumped by every start: events of an older incarnation are ignored. */
  incarnation = 0;
  restarts = -1;
  core: ProtocolCore | null = null;
  monitor: SimFailureMonitor | null = null;
  /** Extra fsync latency (the `slow-disk` fault). */
  slowDiskMs = 0;
  /** Full traces: the status its process had when it last crashed, and when (the run's end status of a node that is down). */
  crashStatus: { status: CoreStatus; atMs: number } | null = null;
  private readonly timers = new Map<string, number>();
  private timerTokens = 0;
  private readonly delayed: DelayedStep[] = [];
  private readonly inbox: NodeInputEvent[] = [];
  private readonly pending = new Map<string, ClientRequest>();
  private readonly random: Random;

  constructor(private readonly options: SimNodeOptions, private readonly world: NodeWorld) {
    this.id = options.id;
    this.peers = options.peers;
    this.clock = new SimClock(options.clock);
    this.random = options.random;
  }

  get running(): boolean {
    return this.state === 'up';
  }

  nodeNowMs(): number {
    return this.clock.nowMs(this.world.now());
  }

  record(kind: TraceKind, fields: TraceFields = {}): void {
    this.world.trace.record(this.id, kind, this.world.now(), this.nodeNowMs(), fields);
  }

  // ---- process lifecycle ---------------------------------------------------------------------

  /** Starts a new process on the persisted state: a new core, `recover` first, then the failure detector. */
  start(): void {
    const world = this.world;
    this.state = 'up';
    this.paused = false;
    this.incarnation += 1;
    this.restarts += 1;
    const coreRandom = this.random.fork();
    const { definition } = this.options;
    this.record('start', { detail: { restart: this.restarts, recovered: this.stable.size > 0 } });
    const stable = new Map(this.stable);
    try {
      this.core = definition.create({ self: this.id, peers: this.peers, random: () => coreRandom.next(), params: this.options.params, pipelined: true });
    } catch (error) {
      world.fatal(this, error);
      return;
    }
    this.step({ kind: 'recover', nowMs: this.nodeNowMs(), stable }, () => {
      this.record('recover', { detail: { keys: stable.size, role: this.core?.status().role } });
    });
    if (this.state !== 'up') return;
    const now = world.now();
    this.monitor = new SimFailureMonitor(this.peers, this.options.failureDetector, this.options.heartbeatIntervalMs, now);
    // setInterval phases differ per process: the first tick comes a drawn fraction of a period in.
    world.schedule(now + this.random.next() * this.options.heartbeatIntervalMs, { kind: 'beat', node: this.id, incarnation: this.incarnation });
    world.schedule(now + this.random.next() * this.options.suspicionSampleMs, { kind: 'sample', node: this.id, incarnation: this.incarnation });
    world.observe(this);
  }

  /** SIGKILL: everything not persisted is gone; clients with open requests see the connection drop. */
  crash(next: SimNodeState = 'down'): void {
    // Only a full trace keeps it, so a light run (a sweep) builds no status here.
    if (this.world.trace.mode === 'full' && this.core !== null) this.crashStatus = this.statusAtCrash(this.core);
    this.state = next;
    this.paused = false;
    this.core = null;
    this.monitor = null;
    this.timers.clear();
    this.delayed.length = 0;
    this.inbox.length = 0;
    this.incarnation += 1;
    for (const request of this.pending.values()) this.world.abandon(this, request);
    this.pending.clear();
    this.world.observe(this);
  }

  private statusAtCrash(core: ProtocolCore): { status: CoreStatus; atMs: number } | null {
    try {
      return { status: core.status(), atMs: this.world.now() };
    } catch {
      return null; // the core failed an assertion: its status is not to be trusted
    }
  }

  wipe(): void {
    this.stable.clear();
  }

  pause(): void {
    if (this.state === 'up') this.paused = true;
    this.world.observe(this);
  }

  /** SIGCONT: overdue timers first (the failure detector forgives its own absence), then buffered input. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.world.observe(this);
    const incarnation = this.incarnation;
    this.beat();
    this.drainDisk();
    while (this.inbox.length > 0 && !this.paused && this.incarnation === incarnation) this.input(this.inbox.shift()!);
  }

  // ---- inputs ----------------------------------------------------------------------------------

  /** A delivery, heartbeat, timer or client request for this node: taken now, or held while paused. */
  input(event: NodeInputEvent): void {
    if (this.state !== 'up') {
      if (event.kind === 'request') this.world.abandon(this, event.request);
      return;
    }
    if (this.paused) {
      if (this.inbox.length >= INBOX_MAX) throw new Error(`${this.id}: more than ${INBOX_MAX} inputs held while paused`);
      this.inbox.push(event);
      return;
    }
    switch (event.kind) {
      case 'deliver': {
        const message = event.message;
        this.record('receive', { msgId: message.id, peer: message.source, msgType: message.type, received: message.stamp });
        this.step({ kind: 'message', nowMs: this.nodeNowMs(), source: message.source, type: message.type, payload: JSON.parse(message.payloadJson) as unknown });
        return;
      }
      case 'heartbeat':
        this.monitor?.heartbeatFrom(event.source, this.world.now());
        return;
      case 'timer':
        if (event.incarnation !== this.incarnation || this.timers.get(event.timer) !== event.token) return;
        this.timers.delete(event.timer);
        this.record('timer', { detail: { timer: event.timer } });
        this.step({ kind: 'timer', nowMs: this.nodeNowMs(), timer: event.timer });
        return;
      case 'request': {
        const request = event.request;
        this.record('receive', { msgId: request.requestId, peer: request.client, msgType: 'client-request', received: request.stamp, detail: { requestId: request.requestId, op: request.op } });
        this.pending.set(request.requestId, request);
        this.step({ kind: 'client', nowMs: this.nodeNowMs(), requestId: request.requestId, op: request.op });
        return;
      }
    }
  }

  /** The failure monitor's heartbeat interval: send heartbeats, then judge every peer. */
  beat(): void {
    const monitor = this.monitor;
    if (monitor === null || this.state !== 'up' || this.paused) return;
    for (const peer of this.peers) this.world.heartbeat(this, peer);
    const now = this.world.now();
    const { changes, gapMs } = monitor.check(now);
    if (gapMs > 0) this.record('log', { detail: { message: `this process did not run for ${Math.round(gapMs)} ms; peers' silence during it forgiven` } });
    for (const change of changes) {
      if (this.state !== 'up' || this.monitor !== monitor) return;
      this.record('suspicion', {
        peer: change.peer,
        detail: { phi: { [change.peer]: round3(monitor.phiOf(change.peer, now)) }, suspected: this.peers.filter((peer) => monitor.suspected.has(peer)), change },
      });
      this.step({ kind: 'suspicion', nowMs: this.nodeNowMs(), peer: change.peer, suspected: change.suspected });
    }
  }

  /** A suspicion sample for the trace (the UI's phi chart). */
  sample(): { phi: Record<NodeId, number>; suspected: NodeId[] } | null {
    const monitor = this.monitor;
    if (monitor === null || this.state !== 'up' || this.paused) return null;
    const now = this.world.now();
    const phi: Record<NodeId, number> = {};
    for (const peer of this.peers) phi[peer] = round3(Math.min(monitor.phiOf(peer, now), 1e6));
    const suspected = this.peers.filter((peer) => monitor.suspected.has(peer));
    this.record('suspicion', { detail: { phi, suspected } });
    return { phi, suspected };
  }

  // ---- the Ready loop --------------------------------------------------------------------------

  /** One input, then the end of its batch (`flush`). */
  private step(input: CoreInput, afterCoreStep?: () => void): void {
    this.call({ kind: 'input', input }, afterCoreStep);
    this.call({ kind: 'flush' });
  }

  private call(call: CoreCall, afterCoreStep?: () => void): void {
    const core = this.core;
    if (core === null || this.state !== 'up') return;
    let ready: Ready | null;
    try {
      ready = call.kind === 'input' ? core.step(call.input)
        : call.kind === 'flush' ? (core.flush?.(this.nodeNowMs()) ?? null)
        : (core.persisted?.(call.token, this.nodeNowMs()) ?? null);
      afterCoreStep?.();
    } catch (error) {
      this.world.fatal(this, error);
      return;
    }
    if (ready === null) return;
    if (ready.notes.length > 0) this.world.observe(this);
    this.submit(ready);
  }

  /** A step that persists waits for its fsync; every later step's effects queue behind it; `early` effects do not wait. */
  private submit(ready: Ready): void {
    if (ready.early !== undefined && !this.applyEarly(ready.early)) return;
    const persists = ready.persist.length > 0;
    if (!persists && this.delayed.length === 0) {
      this.applySafely(ready, 0);
      return;
    }
    if (this.delayed.length >= DELAYED_STEPS_MAX) throw new Error(`${this.id}: more than ${DELAYED_STEPS_MAX} steps wait behind the disk`);
    const now = this.world.now();
    const latencyMs = persists ? this.world.persistLatencyMs(this) + this.slowDiskMs : 0;
    const dueMs = Math.max(this.delayed.at(-1)?.dueMs ?? 0, now + latencyMs);
    this.delayed.push({ dueMs, latencyMs, ready });
    this.world.schedule(dueMs, { kind: 'disk', node: this.id, incarnation: this.incarnation });
  }

  /** The disk finished: effects whose persist is durable now leave, in step order. */
  drainDisk(): void {
    if (this.state !== 'up' || this.paused) return;
    const now = this.world.now();
    const incarnation = this.incarnation;
    while (this.delayed.length > 0 && this.delayed[0]!.dueMs <= now && this.incarnation === incarnation && !this.paused) {
      const step = this.delayed.shift()!;
      this.applySafely(step.ready, step.latencyMs);
      const token = step.ready.persistedToken;
      if (token !== undefined && this.incarnation === incarnation) {
        this.call({ kind: 'persisted', token });
        this.call({ kind: 'flush' });
      }
    }
  }

  /** Early effects leave before the step's writes are durable (pipelined contract); false if the node crashed on them. */
  private applyEarly(early: NonNullable<Ready['early']>): boolean {
    try {
      for (const message of early.messages) this.sendMessage(message);
      for (const reply of early.replies) this.answer(reply);
      return true;
    } catch (error) {
      this.world.fatal(this, error);
      return false;
    }
  }

  /** Effects the host cannot apply (a message to a non-peer, a bad timer) are a core bug: the node crashes visibly. */
  private applySafely(ready: Ready, latencyMs: number): void {
    try {
      this.apply(ready, latencyMs);
    } catch (error) {
      this.world.fatal(this, error);
    }
  }

  private apply(ready: Ready, latencyMs: number): void {
    if (ready.persist.length > 0) {
      const keys: string[] = [];
      for (const write of ready.persist) {
        keys.push(write.key);
        // Stored as JSON, as SQLite stores it: the core's objects never alias the disk.
        if (write.value === undefined) this.stable.delete(write.key);
        else this.stable.set(write.key, JSON.parse(JSON.stringify(write.value)) as unknown);
      }
      this.record('persist', { detail: { keys: keys.slice(0, TRACE_PERSIST_KEYS_MAX), count: keys.length, durationMs: round3(latencyMs) } });
    }
    for (const note of ready.notes) this.record('state', { detail: { name: note.name, ...note.detail } });
    for (const message of ready.messages) this.sendMessage(message);
    for (const reply of ready.replies) this.answer(reply);
    for (const command of ready.timers) {
      this.timers.delete(command.timer);
      if (command.kind === 'set') this.setTimer(command.timer, command.afterMs);
    }
  }

  private sendMessage(message: OutMessage): void {
    if (!this.peers.includes(message.target)) throw new Error(`${this.id}: core sent ${message.type} to ${message.target}, which is not a peer`);
    const payloadJson = JSON.stringify(message.payload) ?? 'null';
    // The trace keeps the payload as it left (a copy: the core may change its objects later).
    const detail = this.world.trace.mode !== 'full' ? undefined
      : payloadJson.length <= TRACE_PAYLOAD_MAX_CHARS ? { payload: JSON.parse(payloadJson) as unknown } : { payloadChars: payloadJson.length };
    const event = this.world.trace.record(this.id, 'send', this.world.now(), this.nodeNowMs(), {
      newMessage: true, peer: message.target, msgType: message.type, ...(detail === undefined ? {} : { detail }),
    });
    this.world.send(this, message, payloadJson, event.msgId ?? '');
  }

  private answer(reply: Reply): void {
    const request = this.pending.get(reply.requestId);
    if (request === undefined) {
      this.record('log', { detail: { message: `reply to unknown or abandoned request ${reply.requestId}` } });
      return;
    }
    this.pending.delete(reply.requestId);
    this.world.reply(this, request, reply);
  }

  private setTimer(timer: string, afterMs: number): void {
    if (this.timers.size >= CORE_TIMERS_MAX) throw new Error(`${this.id}: a core set more than ${CORE_TIMERS_MAX} timers`);
    if (!(afterMs >= 0) || !Number.isFinite(afterMs)) throw new Error(`${this.id}: timer ${timer}: afterMs must be finite and ≥ 0, got ${afterMs}`);
    this.timerTokens += 1;
    this.timers.set(timer, this.timerTokens);
    this.world.schedule(this.world.now() + afterMs, { kind: 'timer', node: this.id, incarnation: this.incarnation, timer, token: this.timerTokens });
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
