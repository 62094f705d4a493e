// The lab as the shells see it: one object that implements LabApi over the current run.
// The Electron shell, the browser shell and the tests all drive the lab through it.

import os from 'node:os';
import path from 'node:path';
import type { FaultRequest, FaultRequester } from '../../src-node/contract/faults.ts';
import type {
  ClientOpOutcome, ClientOpRequest, EventQuery, ExportFormat, ExportResult, HistoryCheckReport, LabApi,
  LabSnapshot, LabUpdate, ScenarioSummary,
} from '../../src-node/contract/lab-api.ts';
import { historyFromCompletedOps } from '../workload/history.ts';
import { checkRunHistory } from './history-check.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { DEFAULT_SCENARIO, resolveScenario, shippedScenarioNames, type Scenario } from '../scenario/scenario.ts';
import { LabRun } from './run.ts';

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
}

export interface Lab extends LabApi {
  readonly current: LabRun;
  close(): Promise<void>;
}

export function defaultDataRoot(): string {
  return process.env['DISTLAB_HOME'] ?? path.join(os.homedir(), '.distlab');
}

export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const settings = {
    dataRoot: options.dataRoot ?? defaultDataRoot(),
    host: options.host ?? '127.0.0.1',
    requester: options.requester ?? 'ui',
    autoplay: options.autoplay ?? true,
  };
  const listeners = new Set<(update: LabUpdate) => void>();
  const unsubscribers = new Map<(update: LabUpdate) => void, () => void>();
  let run = await startRun(await resolveScenario(options.scenario ?? DEFAULT_SCENARIO));
  let switching: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function startRun(scenario: Scenario): Promise<LabRun> {
    return LabRun.start({ scenario, dataRoot: settings.dataRoot, host: settings.host, autoplay: settings.autoplay });
  }

  function attach(target: LabRun): void {
    for (const listener of listeners) unsubscribers.set(listener, target.subscribe(listener));
  }

  function live(): LabRun {
    if (closed) throw new Error('the lab is closed');
    return run;
  }

  attach(run);

  const lab: Lab = {
    get current() {
      return run;
    },
    async snapshot(): Promise<LabSnapshot> {
      return live().snapshot();
    },
    async fault(request: FaultRequest): Promise<void> {
      if (typeof request !== 'object' || request === null || typeof (request as { kind?: unknown }).kind !== 'string') {
        throw new Error('a fault request is an object with a `kind`, e.g. {"kind": "crash", "node": "n1"}');
      }
      await live().fault(request, settings.requester);
    },
    async clientOp(request: ClientOpRequest): Promise<ClientOpOutcome> {
      if (typeof request !== 'object' || request === null) throw new Error('a client request is an object with an `op`');
      return live().clientOp(request);
    },
    async events(query: EventQuery): Promise<StoredEvent[]> {
      return live().store.query(query ?? {});
    },
    async exportTrace(format: ExportFormat): Promise<ExportResult> {
      const current = live();
      const extension = { sqlite: 'sqlite', jsonl: 'jsonl', shiviz: 'shiviz.log' }[format];
      if (!extension) throw new Error(`unknown export format '${String(format)}' (sqlite, jsonl or shiviz)`);
      await current.flush();
      const fileName = `${current.meta.runId}.${extension}`;
      const savedPath = path.join(current.runDir, 'exports', fileName);
      const bytes = format === 'sqlite'
        ? await current.store.copyTo(savedPath)
        : (await current.store.exportTo({ format, path: savedPath })).bytes;
      return { format, fileName, bytes, savedPath };
    },
    async checkHistory(): Promise<HistoryCheckReport> {
      return checkRunHistory(historyFromCompletedOps(live().observations.operations));
    },
    async scenarios(): Promise<ScenarioSummary[]> {
      const names = shippedScenarioNames();
      const loaded = await Promise.all(names.map((name) => resolveScenario(name)));
      return loaded.map((scenario) => ({ name: scenario.name, title: scenario.title, summary: scenario.summary, lesson: scenario.lesson }));
    },
    async startScenario(name: string): Promise<LabSnapshot> {
      if (typeof name !== 'string') throw new Error('a scenario is named by a string');
      const scenario = await resolveScenario(name);
      const next = switching.then(async () => {
        const previous = live();
        await previous.close();
        try {
          run = await startRun(scenario);
        } catch (error) {
          // Never leave the lab without a cluster: bring the previous scenario back.
          run = await startRun(previous.options.scenario);
          attach(run);
          throw error;
        }
        attach(run);
        const snapshot = run.snapshot();
        for (const listener of listeners) listener({ kind: 'snapshot', snapshot });
        return snapshot;
      });
      switching = next.catch(() => undefined);
      return next;
    },
    subscribe(listener: (update: LabUpdate) => void): () => void {
      listeners.add(listener);
      unsubscribers.set(listener, run.subscribe(listener));
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
      await run.close();
      listeners.clear();
    },
  };
  return lab;
}
