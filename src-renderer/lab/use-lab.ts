// The renderer's one view of the lab: the latest snapshot, a bounded window of the most
// recent trace events, client outcomes, the selected event, and actions that report
// their errors to the person (never swallowed). Components use `useLab()`; only this
// file talks to the LabApi, and nothing here computes protocol logic.
import { computed, inject, ref, shallowRef, type App, type InjectionKey } from 'vue';
import type {
  ClientOpOutcome,
  ClientOpRequest,
  ExportFormat,
  ExportResult,
  HistoryCheckReport,
  LabSnapshot,
  LabUpdate,
  RunSummary,
  ScenarioSummary,
} from '../../src-node/contract/lab-api.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { PbsMeasureRequest, PbsMeasurement } from '../../src-node/contract/pbs.ts';
import type { CompareReport, CompareRequest } from '../../src-node/contract/compare.ts';
import type { ConvergenceMeasurement, ConvergenceRequest } from '../../src-node/contract/gossip.ts';
import { isStatusNote } from '../../src-node/contract/status-note.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import type { ShellLabApi } from '../api/create-lab-api.ts';
import { compareProcesses } from './process-order.ts';
import { measurementQuery, measurementsIn, type MeasurementKind } from './recorded-measurements.ts';

/** Events kept in memory; older ones fall off the front. */
export const EVENTS_MAX = 100_000;
/** Suspicion samples kept for the chart (a subset of the events, kept longer). */
const SUSPICION_MAX = 20_000;
const OUTCOMES_MAX = 200;
const HISTORY_PAGE = 5_000;
/** Forward pages after a reconnect; beyond this the newest events come from live updates. */
const HISTORY_PAGES_MAX = 40;
/** Live events are applied in batches at most this often, so the UI redraws calmly. */
const FLUSH_INTERVAL_MS = 100;
const NOTICE_MS = 8_000;

/** Why a control that acts on a cluster is off while the lab shows a recorded trace (its tooltip). */
export const RECORDED_REASON =
  'This is a recorded trace: nothing runs, so nothing can be broken or asked. Go back to a live cluster to do that.';

/**
 * Which trace the page shows. A new run is another trace, and so is the same run opened
 * from a file (an exported copy keeps its run id): either way the events start over.
 */
export function traceKeyOf(snapshot: LabSnapshot | null): string | null {
  if (snapshot === null || snapshot.run === null) return null;
  return `${snapshot.run.runId} ${snapshot.live === false ? 'recorded' : 'live'} ${snapshot.tracePath ?? ''}`;
}

export interface Notice {
  id: number;
  tone: 'error' | 'info';
  text: string;
}

function trimmed<T>(items: T[], max: number): T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}

function findById(events: readonly StoredEvent[], id: number): StoredEvent | null {
  let low = 0;
  let high = events.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const event = events[middle]!;
    if (event.id === id) return event;
    if (event.id < id) low = middle + 1;
    else high = middle - 1;
  }
  return null;
}

function sameOutcome(a: ClientOpOutcome, b: ClientOpOutcome): boolean {
  return (
    a.client === b.client &&
    a.node === b.node &&
    a.latencyMs === b.latencyMs &&
    a.result.type === b.result.type &&
    JSON.stringify(a.op) === JSON.stringify(b.op)
  );
}

