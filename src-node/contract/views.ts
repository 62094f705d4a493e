// What each protocol's own view in the UI draws (CoreStatus.view), typed per protocol: the
// renderer may not import protocol code, so the shapes live in the contract. Every list is
// bounded (the *_MAX constants), so a status stays small enough to send on every change.

import type { NodeId } from './clock.ts';

/** The protocol-specific views, told apart by `protocol`. */
export type ProtocolView = RaftView | DynamoView | PaxosView | MultiPaxosView | TwoPhaseCommitView | CrdtView | CalmView;

/** Entries of the log tail a Raft view carries: enough to see replication, small enough to send on every change. */
export const RAFT_VIEW_LOG_TAIL_MAX = 32;
/** Characters of one entry's summary (`put k=v`, `no-op`…). */
export const RAFT_VIEW_SUMMARY_MAX = 40;

/** One entry of a Raft log, as the view draws it. */
export interface RaftViewEntry {
  index: number;
  term: number;
  kind: 'noop' | 'command' | 'config';
  /** What the entry does, e.g. `put x=1`, `cas x 1→2`, `no-op`, `config n1,n2,n3` (at most RAFT_VIEW_SUMMARY_MAX characters). */
  summary: string;
}

/** What a leader knows of one follower (Raft Figure 2: nextIndex[], matchIndex[]). */
export interface RaftViewFollower {
  id: NodeId;
  /** The highest index the leader knows the follower holds. */
  matchIndex: number;
  /** The next index the leader sends it. */
  nextIndex: number;
  /** Entries sent but not yet acknowledged: nextIndex − 1 − matchIndex (pipelining). */
  inflight: number;
  /** nextIndex falls inside the leader's snapshot: the follower gets InstallSnapshot, not entries. */
  needsSnapshot: boolean;
  /**
   * It acknowledged one of the leader's two latest heartbeat rounds: false for a follower
   * that is down, paused or cut off (a steadier sign than check-quorum's activity flag, which
   * the leader clears every election timeout).
   */
  responsive: boolean;
}

/**
 * One Raft node as the Raft view in the UI draws it. Indices follow the paper: the log
 * starts at 1, index 0 is "nothing".
 */
export interface RaftView {
  protocol: 'raft';
  /**
   * `live`: the core reported it. `trace`: rebuilt from a recorded trace's state notes, which
   * carry no timers, no replication progress and only the committed entries (index, term).
   */
  source: 'live' | 'trace';
  role: 'follower' | 'pre-candidate' | 'candidate' | 'leader';
  term: number;
  votedFor: NodeId | null;
  leader: NodeId | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  /** The snapshot replacing the log up to `index` (Raft §7); index 0 = none. */
  snapshot: { index: number; term: number };
  /** The newest entries, oldest first, at most RAFT_VIEW_LOG_TAIL_MAX. */
  logTail: RaftViewEntry[];
  /**
   * The election timer, null while it is not running (a leader's). `remainingMs` is what was
   * left at the core's last input, which came at `atNodeMs` on the node's own clock (skewed,
   * drifting): a UI that knows the node's clock counts down from there.
   */
  election: { timeoutMs: number; remainingMs: number; atNodeMs: number } | null;
  /** A leader's followers, in voter order; empty on other roles. */
  followers: RaftViewFollower[];
  /** Client requests the leader holds: writes waiting for commit, reads waiting for their heartbeat round. */
  pending: { writes: number; reads: number };
  /** The configuration in force. */
  voters: NodeId[];
}

// ---- Dynamo ------------------------------------------------------------------------------

/** Tokens a Dynamo view carries in all; past it each node's tokens are thinned (the ring is drawn, not searched). */
export const DYNAMO_VIEW_TOKENS_MAX = 512;
/** Keys a Dynamo view places on the ring: the first of the node's stored keys, by name. */
export const DYNAMO_VIEW_KEYS_MAX = 64;
/** Keys named per owner in the hints a node holds (the count is exact). */
export const DYNAMO_VIEW_HINT_KEYS_MAX = 16;
/** Keys with siblings a view lists, and versions per key. */
export const DYNAMO_VIEW_SIBLING_KEYS_MAX = 16;
export const DYNAMO_VIEW_SIBLINGS_PER_KEY_MAX = 8;
/** Characters of one value's summary. */
export const DYNAMO_VIEW_VALUE_MAX = 32;
/** Merkle exchanges a view keeps: the newest ones and the newest that found a difference. */
export const DYNAMO_VIEW_EXCHANGES_MAX = 4;
/** Levels of a Merkle tree a view carries (root = level 0): 2^7 − 1 = 127 hashes per tree. */
export const DYNAMO_VIEW_MERKLE_LEVELS_MAX = 7;
/** Hash comparisons one exchange record keeps, and synced keys it names per direction. */
export const DYNAMO_VIEW_COMPARED_MAX = 256;
export const DYNAMO_VIEW_SYNCED_KEYS_MAX = 32;

