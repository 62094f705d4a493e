import type { ProcessId, VectorClock } from './clock.ts';

/**
 * Kinds of trace events. Causal kinds tick the process's Lamport and vector clocks;
 * `suspicion` samples and `link` changes are observations and do not.
 */
export type TraceKind =
  | 'start' // process started (detail: {recovered: boolean, restart: number})
  | 'recover' // core recovered state from stable storage (detail: summary)
  | 'send'
  | 'receive'
  | 'drop' // a message dropped by the fault filter (detail: {reason}); msgId = the dropped message
  | 'timer'
  | 'persist' // one stable-storage transaction (detail: {keys, durationMs})
  | 'state' // a protocol state change (detail: {name, ...})
  | 'fault' // a fault was applied (node = the node it hit, or 'lab'); detail: {request, by}
  | 'suspicion' // failure-detector sample; detail: {phi: Record<peer, number>, suspected: peer[]}
  | 'link' // a peer connection came up or went down; detail: {up: boolean}
  | 'invoke' // client operation invoked; detail: {op}
  | 'ok'
  | 'fail'
  | 'info'
  | 'log'; // free text; detail: {message}

export const CAUSAL_KINDS: ReadonlySet<TraceKind> = new Set<TraceKind>([
  'start', 'recover', 'send', 'receive', 'drop', 'timer', 'persist', 'state',
  'invoke', 'ok', 'fail', 'info', 'log',
]);

/** A process's logical clocks at an event, as a message carries them. */
export interface Stamp {
  lamport: number;
  vclock: VectorClock;
}

/** What a process says about an event beyond its kind; the host adds clocks and times. */
export interface EventFields {
  msgId?: string;
  peer?: ProcessId;
  msgType?: string;
  detail?: unknown;
  /** For a receive (or a client's completion): the sender's stamp, merged into this process's clocks. */
  received?: Stamp;
  /** This event sends a new message: its msgId becomes `${process}:${seq}` (unique per run). */
  newMessage?: boolean;
}

/** One event as a process reports it. */
export interface TraceEvent {
  /** Which process: `n1`…, a client `c1`…, or `lab`. */
  node: ProcessId;
  /** The process's local sequence number; rises by one per event and continues across restarts. */
  seq: number;
  kind: TraceKind;
  lamport: number;
  vclock: VectorClock;
  /** The process's own (skewed, drifting) clock, ms since the run began. */
  nodeTimeMs: number;
  /** The lab's monotonic time, ms since the run began. */
  labTimeMs: number;
  /** The message this event sends, receives or drops, or the client operation id. */
  msgId?: string;
  /** The other end: a message's target (send/drop) or source (receive), a client op's node. */
  peer?: ProcessId;
  msgType?: string;
  detail?: unknown;
}

/** A trace event as stored: with its row id, which is the order the recorder received it. */
export interface StoredEvent extends TraceEvent {
  id: number;
}

/** Keys of the trace's `run` table. */
export interface RunMetadata {
  runId: string;
  scenario: string;
  protocol: string;
  startedAtEpochMs: number;
  labVersion: string;
  seed: number;
  /** Real processes or the simulator. */
  mode: 'real' | 'sim';
  config: unknown;
}

/**
 * A measurement made from the UI on a live run is recorded as a `log` event of the lab whose
 * detail carries `{measurement: kind, result}` (src-main/lab/measurement-log.ts writes it,
 * src-renderer/lab/recorded-measurements.ts reads it back).
 */
export type RecordedMeasurementKind = 'pbs' | 'gossip-convergence';
