// The model behind the Dynamo view: one consistent-hashing ring for the whole cluster (every
// node's tokens, every key the nodes report at its hash with its preference list), the hints
// the stand-ins hold, the keys with siblings, and the Merkle exchanges joined from both sides.
// Pure: no DOM, no Vue — it runs under Node in the unit tests. It draws conclusions only from
// what the nodes report (CoreStatus.view, DynamoView); it computes no protocol: preference
// lists and stand-ins come from the nodes, and only their geometry is worked out here.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { DynamoView, DynamoViewExchange, DynamoViewKey } from '../../src-node/contract/core.ts';
import type { NodeView, ProcessState } from '../../src-node/contract/lab-api.ts';

/** Positions on the ring are unsigned 32-bit integers. */
export const RING_SIZE = 2 ** 32;
/** Merged exchanges the board offers to pick from. */
export const EXCHANGES_LISTED_MAX = 12;

const RUNNING: readonly ProcessState[] = ['up', 'recovering', 'starting'];

export interface BoardNode {
  id: NodeId;
  state: ProcessState;
  /** The process runs (or the trace is recorded), so its view is current; otherwise it is the last one it sent. */
  current: boolean;
  /** The viewpoint's gossip takes it as up (null: no viewpoint yet). */
  upInGossip: boolean | null;
  tokens: number[];
  /** What it reported of itself (null: no view from it). */
  keysStored: number | null;
  hintsHeld: number;
  handedOff: number | null;
}

export interface BoardKey extends DynamoViewKey {
  /** Nodes that report storing it (its replicas as far as the views say). */
  holders: NodeId[];
  /** Whose view the preference list and stand-ins come from. */
  reportedBy: NodeId;
  sloppy: boolean;
}

export interface BoardHints {
  holder: NodeId;
  holderCurrent: boolean;
  owner: NodeId;
  count: number;
  keys: string[];
  ownerUp: boolean;
}

export interface BoardSiblings {
  key: string;
  holder: NodeId;
  count: number;
  versions: { dot: string; value: string }[];
}

export interface MerkleCell {
  level: number;
  index: number;
  /** This side's hash, when its record or the other side's comparison gives it. */
  hash: number | null;
  /** `differs`/`equal`: the two hashes were compared; `skipped`: never compared (its parent matched, or the exchange stopped above). */
  status: 'differs' | 'equal' | 'skipped';
}

export interface MerkleSide {
  node: NodeId;
  /** This side's own record of the exchange is among the views (else its hashes are only those the other side compared). */
  reported: boolean;
  treeKeys: number | null;
  /** Levels 0 … shownDepth, root first. */
  levels: MerkleCell[][];
}

export interface MergedExchange {
  exchange: string;
  initiator: NodeId;
  responder: NodeId;
  startedAtMs: number;
  depth: number;
  /** The deepest level drawn: min(depth, levels the views carry − 1). */
  shownDepth: number;
  sides: [MerkleSide, MerkleSide];
  compared: number;
  differing: number;
  differingLeaves: number[];
  /** Keys synced, each once, with its leaf and who sent it. */
  keysSynced: { key: string; leaf: number; from: NodeId }[];
  /** Synced keys in all (the names are bounded). */
  keysSyncedCount: number;
  state: DynamoViewExchange['state'];
}

export interface DynamoBoard {
  /** Whose gossip decides what is up and which keys are sloppy. */
  viewpoint: NodeId | null;
  params: Pick<DynamoView, 'n' | 'r' | 'w' | 'conflictPolicy' | 'sloppyQuorum' | 'tokensPerNode'> | null;
  nodes: BoardNode[];
  keys: BoardKey[];
  hints: BoardHints[];
  siblings: BoardSiblings[];
  exchanges: MergedExchange[];
  /** Nodes without a Dynamo view. */
  missing: NodeId[];
  rebuilt: boolean;
}

/** The Dynamo view in a node's status, or null (another protocol, or no status yet). */
export function dynamoViewOf(node: NodeView): DynamoView | null {
  const view = node.status?.view;
  return view !== undefined && view.protocol === 'dynamo' ? view : null;
}

interface Reported {
  node: NodeView;
  view: DynamoView;
  current: boolean;
}

/**
 * The board for `nodes`. `viewpoint`: whose gossip to believe (default: the first running
 * node). `recorded`: a recorded trace's nodes, whose processes are gone; their views count as current.
 */
