import type { NodeId } from './clock.ts';
import type { ClientOp, ClientResult } from './envelope.ts';
import type { ProtocolView } from './views.ts';

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
  /**
   * The host runs the pipelined Ready loop (see `Ready.early`, `ProtocolCore.flush` and
   * `ProtocolCore.persisted`): it lets `early` effects leave while the step's writes are still
   * on their way to the disk, calls `flush` after every batch of inputs, and `persisted` once a
   * step's writes are durable. Unset (false): none of that happens, every effect of a step
   * waits for its writes, and a core must finish each step's work within the step.
   */
  pipelined?: boolean;
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
 * notes, messages, replies. Timers apply at once (they are the core's own schedule, not I/O).
 * A step's messages, replies and notes also wait for the writes of every earlier step, so the
 * order between steps holds.
 */
export interface Ready {
  persist: StableWrite[];
  messages: OutMessage[];
  replies: Reply[];
  timers: TimerCommand[];
  notes: Note[];
  /**
   * Pipelined hosts only (`CoreContext.pipelined`), optional: messages and replies that may
   * leave before `persist` — this step's and every earlier step's still in flight — is
   * durable, and may overtake the held effects of earlier steps. The core vouches that they
   * promise nothing those writes back. Raft's leader sends AppendEntries while it writes the
   * same entries to its own disk (dissertation §10.2.1), which is safe because it counts itself
   * toward a commit majority only for entries `persisted` told it are durable, and sends no
   * message of a term before its term and vote for it are durable. A host that does not
   * pipeline treats them as `messages` and `replies`.
   */
  early?: { messages: OutMessage[]; replies: Reply[] };
  /**
   * Pipelined hosts only, optional, on a step that persists: the host calls
   * `core.persisted(persistedToken)` once this step's writes and every earlier step's are
   * durable. Tokens come back in the order the core handed them out; a host may report only
   * the latest of several that became durable together (one transaction).
   */
  persistedToken?: number;
}

/** What the UI shows of a node's protocol state. Small and JSON. */
export interface CoreStatus {
  role: string;
  /** A few facts for the node card: epoch, term, commit index… */
  facts: Record<string, string | number | boolean | null>;
  /** The replicated data as this node sees it (a key-value map for most protocols). */
  data?: Record<string, unknown>;
  /**
   * What a protocol's own view in the UI draws, typed per protocol (the renderer may not
   * import protocol code, so the shapes live here). The host sends the status whenever its
   * JSON changes, so a view stays small and bounded: see the `*_MAX` constants in views.ts.
   */
  view?: ProtocolView;
}

export * from './views.ts';

export interface ProtocolCore {
  step(input: CoreInput): Ready;
  status(): CoreStatus;
  /**
   * Optional: `status().role` without building the status. Hosts that look at the role after
   * every step (the simulator) use it; a status that copies the replicated data and a log
   * tail is too dear for that.
   */
  roleName?(): string;
  /**
   * Optional; a pipelined host calls it after every batch of inputs (all that arrived
   * together), before their held effects apply: a core may hold back work that is cheaper
   * done once per batch (Raft: one AppendEntries per follower for all the batch's proposals).
   */
  flush?(nowMs: number): Ready;
  /** Optional; a pipelined host calls it once the steps up to `Ready.persistedToken` = `token` are durable. */
  persisted?(token: number, nowMs: number): Ready;
}

export interface ProtocolDefinition {
  name: string;
  /** One line for the UI and `--help`. */
  summary: string;
  /** Validates and completes the scenario's parameters; throws `Error` with a clear message. */
  parseParams(raw: unknown): Record<string, unknown>;
  create(context: CoreContext): ProtocolCore;
  /**
   * Optional, for protocols that partition their data (Dynamo's preference lists): which
   * nodes must hold `key` once the cluster has converged. Absent: every node holds every key.
   * Convergence checks compare a key only among its holders.
   */
  holdersOf?(params: Record<string, unknown>, nodes: readonly NodeId[]): (key: string) => readonly NodeId[];
}

export function emptyReady(): Ready {
  return { persist: [], messages: [], replies: [], timers: [], notes: [] };
}
