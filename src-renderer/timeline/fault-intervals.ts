// Turns the trace's `fault` events into what a person wants to see on a time line: when
// a node was down (crash, crash-stop, disk lost) or paused, when the cluster was
// partitioned and how, and point markers for link and clock faults. Pure: no DOM.
//
// Every interval carries two positions per end, one on each time axis the diagram can
// show. Faults are observations, not causal events (they do not tick clocks), so they
// get a Lamport position by convention: a fault that hits one process sits just after
// that process's last event (an outage ends just before its first event after the
// restart), since on the Lamport axis each lane is its own process's time; a fault of
// the whole lab (partition, heal) sits after the highest Lamport time reached so far.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { FaultRequest, LinkFaults, PartitionSpec } from '../../src-node/contract/faults.ts';
import { CAUSAL_KINDS, type StoredEvent } from '../../src-node/contract/trace.ts';

/** A point on both time axes. */
export interface AxisPoint {
  labTimeMs: number;
  lamport: number;
  /** The trace event that marks it. */
  eventId: number;
}

export type DownCause = 'crash' | 'stop' | 'wipe';

export interface ProcessInterval {
  process: ProcessId;
  kind: 'down' | 'paused';
  /** For `down`: what took the process down; `wipe` means its disk was lost too. */
  cause: DownCause | null;
  start: AxisPoint;
  /** null while it lasts. */
  end: AxisPoint | null;
}

export interface PartitionBand {
  spec: PartitionSpec;
  start: AxisPoint;
  end: AxisPoint | null;
}

export interface FaultMarker {
  /** The lane it belongs on: a node, or the source of a link. */
  process: ProcessId;
  /** For a link fault: the far end of the link. */
  target?: ProcessId;
  label: string;
  at: AxisPoint;
}

export interface FaultDetail {
  request: FaultRequest;
  by?: string;
}

/** The fault request of a `fault` event, or null if its detail is not one. */
export function faultRequestOf(event: StoredEvent): FaultRequest | null {
  if (event.kind !== 'fault') return null;
  const detail = event.detail as Partial<FaultDetail> | null | undefined;
  const request = detail?.request;
  if (request === null || typeof request !== 'object' || typeof request.kind !== 'string') return null;
  return request;
}

/** Collects fault intervals from events fed to it in arrival order. */
export class FaultTimeline {
  readonly intervals: ProcessInterval[] = [];
  readonly partitions: PartitionBand[] = [];
  readonly markers: FaultMarker[] = [];
  /** The highest Lamport time seen so far: where an observation sits on the Lamport axis. */
  lamportWatermark = 0;
  private readonly open = new Map<ProcessId, ProcessInterval>();
  private readonly lastLamport = new Map<ProcessId, number>();
  /** Intervals closed by a fault whose Lamport end waits for the process's next event. */
  private readonly awaitingLamport = new Map<ProcessId, ProcessInterval>();

  ingest(event: StoredEvent): void {
    if (CAUSAL_KINDS.has(event.kind)) this.noteCausal(event);
    const request = faultRequestOf(event);
    if (request !== null) this.applyFault(request, event);
  }

  private noteCausal(event: StoredEvent): void {
    if (event.lamport > this.lamportWatermark) this.lamportWatermark = event.lamport;
    const waiting = this.awaitingLamport.get(event.node);
    if (waiting?.end != null) waiting.end.lamport = Math.max(waiting.start.lamport, event.lamport - 0.5);
    this.awaitingLamport.delete(event.node);
    if (event.kind === 'start') {
      const lamport = Math.max(this.open.get(event.node)?.start.lamport ?? 0, event.lamport - 0.5);
      this.closeDown(event.node, { labTimeMs: event.labTimeMs, lamport, eventId: event.id });
      this.awaitingLamport.delete(event.node);
    }
    this.lastLamport.set(event.node, event.lamport);
  }

  /** The interval open on `process` at the end of what was ingested, if any. */
  openInterval(process: ProcessId): ProcessInterval | undefined {
    return this.open.get(process);
  }

