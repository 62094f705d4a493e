// One run of the lab: a trace recorder, a supervised cluster, the lab's clients, and the
// scenario's fault schedule and workload. Events from every process flow through here in
// arrival order: into the trace, to the UI, and to the observations the checks judge.

import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import { HEALTHY_LINK, type FaultRequest, type FaultRequester, type LinkFaults } from '../../src-node/contract/faults.ts';
import type {
  ClientOpOutcome, ClientOpRequest, LabSnapshot, LabUpdate, NodeView,
} from '../../src-node/contract/lab-api.ts';
import type { RunMetadata, StoredEvent, TraceEvent } from '../../src-node/contract/trace.ts';
import { LAB_PHI_OPTIONS, validatePhiOptions } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { protocolByName } from '../../src-node/protocols/registry.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { startRecorder, type Recorder } from '../recorder/recorder-client.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { DEFAULT_CLIENT_TIMEOUT_MS, LabClient, type CompletedOp } from '../workload/client.ts';
import { createGenerator, firstDelayMs, workloadIntervalMs } from '../workload/generators.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { Observations } from './observations.ts';
import { startNemesisRunner, type NemesisRunner } from './nemesis-runner.ts';
import { nemesisFromScenario } from '../sim/config.ts';
import { leads } from '../sim/nemesis.ts';
import { epochNowMs, labTimeMs } from './lab-time.ts';

export const LAB_VERSION = '0.1.0';
/** Events are pushed to the UI at this interval, at most this many per push. */
export const UPDATE_INTERVAL_MS = 100;
export const MAX_EVENTS_PER_UPDATE = 5_000;
export const TRACE_FLUSH_MS = 50;
export const TRACE_BATCH_MAX = 512;
/**
 * Runs whose nodes' disks are kept. Older runs keep their trace and exports (a trace is
 * what people hand each other: the lab never deletes one) but lose the nodes' SQLite
 * files, which only a live run needs.
 */
export const RUNS_WITH_NODE_DATA = 20;

export interface RunOptions {
  scenario: Scenario;
  dataRoot: string;
  host: string;
  /** Where the trace goes; by default `<run folder>/trace.sqlite`. */
  tracePath?: string;
  /** Run the scenario's schedule and workload (the UI does; `false` for an idle cluster). */
  autoplay: boolean;
}

export class LabRun {
  readonly observations = new Observations();
  private readonly listeners = new Set<(update: LabUpdate) => void>();
  private readonly clients = new Map<string, LabClient>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pendingEvents: StoredEvent[] = [];
  private readonly recordedNodes = new Map<NodeId, string>();
  private skippedEvents = 0;
  private nextEventId = 1;
  private snapshotDue = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private supervisor: Supervisor | null = null;
  private workloadDone: Promise<void> = Promise.resolve();
  private nemesis: NemesisRunner | null = null;
  /** Lab time at which the scenario began to play: its time zero (schedule, checks' windows). */
  playedAtMs: number | null = null;

  private constructor(
    readonly options: RunOptions,
    readonly meta: RunMetadata,
    readonly runDir: string,
    readonly tracePath: string,
    private readonly recorder: Recorder,
  ) {}

  static async start(options: RunOptions): Promise<LabRun> {
    const { scenario } = options;
    const protocol = protocolByName(scenario.protocol.name);
    const params = protocol.parseParams(scenario.protocol.params);
    const failureDetector = labFailureDetector(scenario);
    const runsDir = path.join(options.dataRoot, 'runs');
    await mkdir(runsDir, { recursive: true });
    await pruneNodeData(runsDir);
    const startedAt = epochNowMs();
    const runId = `${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}-${scenario.name}-${randomBytes(3).toString('hex')}`;
    const runDir = path.join(runsDir, runId);
    await mkdir(path.join(runDir, 'exports'), { recursive: true });
    const tracePath = options.tracePath ?? path.join(runDir, 'trace.sqlite');
    const meta: RunMetadata = {
      runId, scenario: scenario.name, protocol: protocol.name, startedAtEpochMs: startedAt,
      labVersion: LAB_VERSION, seed: scenario.seed, mode: 'real', config: { scenario, params },
    };
    const recorder = await startRecorder({ tracePath, mode: 'create', run: meta });
    const run = new LabRun(options, meta, runDir, tracePath, recorder);
    const nodes = Array.from({ length: scenario.cluster.nodes }, (_, index) => `n${index + 1}`);
    try {
      run.supervisor = await Supervisor.start({
        nodes, dataRoot: path.join(runDir, 'nodes'), host: options.host,
        protocol: { name: protocol.name, params },
        heartbeatIntervalMs: scenario.cluster.heartbeatIntervalMs, failureDetector,
        suspicionSampleMs: scenario.cluster.suspicionSampleMs,
        traceFlushMs: TRACE_FLUSH_MS, traceBatchMax: TRACE_BATCH_MAX,
        seed: scenario.seed, runStartEpochMs: startedAt,
      }, { events: (events) => run.onEvents(events), changed: () => run.onChanged() });
    } catch (error) {
      await run.close();
      throw error;
    }
    run.observations.clusterUp(run.now(), run.cluster.nodes());
    if (options.autoplay) run.play();
    return run;
  }

