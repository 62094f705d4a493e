// The ShiViz export (Beschastnikh et al., "Debugging distributed systems", CACM 2016;
// github.com/DistributedClocks/shiviz). Pure: events in, lines out.
//
// ShiViz checks a log strictly (js/model/modelGraph.js): each host's own clock entry starts
// at 1 and rises by exactly 1 per event, every entry for another host must name an event
// of that host in the log, and each clock must equal the merge of its causal parents. The
// recorded vector clocks cannot be handed over as they are: a killed node loses its last
// unreported batch, a restarted node reserves a range of clock values (gaps), and a receive
// may have no recorded send. So the clocks are recomputed from the recorded causal
// structure (Fidge/Mattern, the book §3):
//   - per host, events in `seq` order get own entries 1, 2, 3, … (a restarted node continues);
//   - a receive merges the ShiViz clock of the first recorded send with the same `msgId`;
//     with no such send it is a local event, and its text says so;
//   - a drop is a local event of the process that recorded it (the sender's fault filter).
// Only causal kinds (CAUSAL_KINDS) are exported. Lines come out in a linearization of
// happened-before (a send before its receives), ties broken by lab time, then row id.

import { CAUSAL_KINDS, type TraceKind } from '../../src-node/contract/trace.ts';

/**
 * The parser regex for ShiViz (and TSViz, which also reads `timestamp`). The export writes
 * it as the first line of the file and an empty second line (no multi-execution delimiter):
 * ShiViz's file upload reads exactly those two lines into its parser fields.
 */
export const SHIVIZ_PARSER_REGEX = String.raw`(?<timestamp>\d+) (?<event>.*)\n(?<host>\S+) (?<clock>{.*})`;

/** Digits of the `timestamp` field: microseconds of lab time, zero-padded (11.5 days fit). */
export const SHIVIZ_TIMESTAMP_DIGITS = 12;
/** Longest detail JSON quoted in an event's text; the full detail stays in the trace. */
export const SHIVIZ_DETAIL_MAX_CHARS = 200;

/** What the export needs of an event; `detail` is the stored JSON text. */
export interface ShivizEvent {
  id: number;
  node: string;
  seq: number;
  kind: string;
  labTimeMs: number;
  msgId: string | null;
  peer: string | null;
  msgType: string | null;
  detail: string | null;
}

export interface ShivizStats {
  events: number;
  hosts: number;
  /** Receives with no recorded send: exported as local events. */
  unmatchedReceives: number;
  /** Receives whose send could not be placed before them (inconsistent trace): exported as local. */
  unorderableReceives: number;
}

interface Plan {
  events: readonly ShivizEvent[];
  hostNames: string[];
  /** Per host, indices into `events` in seq order. */
  hostEvents: number[][];
  hostOf: Int32Array;
  /** Per event: index of its matching send, or -1. */
  sendOf: Int32Array;
  /** Sends that some receive merges: their clocks are kept. */
  mergedSends: Set<number>;
}

/**
 * The whole file, line by line (join with "\n"): the parser regex, an empty delimiter line,
 * then two lines per event. The generator's return value counts what was exported.
 */
export function* shivizLines(input: readonly ShivizEvent[]): Generator<string, ShivizStats> {
  yield SHIVIZ_PARSER_REGEX;
  yield '';
  const plan = planEvents(input.filter((event) => CAUSAL_KINDS.has(event.kind as TraceKind)));
  const stats: ShivizStats = {
    events: plan.events.length, hosts: plan.hostNames.length, unmatchedReceives: 0, unorderableReceives: 0,
  };
  const hostCount = plan.hostNames.length;
  const clocks = plan.hostNames.map(() => new Uint32Array(hostCount));
  const next = new Int32Array(hostCount); // position of each host's next event
  const emitted = new Uint8Array(plan.events.length);
  const sendClocks = new Map<number, Uint32Array>();
  for (let step = 0; step < plan.events.length; step++) {
    let host = pickReadyHost(plan, next, emitted);
    let note: string | null = null;
    if (host < 0) {
      // Every remaining head is a receive waiting for a send that waits on it: the trace
      // contradicts itself (e.g. reused message ids). Break the cycle at the earliest one.
      host = pickReadyHost(plan, next, null);
      note = 'its send cannot be ordered before it; shown as a local event';
      stats.unorderableReceives++;
    }
    const index = plan.hostEvents[host]![next[host]!]!;
    next[host]!++;
    emitted[index] = 1;
    const event = plan.events[index]!;
    const clock = clocks[host]!;
    const send = plan.sendOf[index]!;
    if (event.kind === 'receive' && send < 0) {
      note = 'no recorded send; shown as a local event';
      stats.unmatchedReceives++;
    } else if (send >= 0 && note === null) {
      mergeInto(clock, sendClocks.get(send)!);
    }
    clock[host]!++;
    if (plan.mergedSends.has(index)) sendClocks.set(index, clock.slice());
    yield `${shivizTimestamp(event.labTimeMs)} ${shivizEventText(event, note)}`;
    yield `${plan.hostNames[host]!} ${clockJson(plan.hostNames, clock)}`;
  }
  return stats;
}