  private applyFault(request: FaultRequest, event: StoredEvent): void {
    const at = 'node' in request ? this.processPoint(request.node, event) : this.labPoint(event);
    switch (request.kind) {
      case 'crash':
      case 'stop':
      case 'wipe':
        return this.openDown(request.node, request.kind, at);
      case 'restart':
        return this.closeDown(request.node, at);
      case 'pause':
        if (!this.open.has(request.node)) this.begin(request.node, 'paused', null, at);
        return;
      case 'resume': {
        const interval = this.open.get(request.node);
        if (interval?.kind === 'paused') this.close(interval, at);
        return;
      }
      case 'partition':
        this.closePartition(at);
        this.partitions.push({ spec: request.spec, start: at, end: null });
        return;
      case 'heal':
        return this.closePartition(at);
      case 'link':
        this.markers.push({ process: request.source, target: request.target, label: `→${request.target} ${linkLabel(request.faults)}`, at });
        return;
      case 'clock':
        this.markers.push({ process: request.node, label: clockLabel(request.clock), at });
        return;
      case 'slow-disk':
        this.markers.push({ process: request.node, label: `disk +${request.persistDelayMs} ms`, at });
        return;
    }
  }

  private openDown(process: ProcessId, cause: DownCause, at: AxisPoint): void {
    const current = this.open.get(process);
    if (current?.kind === 'down') {
      // Wiping a stopped node's disk is the same outage, now without its data.
      if (cause === 'wipe') current.cause = 'wipe';
      return;
    }
    // SIGKILL on a SIGSTOPped process: the pause ends where the outage begins.
    if (current !== undefined) this.close(current, at);
    this.begin(process, 'down', cause, at);
  }

  /** A restart request or the process's own `start` event ends an outage (and a pause). */
  private closeDown(process: ProcessId, at: AxisPoint): void {
    const current = this.open.get(process);
    if (current !== undefined) this.close(current, at);
  }

  private begin(process: ProcessId, kind: ProcessInterval['kind'], cause: DownCause | null, at: AxisPoint): void {
    const interval: ProcessInterval = { process, kind, cause, start: at, end: null };
    this.intervals.push(interval);
    this.open.set(process, interval);
  }

  private close(interval: ProcessInterval, at: AxisPoint): void {
    interval.end = { ...at, lamport: Math.max(at.lamport, interval.start.lamport) };
    this.open.delete(interval.process);
    this.awaitingLamport.set(interval.process, interval);
  }

  private closePartition(at: AxisPoint): void {
    const last = this.partitions[this.partitions.length - 1];
    if (last !== undefined && last.end === null) last.end = at;
  }

  /** Just after the last event of `process`. */
  private processPoint(process: ProcessId, event: StoredEvent): AxisPoint {
    return { labTimeMs: event.labTimeMs, lamport: (this.lastLamport.get(process) ?? 0) + 0.5, eventId: event.id };
  }

  /** Just after the highest Lamport time reached. */
  private labPoint(event: StoredEvent): AxisPoint {
    return { labTimeMs: event.labTimeMs, lamport: this.lamportWatermark + 0.5, eventId: event.id };
  }
}

function linkLabel(faults: Partial<LinkFaults>): string {
  const parts: string[] = [];
  if (faults.cut === true) parts.push('cut');
  if (faults.cut === false) parts.push('uncut');
  if (faults.lossPct !== undefined) parts.push(`loss ${faults.lossPct}%`);
  if (faults.delayMs !== undefined) parts.push(`delay ${faults.delayMs} ms`);
  if (faults.jitterMs !== undefined) parts.push(`jitter ${faults.jitterMs} ms`);
  if (faults.duplicatePct !== undefined) parts.push(`dup ${faults.duplicatePct}%`);
  if (faults.reorderPct !== undefined) parts.push(`reorder ${faults.reorderPct}%`);
  return parts.length > 0 ? parts.join(', ') : 'link';
}

