// The PBS experiment in the deterministic simulator: the same Dynamo cores, simulated nodes
// (src-main/sim/sim-node.ts), network and disks as `distlab sim`, built from a scenario and a
// seed by the simulator's own configFromScenario — but driven by the experiment instead of the
// scenario's workload, schedule and nemesis (which it leaves out: PBS is measured without
// failures). Only the scenario's `network` (extra delay, jitter, loss…) is kept, on every link.
//
// The client sits next to the cluster: client ↔ node legs take 0 ms, so "t after the client
// saw the write acknowledged" is t after the commit at the coordinator, as WARS counts it.
//
// The experiment is async code (measure.ts) and the simulation a loop over simulated events:
// after an event that settles one of the experiment's promises, the loop lets every promise
// continuation run (one macrotask turn) before the next event. Nothing reads the wall clock,
// so a seed gives the same run, event for event.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { OutMessage, Reply } from '../../src-node/contract/core.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import { protocolByName } from '../../src-node/protocols/registry.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { configFromScenario, drawDelay, type SimConfig } from '../sim/config.ts';
import { EventQueue } from '../sim/event-queue.ts';
import type { ClientRequest, SimEvent } from '../sim/events.ts';
import { SimNetwork } from '../sim/network.ts';
import { routeHeartbeat, routeMessage, routeReply } from '../sim/routing.ts';
import { SimNode, type NodeWorld } from '../sim/sim-node.ts';
import { SimTrace } from '../sim/sim-trace.ts';
import type { ExperimentCluster } from './measure.ts';
import { LegObserver } from './observed.ts';

/** Simulated events one experiment may process, and how long it may run (simulated). */
export const PBS_SIM_EVENTS_MAX = 20_000_000;
export const PBS_SIM_MS_MAX = 60 * 60_000;
/** A client gives up on an operation after this long (simulated ms): the outcome is `info`. */
export const PBS_SIM_CLIENT_TIMEOUT_MS = 5_000;

type Wake = { kind: 'wake'; token: number };
type PbsEvent = SimEvent | Wake;

export class PbsSimCluster implements ExperimentCluster, NodeWorld {
  readonly trace = new SimTrace('full');
  readonly nodes: readonly NodeId[];
  readonly config: SimConfig;
  private readonly queue = new EventQueue<PbsEvent>();
  private readonly simNodes = new Map<NodeId, SimNode>();
  private readonly network: SimNetwork;
  private readonly diskRandom: Random;
  private readonly observer = new LegObserver();
  private readonly waiting = new Map<number, (result: ClientResult | null) => void>();
  private readonly opens = new Map<string, { token: number; op: ClientOp; node: NodeId; client: string }>();
  private readonly opNumbers = new Map<string, number>();
  private nowMs = 0;
  private tokens = 0;
  private events = 0;
  private settledSome = false;

  constructor(scenario: Scenario, seed: number) {
    if (scenario.protocol.name !== 'dynamo') throw new Error(`PBS measures Dynamo; scenario '${scenario.name}' runs ${scenario.protocol.name}`);
    const base = configFromScenario(scenario, seed);
    this.config = { ...base, network: { ...base.network, clientDelay: { kind: 'uniform', minMs: 0, maxMs: 0 } } };
    this.nodes = this.config.nodes;
    const root = createRandom(seed);
    root.fork(); // the config's own stream
    this.network = new SimNetwork(this.config.network, this.nodes, root.fork());
    this.diskRandom = root.fork();
    const definition = protocolByName('dynamo');
    const params = definition.parseParams(this.config.protocol.params);
    for (const id of this.nodes) {
      this.simNodes.set(id, new SimNode({
        id, peers: this.nodes.filter((other) => other !== id), definition, params,
        clock: this.config.clocks[id] ?? { skewMs: 0, driftPpm: 0 }, random: root.fork(),
        failureDetector: this.config.failureDetector, heartbeatIntervalMs: this.config.heartbeatIntervalMs, suspicionSampleMs: this.config.suspicionSampleMs,
      }, this));
    }
    this.trace.listener = (event) => this.observer.observe(event);
  }

  /** Starts the nodes and runs `experiment` to its end on simulated time. */
  async run<T>(experiment: (cluster: PbsSimCluster) => Promise<T>): Promise<T> {
    for (const node of this.simNodes.values()) node.start();
    let outcome: { value: T } | { error: unknown } | null = null;
    experiment(this).then((value) => { outcome = { value }; }, (error: unknown) => { outcome = { error }; });
    await flushContinuations();
    while (outcome === null) {
      const next = this.queue.pop();
      if (next === undefined) throw new Error('PBS simulation: nothing left to happen, but the experiment waits (a lost operation?)');
      this.nowMs = next.atMs;
      this.events += 1;
      if (this.events > PBS_SIM_EVENTS_MAX || this.nowMs > PBS_SIM_MS_MAX) throw new Error(`PBS simulation: past ${PBS_SIM_EVENTS_MAX} events or ${PBS_SIM_MS_MAX} ms; shrink the experiment`);
      this.dispatch(next.event);
      if (this.settledSome) {
        this.settledSome = false;
        await flushContinuations();
      }
    }
    const settled = outcome as { value: T } | { error: unknown };
    if ('error' in settled) throw settled.error;
    return settled.value;
  }