/** One physical node on the ring, as the reporting node's gossip sees it. */
export interface DynamoViewRingNode {
  id: NodeId;
  /** Its heartbeat advanced recently in this node's gossip table (the reporting node is always up to itself). */
  up: boolean;
  /** Positions of its tokens on the 32-bit ring (at most DYNAMO_VIEW_TOKENS_MAX over all nodes). */
  tokens: number[];
}

/** A key this node stores, placed on the ring. */
export interface DynamoViewKey {
  key: string;
  /** Its hash on the 32-bit ring. */
  position: number;
  /** The first N distinct nodes clockwise from `position` (Dynamo §4.3). */
  preferenceList: NodeId[];
  /** Members of the preference list this node's gossip takes as down. */
  unreachable: NodeId[];
  /** Sloppy quorum (§4.6): the healthy nodes further clockwise that a write goes to now, each for the member it stands in for. */
  standIns: { node: NodeId; for: NodeId }[];
  /** Versions this node holds for the key (more than one: siblings). */
  versions: number;
}

/** Writes this node holds for an owner that was unreachable when they were made (hinted handoff). */
export interface DynamoViewHints {
  owner: NodeId;
  /** How many keys, exactly. */
  count: number;
  /** The first DYNAMO_VIEW_HINT_KEYS_MAX of them, by name. */
  keys: string[];
  /** This node's gossip takes the owner as up: the hints go back at the next handoff round. */
  ownerUp: boolean;
}

/** A key with concurrent versions on this node (vector-clock policy only: LWW keeps one). */
export interface DynamoViewSiblings {
  key: string;
  /** Each version's dot (`n1:3`: n1's third write of the key) and value summary. */
  versions: { dot: string; value: string }[];
  /** Versions in all (the list holds at most DYNAMO_VIEW_SIBLINGS_PER_KEY_MAX). */
  count: number;
}

/** One hash this node compared during a Merkle exchange: its own against the peer's. */
export interface DynamoViewMerkleCell {
  level: number;
  index: number;
  mine: number;
  theirs: number;
  differs: boolean;
}

/**
 * One Merkle anti-entropy exchange (§4.7) as this node took part in it. The two nodes take
 * turns: each compares the hashes the other sent with its own and answers with its children
 * of the differing ones, so each side compares every other level. The two sides' records of
 * one exchange (same `exchange` id) together hold every comparison and both trees.
 */
export interface DynamoViewExchange {
  exchange: string;
  peer: NodeId;
  initiator: NodeId;
  /** This node's clock at its first message of the exchange, and at its latest. */
  startedAtMs: number;
  lastAtMs: number;
  /** The tree's depth (its leaves are level `depth`); the view carries levels 0 … min(depth, DYNAMO_VIEW_MERKLE_LEVELS_MAX − 1). */
  depth: number;
  /** This node's tree over the keys both replicate, as it stood when the exchange reached it: hashes per level, root first. */
  tree: number[][];
  /** Keys in that tree. */
  treeKeys: number;
  /** The comparisons made on this node, in order (at most DYNAMO_VIEW_COMPARED_MAX). */
  compared: DynamoViewMerkleCell[];
  /** Keys this node sent in sync messages and received, with their leaf (at most DYNAMO_VIEW_SYNCED_KEYS_MAX each; counts exact). */
  keysSent: { key: string; leaf: number }[];
  keysReceived: { key: string; leaf: number }[];
  keysSentCount: number;
  keysReceivedCount: number;
  /**
   * `comparing`: under way (or the peer found nothing to answer: an initiator never hears "in
   * sync"); `in-sync`: this node compared and found no difference; `converged`: hashes
   * differed higher up but no longer below (the keys were repaired meanwhile, by handoff, read
   * repair or a write: nothing left to send); `synced`: keys were exchanged;
   * `depth-mismatch`: the trees could not be compared.
   */
  state: 'comparing' | 'in-sync' | 'converged' | 'synced' | 'depth-mismatch';
}

