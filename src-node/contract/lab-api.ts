import type { NodeId, ProcessId } from './clock.ts';
import type { ClientOp, ClientResult } from './envelope.ts';
import type { CoreStatus } from './core.ts';
import type { ClockFaults, FaultRequest, LinkFaults } from './faults.ts';
import type { RunMetadata, StoredEvent, TraceKind } from './trace.ts';
import type { PbsMeasureRequest, PbsMeasurement } from './pbs.ts';
import type { CompareReport, CompareRequest } from './compare.ts';
import type { ConvergenceMeasurement, ConvergenceRequest } from './gossip.ts';

/** A node's process state as the supervisor sees it. */
export type ProcessState = 'starting' | 'up' | 'down' | 'paused' | 'recovering' | 'stopped';

export interface NodeView {
  id: NodeId;
  state: ProcessState;
  /** `http://127.0.0.1:PORT` while the process listens, else null. */
  url: string | null;
  pid: number | null;
  restarts: number;
  status: CoreStatus | null;
  clock: ClockFaults;
  persistDelayMs: number;
  /** Peers this node has a live outgoing connection to. */
  linksUp: NodeId[];
}

export interface LinkView {
  source: NodeId;
  target: NodeId;
  faults: LinkFaults;
  up: boolean;
}

export interface LabSnapshot {
  run: RunMetadata | null;
  nodes: NodeView[];
  links: LinkView[];
  /** Suspicion level above which a peer counts as suspected. */
  phiThreshold: number;
  /** Where the trace file of this run lives. */
  tracePath: string | null;
  labTimeMs: number;
  /**
   * True while a cluster runs; false when the lab shows a recorded trace (opened from a
   * file): nodes cannot be broken or asked anything then, only looked at.
   */
  live: boolean;
}

/** A run the lab can open again: its trace file and what it was. */
export interface RunSummary {
  runId: string;
  scenario: string;
  startedAtEpochMs: number;
  tracePath: string;
}

export interface EventQuery {
  /** Only events with a row id greater than this. */
  afterId?: number;
  beforeId?: number;
  limit?: number;
  nodes?: ProcessId[];
  kinds?: TraceKind[];
  /** Substring searched in the message id, the message type and the detail. */
  text?: string;
}

export interface ClientOpRequest {
  op: ClientOp;
  /** Which node to ask; by default the node that says it is primary/leader, else the first up. */
  node?: NodeId;
  /** Which client process records it (default `c1`). */
  client?: ProcessId;
  timeoutMs?: number;
}

export interface ClientOpOutcome {
  client: ProcessId;
  node: NodeId;
  op: ClientOp;
  result: ClientResult;
  latencyMs: number;
}

export type ExportFormat = 'sqlite' | 'jsonl' | 'shiviz';

export interface ExportResult {
  format: ExportFormat;
  fileName: string;
  bytes: number;
  /** In the browser shell: where to download it (same origin, carries the token). */
  downloadUrl?: string;
  /** In the desktop shell: where it was saved. */
  savedPath?: string;
}

export interface ScenarioSummary {
  name: string;
  title: string;
  summary: string;
  /** What to watch: the idea of the book the scenario shows (may be empty). */
  lesson: string;
}

/** The linearizability of the current run's client history, for the history view. */
export interface HistoryCheckReport {
  verdict: 'valid' | 'invalid' | 'unknown';
  /** The model and its conventions, e.g. `lab-kv`: keys start absent, put replaces, … */
  model: string;
  conventions: string[];
  operations: number;
  summary: string;
  /** The smallest window the checker can show for an invalid history. */
  failingWindow: {
    key: string;
    fromTime: number;
    toTime: number;
    /** Op ids (the trace's msgId of client events) that could not be placed. */
    opIds: string[];
    /** Op ids of the longest linearizable prefix found. */
    prefixOpIds: string[];
    explanation: string;
  } | null;
}

/** Live updates pushed to the UI. Events come in batches, in row-id order. */
export type LabUpdate =
  | { kind: 'snapshot'; snapshot: LabSnapshot }
  | { kind: 'events'; events: StoredEvent[]; skipped: number }
  | { kind: 'client'; outcome: ClientOpOutcome };

/**
 * The one typed API between the renderer and the lab. Electron carries it over IPC
 * (preload bridge); the browser shell over socket.io. Every method may reject with an
 * `Error` whose message is meant for a person.
 */
export interface LabApi {
  snapshot(): Promise<LabSnapshot>;
  fault(request: FaultRequest): Promise<void>;
  clientOp(request: ClientOpRequest): Promise<ClientOpOutcome>;
  events(query: EventQuery): Promise<StoredEvent[]>;
  exportTrace(format: ExportFormat): Promise<ExportResult>;
  scenarios(): Promise<ScenarioSummary[]>;
  /** Checks the run's client history so far for linearizability (a key-value map). */
  checkHistory(): Promise<HistoryCheckReport>;
  /** Stops the current run and starts a new one from a shipped scenario. */
  startScenario(name: string): Promise<LabSnapshot>;
  /** The runs kept in the lab's data folder, newest first. */
  runs(): Promise<RunSummary[]>;
  /** Stops the current run and shows a recorded trace (real or simulated) instead. */
  openTrace(tracePath: string): Promise<LabSnapshot>;
  /** PBS on the current Dynamo run: predicted beside measured staleness (in the simulator or on its nodes). */
  measurePbs(request: PbsMeasureRequest): Promise<PbsMeasurement>;
  /** The book's table measured: the scenario's workload and faults on several replication protocols, in the simulator. */
  compareProtocols(request: CompareRequest): Promise<CompareReport>;
  /** Gossip convergence on the current crdt-gossip run as it is now, beside the simulator's prediction for the same parameters. */
  measureConvergence(request: ConvergenceRequest): Promise<ConvergenceMeasurement>;
  subscribe(listener: (update: LabUpdate) => void): () => void;
}

/** The request/response methods of LabApi (everything but `subscribe`), for transports. */
export type LabMethod = Exclude<keyof LabApi, 'subscribe'>;
export const LAB_METHODS: readonly LabMethod[] = [
  'snapshot', 'fault', 'clientOp', 'events', 'exportTrace', 'scenarios', 'startScenario', 'checkHistory',
  'runs', 'openTrace', 'measurePbs', 'compareProtocols', 'measureConvergence',
];
