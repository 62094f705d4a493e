// The model behind the space-time diagram (Lamport 1978, fig. 1; the book, §3): one
// lane per process, events on their lane in time order, messages as edges from a send
// to its receives and drops, and the fault intervals that explain gaps. Built
// incrementally from the trace (each batch costs what it adds, not what came before),
// queried by visible window, so the canvas draws only what is on screen.
// Pure: no DOM, no Vue — it runs under Node in the unit tests.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import { CAUSAL_KINDS, type StoredEvent } from '../../src-node/contract/trace.ts';
import { compare } from '../../src-node/protocols/clocks/vector-clock.ts';
import { advanceCursor, createCursor, planIngest } from './event-cursor.ts';
import { FaultTimeline, SuspectTimeline, type AxisPoint } from './fault-intervals.ts';
import { TermTimeline } from './term-timeline.ts';

/** Lab time shows real delays and outages; Lamport time packs causally ordered events tight. */
export type TimeAxis = 'lab' | 'lamport';

export function axisValue(event: StoredEvent, axis: TimeAxis): number {
  return axis === 'lab' ? event.labTimeMs : event.lamport;
}

export function pointValue(point: AxisPoint, axis: TimeAxis): number {
  return axis === 'lab' ? point.labTimeMs : point.lamport;
}

/** One process's causal events, kept sorted on each axis (a restart may reset Lamport time). */
export interface Lane {
  process: ProcessId;
  byLab: StoredEvent[];
  byLamport: StoredEvent[];
}

export function laneEvents(lane: Lane, axis: TimeAxis): StoredEvent[] {
  return axis === 'lab' ? lane.byLab : lane.byLamport;
}

/** Everything the trace says about one message. A receive may come without its send (the
 * sender was killed before it reported it) and more than once (duplication). */
export interface MessageRecord {
  send: StoredEvent | null;
  receives: StoredEvent[];
  drops: StoredEvent[];
}

export type EdgeKind = 'receive' | 'drop' | 'pending';

/** A message to draw: from its send (null: unknown) to a receive, a drop, or nowhere yet. */
export interface MessageEdge {
  kind: EdgeKind;
  send: StoredEvent | null;
  /** The receive or drop; null for a message sent but not (yet) received or dropped. */
  end: StoredEvent | null;
  /** A second (or later) receive of the same message by the same process. */
  duplicate: boolean;
}

interface Range {
  min: number;
  max: number;
}

const MESSAGE_KINDS = new Set(['send', 'receive', 'drop']);

export class SpaceTimeLayout {
  lanes = new Map<ProcessId, Lane>();
  messages = new Map<string, MessageRecord>();
  /** Lane events by id, for a selection made here or elsewhere (the event log). */
  byId = new Map<number, StoredEvent>();
  faults = new FaultTimeline();
  suspects: SuspectTimeline;
  /** Each node's Raft term along the trace (empty for other protocols, and drawn only for Raft runs). */
  terms = new TermTimeline();
  /** The longest message seen, per axis: how far right of a window a receive may lie and still cross it. */
  maxSpan: Record<TimeAxis, number> = { lab: 0, lamport: 0 };
  extent: Record<TimeAxis, Range> = { lab: emptyRange(), lamport: emptyRange() };
  /** Events on lanes. */
  laneEventCount = 0;
  /** Changes whenever the layout does: a cheap key for caches and redraws. */
  version = 0;
  private cursor = createCursor();

  /** `phiThreshold`: above it a peer counts as suspected; without it, the observers' own verdicts count. */
  constructor(private readonly phiThreshold?: number) {
    this.suspects = new SuspectTimeline(phiThreshold);
  }

  /** Takes in whatever is new in `events` (the whole trace so far); true if anything changed. */
  sync(events: readonly StoredEvent[]): boolean {
    const plan = planIngest(this.cursor, events);
    if (plan.reset) this.clear();
    for (let i = plan.from; i < events.length; i++) this.add(events[i]!);
    advanceCursor(this.cursor, events, plan.from);
    const changed = plan.reset || events.length > plan.from;
    if (changed) this.version++;
    return changed;
  }

