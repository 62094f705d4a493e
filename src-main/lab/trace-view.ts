// A recorded run, opened from its trace file: the lab shows it as it shows a live run —
// nodes, log, space-time diagram, suspicion, client history — but nothing runs. Real and
// simulated traces share one schema, so both open here.

import path from 'node:path';
import type { ExportFormat, ExportResult, HistoryCheckReport, LabSnapshot, NodeView } from '../../src-node/contract/lab-api.ts';
import type { RunMetadata, StoredEvent } from '../../src-node/contract/trace.ts';
import { RAFT_VIEW_LOG_TAIL_MAX, type CoreStatus, type RaftView, type RaftViewEntry } from '../../src-node/contract/core.ts';
import { entryDigest } from '../../src-node/protocols/raft/entries.ts';
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { startRecorder, type Recorder } from '../recorder/recorder-client.ts';
import { operationsFromTrace } from '../trace/history-from-trace.ts';
import { historyFromCompletedOps } from '../workload/history.ts';
import { checkRunHistory } from './history-check.ts';
import { labFailureDetector } from './run.ts';
import { parseScenario } from '../scenario/scenario.ts';
import { LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { parseDynamoParams } from '../../src-node/protocols/dynamo/params.ts';
import { createRing } from '../../src-node/protocols/dynamo/ring.ts';
import { buildDynamoView, MerkleExchangeLog } from '../../src-node/protocols/dynamo/view.ts';
import { isStatusNote, statusFromNote } from '../../src-node/contract/status-note.ts';

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
 * Each node's last status in the trace. Since nodes record their statuses (`status` notes,
 * contract/status-note.ts) that is the last one a node recorded, as the live lab showed it.
 * A node without one (a trace from before, or a node that died before its first) gets what
 * its state notes tell: the last role (`detail.role`, as P/B's role-change does), and for
 * Raft most of the Raft view, rebuilt by RaftNotes. `recorded` says which nodes had a status.
 */
async function recordedStatuses(recorder: Recorder, protocol: string): Promise<{ statuses: Map<string, CoreStatus>; recorded: Set<string> }> {
  const roles = new Map<string, string>();
  const lastStatus = new Map<string, CoreStatus>();
  const raft = protocol === 'raft' ? new RaftNotes() : null;
  let afterId = 0;
  for (;;) {
    const page = await recorder.query({ afterId, limit: PAGE, kinds: ['state'] });
    for (const event of page) {
      if (isStatusNote(event)) {
        const status = statusFromNote(event.detail);
        if (status !== null) lastStatus.set(event.node, status);
        continue;
      }
      const role = (event.detail as { role?: unknown } | undefined)?.role;
      if (typeof role === 'string') roles.set(event.node, role);
      raft?.ingest(event);
    }
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]?.id ?? afterId;
  }
  const statuses = new Map<string, CoreStatus>();
  for (const [node, role] of roles) statuses.set(node, { role, facts: {} });
  for (const [node, view] of raft?.views() ?? []) statuses.set(node, raftStatus(view));
  for (const [node, status] of lastStatus) statuses.set(node, recordedStatus(status));
  return { statuses, recorded: new Set(lastStatus.keys()) };
}

/**
 * A recorded status as a recording shows it: what the node reported, less what only means
 * something while it runs — Raft's election timer, which counts down from the node's clock.
 */
export function recordedStatus(status: CoreStatus): CoreStatus {
  if (status.view?.protocol !== 'raft') return status;
  return { ...status, view: { ...status.view, election: null } };
}

function raftStatus(view: RaftView): CoreStatus {
  return {
    role: view.role,
    facts: {
      term: view.term, votedFor: view.votedFor, leader: view.leader, commitIndex: view.commitIndex,
      snapshotIndex: view.snapshot.index, voters: view.voters.join(','),
    },
    view,
  };
}

/** What the digest of a Raft no-op is: how a rebuilt log tells no-ops from commands. */
const NOOP_DIGEST = entryDigest({ index: 0, term: 0, kind: 'noop' });
/** Committed entries a rebuilt view keeps per node (the view shows the tail only). */
const REBUILT_ENTRIES_KEPT = RAFT_VIEW_LOG_TAIL_MAX * 2;

