// Phi over time, per observer and peer, from the trace's `suspicion` samples. The goal
// of the chart is that three failures look plainly different:
//   crash       — every observer's phi of the node climbs and stays up until a restart;
//   pause       — the same climb, then a sharp fall to ~0 on resume; meanwhile the paused
//                 node itself takes no samples, so its own lines stop (a gap, not a line);
//   lossy link  — one observer's phi of one peer saw-tooths, mostly under the threshold.
// So this module keeps every sample (no smoothing that would hide a saw-tooth), marks
// gaps where an observer went silent, and maps phi onto a log scale where 0.1 … 1000 all
// read. Pure: no DOM, no Vue.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { advanceCursor, createCursor, planIngest } from '../timeline/event-cursor.ts';
import { FaultTimeline, suspicionDetailOf, type ProcessInterval } from '../timeline/fault-intervals.ts';
import { LinkFaultTimeline, type LinkSpan } from '../timeline/link-spans.ts';

/** Below this phi reads as "no doubt at all"; the bottom of the scale. */
export const PHI_FLOOR = 0.05;
/** Phi is unbounded (and can be Infinity); the chart caps it here. */
export const PHI_CAP = 1000;
/** Samples come a few times a second; a longer silence is a gap in the line. */
export const SAMPLE_GAP_MS = 1500;

/** One observer's phi of one peer: sample times (lab ms) and values, in time order. */
export interface PhiSeries {
  times: number[];
  phi: number[];
}

export interface ObserverSeries {
  observer: ProcessId;
  peers: Map<ProcessId, PhiSeries>;
  /** The observer's latest sample. */
  last: { labTimeMs: number; phi: Record<ProcessId, number>; suspected: ProcessId[] } | null;
}

export class SuspicionSeries {
  observers = new Map<ProcessId, ObserverSeries>();
  /** Outages and pauses, to explain an observer's silences. */
  faults = new FaultTimeline();
  /** Faulty links, to explain a saw-tooth of one observer's phi of one peer. */
  links = new LinkFaultTimeline();
  /** The newest lab time in the trace (any event), where a live chart ends. */
  latestTimeMs = Number.NEGATIVE_INFINITY;
  earliestTimeMs = Number.POSITIVE_INFINITY;
  sampleCount = 0;
  private cursor = createCursor();

  /** Takes in whatever is new in `events` (the whole trace so far); true if anything changed. */
  sync(events: readonly StoredEvent[]): boolean {
    const plan = planIngest(this.cursor, events);
    if (plan.reset) this.clear();
    for (let i = plan.from; i < events.length; i++) this.add(events[i]!);
    advanceCursor(this.cursor, events, plan.from);
    return plan.reset || events.length > plan.from;
  }

  clear(): void {
    this.observers = new Map();
    this.faults = new FaultTimeline();
    this.links = new LinkFaultTimeline();
    this.latestTimeMs = Number.NEGATIVE_INFINITY;
    this.earliestTimeMs = Number.POSITIVE_INFINITY;
    this.sampleCount = 0;
    this.cursor = createCursor();
  }

  add(event: StoredEvent): void {
    this.latestTimeMs = Math.max(this.latestTimeMs, event.labTimeMs);
    this.earliestTimeMs = Math.min(this.earliestTimeMs, event.labTimeMs);
    if (event.kind === 'fault' || event.kind === 'start') this.faults.ingest(event);
    if (event.kind === 'fault') this.links.ingest(event);
    const detail = suspicionDetailOf(event);
    if (detail === null) return;
    const series = this.observerOf(event.node);
    for (const [peer, value] of Object.entries(detail.phi)) {
      if (typeof value !== 'number' || Number.isNaN(value)) continue;
      let line = series.peers.get(peer);
      if (line === undefined) series.peers.set(peer, (line = { times: [], phi: [] }));
      insertSample(line, event.labTimeMs, value);
    }
    if (series.last === null || series.last.labTimeMs <= event.labTimeMs) {
      series.last = { labTimeMs: event.labTimeMs, phi: detail.phi, suspected: detail.suspected };
    }
    this.sampleCount++;
  }

  /** The observer's own outages and pauses. */
  intervalsOf(observer: ProcessId): ProcessInterval[] {
    return this.faults.intervals.filter((interval) => interval.process === observer);
  }

  /** Faulty links into the observer: its heartbeats from the source arrive late or not at all. */
  linkSpansInto(observer: ProcessId): LinkSpan[] {
    return this.links.spans.filter((span) => span.target === observer);
  }

