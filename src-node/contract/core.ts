import type { NodeId } from './clock.ts';
import type { ClientOp, ClientResult } from './envelope.ts';

/**
 * The contract between a pure protocol core and its host (the real runtime in a node
 * process, or the simulator). A core does no I/O and reads no ambient time or randomness:
 * time arrives with every input, randomness through `CoreContext.random`.
 *
 * etcd-raft drains effects with `Ready()` and `Advance()`. Our cores are synchronous and
 * their steps run to completion, so `step` returns its `Ready` directly: the same
 * contract with one call fewer and no way to forget `advance`.
 */
export interface CoreContext {
  self: NodeId;
  /** Every other node of the cluster, in a fixed order. */
  peers: readonly NodeId[];
  /** Uniform in [0, 1), from the host's seeded generator. */
  random: () => number;
  /** Protocol parameters from the scenario, already validated by the core's factory. */
  params: Readonly<Record<string, unknown>>;
}

/**
 * What the host feeds a core. `nowMs` is the node's own clock (skewed, drifting). The host
 * feeds `recover` first, exactly once per process start, before any other input; a
 * `suspicion` input may repeat the current verdict, and a core ignores repeats.
 */
export type CoreInput =
  | { kind: 'recover'; nowMs: number; stable: ReadonlyMap<string, unknown> }
  | { kind: 'message'; nowMs: number; source: NodeId; type: string; payload: unknown }
  | { kind: 'timer'; nowMs: number; timer: string }
  | { kind: 'client'; nowMs: number; requestId: string; op: ClientOp }
  | { kind: 'suspicion'; nowMs: number; peer: NodeId; suspected: boolean };

/** A stable-storage write. `value: undefined` deletes the key. Values are JSON. A step's writes apply in order, in one transaction. */
export interface StableWrite {
  key: string;
  value: unknown;
}

export interface OutMessage {
  target: NodeId;
  type: string;
  payload: unknown;
}

export interface Reply {
  requestId: string;
  result: ClientResult;
}

/** Setting a timer that is already set re-arms it: it fires once, `afterMs` after the latest set. */
export type TimerCommand =
  | { kind: 'set'; timer: string; afterMs: number }
  | { kind: 'cancel'; timer: string };

/** A protocol state change worth a `state` event in the trace (role change, commit, step-down…). */
export interface Note {
  name: string;
  detail?: Record<string, unknown>;
}

/**
 * The effects of one step. The host applies them in this order: `persist` as one
 * transaction, fsynced, **before** any message or reply of the same step leaves; then
 * messages, replies, timers; notes are traced as they come.
 */
export interface Ready {
  persist: StableWrite[];
  messages: OutMessage[];
  replies: Reply[];
  timers: TimerCommand[];
  notes: Note[];
}

/** What the UI shows of a node's protocol state. Small and JSON. */
export interface CoreStatus {
  role: string;
  /** A few facts for the node card: epoch, term, commit index… */
  facts: Record<string, string | number | boolean | null>;
  /** The replicated data as this node sees it (a key-value map for most protocols). */
  data?: Record<string, unknown>;
}

export interface ProtocolCore {
  step(input: CoreInput): Ready;
  status(): CoreStatus;
}

export interface ProtocolDefinition {
  name: string;
  /** One line for the UI and `--help`. */
  summary: string;
  /** Validates and completes the scenario's parameters; throws `Error` with a clear message. */
  parseParams(raw: unknown): Record<string, unknown>;
  create(context: CoreContext): ProtocolCore;
}

export function emptyReady(): Ready {
  return { persist: [], messages: [], replies: [], timers: [], notes: [] };
}