function clockLabel(clock: Partial<{ skewMs: number; driftPpm: number }>): string {
  const parts: string[] = [];
  if (clock.skewMs !== undefined) parts.push(`skew ${clock.skewMs} ms`);
  if (clock.driftPpm !== undefined) parts.push(`drift ${clock.driftPpm} ppm`);
  return `clock ${parts.join(', ')}`;
}

/** The partition group index of each process in `spec`, for shading the lanes of the cut. */
export function partitionGroups(spec: PartitionSpec): Map<ProcessId, number> {
  const groups = new Map<ProcessId, number>();
  spec.groups.forEach((group, index) => group.forEach((process) => groups.set(process, index)));
  return groups;
}

/** `{n1 n2} | {n3 n4 n5}`, with an arrow for a one-way cut. */
export function partitionLabel(spec: PartitionSpec): string {
  const groups = spec.groups.map((group) => `{${group.join(' ')}}`);
  return spec.oneWay ? `${groups[0] ?? ''} ⇸ ${groups.slice(1).join(' ')}` : groups.join(' | ');
}

/** A stretch of time during which at least one observer suspected `process`. */
export interface SuspectInterval {
  process: ProcessId;
  /** Everyone who suspected it at some point of the stretch. */
  observers: Set<ProcessId>;
  start: AxisPoint;
  end: AxisPoint | null;
}

export interface SuspicionDetail {
  phi: Record<ProcessId, number>;
  suspected: ProcessId[];
}

/** The detail of a `suspicion` sample, or null if it is not one. */
export function suspicionDetailOf(event: StoredEvent): SuspicionDetail | null {
  if (event.kind !== 'suspicion') return null;
  const detail = event.detail as Partial<SuspicionDetail> | null | undefined;
  if (detail === null || typeof detail !== 'object' || detail.phi === null || typeof detail.phi !== 'object') return null;
  return { phi: detail.phi, suspected: Array.isArray(detail.suspected) ? detail.suspected : [] };
}

/**
 * When each process was suspected by someone: from suspicion samples (phi over
 * `phiThreshold` when given, else the observer's own `suspected` list). An observer that
 * crashes, stops or pauses stops vouching for its opinions, so they end there.
 */
export class SuspectTimeline {
  readonly intervals: SuspectInterval[] = [];
  private readonly suspicions = new Map<ProcessId, { observers: Set<ProcessId>; interval: SuspectInterval }>();

  constructor(private readonly phiThreshold?: number) {}

  ingest(event: StoredEvent, at: AxisPoint): void {
    const request = faultRequestOf(event);
    if (request !== null && (request.kind === 'crash' || request.kind === 'stop' || request.kind === 'pause')) {
      this.forgetObserver(request.node, at);
      return;
    }
    const detail = suspicionDetailOf(event);
    if (detail === null) return;
    for (const [peer, phi] of Object.entries(detail.phi)) {
      const suspected = this.phiThreshold !== undefined ? phi > this.phiThreshold : detail.suspected.includes(peer);
      this.set(peer, event.node, suspected, at);
    }
  }

  private set(process: ProcessId, observer: ProcessId, suspected: boolean, at: AxisPoint): void {
    const current = this.suspicions.get(process);
    if (suspected) {
      if (current === undefined) {
        const interval: SuspectInterval = { process, observers: new Set([observer]), start: at, end: null };
        this.intervals.push(interval);
        this.suspicions.set(process, { observers: new Set([observer]), interval });
      } else {
        current.observers.add(observer);
        current.interval.observers.add(observer);
      }
      return;
    }
    if (current === undefined || !current.observers.delete(observer)) return;
    if (current.observers.size === 0) {
      current.interval.end = at;
      this.suspicions.delete(process);
    }
  }

  private forgetObserver(observer: ProcessId, at: AxisPoint): void {
    for (const process of [...this.suspicions.keys()]) this.set(process, observer, false, at);
  }
}