interface RaftNodeNotes {
  view: RaftView;
  /** Committed entries, by index, as the `commit` notes list them ([index, term, digest]). */
  entries: Map<number, RaftViewEntry>;
}

/**
 * Rebuilds each Raft node's view from its state notes (src-node/protocols/raft/core.ts
 * writes them): `recovered`, `role`, `vote`, `elected`, `commit` (with the newly committed
 * entries' index, term and digest), `log-truncated`, `snapshot`, `snapshot-installed` and
 * `configuration`. What no note says stays out: election timers, the leader's progress per
 * follower, and uncommitted entries (only a new leader's no-op is known: `elected` says
 * where it goes). Notes arrive in trace order; each node's in its own order.
 */
export class RaftNotes {
  private readonly nodes = new Map<string, RaftNodeNotes>();
  /** Who was elected in each term (Election Safety: at most one): a follower learns its leader from AppendEntries, which no note records. */
  private readonly leaderOfTerm = new Map<number, string>();

  ingest(event: StoredEvent): void {
    if (event.kind !== 'state' || event.detail === null || typeof event.detail !== 'object') return;
    const detail = event.detail as Record<string, unknown>;
    const node = this.nodeOf(event.node);
    const view = node.view;
    const term = typeof detail['term'] === 'number' ? detail['term'] : null;
    switch (detail['name']) {
      case 'recovered':
        Object.assign(view, { role: 'follower', leader: null, term: term ?? 0, votedFor: stringOrNull(detail['votedFor']) });
        view.snapshot = { index: numberOr(detail['snapshotIndex'], view.snapshot.index), term: view.snapshot.term };
        // Volatile state starts over from the snapshot; the log is what the disk kept.
        view.commitIndex = view.appliedIndex = view.snapshot.index;
        this.truncate(node, numberOr(detail['lastIndex'], view.lastIndex) + 1);
        view.lastIndex = numberOr(detail['lastIndex'], view.lastIndex);
        break;
      case 'role': {
        const role = detail['role'];
        if (role !== 'follower' && role !== 'pre-candidate' && role !== 'candidate' && role !== 'leader') return;
        if (term !== null && term !== view.term) view.votedFor = null;
        if (term !== null) view.term = term;
        view.role = role;
        if (role === 'candidate') view.votedFor = event.node;
        view.leader = role === 'leader' ? event.node : stringOrNull(detail['leader']);
        break;
      }
      case 'vote':
        if (detail['granted'] === true && typeof detail['candidate'] === 'string') view.votedFor = detail['candidate'];
        break;
      case 'elected': {
        this.leaderOfTerm.set(term ?? view.term, event.node);
        // §8: the new leader appends a no-op of its term right after its last entry.
        const index = numberOr(detail['lastIndex'], view.lastIndex) + 1;
        this.truncate(node, index);
        node.entries.set(index, { index, term: term ?? view.term, kind: 'noop', summary: 'no-op' });
        view.lastIndex = index;
        break;
      }
      case 'commit':
        this.commit(node, detail);
        break;
      case 'log-truncated':
        this.truncate(node, numberOr(detail['fromIndex'], view.lastIndex + 1));
        break;
      case 'snapshot':
      case 'snapshot-installed': {
        const index = numberOr(detail['index'], 0);
        view.snapshot = { index, term: term ?? 0 };
        view.commitIndex = Math.max(view.commitIndex, index);
        view.appliedIndex = Math.max(view.appliedIndex, index);
        view.lastIndex = Math.max(view.lastIndex, index);
        break;
      }
      case 'configuration':
        if (Array.isArray(detail['voters'])) view.voters = detail['voters'].filter((id): id is string => typeof id === 'string');
        break;
    }
  }

