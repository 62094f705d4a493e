// Parameters of Raft, validated once when a scenario is loaded. Every limit is a named
// constant, checked here, so that a core never runs with a configuration it cannot honour.

export interface RaftParams {
  /** A follower waits a random time in [min, max] without hearing from a leader before it campaigns (Raft §5.2). */
  electionTimeoutMsMin: number;
  electionTimeoutMsMax: number;
  /** How often a leader sends AppendEntries (empty ones are heartbeats). Must be well below electionTimeoutMsMin. */
  heartbeatIntervalMs: number;
  /** Entries in one AppendEntries: a batch of client commands travels in one message. */
  maxEntriesPerAppend: number;
  /** AppendEntries a leader keeps in flight to one follower before it waits for answers (pipelining). */
  maxInflightAppends: number;
  /** Applied entries beyond the last snapshot that trigger a new snapshot (Raft §7). 0 = never snapshot. */
  snapshotThresholdEntries: number;
  /** Pre-vote (Raft dissertation §9.6): a node asks whether it could win before it raises its term. */
  preVote: boolean;
  /**
   * Check quorum (dissertation §6.2): a leader that has not heard from a majority within an
   * election timeout steps down; and a follower that heard from its leader less than
   * electionTimeoutMsMin ago ignores (pre-)vote requests (the leader lease of §4.2.3).
   */
  checkQuorum: boolean;
  /** Client requests (writes waiting for commit, reads waiting for their heartbeat round) a leader holds at once. */
  maxPendingRequests: number;
  /** The initial configuration (voting members); null = every node of the cluster. Changed later by add-server/remove-server. */
  voters: string[] | null;
}

export const DEFAULT_RAFT_PARAMS: Readonly<RaftParams> = Object.freeze({
  electionTimeoutMsMin: 150,
  electionTimeoutMsMax: 300,
  heartbeatIntervalMs: 50,
  maxEntriesPerAppend: 64,
  maxInflightAppends: 4,
  snapshotThresholdEntries: 1000,
  preVote: true,
  checkQuorum: true,
  maxPendingRequests: 1000,
  voters: null,
});

export const RAFT_PARAM_LIMITS = Object.freeze({
  timeoutMsMin: 1,
  timeoutMsMax: 600_000,
  entriesPerAppendMax: 10_000,
  inflightAppendsMax: 1_000,
  snapshotThresholdMax: 10_000_000,
  pendingRequestsMax: 100_000,
  votersMax: 100,
});

const PARAM_NAMES = Object.keys(DEFAULT_RAFT_PARAMS);

/** Validates the scenario's parameters and fills in defaults; throws an Error that says what is wrong. */
export function parseRaftParams(raw: unknown): RaftParams {
  if (raw === undefined || raw === null) return { ...DEFAULT_RAFT_PARAMS };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`raft: params must be an object, got ${Array.isArray(raw) ? 'an array' : String(raw)}`);
  }
  const input = raw as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!PARAM_NAMES.includes(name)) throw new Error(`raft: unknown param "${name}"; known: ${PARAM_NAMES.join(', ')}`);
  }
  const limits = RAFT_PARAM_LIMITS;
  const pick = (name: keyof RaftParams, min: number, max: number, unit: string): number =>
    input[name] === undefined ? (DEFAULT_RAFT_PARAMS[name] as number) : integerIn(name, input[name], min, max, unit);
  const params: RaftParams = {
    electionTimeoutMsMin: pick('electionTimeoutMsMin', limits.timeoutMsMin, limits.timeoutMsMax, 'ms'),
    electionTimeoutMsMax: pick('electionTimeoutMsMax', limits.timeoutMsMin, limits.timeoutMsMax, 'ms'),
    heartbeatIntervalMs: pick('heartbeatIntervalMs', limits.timeoutMsMin, limits.timeoutMsMax, 'ms'),
    maxEntriesPerAppend: pick('maxEntriesPerAppend', 1, limits.entriesPerAppendMax, 'entries'),
    maxInflightAppends: pick('maxInflightAppends', 1, limits.inflightAppendsMax, 'messages'),
    snapshotThresholdEntries: pick('snapshotThresholdEntries', 0, limits.snapshotThresholdMax, 'entries'),
    preVote: booleanOr('preVote', input['preVote'], DEFAULT_RAFT_PARAMS.preVote),
    checkQuorum: booleanOr('checkQuorum', input['checkQuorum'], DEFAULT_RAFT_PARAMS.checkQuorum),
    maxPendingRequests: pick('maxPendingRequests', 1, limits.pendingRequestsMax, 'requests'),
    voters: votersOr(input['voters']),
  };
  if (params.electionTimeoutMsMax < params.electionTimeoutMsMin) {
    throw new Error(`raft: electionTimeoutMsMax (${params.electionTimeoutMsMax}) must be ≥ electionTimeoutMsMin (${params.electionTimeoutMsMin})`);
  }
  if (params.heartbeatIntervalMs >= params.electionTimeoutMsMin) {
    throw new Error(`raft: heartbeatIntervalMs (${params.heartbeatIntervalMs}) must be < electionTimeoutMsMin (${params.electionTimeoutMsMin}), or followers campaign between heartbeats`);
  }
  return params;
}

function integerIn(name: string, value: unknown, min: number, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`raft: ${name} must be an integer number of ${unit} in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

function booleanOr(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`raft: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function votersOr(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const ok = Array.isArray(value) && value.length > 0 && value.length <= RAFT_PARAM_LIMITS.votersMax
    && value.every((id) => typeof id === 'string' && id.length > 0) && new Set(value).size === value.length;
  if (!ok) throw new Error(`raft: voters must be null or a list of 1..${RAFT_PARAM_LIMITS.votersMax} distinct node ids, got ${JSON.stringify(value)}`);
  return [...(value as string[])];
}
