// Every bound the node runtime keeps, in one place (TIGER_STYLE: put a limit on
// everything). Config values are checked against these when the config is parsed.

/** Largest socket.io packet a node accepts, from a peer or a client. */
export const MAX_MESSAGE_BYTES = 1_000_000;
/** Longest id, type or name string accepted on the wire. */
export const MAX_NAME_CHARS = 128;
/** Most entries a vector clock on the wire may carry. */
export const MAX_VCLOCK_ENTRIES = 1024;
/** Most nodes in one cluster. */
export const MAX_CLUSTER_SIZE = 64;

/** Messages a fault filter may hold back (delay, jitter, reordering) per directed link. */
export const MAX_HELD_MESSAGES_PER_LINK = 10_000;
/** Client requests waiting for the core's reply, per node. */
export const MAX_PENDING_CLIENT_REQUESTS = 4096;
/** Steps whose effects wait for their writes (or an earlier step's) to be durable. Past it the node fails visibly. */
export const MAX_HELD_STEPS = 100_000;
/** Groups of writes handed to the storage worker and not yet durable (a slow disk piles them up). */
export const MAX_STORAGE_GROUPS_IN_FLIGHT = 100_000;
/**
 * Most writes in a group the event loop commits itself (core-host.ts): a bigger one (a Raft
 * snapshot and the compaction's deletes) goes to the worker, so the loop never stalls on it.
 */
export const MAX_INLINE_GROUP_WRITES = 64;
/**
 * How often the storage worker checkpoints the WAL into the database file (a passive
 * checkpoint, which writers do not wait for). The event loop's own connection never
 * checkpoints: a checkpoint copies pages and fsyncs the database, a stall of milliseconds.
 */
export const WAL_CHECKPOINT_INTERVAL_MS = 250;
/** How long an orderly stop waits for the storage worker to commit what it holds. */
export const STORAGE_CLOSE_TIMEOUT_MS = 2000;
/** Core timers alive at once. */
export const MAX_CORE_TIMERS = 10_000;

/** Lamport, vector-clock and sequence values reserved in stable storage at a time. */
export const CLOCK_RESERVATION_BLOCK = 1000;
/** The reservation block doubles on each use up to this (see causal-clock.ts). */
export const CLOCK_RESERVATION_BLOCK_MAX = 64_000;

/** How often the host compares the core's status with the last one it reported. */
export const STATUS_CHECK_MS = 50;
/**
 * The share of the node's time that status reports may take: after a report that took t ms,
 * the next one waits at least t / STATUS_TIME_SHARE_MAX. A core whose status is big (Raft's
 * holds the whole key-value map) is then reported less often under load, not at any cost.
 */
export const STATUS_TIME_SHARE_MAX = 0.005;
/** …but never longer than this (a busy machine's preemptions inflate the measured time). */
export const STATUS_DELAY_MS_MAX = 500;
/** Malformed-input `log` events per second; the rest are counted and reported in the next one. */
export const MAX_MALFORMED_LOGS_PER_SECOND = 50;
/** Send events carry the payload when its JSON is at most this long. */
export const TRACE_PAYLOAD_MAX_CHARS = 4096;
/** Keys listed in a `persist` event's detail. */
export const TRACE_PERSIST_KEYS_MAX = 32;
/** Phi is reported in `suspicion` samples capped here, so that it stays finite JSON. */
export const PHI_REPORT_MAX = 1e6;

/** Reconnection backoff of the outgoing peer links. */
export const RECONNECT_DELAY_MS = 50;
export const RECONNECT_DELAY_MAX_MS = 500;
/** How long a node waits for an IPC send to leave before it exits anyway. */
export const EXIT_GRACE_MS = 1000;
