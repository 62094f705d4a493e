import type {
  ClientOpOutcome,
  ClientOpRequest,
  EventQuery,
  ExportFormat,
  ExportResult,
  HistoryCheckReport,
  LabApi,
  LabMethod,
  LabSnapshot,
  LabUpdate,
  ScenarioSummary, RunSummary,
} from '../../src-node/contract/lab-api.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { PbsMeasureRequest, PbsMeasurement } from '../../src-node/contract/pbs.ts';
import type { CompareReport, CompareRequest } from '../../src-node/contract/compare.ts';
import type { ConvergenceMeasurement, ConvergenceRequest } from '../../src-node/contract/gossip.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';

/** The two operations every transport offers; LabApi is built on them once. */
export interface LabTransport {
  call(method: LabMethod, args: unknown[]): Promise<unknown>;
  onUpdate(listener: (update: LabUpdate) => void): () => void;
  /** Called with true when the transport is (re)connected, false when it is lost. */
  onConnection(listener: (connected: boolean) => void): () => void;
  /** 'desktop' when files are saved by the app, 'browser' when they are downloaded. */
  readonly shell: 'desktop' | 'browser';
}

export interface ShellLabApi extends LabApi {
  readonly shell: 'desktop' | 'browser';
  onConnection(listener: (connected: boolean) => void): () => void;
}

export function labApiOver(transport: LabTransport): ShellLabApi {
  const call = <T>(method: LabMethod, ...args: unknown[]): Promise<T> =>
    transport.call(method, args) as Promise<T>;
  return {
    shell: transport.shell,
    snapshot: () => call<LabSnapshot>('snapshot'),
    fault: (request: FaultRequest) => call<void>('fault', request),
    clientOp: (request: ClientOpRequest) => call<ClientOpOutcome>('clientOp', request),
    events: (query: EventQuery) => call<StoredEvent[]>('events', query),
    exportTrace: (format: ExportFormat) => call<ExportResult>('exportTrace', format),
    scenarios: () => call<ScenarioSummary[]>('scenarios'),
    checkHistory: () => call<HistoryCheckReport>('checkHistory'),
    startScenario: (name: string) => call<LabSnapshot>('startScenario', name),
    runs: () => call<RunSummary[]>('runs'),
    openTrace: (tracePath: string) => call<LabSnapshot>('openTrace', tracePath),
    measurePbs: (request: PbsMeasureRequest) => call<PbsMeasurement>('measurePbs', request),
    compareProtocols: (request: CompareRequest) => call<CompareReport>('compareProtocols', request),
    measureConvergence: (request: ConvergenceRequest) => call<ConvergenceMeasurement>('measureConvergence', request),
    subscribe: (listener) => transport.onUpdate(listener),
    onConnection: (listener) => transport.onConnection(listener),
  };
}