export function buildDynamoBoard(nodes: readonly NodeView[], options: { viewpoint?: NodeId | null; recorded?: boolean } = {}): DynamoBoard {
  const reported: Reported[] = [];
  const missing: NodeId[] = [];
  for (const node of nodes) {
    const view = dynamoViewOf(node);
    if (view === null) missing.push(node.id);
    else reported.push({ node, view, current: options.recorded === true || RUNNING.includes(node.state) });
  }
  const point = reported.find((entry) => entry.node.id === options.viewpoint && entry.current) ?? reported.find((entry) => entry.current) ?? null;
  const pointView = point?.view ?? null;
  const ringSource = pointView ?? reported[0]?.view ?? null;
  const boardNodes: BoardNode[] = nodes.map((node) => {
    const own = reported.find((entry) => entry.node.id === node.id);
    const ringNode = ringSource?.ring.find((candidate) => candidate.id === node.id);
    return {
      id: node.id, state: node.state, current: own?.current ?? (options.recorded === true || RUNNING.includes(node.state)),
      // A rebuilt view knows no gossip: its ring says nothing of who was up.
      upInGossip: pointView === null || pointView.source === 'trace' ? null : (pointView.ring.find((candidate) => candidate.id === node.id)?.up ?? false),
      tokens: ringNode?.tokens ?? [],
      keysStored: own === undefined || own.view.source === 'trace' ? null : own.view.keysStored,
      hintsHeld: own?.view.hints.reduce((sum, hints) => sum + hints.count, 0) ?? 0,
      handedOff: own?.view.handedOff ?? null,
    };
  });
  return {
    viewpoint: point?.node.id ?? null,
    params: ringSource === null ? null : {
      n: ringSource.n, r: ringSource.r, w: ringSource.w, conflictPolicy: ringSource.conflictPolicy,
      sloppyQuorum: ringSource.sloppyQuorum, tokensPerNode: ringSource.tokensPerNode,
    },
    nodes: boardNodes,
    keys: boardKeys(reported, point),
    hints: reported.flatMap(({ node, view, current }) => view.hints.map((hints) => ({ holder: node.id, holderCurrent: current, ...hints }))),
    siblings: boardSiblings(reported),
    exchanges: mergeExchanges(reported.map((entry) => ({ node: entry.node.id, exchanges: entry.view.exchanges }))),
    missing,
    rebuilt: reported.some((entry) => entry.view.source === 'trace'),
  };
}

/** Every key any node reports, once: its list and stand-ins as the viewpoint sees them when it stores the key, else as a running holder does. */
function boardKeys(reported: readonly Reported[], point: Reported | null): BoardKey[] {
  const keys = new Map<string, BoardKey>();
  const ordered = point === null ? reported : [point, ...reported.filter((entry) => entry !== point && entry.current), ...reported.filter((entry) => entry !== point && !entry.current)];
  for (const { node, view } of ordered) {
    for (const key of view.keys) {
      const known = keys.get(key.key);
      if (known !== undefined) {
        if (!known.holders.includes(node.id)) known.holders.push(node.id);
        continue;
      }
      keys.set(key.key, { ...key, holders: [node.id], reportedBy: node.id, sloppy: key.standIns.length > 0 });
    }
  }
  return [...keys.values()].sort((a, b) => a.position - b.position || (a.key < b.key ? -1 : 1));
}