  // ---- ExperimentCluster ---------------------------------------------------------------------

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.wait(ms, () => resolve()));
  }

  op(request: { client: string; node: NodeId; op: ClientOp }): Promise<ClientResult> {
    return new Promise((resolve) => {
      const { client, node, op } = request;
      const opNumber = (this.opNumbers.get(client) ?? 0) + 1;
      this.opNumbers.set(client, opNumber);
      const requestId = `${client}:${opNumber}`;
      this.trace.record(client, 'invoke', this.nowMs, this.nowMs, { msgId: requestId, peer: node, msgType: op.f, detail: { op } });
      const token = this.wait(PBS_SIM_CLIENT_TIMEOUT_MS, (result) => {
        this.opens.delete(requestId);
        const final: ClientResult = result ?? { type: 'info', error: `no answer from ${node} within ${PBS_SIM_CLIENT_TIMEOUT_MS} ms` };
        this.trace.record(client, final.type, this.nowMs, this.nowMs, { msgId: requestId, peer: node, msgType: op.f, detail: { op, result: final } });
        resolve(final);
      });
      this.opens.set(requestId, { token, op, node, client });
      const clientRequest: ClientRequest = { client, requestId, opNumber, op, stamp: this.trace.stampOf(client) };
      this.schedule(this.nowMs + this.network.clientDelayMs(), { kind: 'request', node, request: clientRequest });
    });
  }

  observed(): Promise<LegObserver> {
    return Promise.resolve(this.observer);
  }

  // ---- NodeWorld -----------------------------------------------------------------------------

  schedule(atMs: number, event: PbsEvent): void {
    this.queue.push(atMs, event);
  }

  send(source: SimNode, message: OutMessage, payloadJson: string, msgId: string): void {
    routeMessage(this, this.network, { source, target: this.simNodes.get(message.target), message, payloadJson, msgId });
  }

  heartbeat(source: SimNode, peer: NodeId): void {
    routeHeartbeat(this, this.network, { source, target: this.simNodes.get(peer), peer });
  }

  reply(node: SimNode, request: ClientRequest, reply: Reply): void {
    routeReply(this, this.network, { node, request, reply });
  }

  abandon(node: SimNode, request: ClientRequest): void {
    this.schedule(this.nowMs, { kind: 'response', client: request.client, opNumber: request.opNumber, node: node.id, result: { type: 'info', error: `connection to ${node.id} lost` }, stamp: null });
  }

  persistLatencyMs(): number {
    return drawDelay(this.diskRandom, this.config.persistLatency);
  }

  observe(): void {
    // Roles and states are not sampled: the experiment runs without faults.
  }

  fatal(node: SimNode, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    node.record('log', { detail: { message: `fatal: ${message}`, fatal: true } });
    throw new Error(`PBS simulation: ${node.id} failed: ${message}`);
  }

  // ---- the loop ------------------------------------------------------------------------------

  private wait(ms: number, then: (result: ClientResult | null) => void): number {
    this.tokens += 1;
    const token = this.tokens;
    this.waiting.set(token, then);
    this.schedule(this.nowMs + ms, { kind: 'wake', token });
    return token;
  }

  private settle(token: number, result: ClientResult | null): void {
    const then = this.waiting.get(token);
    if (then === undefined) return;
    this.waiting.delete(token);
    this.settledSome = true;
    then(result);
  }

  private dispatch(event: PbsEvent): void {
    switch (event.kind) {
      case 'wake': return this.settle(event.token, null);
      case 'deliver': return this.simNodes.get(event.message.target)?.input(event);
      case 'heartbeat': return this.simNodes.get(event.target)?.input(event);
      case 'timer': case 'request': return this.simNodes.get(event.node)?.input(event);
      case 'disk': {
        const node = this.simNodes.get(event.node);
        if (node?.incarnation === event.incarnation) node.drainDisk();
        return;
      }
      case 'beat': case 'sample': {
        const node = this.simNodes.get(event.node);
        if (node === undefined || node.incarnation !== event.incarnation || node.state !== 'up') return;
        if (event.kind === 'beat') node.beat();
        else node.sample();
        const everyMs = event.kind === 'beat' ? this.config.heartbeatIntervalMs : this.config.suspicionSampleMs;
        return this.schedule(this.nowMs + everyMs, { kind: event.kind, node: event.node, incarnation: event.incarnation });
      }
      case 'response': {
        const open = this.opens.get(`${event.client}:${event.opNumber}`);
        if (open !== undefined) this.settle(open.token, event.result);
        return;
      }
      default: return;
    }
  }
}

/** One macrotask turn: every promise continuation queued so far (and those they queue) has run. */
function flushContinuations(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
