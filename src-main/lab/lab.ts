// The lab as the shells see it: one object that implements LabApi over what the lab shows
// now — a live run (a cluster the user can break) or a recorded trace (opened from a file:
// only looked at). The Electron shell, the browser shell and the tests drive it alike.

import os from 'node:os';
import path from 'node:path';
import { readdir, stat } from 'node:fs/promises';
import type { FaultRequest, FaultRequester } from '../../src-node/contract/faults.ts';
import type {
  ClientOpOutcome, ClientOpRequest, EventQuery, ExportFormat, ExportResult, HistoryCheckReport, LabApi,
  LabSnapshot, LabUpdate, RunSummary, ScenarioSummary,
} from '../../src-node/contract/lab-api.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { historyFromCompletedOps } from '../workload/history.ts';
import { DEFAULT_SCENARIO, resolveScenario, shippedScenarioNames, type Scenario } from '../scenario/scenario.ts';
import { checkRunHistory } from './history-check.ts';
import { LabRun } from './run.ts';
import { TraceView } from './trace-view.ts';
import { measureForLab } from '../pbs/run-measure.ts';
import type { PbsMeasureRequest, PbsMeasurement } from '../../src-node/contract/pbs.ts';
import { COMPARE_SEEDS_MAX, type CompareReport, type CompareRequest } from '../../src-node/contract/compare.ts';
import { compareProtocolsYielding } from '../compare/compare.ts';
import type { ConvergenceMeasurement, ConvergenceRequest } from '../../src-node/contract/gossip.ts';
import { measureConvergenceForLab } from '../gossip/convergence.ts';
import { convergenceMeasurementLog, pbsMeasurementLog, type MeasurementLog } from './measurement-log.ts';

export interface LabOptions {
  /** A shipped scenario's name or a scenario file's path; the default P/B cluster if absent. */
  scenario?: string;
  /** Where runs keep their traces and node data; `DISTLAB_HOME` or `~/.distlab` by default. */
  dataRoot?: string;
  /** Interface the nodes listen on; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** Who the API's fault requests are attributed to in the trace. */
  requester?: FaultRequester;
  /** Play the scenario's schedule and workload (default true). */
  autoplay?: boolean;
  /** Open this recorded trace instead of starting a cluster. */
  trace?: string;
}

export interface Lab extends LabApi {
  /** The live run, or null while the lab shows a recorded trace. */
  readonly current: LabRun | null;
  close(): Promise<void>;
}

/** What the lab shows: a live run, or a trace opened from a file. */
type Session = { kind: 'run'; run: LabRun } | { kind: 'trace'; view: TraceView };

export function defaultDataRoot(): string {
  return process.env['DISTLAB_HOME'] ?? path.join(os.homedir(), '.distlab');
}

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { sqlite: 'sqlite', jsonl: 'jsonl', shiviz: 'shiviz.log' };