/** One Dynamo node as the Dynamo view in the UI draws it: the ring, where its keys land, its hints, siblings and anti-entropy. */
export interface DynamoView {
  protocol: 'dynamo';
  /** `live`: the core reported it. `trace`: rebuilt from a recorded trace (the ring only). */
  source: 'live' | 'trace';
  self: NodeId;
  n: number;
  r: number;
  w: number;
  conflictPolicy: 'vector-clock' | 'lww';
  sloppyQuorum: boolean;
  tokensPerNode: number;
  /** Every node of the ring, by id. */
  ring: DynamoViewRingNode[];
  /** Keys this node stores, by name, at most DYNAMO_VIEW_KEYS_MAX; `keysStored` counts them all. */
  keys: DynamoViewKey[];
  keysStored: number;
  /** Hints held, by owner. */
  hints: DynamoViewHints[];
  /** Hinted keys handed back to their owners and acknowledged, since this process started. */
  handedOff: number;
  siblings: DynamoViewSiblings[];
  siblingKeys: number;
  /** Merkle exchanges, newest first (at most DYNAMO_VIEW_EXCHANGES_MAX). */
  exchanges: DynamoViewExchange[];
}

// ---- Paxos -------------------------------------------------------------------------------

/** Characters of one value's summary in a Paxos view (values are JSON, shown as text). */
export const PAXOS_VIEW_VALUE_MAX = 40;
/** Slots a Multi-Paxos view carries: the newest ones, up to the highest slot the node knows. */
export const MULTI_PAXOS_VIEW_SLOTS_MAX = 32;
/** Gaps (slots below the highest known with nothing accepted or chosen here) a view names. */
export const MULTI_PAXOS_VIEW_GAPS_MAX = 16;

/** A Paxos ballot as the views show it: ordered by round, then by node. */
export interface PaxosViewBallot { round: number; node: NodeId }

/**
 * One single-decree Paxos node as the Paxos view draws it (Lamport, "Paxos Made Simple"):
 * what it promised and accepted as an acceptor, what it learned, and what it is doing as a
 * proposer. Values are JSON text, at most PAXOS_VIEW_VALUE_MAX characters.
 */
export interface PaxosView {
  protocol: 'paxos';
  self: NodeId;
  /** Acceptor: the highest ballot it promised (P1a: it accepts nothing lower). */
  promised: PaxosViewBallot | null;
  /** Acceptor: the proposal it accepted last, if any. */
  accepted: { ballot: PaxosViewBallot; value: string } | null;
  /** Learner: the value it learned is chosen; null until it has. */
  learned: string | null;
  /**
   * Proposer: `idle` (nothing to propose, or done), `phase-1` (prepare sent, counting
   * promises), `phase-2` (accept sent, counting acceptances), `backoff` (preempted, waiting a
   * random time before a higher ballot).
   */
  proposer: {
    phase: 'idle' | 'phase-1' | 'phase-2' | 'backoff';
    ballot: PaxosViewBallot | null;
    /** Its client's value (its own), and the value it proposes in phase 2 (its own, or adopted by P2c). */
    own: string | null;
    value: string | null;
    /** P2c made it propose a value another proposer had got accepted. */
    adopted: boolean;
    promises: number;
    accepts: number;
    /** Promises or acceptances it needs: a majority of the cluster. */
    majority: number;
  };
  /** Client requests waiting at this node for the outcome. */
  waiting: number;
}

/** One slot of a Multi-Paxos log as this node knows it. */
export interface MultiPaxosViewSlot {
  slot: number;
  /** `chosen`: learned; `accepted`: accepted here, not known chosen; `proposing`: the leader drives it (phase 2 in flight). */
  state: 'chosen' | 'accepted' | 'proposing';
  /** The ballot it was accepted in (null for a slot only known chosen). */
  ballot: PaxosViewBallot | null;
  kind: 'command' | 'read' | 'noop';
  /** `put x=1`, `cas x 1→2`, `get x`, `no-op` (at most PAXOS_VIEW_VALUE_MAX characters). */
  summary: string;
  /** The leader's acceptances counted for a `proposing` slot. */
  accepts: number;
}

