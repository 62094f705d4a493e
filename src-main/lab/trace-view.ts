// A recorded run, opened from its trace file: the lab shows it as it shows a live run —
// nodes, log, space-time diagram, suspicion, client history — but nothing runs. Real and
// simulated traces share one schema, so both open here.

import path from 'node:path';
import type { ExportFormat, ExportResult, HistoryCheckReport, LabSnapshot, NodeView } from '../../src-node/contract/lab-api.ts';
import type { RunMetadata, StoredEvent } from '../../src-node/contract/trace.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { startRecorder, type Recorder } from '../recorder/recorder-client.ts';
import { operationsFromTrace } from '../trace/history-from-trace.ts';
import { historyFromCompletedOps } from '../workload/history.ts';
import { checkRunHistory } from './history-check.ts';
import { labFailureDetector } from './run.ts';
import { parseScenario } from '../scenario/scenario.ts';
import { LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';

/** Client events are read back in pages of this many (the recorder's query limit). */
const PAGE = 10_000;
/** A trace's client history larger than this is not rebuilt (the lab keeps it in memory). */
export const MAX_CLIENT_EVENTS_CHECKED = 200_000;

/** The suspicion threshold the run used: from its scenario when the trace has it, else the lab's default. */
function recordedThreshold(config: unknown): number {
  const scenario = (config as { scenario?: unknown } | null)?.scenario;
  try {
    return labFailureDetector(parseScenario(scenario, 'the recorded scenario')).threshold;
  } catch {
    return LAB_PHI_OPTIONS.threshold;
  }
}

/**
 * Each node's last role, from the protocol's state notes that name one (`detail.role`, as
 * P/B's role-change does). A trace records notes, not full statuses: facts and data are not
 * in it.
 */
async function lastRoles(recorder: Recorder): Promise<Map<string, string>> {
  const roles = new Map<string, string>();
  let afterId = 0;
  for (;;) {
    const page = await recorder.query({ afterId, limit: PAGE, kinds: ['state'] });
    for (const event of page) {
      const role = (event.detail as { role?: unknown } | undefined)?.role;
      if (typeof role === 'string') roles.set(event.node, role);
    }
    if (page.length < PAGE) return roles;
    afterId = page[page.length - 1]?.id ?? afterId;
  }
}

export class TraceView {
  private constructor(
    readonly tracePath: string,
    readonly meta: RunMetadata,
    private readonly recorder: Recorder,
    private readonly nodeViews: NodeView[],
    private readonly endMs: number,
    private readonly exportsDir: string,
    private readonly phiThreshold: number,
  ) {}

  static async open(tracePath: string, exportsDir: string): Promise<TraceView> {
    const recorder = await startRecorder({ tracePath, mode: 'read' });
    try {
      const run = await recorder.run();
      const meta: RunMetadata = {
        runId: String(run.runId ?? path.basename(tracePath)), scenario: String(run.scenario ?? 'unknown'),
        protocol: String(run.protocol ?? 'unknown'), startedAtEpochMs: Number(run.startedAtEpochMs ?? 0),
        labVersion: String(run.labVersion ?? ''), seed: Number(run.seed ?? 0),
        mode: run.mode === 'sim' ? 'sim' : 'real', config: run.config ?? null,
      };
      const records = await recorder.nodes();
      const roles = await lastRoles(recorder);
      const nodes: NodeView[] = records.filter((record) => record.kind === 'node').map((record) => ({
        id: record.id, state: 'stopped', url: record.url, pid: null, restarts: record.restarts,
        status: roles.has(record.id) ? { role: roles.get(record.id) as string, facts: {} } : null,
        clock: { ...TRUE_CLOCK }, persistDelayMs: 0, linksUp: [],
      }));
      const last = await recorder.query({ beforeId: Number.MAX_SAFE_INTEGER, limit: 1 });
      return new TraceView(tracePath, meta, recorder, nodes, last[0]?.labTimeMs ?? 0, exportsDir, recordedThreshold(meta.config));
    } catch (error) {
      await recorder.close();
      throw error;
    }
  }

  snapshot(): LabSnapshot {
    return {
      run: this.meta, nodes: this.nodeViews, links: [], phiThreshold: this.phiThreshold,
      tracePath: this.tracePath, labTimeMs: this.endMs, live: false,
    };
  }

  events: Recorder['query'] = (query) => this.recorder.query(query);

  async exportTrace(format: ExportFormat): Promise<ExportResult> {
    const extension = { sqlite: 'sqlite', jsonl: 'jsonl', shiviz: 'shiviz.log' }[format];
    const fileName = `${this.meta.runId}.${extension}`;
    const savedPath = path.join(this.exportsDir, fileName);
    const bytes = format === 'sqlite'
      ? await this.recorder.copyTo(savedPath)
      : (await this.recorder.exportTo({ format, path: savedPath })).bytes;
    return { format, fileName, bytes, savedPath };
  }

  async checkHistory(): Promise<HistoryCheckReport> {
    return checkRunHistory(await this.history());
  }

  /** The run's client history, rebuilt from its client events. */
  async history(): Promise<HistoryEntry[]> {
    const events: StoredEvent[] = [];
    let afterId = 0;
    for (;;) {
      const page = await this.recorder.query({ afterId, limit: PAGE, kinds: ['invoke', 'ok', 'fail', 'info'] });
      events.push(...page);
      if (page.length < PAGE) break;
      afterId = page[page.length - 1]?.id ?? afterId;
      if (events.length > MAX_CLIENT_EVENTS_CHECKED) {
        throw new Error(`this trace has more than ${MAX_CLIENT_EVENTS_CHECKED} client events`);
      }
    }
    return historyFromCompletedOps(operationsFromTrace(events));
  }

  close(): Promise<void> {
    return this.recorder.close();
  }
}