  views(): Map<string, RaftView> {
    const views = new Map<string, RaftView>();
    for (const [id, node] of this.nodes) {
      const first = Math.max(node.view.snapshot.index + 1, node.view.lastIndex - RAFT_VIEW_LOG_TAIL_MAX + 1);
      const logTail = [...node.entries.values()].filter((entry) => entry.index >= first && entry.index <= node.view.lastIndex);
      const elected = this.leaderOfTerm.get(node.view.term);
      const leader = node.view.leader ?? (node.view.role === 'follower' && elected !== id ? (elected ?? null) : null);
      views.set(id, { ...node.view, leader, logTail: logTail.sort((a, b) => a.index - b.index) });
    }
    return views;
  }

  private nodeOf(id: string): RaftNodeNotes {
    let node = this.nodes.get(id);
    if (node === undefined) {
      node = {
        view: {
          protocol: 'raft', source: 'trace', role: 'follower', term: 0, votedFor: null, leader: null, commitIndex: 0,
          appliedIndex: 0, lastIndex: 0, snapshot: { index: 0, term: 0 }, logTail: [], election: null, followers: [],
          pending: { writes: 0, reads: 0 }, voters: [],
        },
        entries: new Map(),
      };
      this.nodes.set(id, node);
    }
    return node;
  }

  private commit(node: RaftNodeNotes, detail: Record<string, unknown>): void {
    const view = node.view;
    const entries = Array.isArray(detail['entries']) ? detail['entries'] : [];
    for (const item of entries) {
      if (!Array.isArray(item) || typeof item[0] !== 'number' || typeof item[1] !== 'number') continue;
      const [index, term, digest] = item as [number, number, unknown];
      const noop = digest === NOOP_DIGEST;
      node.entries.set(index, { index, term, kind: noop ? 'noop' : 'command', summary: noop ? 'no-op' : `entry ${String(digest)}` });
    }
    // Between steps Raft applies everything committed (appliedIndex = commitIndex).
    view.commitIndex = view.appliedIndex = Math.max(view.commitIndex, numberOr(detail['commitIndex'], 0));
    view.lastIndex = Math.max(view.lastIndex, view.commitIndex);
    if (node.entries.size > REBUILT_ENTRIES_KEPT * 2) {
      const keepFrom = view.lastIndex - REBUILT_ENTRIES_KEPT;
      for (const index of node.entries.keys()) if (index < keepFrom) node.entries.delete(index);
    }
  }

  /** Entries from `index` on are gone (a new leader's log replaced them, or they were never there). */
  private truncate(node: RaftNodeNotes, index: number): void {
    for (const known of node.entries.keys()) if (known >= index) node.entries.delete(known);
    node.view.lastIndex = Math.max(node.view.commitIndex, Math.min(node.view.lastIndex, index - 1));
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * A recorded Dynamo run's ring: it follows from the nodes and the recorded parameters alone,
 * so every node gets a view with the ring and nothing else (keys, hints, siblings and Merkle
 * trees are not in a trace; the view says so). Empty when the trace has no readable scenario.
 */
export function dynamoRingStatuses(config: unknown, nodes: readonly string[]): Map<string, CoreStatus> {
  const statuses = new Map<string, CoreStatus>();
  let params;
  try {
    params = parseDynamoParams(parseScenario((config as { scenario?: unknown } | null)?.scenario, 'the recorded scenario').protocol.params);
  } catch {
    return statuses;
  }
  if (nodes.length === 0) return statuses;
  const ring = createRing(nodes, params.tokensPerNode);
  for (const self of nodes) {
    const view = buildDynamoView({ self, params, ring, store: new Map(), hints: new Map(), alive: () => true, handedOff: 0, exchanges: new MerkleExchangeLog(self) });
    statuses.set(self, { role: 'replica', facts: {}, view: { ...view, source: 'trace' } });
  }
  return statuses;
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
      const { statuses, recorded } = await recordedStatuses(recorder, meta.protocol);
      if (meta.protocol === 'dynamo') {
        for (const [node, status] of dynamoRingStatuses(meta.config, records.filter((record) => record.kind === 'node').map((record) => record.id))) {
          if (!recorded.has(node)) statuses.set(node, status);
        }
      }
      const nodes: NodeView[] = records.filter((record) => record.kind === 'node').map((record) => ({
        id: record.id, state: 'stopped', url: record.url, pid: null, restarts: record.restarts,
        status: statuses.get(record.id) ?? null,
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