/** One Multi-Paxos node as the view draws it: the leader and its ballot, and the log's newest slots. */
export interface MultiPaxosView {
  protocol: 'multi-paxos';
  self: NodeId;
  role: 'follower' | 'candidate' | 'leader';
  /** Its own ballot while it campaigns or leads; null as a follower. */
  ballot: PaxosViewBallot | null;
  promised: PaxosViewBallot | null;
  leader: NodeId | null;
  /** Every slot up to this one is chosen and known here. */
  chosenUpTo: number;
  applied: number;
  /** The highest slot this node knows anything of. */
  highestSlot: number;
  /** The newest slots, oldest first, at most MULTI_PAXOS_VIEW_SLOTS_MAX. */
  slots: MultiPaxosViewSlot[];
  /** Slots below highestSlot with nothing here (a new leader fills them with no-ops), at most MULTI_PAXOS_VIEW_GAPS_MAX. */
  gaps: number[];
  majority: number;
}

// ---- Two-phase commit ---------------------------------------------------------------------

/** A participant's transactions a 2PC view lists: every one in doubt, then the newest finished ones up to this many in all. */
export const TWO_PHASE_COMMIT_VIEW_TRANSACTIONS_MAX = 16;
/** Records of the coordinator's log a 2PC view lists: every open one, then the newest finished ones up to this many in all. */
export const TWO_PHASE_COMMIT_VIEW_LOG_MAX = 16;

/**
 * One transaction as a participant knows it. `prepared`: it voted yes (the vote is on its
 * disk) and waits for the outcome; `blocked`: prepared, and the coordinator did not answer
 * when asked — it may not decide alone; `committed`, `aborted`: the outcome, applied.
 * 3PC only: `prepared` is its `uncertain`, and `pre-committed` the state between (every
 * participant voted yes; commit is what it will do if the coordinator goes silent).
 */
export interface TwoPhaseCommitViewTx {
  tx: string;
  state: 'prepared' | 'pre-committed' | 'blocked' | 'committed' | 'aborted';
  /** What the transaction does to this participant's accounts (amounts added; negative: paid). */
  changes: Record<string, number>;
  participants: NodeId[];
  coordinator: NodeId;
  /** When it voted yes, on the node's own clock; null for a transaction it never prepared. */
  preparedAtMs: number | null;
  /** While blocked: since when (node clock), on whom it waits, and what the peers it asked said. */
  blocked: { sinceMs: number; waitingOn: NodeId; reason: string; peers: { node: NodeId; answer: 'prepared too' | 'no answer' }[] } | null;
  /** Who told it the outcome (the coordinator, or a peer by cooperative termination). */
  learnedFrom: NodeId | null;
}

/** One transaction in the coordinator's log, as the view draws it. */
export interface TwoPhaseCommitViewLogRecord {
  tx: string;
  participants: NodeId[];
  /** The transfer it runs; null when rebuilt from the disk after a restart (the log keeps only the decision). */
  transfer: { from: string; to: string; amount: number } | null;
  /** Each participant's vote: `waiting` = still working on it, or unreachable. */
  votes: { node: NodeId; vote: 'yes' | 'no' | 'waiting' }[];
  decision: 'commit' | 'abort' | null;
  /** The commit record is on the coordinator's disk (the commit point). An abort never is: presumed abort. */
  durable: boolean;
  /** Participants that acknowledged the commit; once all have, the coordinator forgets the transaction. */
  acks: NodeId[];
  /** `pre-committing`: 3PC only — every vote was yes, the pre-commits are out, their acks awaited. */
  state: 'collecting votes' | 'pre-committing' | 'committing' | 'committed' | 'aborted';
  why: string | null;
}

/** One 2PC node as the 2PC view in the UI draws it; a 3PC node too (its extra state drawn as above). */
export interface TwoPhaseCommitView {
  protocol: '2pc' | '3pc';
  source: 'live';
  self: NodeId;
  coordinator: NodeId;
  /** The node's own clock at its latest input: a blocked transaction has waited `nowMs − blocked.sinceMs`. */
  nowMs: number;
  /** A participant is `working` with nothing prepared, `prepared` while it waits for an outcome, `blocked` when a wait has no answer. */
  state: 'coordinating' | 'working' | 'prepared' | 'blocked';
  /** A participant's accounts: the committed balance, and the transaction holding its lock. */
  accounts: { account: string; balance: number; lockedBy: string | null }[];
  /** A participant's transactions: in doubt first, then the newest finished (at most TWO_PHASE_COMMIT_VIEW_TRANSACTIONS_MAX). */
  transactions: TwoPhaseCommitViewTx[];
  /** The coordinator's transactions: open first, then the newest finished (at most TWO_PHASE_COMMIT_VIEW_LOG_MAX). */
  log: TwoPhaseCommitViewLogRecord[];
  /** What the coordinator's disk holds: the transaction counter and the commit records not yet acknowledged by all. */
  durableLog: { counter: number; commitRecords: string[] } | null;
}