  get cluster(): Supervisor {
    if (!this.supervisor) throw new Error('the cluster is not running');
    return this.supervisor;
  }

  get store(): Recorder {
    return this.recorder;
  }

  now(): number {
    return labTimeMs(this.meta.startedAtEpochMs);
  }

  snapshot(): LabSnapshot {
    const supervisor = this.supervisor;
    return {
      run: this.meta,
      nodes: supervisor ? supervisor.nodes() : [],
      links: supervisor ? supervisor.links() : [],
      phiThreshold: labFailureDetector(this.options.scenario).threshold,
      tracePath: this.tracePath,
      labTimeMs: this.now(),
      live: true,
    };
  }

  subscribe(listener: (update: LabUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async fault(request: FaultRequest, by: FaultRequester): Promise<void> {
    await this.cluster.apply(request, by);
    this.observations.fault(this.now(), request, this.cluster.nodes());
  }

  /** One client operation, sent to the node the request names or to the primary. */
  async clientOp(request: ClientOpRequest): Promise<ClientOpOutcome> {
    const op = validateOp(request.op);
    const clientId = request.client ?? 'c1';
    if (!/^c[1-9][0-9]?$/.test(clientId)) throw new Error(`a client id is c1, c2, …, not '${clientId}'`);
    const timeoutMs = request.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    let node = request.node ?? this.pickTarget(null);
    if (!this.cluster.nodeIds.includes(node)) throw new Error(`unknown node '${node}'`);
    const client = this.client(clientId);
    let done = await client.request({ node, url: this.urlOf(node), op, timeoutMs });
    // One redirect is followed (a backup names the primary), as a real client library would.
    const redirect = done.result.redirect;
    if (done.result.type === 'fail' && redirect && redirect !== node && request.node === undefined) {
      // The refused attempt is in the trace as an operation of its own: keep the history alike.
      this.observations.operation(done);
      node = redirect;
      done = await client.request({ node, url: this.urlOf(node), op, timeoutMs });
    }
    return this.completed(done);
  }

  /** Plays the scenario's network, schedule, nemesis and workload, timed from now. */
  play(): void {
    const { scenario } = this.options;
    this.playedAtMs = this.now();
    const baseline = scenarioLinkFaults(scenario);
    // An unreliable network from the start: a link fault on every directed link, applied before anything else.
    if (baseline.lossPct + baseline.duplicatePct + baseline.reorderPct + baseline.delayMs + baseline.jitterMs > 0) {
      for (const source of this.cluster.nodeIds) {
        for (const target of this.cluster.nodeIds) {
          if (source === target) continue;
          this.fault({ kind: 'link', source, target, faults: { ...baseline } }, 'scenario').catch((error: Error) => {
            this.labLog(`the scenario's network on ${source}→${target} failed: ${error.message}`);
          });
        }
      }
    }
    const nemesis = nemesisFromScenario(scenario);
    if (nemesis !== null && this.nemesis === null && !this.closed) {
      this.nemesis = startNemesisRunner({
        config: nemesis, seed: scenario.seed, baseline,
        nodes: () => this.cluster.nodes(),
        apply: (request) => this.fault(request, 'nemesis'),
        log: (message) => this.labLog(message),
      });
    }
    for (const step of scenario.schedule) {
      this.later(step.atMs, () => {
        this.fault(step.fault as FaultRequest, 'scenario').catch((error: Error) => {
          this.labLog(`scheduled ${step.fault.kind} at ${step.atMs} ms failed: ${error.message}`);
        });
      });
    }
    if (scenario.workload) this.workloadDone = this.runWorkload(scenario.workload);
  }

  /** The workload has run out, and the nemesis has stopped and undone its pending faults (restarts included). */
  async workloadFinished(): Promise<void> {
    await this.workloadDone;
    await this.nemesis?.finished;
  }

  /** Waits until every event reported so far is in the trace file. */
  async flush(): Promise<void> {
    await this.supervisor?.flush();
    this.pushUpdates();
    await this.recorder.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.nemesis?.close();
    for (const client of this.clients.values()) client.close();
    await this.supervisor?.close();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.pushUpdates();
    await this.recorder.close();
    this.listeners.clear();
  }

  labLog(message: string): void {
    this.supervisor?.log(message);
  }

  /** The node a client should ask: the one that says it is primary (or leader, or 2PC coordinator), else the first up. */
  pickTarget(home: NodeId | null): NodeId {
    const nodes = this.cluster.nodes().filter((node) => node.state === 'up');
    const homeView = nodes.find((node) => node.id === home);
    if (homeView) {
      const believed = homeView.status?.facts['primary'] ?? homeView.status?.facts['leader'] ?? homeView.status?.facts['coordinator'];
      if (typeof believed === 'string' && nodes.some((node) => node.id === believed)) return believed;
      return homeView.id;
    }
    const leader = nodes.find((node) => leads(node.status?.role));
    return leader?.id ?? nodes[0]?.id ?? this.cluster.nodeIds[0] ?? 'n1';
  }

  private urlOf(node: NodeId): string | null {
    const view = this.cluster.nodes().find((candidate) => candidate.id === node);
    return view && (view.state === 'up' || view.state === 'paused' || view.state === 'recovering') ? view.url : null;
  }

  private client(id: string): LabClient {
    if (this.closed) throw new Error('this run has ended');
    let client = this.clients.get(id);
    if (!client) {
      client = new LabClient(id, this.meta.startedAtEpochMs, (event) => this.onEvents([event]));
      this.clients.set(id, client);
    }
    return client;
  }

  private completed(done: CompletedOp): ClientOpOutcome {
    this.observations.operation(done);
    const outcome: ClientOpOutcome = {
      client: done.client, node: done.node, op: done.op, result: done.result,
      latencyMs: done.completedAtMs - done.invokedAtMs,
    };
    for (const listener of this.listeners) listener({ kind: 'client', outcome });
    return outcome;
  }

  /**
   * The scenario's clients, each a loop of its generator's operations (the simulator's clients
   * draw the same ones: src-main/workload/generators.ts), paced to the workload's rate.
   */
  private async runWorkload(workload: NonNullable<Scenario['workload']>): Promise<void> {
    const random = createRandom(this.options.scenario.seed);
    const intervalMs = workloadIntervalMs(workload);
    const endMs = this.now() + workload.startMs + workload.durationMs;
    await this.sleep(workload.startMs);
    const loops = Array.from({ length: workload.clients }, async (_, index) => {
      const clientId = `c${index + 1}`;
      const home = this.cluster.nodeIds[index % this.cluster.nodeIds.length] ?? 'n1';
      const mine = random.fork();
      await this.sleep(firstDelayMs(workload, mine));
      const generator = createGenerator(workload, { client: clientId, random: mine });
      while (!this.closed && this.now() < endMs) {
        const op = generator.next();
        const started = this.now();
        const result = await this.workloadOp(op, clientId, this.pickTarget(home), workload.timeoutMs);
        generator.completed({ op, result });
        await this.sleep(Math.max(0, intervalMs - (this.now() - started)));
      }
    });
    await Promise.all(loops);
  }

  /**
   * One operation of the workload at `node`, following one redirect as the simulator's clients
   * do (a Dynamo node that does not replicate a key sends a write to one that does; a backup
   * names the primary). The refused attempt stays in the history as an operation of its own.
   */
  private async workloadOp(op: ClientOp, client: string, node: NodeId, timeoutMs: number): Promise<ClientResult> {
    try {
      const first = await this.clientOp({ op, node, client, timeoutMs });
      const redirect = first.result.redirect;
      if (first.result.type !== 'fail' || redirect === undefined || redirect === node || this.closed || !this.cluster.nodeIds.includes(redirect)) return first.result;
      return (await this.clientOp({ op, node: redirect, client, timeoutMs })).result;
    } catch (error) {
      // The operation never left (the run is closing, a bad request): it did not happen.
      return { type: 'fail', error: (error as Error).message };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  private later(ms: number, action: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, ms);
    this.timers.add(timer);
  }

  private onEvents(events: TraceEvent[]): void {
    if (events.length === 0) return;
    // The recorder numbers rows in the order it receives them, which is this order.
    const stored = events.map((event) => ({ ...event, id: this.nextEventId++ }));
    this.recorder.append(events);
    this.observations.events(stored);
    if (this.listeners.size === 0) return;
    this.pendingEvents.push(...stored);
    if (this.pendingEvents.length > MAX_EVENTS_PER_UPDATE * 4) {
      const excess = this.pendingEvents.length - MAX_EVENTS_PER_UPDATE * 4;
      this.pendingEvents.splice(0, excess);
      this.skippedEvents += excess;
    }
    this.scheduleUpdate();
  }

  private onChanged(): void {
    if (this.supervisor) {
      const nodes = this.supervisor.nodes();
      this.observations.nodes(this.now(), nodes);
      this.recordNodes(nodes);
    }
    this.snapshotDue = true;
    this.scheduleUpdate();
  }

  /** Keeps the trace's `nodes` table current: where each node listens and how often it restarted. */
  private recordNodes(nodes: readonly NodeView[]): void {
    for (const node of nodes) {
      const key = `${node.url}/${node.restarts}`;
      if (node.url === null || this.recordedNodes.get(node.id) === key) continue;
      this.recordedNodes.set(node.id, key);
      this.recorder.upsertNode({ id: node.id, kind: 'node', url: node.url, restarts: node.restarts, seenAtLabMs: this.now() })
        .catch((error: Error) => this.labLog(`could not record node ${node.id} in the trace: ${error.message}`));
    }
  }

  private scheduleUpdate(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.pushUpdates();
    }, UPDATE_INTERVAL_MS);
  }

  private pushUpdates(): void {
    if (this.listeners.size === 0) {
      this.pendingEvents = [];
      return;
    }
    if (this.snapshotDue && this.supervisor) {
      this.snapshotDue = false;
      const snapshot = this.snapshot();
      for (const listener of this.listeners) listener({ kind: 'snapshot', snapshot });
    }
    while (this.pendingEvents.length > 0) {
      const events = this.pendingEvents.splice(0, MAX_EVENTS_PER_UPDATE);
      const skipped = this.skippedEvents;
      this.skippedEvents = 0;
      for (const listener of this.listeners) listener({ kind: 'events', events, skipped });
    }
  }
}

/** The faults a scenario's `network` puts on every directed link (all zero for a calm network). */
export function scenarioLinkFaults(scenario: Scenario): LinkFaults {
  const { lossPct, duplicatePct, reorderPct, delayMs, jitterMs } = scenario.network;
  return { ...HEALTHY_LINK, lossPct, duplicatePct, reorderPct, delayMs, jitterMs };
}

/** The scenario's failure-detector settings over the lab's defaults (100 ms heartbeats), not Akka's (1 s). */
export function labFailureDetector(scenario: Scenario): ReturnType<typeof validatePhiOptions> {
  return validatePhiOptions({ ...LAB_PHI_OPTIONS, ...scenario.cluster.failureDetector });
}

function validateOp(raw: unknown): ClientOp {
  if (typeof raw !== 'object' || raw === null) throw new Error('an operation is an object like {"f": "put", "key": "x", "value": "1"}');
  const op = raw as Partial<ClientOp>;
  if (typeof op.f !== 'string' || op.f.length === 0 || op.f.length > 64) throw new Error('an operation needs a function name `f`, e.g. "put" or "get"');
  if (op.key !== undefined && (typeof op.key !== 'string' || op.key.length === 0 || op.key.length > 256)) {
    throw new Error('an operation key is a non-empty string of at most 256 characters');
  }
  if (op.value !== undefined && JSON.stringify(op.value).length > 64_000) throw new Error('an operation value is at most 64 kB of JSON');
  // Dynamo's context (what the client read) and per-request quorum travel on; the core checks their shape.
  if (op.context !== undefined && JSON.stringify(op.context).length > 64_000) throw new Error('an operation context is at most 64 kB of JSON');
  if (op.quorum !== undefined && (typeof op.quorum !== 'object' || op.quorum === null || Object.entries(op.quorum).some(([name, size]) => !['r', 'w'].includes(name) || typeof size !== 'number'))) {
    throw new Error('an operation quorum is {"r": number, "w": number}, either optional');
  }
  return {
    f: op.f, ...(op.key !== undefined ? { key: op.key } : {}), ...(op.value !== undefined ? { value: op.value } : {}),
    ...(op.context !== undefined ? { context: op.context } : {}), ...(op.quorum !== undefined ? { quorum: { ...op.quorum } } : {}),
  };
}

async function pruneNodeData(runsDir: string): Promise<void> {
  const runs = (await readdir(runsDir)).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - RUNS_WITH_NODE_DATA + 1))) {
    await rm(path.join(runsDir, old, 'nodes'), { recursive: true, force: true });
  }
}