/** One entry per key with siblings: the holder that reports the most versions. */
function boardSiblings(reported: readonly Reported[]): BoardSiblings[] {
  const best = new Map<string, BoardSiblings>();
  for (const { node, view, current } of reported) {
    if (!current) continue;
    for (const entry of view.siblings) {
      const known = best.get(entry.key);
      if (known === undefined || entry.count > known.count) best.set(entry.key, { key: entry.key, holder: node.id, count: entry.count, versions: entry.versions });
    }
  }
  return [...best.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** Joins each exchange's records from its two sides; newest first, at most EXCHANGES_LISTED_MAX. */
export function mergeExchanges(reports: readonly { node: NodeId; exchanges: readonly DynamoViewExchange[] }[]): MergedExchange[] {
  const byId = new Map<string, Map<NodeId, DynamoViewExchange>>();
  for (const { node, exchanges } of reports) {
    for (const record of exchanges) {
      let sides = byId.get(record.exchange);
      if (sides === undefined) byId.set(record.exchange, (sides = new Map()));
      sides.set(node, record);
    }
  }
  const merged = [...byId.values()].map((sides) => mergeOne(sides));
  return merged.sort((a, b) => b.startedAtMs - a.startedAtMs).slice(0, EXCHANGES_LISTED_MAX);
}

function mergeOne(sides: ReadonlyMap<NodeId, DynamoViewExchange>): MergedExchange {
  const [reporter, any] = [...sides][0]!;
  const initiator = any.initiator;
  const responder = initiator === reporter ? any.peer : reporter;
  const records = [sides.get(initiator) ?? null, sides.get(responder) ?? null] as const;
  const depth = any.depth;
  const shownDepth = Math.max(...[...sides.values()].map((record) => record.tree.length - 1));
  // Every comparison, from the side that made it: hashes as [initiator's, responder's].
  const comparisons = new Map<string, { pair: [number, number]; differs: boolean }>();
  records.forEach((record, side) => {
    for (const cell of record?.compared ?? []) {
      const pair: [number, number] = side === 0 ? [cell.mine, cell.theirs] : [cell.theirs, cell.mine];
      comparisons.set(`${cell.level}:${cell.index}`, { pair, differs: cell.differs });
    }
  });
  const sideOf = (node: NodeId, side: 0 | 1): MerkleSide => {
    const record = records[side];
    const levels: MerkleCell[][] = [];
    for (let level = 0; level <= shownDepth; level += 1) {
      const row: MerkleCell[] = [];
      for (let index = 0; index < 2 ** level; index += 1) {
        const compared = comparisons.get(`${level}:${index}`);
        const hash = record?.tree[level]?.[index] ?? compared?.pair[side] ?? null;
        row.push({ level, index, hash, status: compared === undefined ? 'skipped' : compared.differs ? 'differs' : 'equal' });
      }
      levels.push(row);
    }
    return { node, reported: record !== null, treeKeys: record?.treeKeys ?? null, levels };
  };
  const all = [...comparisons.entries()];
  const differingLeaves = all.filter(([at, entry]) => entry.differs && Number(at.split(':')[0]) === depth).map(([at]) => Number(at.split(':')[1])).sort((a, b) => a - b);
  const keysSynced: MergedExchange['keysSynced'] = [];
  let keysSyncedCount = 0;
  records.forEach((record, side) => {
    if (record === null) return;
    const node = side === 0 ? initiator : responder;
    keysSyncedCount += record.keysSentCount;
    for (const { key, leaf } of record.keysSent) if (!keysSynced.some((known) => known.key === key && known.from === node)) keysSynced.push({ key, leaf, from: node });
    // What a side received, the other sent: named here too in case the sender's record is gone.
    const other = side === 0 ? responder : initiator;
    if (records[1 - side] === null) {
      keysSyncedCount += record.keysReceivedCount;
      for (const { key, leaf } of record.keysReceived) if (!keysSynced.some((known) => known.key === key && known.from === other)) keysSynced.push({ key, leaf, from: other });
    }
  });
  return {
    exchange: any.exchange, initiator, responder,
    startedAtMs: Math.min(...[...sides.values()].map((record) => record.startedAtMs)),
    depth, shownDepth, sides: [sideOf(initiator, 0), sideOf(responder, 1)],
    compared: all.length, differing: all.filter(([, entry]) => entry.differs).length, differingLeaves,
    keysSynced: keysSynced.sort((a, b) => a.leaf - b.leaf || (a.key < b.key ? -1 : 1)), keysSyncedCount,
    state: mergedState([...sides.values()]),
  };
}

function mergedState(records: readonly DynamoViewExchange[]): MergedExchange['state'] {
  for (const state of ['depth-mismatch', 'synced', 'converged', 'in-sync'] as const) if (records.some((record) => record.state === state)) return state;
  return 'comparing';
}

/**
 * The exchange to show: the chosen one if it is still listed; else the newest that found a
 * difference, with both sides' records (both trees whole) before one with a side missing;
 * else the newest in sync with both records; else the newest.
 */
export function pickExchange(exchanges: readonly MergedExchange[], chosen: string | null): MergedExchange | null {
  const whole = (exchange: MergedExchange): boolean => exchange.sides.every((side) => side.reported);
  const differed = (exchange: MergedExchange): boolean => exchange.differing > 0 || exchange.state === 'synced';
  return exchanges.find((exchange) => exchange.exchange === chosen)
    ?? exchanges.find((exchange) => differed(exchange) && whole(exchange))
    ?? exchanges.find(differed)
    ?? exchanges.find((exchange) => exchange.state === 'in-sync' && whole(exchange))
    ?? exchanges[0] ?? null;
}

// ---- geometry ----------------------------------------------------------------------------

/** A ring position as a fraction of the circle, clockwise from the top. */
export function ringFraction(position: number): number {
  return (((position % RING_SIZE) + RING_SIZE) % RING_SIZE) / RING_SIZE;
}

/** The point at `fraction` of the circle (0 = top, clockwise) on a circle of `radius` around (cx, cy). */
export function polar(fraction: number, radius: number, center: { x: number; y: number }): { x: number; y: number } {
  const angle = fraction * 2 * Math.PI - Math.PI / 2;
  return { x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle) };
}

/**
 * Where a key's walk meets each node of its preference list: that node's first token at or
 * clockwise after the key. The UI draws the arc from the key to the last of them.
 */
export function walkStops(key: Pick<DynamoViewKey, 'position' | 'preferenceList'>, nodes: readonly Pick<BoardNode, 'id' | 'tokens'>[]): { node: NodeId; position: number; distance: number }[] {
  return key.preferenceList.map((id) => {
    const tokens = nodes.find((node) => node.id === id)?.tokens ?? [];
    let best: { node: NodeId; position: number; distance: number } | null = null;
    for (const position of tokens) {
      const distance = (position - key.position + RING_SIZE) % RING_SIZE;
      if (best === null || distance < best.distance) best = { node: id, position, distance };
    }
    return best ?? { node: id, position: key.position, distance: 0 };
  });
}

/** An SVG path for the arc clockwise from fraction `from` to `to` on a circle of `radius` (equal ends: the whole circle, a one-token ring). */
export function arcPath(from: number, to: number, radius: number, center: { x: number; y: number }): string {
  const sweep = ((to - from) % 1 + 1) % 1;
  if (sweep === 0) return `${arcPath(from, from + 0.5, radius, center)} ${arcPath(from + 0.5, from, radius, center).replace(/^M [^A]*/, '')}`;
  const start = polar(from, radius, center);
  const end = polar(from + sweep, radius, center);
  const large = sweep > 0.5 ? 1 : 0;
  return `M ${start.x.toFixed(2)} ${start.y.toFixed(2)} A ${radius} ${radius} 0 ${large} 1 ${end.x.toFixed(2)} ${end.y.toFixed(2)}`;
}

/** A 32-bit hash as the tree draws it: 8 hex digits, or the first `digits` of them. */
export function hashText(hash: number | null, digits = 8): string {
  if (hash === null) return '?';
  return (hash >>> 0).toString(16).padStart(8, '0').slice(0, digits);
}

/** What the conflict policy means, in a line. */
export function policyWords(policy: DynamoView['conflictPolicy']): string {
  return policy === 'lww'
    ? 'last writer wins: the latest clock stamp survives, concurrent writes are lost'
    : 'vector clocks: concurrent writes are kept as siblings for the client to merge';
}

/**
 * The ring cut into arcs, each colored by the node whose token ends it: a key in an arc
 * belongs first to that node (the first stop of its walk). Sorted clockwise from the top.
 */
export function ownerArcs(nodes: readonly Pick<BoardNode, 'id' | 'tokens'>[]): { node: NodeId; from: number; to: number }[] {
  const tokens = nodes.flatMap((node) => node.tokens.map((position) => ({ node: node.id, position }))).sort((a, b) => a.position - b.position);
  return tokens.map((token, index) => {
    const previous = tokens[(index - 1 + tokens.length) % tokens.length]!;
    return { node: token.node, from: ringFraction(previous.position), to: ringFraction(token.position) };
  });
}

/**
 * Lanes for the key dots, so that keys that hash close together do not cover each other: a
 * key goes to the first lane (0 = nearest the ring) whose previous key is at least `gap` of
 * the circle behind it, or, when every lane is that crowded, to the lane with the most room.
 * `fractions` ascending; returns one lane per fraction.
 */
export function keyLanes(fractions: readonly number[], options: { gap: number; lanes: number }): number[] {
  const last: (number | null)[] = Array.from({ length: options.lanes }, () => null);
  return fractions.map((fraction) => {
    let lane = last.findIndex((previous) => previous === null || fraction - previous >= options.gap);
    if (lane === -1) lane = last.reduce<number>((best, previous, index) => (previous! < last[best]! ? index : best), 0);
    last[lane] = fraction;
    return lane;
  });
}