function planEvents(events: readonly ShivizEvent[]): Plan {
  const hostNames: string[] = [];
  const hostIndex = new Map<string, number>();
  const hostEvents: number[][] = [];
  const hostOf = new Int32Array(events.length);
  const firstSend = new Map<string, number>();
  events.forEach((event, index) => {
    const name = shivizHostName(event.node);
    let host = hostIndex.get(name);
    if (host === undefined) {
      host = hostNames.push(name) - 1;
      hostIndex.set(name, host);
      hostEvents.push([]);
    }
    hostOf[index] = host;
    hostEvents[host]!.push(index);
    if (event.kind === 'send' && event.msgId !== null) {
      const known = firstSend.get(event.msgId);
      if (known === undefined || events[known]!.id > event.id) firstSend.set(event.msgId, index);
    }
  });
  for (const list of hostEvents) {
    list.sort((a, b) => events[a]!.seq - events[b]!.seq || events[a]!.id - events[b]!.id);
  }
  const sendOf = new Int32Array(events.length).fill(-1);
  const mergedSends = new Set<number>();
  events.forEach((event, index) => {
    if (event.kind !== 'receive' || event.msgId === null) return;
    const send = firstSend.get(event.msgId);
    if (send === undefined || send === index) return;
    sendOf[index] = send;
    mergedSends.add(send);
  });
  return { events, hostNames, hostEvents, hostOf, sendOf, mergedSends };
}

/**
 * The host whose next event comes first (lab time, then row id) among those that may go
 * now: a receive may go once its send went. With `emitted` null, every head counts as ready.
 * A linear scan over hosts: a lab has tens of processes, not thousands.
 */
function pickReadyHost(plan: Plan, next: Int32Array, emitted: Uint8Array | null): number {
  let best = -1;
  let bestEvent: ShivizEvent | null = null;
  for (let host = 0; host < plan.hostEvents.length; host++) {
    const index = plan.hostEvents[host]![next[host]!];
    if (index === undefined) continue;
    const send = plan.sendOf[index]!;
    if (emitted !== null && send >= 0 && emitted[send] === 0) continue;
    const event = plan.events[index]!;
    if (bestEvent === null || event.labTimeMs < bestEvent.labTimeMs ||
        (event.labTimeMs === bestEvent.labTimeMs && event.id < bestEvent.id)) {
      best = host;
      bestEvent = event;
    }
  }
  return best;
}

function mergeInto(target: Uint32Array, source: Uint32Array): void {
  for (let i = 0; i < target.length; i++) {
    if (source[i]! > target[i]!) target[i] = source[i]!;
  }
}

function clockJson(hostNames: readonly string[], clock: Uint32Array): string {
  const entries: string[] = [];
  for (let i = 0; i < clock.length; i++) {
    if (clock[i]! > 0) entries.push(`${JSON.stringify(hostNames[i])}:${clock[i]}`);
  }
  return `{${entries.join(', ')}}`;
}

/** Lab time as zero-padded whole microseconds, so every line has the same width. */
export function shivizTimestamp(labTimeMs: number): string {
  const micros = Math.max(0, Math.round(labTimeMs * 1000));
  return String(micros).padStart(SHIVIZ_TIMESTAMP_DIGITS, '0');
}

/** ShiViz's host group is `\S+`: a process id with white space would break the line. */
export function shivizHostName(processId: string): string {
  return processId === '' ? '_' : processId.replace(/\s/g, '_');
}

/** One line of text: kind, message, peer, ids, a bounded quote of the detail, a note. */
export function shivizEventText(event: ShivizEvent, note: string | null): string {
  const parts: string[] = [event.kind];
  if (event.msgType !== null) parts.push(event.msgType);
  if (event.peer !== null) parts.push(`${peerWord(event.kind)} ${event.peer}`);
  if (event.msgId !== null) parts.push(`msg=${event.msgId}`);
  parts.push(`(seq ${event.seq}, row ${event.id})`);
  if (event.detail !== null && event.detail !== 'null') {
    const detail = event.detail.length > SHIVIZ_DETAIL_MAX_CHARS
      ? `${event.detail.slice(0, SHIVIZ_DETAIL_MAX_CHARS)}…`
      : event.detail;
    parts.push(detail);
  }
  if (note !== null) parts.push(`[${note}]`);
  // `.` in the parser regex stops at any JavaScript line terminator.
  return parts.join(' ').replace(/[\r\n\u2028\u2029]/g, ' ');
}

function peerWord(kind: string): string {
  if (kind === 'receive') return 'from';
  if (kind === 'send' || kind === 'drop') return 'to';
  return 'at';
}