// ---- CRDTs replicated by gossip ----------------------------------------------------------

/** Keys a CRDT view carries: the first of the node's keys, by name (`keysStored` counts them all). */
export const CRDT_VIEW_KEYS_MAX = 16;
/** Characters of one key's state as JSON; a larger state is sent without its payload (its size only). */
export const CRDT_VIEW_STATE_CHARS_MAX = 4_096;

/** One key of a CRDT replica: its raw state (the type's payload, as the merge sees it) and what a read returns. */
export interface CrdtViewKey {
  key: string;
  /** The payload; null when its JSON is longer than CRDT_VIEW_STATE_CHARS_MAX. */
  state: unknown;
  stateChars: number;
  /** What a read returns (null too when the state is not carried). */
  value: unknown;
}

/** One crdt-gossip replica as the CRDT view in the UI draws it. */
export interface CrdtView {
  protocol: 'crdt-gossip';
  source: 'live';
  self: NodeId;
  /** The replicated type, a name from src-node/protocols/crdt/index.ts. */
  type: string;
  /** False for the deliberately naive types (not CRDTs: their merge is not a join). */
  lattice: boolean;
  describe: { payload: string; merge: string; anomaly: string };
  mode: 'push' | 'pull' | 'push-pull';
  fanout: number;
  intervalMs: number;
  /** Gossip messages that changed this replica's state, since the process started. */
  merges: number;
  keys: CrdtViewKey[];
  keysStored: number;
}

// ---- CALM: node programs and their points of order ---------------------------------------

/** Tuples a CALM view carries per collection (the first, in sorted order; `count` is exact). */
export const CALM_VIEW_TUPLES_MAX = 48;
/** Collections a CALM view carries (tables and scratch, in declaration order). */
export const CALM_VIEW_COLLECTIONS_MAX = 24;
/** Characters of the program listing a CALM view carries. */
export const CALM_VIEW_SOURCE_CHARS_MAX = 8_000;

/** One rule of a calm program with what the CALM analysis says of it. */
export interface CalmViewRule {
  line: number;
  text: string;
  monotone: boolean;
  /** Why not: negation, aggregation, deletion. */
  reasons: string[];
  /** A non-monotone rule over asynchronous input: coordination is needed here. */
  pointOfOrder: boolean;
  /** For a point of order: the asynchronous collections its verdict reads. */
  reads: string[];
  /**
   * With coordination on, for a point of order: `waiting` until its sources are sealed,
   * `ready` once it runs; null otherwise (no coordination, or not a point of order).
   */
  coordination: 'waiting' | 'ready' | null;
  /** While waiting: what is not complete yet, e.g. `seal of vote from n3`, `client_vote sealed here`. */
  waitingFor: string[];
  /** What this rule has concluded on this node since its tables began (points of order only), at most CALM_VIEW_TUPLES_MAX. */
  concluded: (string | number)[][];
  concludedCount: number;
}

/** One table or scratch collection of a calm node. */
export interface CalmViewCollection {
  name: string;
  kind: 'table' | 'scratch';
  columns: string[];
  tuples: (string | number)[][];
  count: number;
}

/** One node running a calm program, as the CALM view in the UI draws it. */
export interface CalmView {
  protocol: 'calm';
  source: 'live';
  self: NodeId;
  /** The example's name, or 'custom'. */
  program: string;
  /** The program text (at most CALM_VIEW_SOURCE_CHARS_MAX characters), for the listing. */
  listing: string;
  coordinate: boolean;
  confluent: boolean;
  summary: string;
  rules: CalmViewRule[];
  collections: CalmViewCollection[];
  /** Input collections this node's client sealed; channels this node sealed toward every node. */
  sealedInputs: string[];
  sealedChannels: string[];
  /** A coordinated rule is waiting. */
  waiting: boolean;
  steps: number;
}