  clear(): void {
    this.lanes = new Map();
    this.messages = new Map();
    this.byId = new Map();
    this.faults = new FaultTimeline();
    this.suspects = new SuspectTimeline(this.phiThreshold);
    this.terms = new TermTimeline();
    this.maxSpan = { lab: 0, lamport: 0 };
    this.extent = { lab: emptyRange(), lamport: emptyRange() };
    this.laneEventCount = 0;
    this.cursor = createCursor();
    this.version++;
  }

  add(event: StoredEvent): void {
    this.faults.ingest(event);
    widen(this.extent.lab, event.labTimeMs);
    if (!CAUSAL_KINDS.has(event.kind)) {
      const at = { labTimeMs: event.labTimeMs, lamport: this.faults.lamportWatermark + 0.5, eventId: event.id };
      this.suspects.ingest(event, at);
      widen(this.extent.lamport, this.faults.lamportWatermark);
      return;
    }
    widen(this.extent.lamport, event.lamport);
    this.terms.ingest(event);
    const lane = this.laneOf(event.node);
    insertSorted(lane.byLab, event, 'lab');
    insertSorted(lane.byLamport, event, 'lamport');
    this.laneEventCount++;
    this.byId.set(event.id, event);
    if (event.msgId !== undefined && MESSAGE_KINDS.has(event.kind)) this.addToMessage(event, event.msgId);
  }

  private laneOf(process: ProcessId): Lane {
    let lane = this.lanes.get(process);
    if (lane === undefined) {
      lane = { process, byLab: [], byLamport: [] };
      this.lanes.set(process, lane);
    }
    return lane;
  }

  private addToMessage(event: StoredEvent, msgId: string): void {
    let record = this.messages.get(msgId);
    if (record === undefined) {
      record = { send: null, receives: [], drops: [] };
      this.messages.set(msgId, record);
    }
    if (event.kind === 'send') {
      record.send = event;
      for (const end of record.receives) this.noteSpan(event, end);
      for (const end of record.drops) this.noteSpan(event, end);
    } else {
      (event.kind === 'receive' ? record.receives : record.drops).push(event);
      if (record.send !== null) this.noteSpan(record.send, event);
    }
  }

  private noteSpan(send: StoredEvent, end: StoredEvent): void {
    this.maxSpan.lab = Math.max(this.maxSpan.lab, end.labTimeMs - send.labTimeMs);
    this.maxSpan.lamport = Math.max(this.maxSpan.lamport, end.lamport - send.lamport);
  }
}