export function createLabStore(api: ShellLabApi) {
  const connected = ref(false);
  const snapshot = shallowRef<LabSnapshot | null>(null);
  const events = shallowRef<readonly StoredEvent[]>([]);
  const suspicionEvents = shallowRef<readonly StoredEvent[]>([]);
  const skippedEvents = ref(0);
  const outcomes = shallowRef<readonly ClientOpOutcome[]>([]);
  const scenarios = shallowRef<readonly ScenarioSummary[]>([]);
  const notices = ref<Notice[]>([]);
  const selectedEventId = ref<number | null>(null);
  const busy = ref(0);
  /** Every process seen in the trace (nodes, clients, `lab`), for the log's filter. */
  const processes = shallowRef<readonly string[]>([]);

  let lastId = 0;
  let loadingHistory = false;
  let pending: StoredEvent[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  let noticeSeq = 0;

  function notify(tone: Notice['tone'], text: string): void {
    const notice = { id: ++noticeSeq, tone, text };
    notices.value = [...notices.value.slice(-4), notice];
    setTimeout(() => dismiss(notice.id), tone === 'error' ? NOTICE_MS * 2 : NOTICE_MS);
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((notice) => notice.id !== id);
  }

  /** Appends events newer than the last one kept; history and live batches may overlap. */
  function append(batch: readonly StoredEvent[]): void {
    const fresh = batch.filter((event) => event.id > lastId);
    if (fresh.length === 0) return;
    lastId = fresh[fresh.length - 1]!.id;
    const known = new Set(processes.value);
    for (const event of fresh) known.add(event.node);
    if (known.size !== processes.value.length) {
      processes.value = [...known].sort(compareProcesses);
    }
    // A node's recorded status (up to 2/s per node) is what the protocol panels show; in the
    // log and the space-time diagram it would only crowd out the protocol's own events.
    events.value = trimmed(events.value.concat(fresh.filter((event) => !isStatusNote(event))), EVENTS_MAX);
    const samples = fresh.filter((event) => event.kind === 'suspicion');
    if (samples.length > 0) suspicionEvents.value = trimmed(suspicionEvents.value.concat(samples), SUSPICION_MAX);
  }

  function scheduleFlush(): void {
    if (flushTimer !== null || loadingHistory) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      const batch = pending;
      pending = [];
      append(batch);
    }, FLUSH_INTERVAL_MS);
  }

  function addOutcome(outcome: ClientOpOutcome): void {
    if (outcomes.value.slice(-20).some((known) => sameOutcome(known, outcome))) return;
    outcomes.value = trimmed([...outcomes.value, outcome], OUTCOMES_MAX);
  }

  /** A new trace (a run started or a trace opened, here or from another window) has new row ids. */
  function forgetRun(): void {
    events.value = [];
    suspicionEvents.value = [];
    outcomes.value = [];
    selectedEventId.value = null;
    skippedEvents.value = 0;
    processes.value = [];
    lastId = 0;
    pending = [];
  }

  function setSnapshot(next: LabSnapshot): void {
    const previousTrace = traceKeyOf(snapshot.value);
    snapshot.value = next;
    const nextTrace = traceKeyOf(next);
    if (previousTrace !== null && nextTrace !== null && previousTrace !== nextTrace) {
      forgetRun();
      void attempt('Loading the trace', () => loadHistory());
    }
  }

  function onUpdate(update: LabUpdate): void {
    if (update.kind === 'snapshot') setSnapshot(update.snapshot);
    else if (update.kind === 'client') addOutcome(update.outcome);
    else {
      pending.push(...update.events);
      skippedEvents.value += update.skipped;
      scheduleFlush();
    }
  }

  /**
   * Catches up with the trace after (re)connecting. The first time, it reads the newest
   * events backwards (up to the bound), then forwards from the last event kept until it
   * has everything; live batches that arrived meanwhile are merged without duplicates.
   */
  async function loadHistory(): Promise<void> {
    loadingHistory = true;
    try {
      if (lastId === 0) {
        const pages: StoredEvent[][] = [];
        let before = Number.MAX_SAFE_INTEGER;
        for (let total = 0; total < EVENTS_MAX; ) {
          const page = await api.events({ beforeId: before, limit: HISTORY_PAGE });
          if (page.length === 0) break;
          pages.unshift(page);
          total += page.length;
          before = page[0]!.id;
          if (page.length < HISTORY_PAGE) break;
        }
        append(pages.flat());
      }
      for (let page = 0; page < HISTORY_PAGES_MAX; page += 1) {
        const batch = await api.events({ afterId: lastId, limit: HISTORY_PAGE });
        append(batch);
        if (batch.length < HISTORY_PAGE) break;
      }
    } finally {
      loadingHistory = false;
      const batch = pending;
      pending = [];
      append(batch);
    }
  }

  async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | null> {
    busy.value += 1;
    try {
      return await action();
    } catch (error) {
      notify('error', `${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    } finally {
      busy.value -= 1;
    }
  }

  async function onConnected(): Promise<void> {
    const [current] = await Promise.all([
      attempt('Reading the lab state', () => api.snapshot()),
      attempt('Loading the trace', () => loadHistory()),
      loadScenarios(),
    ]);
    if (current !== null) setSnapshot(current);
  }

  async function loadScenarios(): Promise<void> {
    const list = await attempt('Listing scenarios', () => api.scenarios());
    if (list !== null) scenarios.value = list;
  }

  function start(): () => void {
    const stopUpdates = api.subscribe(onUpdate);
    const stopConnection = api.onConnection((isConnected) => {
      const wasConnected = connected.value;
      connected.value = isConnected;
      if (isConnected && !wasConnected) void onConnected();
    });
    return () => {
      stopUpdates();
      stopConnection();
      if (flushTimer !== null) clearTimeout(flushTimer);
    };
  }

  const selectedEvent = computed(() =>
    selectedEventId.value === null ? null : findById(events.value, selectedEventId.value),
  );
  const nodeIds = computed(() => snapshot.value?.nodes.map((node) => node.id) ?? []);
  /** True while the lab shows a recorded trace: the page looks, it does not act. */
  const recorded = computed(() => snapshot.value?.live === false);
  const traceKey = computed(() => traceKeyOf(snapshot.value));

  return {
    shell: api.shell,
    connected,
    snapshot,
    nodeIds,
    recorded,
    traceKey,
    events,
    processes,
    suspicionEvents,
    skippedEvents,
    outcomes,
    scenarios,
    notices,
    busy,
    selectedEventId,
    selectedEvent,
    start,
    dismiss,
    notify,
    loadScenarios,
    findEvent: (id: number) => findById(events.value, id),
    selectEvent(id: number | null): void {
      selectedEventId.value = id;
    },
    async fault(request: FaultRequest): Promise<boolean> {
      const done = await attempt(describeFault(request), async () => {
        await api.fault(request);
        return true;
      });
      return done === true;
    },
    async clientOp(request: ClientOpRequest): Promise<ClientOpOutcome | null> {
      const outcome = await attempt(`Client ${request.op.f}`, () => api.clientOp(request));
      if (outcome !== null) addOutcome(outcome);
      return outcome;
    },
    /** Asks the lab's linearizability checker about the run's client history so far. */
    checkHistory(): Promise<HistoryCheckReport | null> {
      return attempt('Checking the history', () => api.checkHistory());
    },
    exportTrace(format: ExportFormat): Promise<ExportResult | null> {
      return attempt(`Export ${format}`, () => api.exportTrace(format));
    },
    async startScenario(name: string): Promise<boolean> {
      const started = await attempt(`Starting scenario ${name}`, () => api.startScenario(name));
      if (started === null) return false;
      // setSnapshot reloads the trace if an update has not already announced the new run.
      setSnapshot(started);
      notify('info', `Started scenario ${name}`);
      return true;
    },
    /** The runs in the lab's data folder, newest first (null if the lab could not list them). */
    runs(): Promise<RunSummary[] | null> {
      return attempt('Listing the runs', () => api.runs());
    },
    /** PBS on this Dynamo run: the prediction from its observed latencies beside the measured staleness. */
    measurePbs(request: PbsMeasureRequest): Promise<PbsMeasurement | null> {
      return attempt('Measuring PBS', () => api.measurePbs(request));
    },
    /** The book's table measured in the simulator: this scenario's workload and faults on several protocols. */
    compareProtocols(request: CompareRequest): Promise<CompareReport | null> {
      return attempt('Comparing the protocols', () => api.compareProtocols(request));
    },
    /** Gossip convergence on this crdt-gossip run (its nodes, mode, fanout, interval and link loss as they are), beside the simulator's prediction. */
    measureConvergence(request: ConvergenceRequest): Promise<ConvergenceMeasurement | null> {
      return attempt('Measuring convergence', () => api.measureConvergence(request));
    },
    /** The measurements of `kind` recorded in the current run's trace, oldest first (empty if the lab could not say). */
    async recordedMeasurements<T>(kind: MeasurementKind, isResult: (value: unknown) => value is T): Promise<T[]> {
      const events = await attempt('Reading the recorded measurements', () => api.events(measurementQuery(kind)));
      return events === null ? [] : measurementsIn(events, kind, isResult);
    },
    /** Shows a recorded trace instead of the cluster; a file that is not a trace changes nothing. */
    async openTrace(tracePath: string): Promise<boolean> {
      const opened = await attempt('Opening the trace', () => api.openTrace(tracePath));
      if (opened === null) return false;
      // As for a new scenario: setSnapshot drops the old events and loads the trace's.
      setSnapshot(opened);
      notify('info', `Opened the recorded trace ${opened.run?.runId ?? tracePath}`);
      return true;
    },
  };
}

/** What a person asked for, as the start of a sentence: "Crash n5 failed: …". */
function describeFault(request: FaultRequest): string {
  switch (request.kind) {
    case 'partition':
      return 'Partition';
    case 'heal':
      return 'Heal';
    case 'link':
      return `Link fault ${request.source} → ${request.target}`;
    case 'clock':
      return `Clock of ${request.node}`;
    case 'slow-disk':
      return `Slow disk on ${request.node}`;
    case 'wipe':
      return `Wiping the disk of ${request.node}`;
    default:
      return `${request.kind[0]!.toUpperCase()}${request.kind.slice(1)} ${request.node}`;
  }
}

export type LabStore = ReturnType<typeof createLabStore>;

const LAB_KEY: InjectionKey<LabStore> = Symbol('distlab-lab');

export function provideLab(app: App, store: LabStore): void {
  app.provide(LAB_KEY, store);
}

export function useLab(): LabStore {
  const store = inject(LAB_KEY);
  if (store === undefined) throw new Error('useLab() needs provideLab() on the app');
  return store;
}