  /** Outages and pauses of everyone but the observer: what its phi lines react to. */
  peerIntervalsOf(observer: ProcessId): ProcessInterval[] {
    return this.faults.intervals.filter((interval) => interval.process !== observer);
  }

  private observerOf(observer: ProcessId): ObserverSeries {
    let series = this.observers.get(observer);
    if (series === undefined) this.observers.set(observer, (series = { observer, peers: new Map(), last: null }));
    return series;
  }
}

function insertSample(line: PhiSeries, timeMs: number, phi: number): void {
  const last = line.times[line.times.length - 1];
  if (last === undefined || last <= timeMs) {
    line.times.push(timeMs);
    line.phi.push(phi);
    return;
  }
  const index = firstAtOrAfter(line.times, timeMs);
  line.times.splice(index, 0, timeMs);
  line.phi.splice(index, 0, phi);
}

/** First index whose time is >= `timeMs`. */
export function firstAtOrAfter(times: readonly number[], timeMs: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (times[middle]! < timeMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Where phi sits on the chart's log scale, 0 (bottom, phi <= PHI_FLOOR) to 1 (top, phi >=
 * PHI_CAP, Infinity included). Log, because the interesting values span four decades:
 * a healthy peer sits around 0.1–1, a threshold near 8, a dead peer runs into the hundreds.
 */
export function phiToUnit(phi: number, floor = PHI_FLOOR, cap = PHI_CAP): number {
  if (Number.isNaN(phi) || phi <= floor) return 0;
  if (phi >= cap) return 1;
  return Math.log10(phi / floor) / Math.log10(cap / floor);
}

/** Ticks of the phi axis. */
export const PHI_TICKS: readonly number[] = [0.1, 1, 10, 100, 1000];

/** Phi for a legend: `0.42`, `7.9`, `35`, `>1000`. */
export function formatPhi(phi: number): string {
  if (Number.isNaN(phi)) return '–';
  if (phi >= PHI_CAP) return `>${PHI_CAP}`;
  if (phi < 10) return phi.toFixed(phi < 1 ? 2 : 1);
  return phi.toFixed(0);
}

/**
 * The runs of `line` to draw in [fromMs, toMs], as index ranges [begin, end): a run breaks
 * wherever two samples lie more than `gapMs` apart (the observer was silent: paused,
 * crashed, or cut off from the lab). One sample either side of the window is included so
 * that lines reach the edges.
 */
export function visibleRuns(line: PhiSeries, fromMs: number, toMs: number, gapMs = SAMPLE_GAP_MS): [number, number][] {
  const begin = Math.max(0, firstAtOrAfter(line.times, fromMs) - 1);
  const end = Math.min(line.times.length, firstAtOrAfter(line.times, toMs) + 1);
  const runs: [number, number][] = [];
  let runStart = begin;
  for (let i = begin + 1; i <= end; i++) {
    if (i === end || line.times[i]! - line.times[i - 1]! > gapMs) {
      if (i > runStart) runs.push([runStart, i]);
      runStart = i;
    }
  }
  return runs;
}

/** What the legend says about one observer: its state and its current view of each peer. */
export interface ObserverSummary {
  observer: ProcessId;
  /** `silent`: no sample for longer than the gap although the trace goes on (paused, crashed, or just started). */
  status: 'sampling' | 'silent' | 'down' | 'paused' | 'none';
  peers: { peer: ProcessId; phi: number; suspected: boolean }[];
}

/** The legend of every node, in `nodes` order; suspected per `threshold` or the observer's own verdict. */
export function summarize(series: SuspicionSeries, nodes: readonly ProcessId[], threshold: number): ObserverSummary[] {
  return nodes.map((observer) => {
    const line = series.observers.get(observer);
    const open = series.faults.openInterval(observer);
    const last = line?.last ?? null;
    const peers = nodes
      .filter((peer) => peer !== observer)
      .map((peer) => {
        const phi = last?.phi[peer] ?? Number.NaN;
        return { peer, phi, suspected: phi > threshold || (last?.suspected.includes(peer) ?? false) };
      });
    let status: ObserverSummary['status'] = 'sampling';
    if (open !== undefined) status = open.kind;
    else if (last === null) status = 'none';
    else if (series.latestTimeMs - last.labTimeMs > SAMPLE_GAP_MS) status = 'silent';
    return { observer, status, peers };
  });
}