function emptyRange(): Range {
  return { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
}

function widen(range: Range, value: number): void {
  if (value < range.min) range.min = value;
  if (value > range.max) range.max = value;
}

/** Appends in the common case (events of a process arrive in order); inserts otherwise. */
function insertSorted(list: StoredEvent[], event: StoredEvent, axis: TimeAxis): void {
  const value = axisValue(event, axis);
  const last = list[list.length - 1];
  if (last === undefined || axisValue(last, axis) <= value) {
    list.push(event);
    return;
  }
  list.splice(upperBound(list, value, axis), 0, event);
}

/** First index whose value is >= `value`. */
export function lowerBound(list: readonly StoredEvent[], value: number, axis: TimeAxis): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (axisValue(list[middle]!, axis) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First index whose value is > `value`. */
export function upperBound(list: readonly StoredEvent[], value: number, axis: TimeAxis): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (axisValue(list[middle]!, axis) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The events of `lane` with from <= value <= to, as an index range [begin, end). */
export function laneWindow(lane: Lane, axis: TimeAxis, from: number, to: number): [number, number] {
  const list = laneEvents(lane, axis);
  return [lowerBound(list, from, axis), upperBound(list, to, axis)];
}

/**
 * The messages that cross the window [from, to] on `axis`: every receive or drop inside
 * it or within the longest message span right of it whose send is not right of the window,
 * and every send inside it that nothing received or dropped yet.
 */
export function visibleMessages(
  layout: SpaceTimeLayout,
  axis: TimeAxis,
  from: number,
  to: number,
  /** Zoomed far out, take about this many (every drop still counts): a sample looks the same. */
  maxEdges = Number.POSITIVE_INFINITY,
): MessageEdge[] {
  const edges: MessageEdge[] = [];
  const reach = to + layout.maxSpan[axis];
  const windows = [...layout.lanes.values()].map((lane) => ({ list: laneEvents(lane, axis), range: laneWindow(lane, axis, from, reach) }));
  const candidates = windows.reduce((sum, { range }) => sum + range[1] - range[0], 0);
  // About half of the events in a window are ends of messages.
  const stride = Math.max(1, Math.floor(candidates / 2 / maxEdges));
  for (const { list, range } of windows) {
    for (let i = range[0]; i < range[1]; i++) {
      const event = list[i]!;
      if (event.msgId === undefined || (stride > 1 && i % stride !== 0 && event.kind !== 'drop')) continue;
      const record = layout.messages.get(event.msgId);
      if (record === undefined) continue;
      const edge = edgeOf(event, record, axis, to);
      if (edge !== null) edges.push(edge);
    }
  }
  return edges;
}

function edgeOf(event: StoredEvent, record: MessageRecord, axis: TimeAxis, to: number): MessageEdge | null {
  const inside = axisValue(event, axis) <= to;
  if (event.kind === 'send') {
    const unanswered = record.receives.length === 0 && record.drops.length === 0;
    return inside && unanswered ? { kind: 'pending', send: event, end: null, duplicate: false } : null;
  }
  if (event.kind !== 'receive' && event.kind !== 'drop') return null;
  const send = record.send;
  if (send !== null ? axisValue(send, axis) > to : !inside) return null;
  const duplicate =
    event.kind === 'receive' && record.receives.some((other) => other.node === event.node && other.id < event.id);
  return { kind: event.kind, send, end: event, duplicate };
}

/** Where the diagram puts lanes and time, in CSS pixels. */
export interface HitQuery {
  axis: TimeAxis;
  /** Axis value at `originX`. */
  start: number;
  pxPerUnit: number;
  originX: number;
  lanes: readonly { process: ProcessId; y: number }[];
  x: number;
  y: number;
  radiusPx: number;
}

/** The event drawn nearest to (x, y), if one lies within `radiusPx`; later events win ties. */
export function hitTest(layout: SpaceTimeLayout, query: HitQuery): StoredEvent | null {
  const value = query.start + (query.x - query.originX) / query.pxPerUnit;
  const reach = query.radiusPx / query.pxPerUnit;
  let best: StoredEvent | null = null;
  let bestDistance = query.radiusPx * query.radiusPx;
  for (const { process, y } of query.lanes) {
    const dy = query.y - y;
    if (Math.abs(dy) > query.radiusPx) continue;
    const lane = layout.lanes.get(process);
    if (lane === undefined) continue;
    const list = laneEvents(lane, query.axis);
    const [begin, end] = laneWindow(lane, query.axis, value - reach, value + reach);
    for (let i = begin; i < end; i++) {
      const dx = (axisValue(list[i]!, query.axis) - value) * query.pxPerUnit;
      const distance = dx * dx + dy * dy;
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = list[i]!;
      }
    }
  }
  return best;
}

/** How an event relates to the selected one under happened-before. */
export type CausalRelation = 'selected' | 'past' | 'future' | 'concurrent' | 'unrelated';

/**
 * `past`: the event happened before the selected one (its vector clock is <=); `future`:
 * the selected one happened before it; `concurrent`: neither. Observations (suspicion
 * samples, faults, link changes) do not tick clocks and are `unrelated`.
 */
export function causalRelation(selected: StoredEvent, event: StoredEvent): CausalRelation {
  if (event.id === selected.id) return 'selected';
  if (!CAUSAL_KINDS.has(event.kind) || !CAUSAL_KINDS.has(selected.kind)) return 'unrelated';
  switch (compare(event.vclock, selected.vclock)) {
    case 'before':
    case 'equal':
      return 'past';
    case 'after':
      return 'future';
    case 'concurrent':
      return 'concurrent';
  }
}

/** The relation of each of `events` to `selected`, by event id. */
export function classifyCausality(selected: StoredEvent, events: Iterable<StoredEvent>): Map<number, CausalRelation> {
  const relations = new Map<number, CausalRelation>();
  for (const event of events) relations.set(event.id, causalRelation(selected, event));
  return relations;
}