export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const settings = {
    dataRoot: options.dataRoot ?? defaultDataRoot(),
    host: options.host ?? '127.0.0.1',
    requester: options.requester ?? 'ui',
    autoplay: options.autoplay ?? true,
  };
  const exportsDir = path.join(settings.dataRoot, 'exports');
  const listeners = new Set<(update: LabUpdate) => void>();
  const unsubscribers = new Map<(update: LabUpdate) => void, () => void>();
  let session: Session = options.trace
    ? { kind: 'trace', view: await TraceView.open(path.resolve(options.trace), exportsDir) }
    : { kind: 'run', run: await startRun(await resolveScenario(options.scenario ?? DEFAULT_SCENARIO)) };
  let switching: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function startRun(scenario: Scenario): Promise<LabRun> {
    return LabRun.start({ scenario, dataRoot: settings.dataRoot, host: settings.host, autoplay: settings.autoplay });
  }

  function attach(listener: (update: LabUpdate) => void): void {
    if (session.kind === 'run') unsubscribers.set(listener, session.run.subscribe(listener));
  }

  function current(): Session {
    if (closed) throw new Error('the lab is closed');
    return session;
  }

  /** The live run, for what only a running cluster can do. */
  /** Into the run's trace, if it still runs (the lab may have switched to another run meanwhile). */
  function logMeasurement(run: LabRun, log: MeasurementLog): void {
    const now = current();
    if (now.kind === 'run' && now.run === run) run.cluster.log(log.message, log.detail);
  }

  function liveRun(action: string): LabRun {
    const now = current();
    if (now.kind === 'run') return now.run;
    throw new Error(`cannot ${action}: the lab is showing a recorded trace (${now.view.meta.runId}); start a scenario to run a cluster`);
  }

  function closeSession(closing: Session): Promise<void> {
    return closing.kind === 'run' ? closing.run.close() : closing.view.close();
  }

  /** Replaces what the lab shows, one switch at a time; `open` runs before the old session closes when `openFirst`. */
  function switchTo(open: () => Promise<Session>, openFirst: boolean): Promise<LabSnapshot> {
    const next = switching.then(async () => {
      const previous = current();
      for (const unsubscribe of unsubscribers.values()) unsubscribe();
      unsubscribers.clear();
      let opened: Session;
      if (openFirst) {
        opened = await open().catch((error: unknown) => {
          for (const listener of listeners) attach(listener);
          throw error;
        });
        await closeSession(previous);
      } else {
        await closeSession(previous);
        try {
          opened = await open();
        } catch (error) {
          // Never leave the lab without a cluster: bring the previous scenario back.
          session = previous.kind === 'run'
            ? { kind: 'run', run: await startRun(previous.run.options.scenario) }
            : { kind: 'trace', view: await TraceView.open(previous.view.tracePath, exportsDir) };
          for (const listener of listeners) attach(listener);
          throw error;
        }
      }
      session = opened;
      for (const listener of listeners) attach(listener);
      const snapshot = snapshotOf(session);
      for (const listener of listeners) listener({ kind: 'snapshot', snapshot });
      return snapshot;
    });
    switching = next.catch(() => undefined);
    return next;
  }

  const lab: Lab = {
    get current() {
      return session.kind === 'run' ? session.run : null;
    },
    async snapshot(): Promise<LabSnapshot> {
      return snapshotOf(current());
    },
    async fault(request: FaultRequest): Promise<void> {
      if (typeof request !== 'object' || request === null || typeof (request as { kind?: unknown }).kind !== 'string') {
        throw new Error('a fault request is an object with a `kind`, e.g. {"kind": "crash", "node": "n1"}');
      }
      await liveRun(`apply a ${request.kind}`).fault(request, settings.requester);
    },
    async clientOp(request: ClientOpRequest): Promise<ClientOpOutcome> {
      if (typeof request !== 'object' || request === null) throw new Error('a client request is an object with an `op`');
      return liveRun('run a client operation').clientOp(request);
    },
    async events(query: EventQuery): Promise<StoredEvent[]> {
      const now = current();
      return now.kind === 'run' ? now.run.store.query(query ?? {}) : now.view.events(query ?? {});
    },
    async exportTrace(format: ExportFormat): Promise<ExportResult> {
      if (!EXPORT_EXTENSIONS[format]) throw new Error(`unknown export format '${String(format)}' (sqlite, jsonl or shiviz)`);
      const now = current();
      if (now.kind === 'trace') return now.view.exportTrace(format);
      const run = now.run;
      await run.flush();
      const fileName = `${run.meta.runId}.${EXPORT_EXTENSIONS[format]}`;
      const savedPath = path.join(run.runDir, 'exports', fileName);
      const bytes = format === 'sqlite'
        ? await run.store.copyTo(savedPath)
        : (await run.store.exportTo({ format, path: savedPath })).bytes;
      return { format, fileName, bytes, savedPath };
    },
    async checkHistory(): Promise<HistoryCheckReport> {
      const now = current();
      if (now.kind === 'trace') return now.view.checkHistory();
      return checkRunHistory(historyFromCompletedOps(now.run.observations.operations));
    },
    async scenarios(): Promise<ScenarioSummary[]> {
      const names = shippedScenarioNames();
      const loaded = await Promise.all(names.map((name) => resolveScenario(name)));
      return loaded.map((scenario) => ({ name: scenario.name, title: scenario.title, summary: scenario.summary, lesson: scenario.lesson }));
    },
    async startScenario(name: string): Promise<LabSnapshot> {
      if (typeof name !== 'string') throw new Error('a scenario is named by a string');
      const scenario = await resolveScenario(name);
      return switchTo(async () => ({ kind: 'run', run: await startRun(scenario) }), false);
    },
    async runs(): Promise<RunSummary[]> {
      return listRuns(path.join(settings.dataRoot, 'runs'));
    },
    async openTrace(tracePath: string): Promise<LabSnapshot> {
      if (typeof tracePath !== 'string' || tracePath.length === 0) throw new Error('openTrace needs the path of a trace file');
      // Opened before the running cluster stops: a file that is not a trace changes nothing.
      return switchTo(async () => ({ kind: 'trace', view: await TraceView.open(path.resolve(tracePath), exportsDir) }), true);
    },
    async measurePbs(request: PbsMeasureRequest): Promise<PbsMeasurement> {
      const run = liveRun('measure PBS');
      const result = await measureForLab(run, request);
      logMeasurement(run, pbsMeasurementLog(result));
      return result;
    },
    async compareProtocols(request: CompareRequest): Promise<CompareReport> {
      const { scenario, seeds } = (request ?? {}) as Partial<CompareRequest>;
      if (typeof scenario !== 'string' || scenario.length === 0) throw new Error('compareProtocols needs a scenario name');
      if (!Number.isInteger(seeds) || seeds! < 1 || seeds! > COMPARE_SEEDS_MAX) throw new Error(`compareProtocols: seeds must be an integer in [1, ${COMPARE_SEEDS_MAX}]`);
      const resolved = await resolveScenario(scenario);
      return compareProtocolsYielding({ scenario: resolved, seeds: Array.from({ length: seeds! }, (_, index) => index + 1) });
    },
    async measureConvergence(request: ConvergenceRequest): Promise<ConvergenceMeasurement> {
      const run = liveRun('measure convergence');
      const result = await measureConvergenceForLab(run, request);
      logMeasurement(run, convergenceMeasurementLog(result));
      return result;
    },
    subscribe(listener: (update: LabUpdate) => void): () => void {
      listeners.add(listener);
      attach(listener);
      return () => {
        listeners.delete(listener);
        unsubscribers.get(listener)?.();
        unsubscribers.delete(listener);
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await switching;
      await closeSession(session);
      listeners.clear();
    },
  };
  return lab;
}

function snapshotOf(session: Session): LabSnapshot {
  return session.kind === 'run' ? session.run.snapshot() : session.view.snapshot();
}

/** Run folders are named `<ISO time with - for : and .>-<scenario>-<6 hex>` (see LabRun.start). */
async function listRuns(runsDir: string): Promise<RunSummary[]> {
  const names = await readdir(runsDir).catch(() => [] as string[]);
  const runs: RunSummary[] = [];
  for (const runId of names) {
    const match = /^(\d{4}-\d\d-\d\dT\d\d)-(\d\d)-(\d\d)-(\d{3}Z)-(.+)-[0-9a-f]{6}$/.exec(runId);
    const tracePath = path.join(runsDir, runId, 'trace.sqlite');
    if (!match || !(await stat(tracePath).catch(() => null))) continue;
    const startedAtEpochMs = Date.parse(`${match[1]}:${match[2]}:${match[3]}.${match[4]}`);
    runs.push({ runId, scenario: match[5] as string, startedAtEpochMs, tracePath });
  }
  return runs.sort((a, b) => b.startedAtEpochMs - a.startedAtEpochMs);
}
