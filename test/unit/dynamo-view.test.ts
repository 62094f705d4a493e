// The Dynamo view, from the core's status to the screen: what DynamoCore.status().view reports
// (src-node/protocols/dynamo/view.ts: the ring, where stored keys land, sloppy stand-ins,
// hints, siblings, the Merkle exchanges it took part in, all bounded), and how the renderer
// joins the nodes' views into one ring and joins both sides of an exchange into two trees
// (src-renderer/dynamo/dynamo-board.ts).
// Reference: DeCandia et al. 2007, §4.2 (ring), §4.4 (siblings), §4.6 (sloppy quorum,
// hinted handoff), §4.7 (Merkle trees); the book §5.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DYNAMO_VIEW_EXCHANGES_MAX, DYNAMO_VIEW_KEYS_MAX, DYNAMO_VIEW_MERKLE_LEVELS_MAX, DYNAMO_VIEW_TOKENS_MAX, type DynamoView,
} from '../../src-node/contract/core.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { DynamoCore, parseDynamoParams } from '../../src-node/protocols/dynamo/index.ts';
import { leafOf } from '../../src-node/protocols/dynamo/merkle.ts';
import { createRing, keyPosition, preferenceList, walk } from '../../src-node/protocols/dynamo/ring.ts';
import { buildDynamoView, MerkleExchangeLog } from '../../src-node/protocols/dynamo/view.ts';
import {
  arcPath, buildDynamoBoard, keyLanes, mergeExchanges, ownerArcs, pickExchange, RING_SIZE, ringFraction, walkStops, type MergedExchange,
} from '../../src-renderer/dynamo/dynamo-board.ts';
import { CoreCluster } from '../support/core-cluster.ts';
import { dynamoRingStatuses } from '../../src-main/lab/trace-view.ts';
import { readFileSync } from 'node:fs';

class Cluster extends CoreCluster<DynamoCore> {
  constructor(ids: string[], params: Record<string, unknown>) {
    super(ids, (context) => new DynamoCore(context), params);
  }

  view(id: string): DynamoView {
    const view = this.cores.get(id)!.status().view;
    assert.ok(view !== undefined && view.protocol === 'dynamo');
    return view;
  }

  nodeViews(states: Record<string, NodeView['state']> = {}): NodeView[] {
    return this.ids.map((id) => nodeView(id, this.cores.has(id) ? this.view(id) : null, states[id] ?? (this.cores.has(id) ? 'up' : 'down')));
  }

  /** Fires one node's anti-entropy timer now and delivers everything it causes. */
  antiEntropy(id: string): void {
    this.timers.get(id)!.set('anti-entropy', this.nowMs);
    this.fireDueTimers();
    this.deliverAll();
  }
}

function nodeView(id: string, view: DynamoView | null, state: NodeView['state']): NodeView {
  return {
    id, state, url: null, pid: null, restarts: 0, clock: { ...TRUE_CLOCK }, persistDelayMs: 0, linksUp: [],
    status: view === null ? null : { role: 'replica', facts: {}, view },
  };
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const QUIET = { antiEntropyIntervalMs: 0 };
const RING = createRing(NODES, 8);
const listOf = (key: string): string[] => preferenceList(RING, key, 3);

describe('dynamo view: the ring and where keys land', () => {
  it('reports every node\'s tokens, and each stored key at its hash with its preference list', () => {
    const cluster = new Cluster(NODES, QUIET);
    const keys = Array.from({ length: 12 }, (_, index) => `key${index}`);
    for (const key of keys) assert.equal(cluster.run(listOf(key)[0]!, { f: 'put', key, value: key }).type, 'ok');
    for (const id of NODES) {
      const view = cluster.view(id);
      assert.deepEqual([view.n, view.r, view.w, view.conflictPolicy, view.sloppyQuorum, view.tokensPerNode], [3, 2, 2, 'vector-clock', true, 8]);
      assert.deepEqual(view.ring.map((node) => node.id), NODES);
      for (const node of view.ring) {
        assert.equal(node.up, true);
        assert.deepEqual(node.tokens, RING.tokens.filter((token) => token.node === node.id).map((token) => token.position));
      }
      const stored = keys.filter((key) => listOf(key).includes(id));
      assert.deepEqual(view.keys.map((key) => key.key), [...stored].sort(), `${id} reports exactly the keys it replicates`);
      assert.equal(view.keysStored, stored.length);
      for (const key of view.keys) {
        assert.equal(key.position, keyPosition(key.key));
        assert.deepEqual(key.preferenceList, listOf(key.key));
        assert.deepEqual([key.unreachable, key.standIns, key.versions], [[], [], 1]);
      }
    }
    // The board: one ring, every key once, with the nodes that store it.
    const board = buildDynamoBoard(cluster.nodeViews());
    assert.equal(board.viewpoint, 'n1');
    assert.deepEqual(board.keys.map((key) => key.key).sort(), [...keys].sort());
    for (const key of board.keys) assert.deepEqual([...key.holders].sort(), [...listOf(key.key)].sort());
    assert.deepEqual(board.keys.map((key) => key.position), [...board.keys.map((key) => key.position)].sort((a, b) => a - b), 'clockwise order');
  });

  it('stays bounded: at most DYNAMO_VIEW_KEYS_MAX keys (the first by name) and DYNAMO_VIEW_TOKENS_MAX tokens', () => {
    const nodes = Array.from({ length: 15 }, (_, index) => `n${index + 1}`);
    const params = parseDynamoParams({ tokensPerNode: 256 });
    const ring = createRing(nodes, 256);
    const store = new Map(Array.from({ length: 500 }, (_, index) => [`k${String(499 - index).padStart(3, '0')}`, []]));
    const view = buildDynamoView({ self: 'n1', params, ring, store, hints: new Map(), alive: () => true, handedOff: 0, exchanges: new MerkleExchangeLog('n1') });
    assert.equal(view.keys.length, DYNAMO_VIEW_KEYS_MAX);
    assert.equal(view.keysStored, 500);
    assert.deepEqual(view.keys.map((key) => key.key), [...store.keys()].sort().slice(0, DYNAMO_VIEW_KEYS_MAX));
    const tokens = view.ring.reduce((sum, node) => sum + node.tokens.length, 0);
    assert.ok(tokens <= DYNAMO_VIEW_TOKENS_MAX, `${tokens} tokens`);
    assert.ok(view.ring.every((node) => node.tokens.length === Math.floor(DYNAMO_VIEW_TOKENS_MAX / 15)), 'an equal share each');
  });
});

describe('dynamo view: sloppy quorum and hinted handoff', () => {
  it('a replica down makes its keys sloppy, the stand-in shows the hint, and the handoff empties it', () => {
    const key = 'cart';
    const [coordinator, , down] = listOf(key) as [string, string, string];
    const standIn = walk(RING, key)[3]!;
    const cluster = new Cluster(NODES, QUIET);
    assert.equal(cluster.run(coordinator, { f: 'put', key, value: 'v0' }).type, 'ok');
    cluster.cut.add(down);
    cluster.advance(2_000); // gossip: the others stop hearing from it
    const seen = cluster.view(coordinator);
    assert.equal(seen.ring.find((node) => node.id === down)!.up, false, 'the coordinator\'s gossip takes it as down');
    const sloppy = seen.keys.find((candidate) => candidate.key === key)!;
    assert.deepEqual(sloppy.unreachable, [down]);
    assert.deepEqual(sloppy.standIns, [{ node: standIn, for: down }]);
    assert.ok(seen.keys.every((candidate) => (candidate.standIns.length > 0) === candidate.preferenceList.includes(down)), 'exactly the keys it replicates go sloppy');

    assert.equal(cluster.run(coordinator, { f: 'put', key, value: 'v1', quorum: { w: 3 } }).type, 'ok');
    assert.deepEqual(cluster.view(standIn).hints, [{ owner: down, count: 1, keys: [key], ownerUp: false }]);
    const board = buildDynamoBoard(cluster.nodeViews(), { viewpoint: coordinator });
    assert.equal(board.viewpoint, coordinator);
    assert.deepEqual(board.hints.map((hints) => [hints.holder, hints.owner, hints.count]), [[standIn, down, 1]]);
    assert.equal(board.nodes.find((node) => node.id === down)!.upInGossip, false);
    assert.equal(board.nodes.find((node) => node.id === standIn)!.hintsHeld, 1);
    assert.equal(board.keys.find((candidate) => candidate.key === key)!.sloppy, true);

    cluster.cut.delete(down);
    cluster.advance(3_000);
    const after = cluster.view(standIn);
    assert.deepEqual(after.hints, [], 'handed back and dropped');
    assert.equal(after.handedOff, 1);
    assert.deepEqual(cluster.view(coordinator).keys.find((candidate) => candidate.key === key)!.standIns, [], 'no longer sloppy');
  });

  it('without a sloppy quorum a key with a member down has no stand-ins', () => {
    const key = 'cart';
    const [coordinator, , down] = listOf(key) as [string, string, string];
    const cluster = new Cluster(NODES, { ...QUIET, sloppyQuorum: false });
    cluster.run(coordinator, { f: 'put', key, value: 'v0' });
    cluster.cut.add(down);
    cluster.advance(2_000);
    const entry = cluster.view(coordinator).keys.find((candidate) => candidate.key === key)!;
    assert.deepEqual([entry.unreachable, entry.standIns], [[down], []]);
  });
});

describe('dynamo view: siblings', () => {
  it('lists a key with concurrent versions, with their dots and values', () => {
    const key = 'cart';
    const [coordinator] = listOf(key) as [string];
    const cluster = new Cluster(NODES, QUIET);
    cluster.run(coordinator, { f: 'put', key, value: ['milk'] });
    const read = cluster.run(coordinator, { f: 'get', key });
    cluster.run(coordinator, { f: 'put', key, value: ['milk', 'eggs'], context: read.context });
    cluster.run(coordinator, { f: 'put', key, value: ['milk', 'bread'], context: read.context });
    const view = cluster.view(coordinator);
    assert.equal(view.siblingKeys, 1);
    assert.deepEqual(view.siblings, [{ key, count: 2, versions: [{ dot: `${coordinator}:2`, value: '["milk","eggs"]' }, { dot: `${coordinator}:3`, value: '["milk","bread"]' }] }]);
    assert.equal(view.keys.find((candidate) => candidate.key === key)!.versions, 2);
    assert.deepEqual(buildDynamoBoard(cluster.nodeViews()).siblings.map((entry) => [entry.key, entry.count]), [[key, 2]]);
  });
});

describe('dynamo view: Merkle exchanges', () => {
  /** Two replicas of every key (N = 2); n2 misses `diverged` writes, then n1 starts one exchange. */
  function divergedPair(merkleDepth: number, diverged: number): { cluster: Cluster; keys: string[] } {
    const cluster = new Cluster(['n1', 'n2'], { n: 2, r: 1, w: 1, sloppyQuorum: false, readRepair: false, antiEntropyIntervalMs: 600_000, merkleDepth });
    const shared = Array.from({ length: 10 }, (_, index) => `same${index}`);
    for (const key of shared) cluster.run('n1', { f: 'put', key, value: 1 });
    cluster.cut.add('n2');
    const keys = Array.from({ length: diverged }, (_, index) => `only${index}`);
    for (const key of keys) assert.equal(cluster.run('n1', { f: 'put', key, value: key }).type, 'ok');
    cluster.cut.delete('n2');
    cluster.antiEntropy('n1');
    return { cluster, keys };
  }

  function merged(cluster: Cluster): MergedExchange[] {
    return mergeExchanges(['n1', 'n2'].map((node) => ({ node, exchanges: cluster.view(node).exchanges })));
  }

  it('both sides record one exchange; joined, they show two trees that differ only along the branches to the missing keys', () => {
    const { cluster, keys } = divergedPair(4, 3);
    const [n1, n2] = [cluster.view('n1').exchanges, cluster.view('n2').exchanges];
    assert.equal(n1.length, 1);
    assert.equal(n2.length, 1);
    assert.equal(n1[0]!.exchange, n2[0]!.exchange);
    assert.deepEqual([n1[0]!.initiator, n1[0]!.peer, n2[0]!.initiator, n2[0]!.peer], ['n1', 'n2', 'n1', 'n1']);
    assert.deepEqual([n1[0]!.treeKeys, n2[0]!.treeKeys], [13, 10]);
    // n1 sent its versions of the differing leaves, n2 answered with its own of them.
    assert.deepEqual(n1[0]!.keysSent.map((entry) => entry.key).filter((key) => keys.includes(key)).sort(), keys);

    const [exchange] = merged(cluster);
    assert.ok(exchange !== undefined);
    assert.deepEqual([exchange.initiator, exchange.responder, exchange.state, exchange.depth, exchange.shownDepth], ['n1', 'n2', 'synced', 4, 4]);
    assert.deepEqual(exchange.sides.map((side) => [side.node, side.reported]), [['n1', true], ['n2', true]]);
    assert.deepEqual(exchange.differingLeaves, [...new Set(keys.map((key) => leafOf(key, 4)))].sort((a, b) => a - b));
    assert.ok(keys.every((key) => exchange.keysSynced.some((entry) => entry.key === key && entry.from === 'n1' && entry.leaf === leafOf(key, 4))));
    const [mine, theirs] = exchange.sides;
    for (let level = 0; level <= exchange.depth; level += 1) {
      for (let index = 0; index < 2 ** level; index += 1) {
        const cell = mine.levels[level]![index]!;
        assert.equal(theirs.levels[level]![index]!.status, cell.status, 'one verdict per tree node');
        if (cell.status !== 'skipped') assert.equal(cell.status === 'differs', cell.hash !== theirs.levels[level]![index]!.hash, `${level}:${index}`);
        // Descend only where hashes differ: a node is compared iff it is the root or its parent differed.
        const parentDiffers = level > 0 && mine.levels[level - 1]![index >> 1]!.status === 'differs';
        assert.equal(cell.status !== 'skipped', level === 0 || parentDiffers, `${level}:${index} compared only below a differing parent`);
      }
    }
    assert.equal(mine.levels[0]![0]!.status, 'differs');
    assert.ok(exchange.compared < 2 ** (exchange.depth + 1) - 1, 'not every hash was compared');

    // The keys arrived: a second exchange finds the roots equal and compares nothing else.
    cluster.nowMs += 10;
    cluster.antiEntropy('n1');
    const again = merged(cluster);
    assert.equal(again.length, 2);
    assert.deepEqual([again[0]!.state, again[0]!.compared, again[0]!.differing], ['in-sync', 1, 0]);
    assert.equal(pickExchange(again, null), again.find((candidate) => candidate.state === 'synced'), 'the one that found a difference is shown by default');
    assert.equal(pickExchange(again, again[0]!.exchange), again[0], 'unless another is chosen');
    // A newer exchange that differed but of which one side's record is gone comes after the whole one.
    const halfKnown: MergedExchange = { ...again.find((candidate) => candidate.state === 'synced')!, exchange: 'newer', startedAtMs: 1e12 };
    halfKnown.sides = [{ ...halfKnown.sides[0], reported: false }, halfKnown.sides[1]];
    assert.equal(pickExchange([halfKnown, ...again], null)?.state, 'synced');
    assert.notEqual(pickExchange([halfKnown, ...again], null)?.exchange, 'newer');
    assert.equal(pickExchange([halfKnown, again[0]!], null)?.exchange, 'newer', 'but a half-known difference beats an in-sync exchange');
  });

  it('a difference repaired while the exchange descends ends it as converged, with nothing sent', () => {
    const cluster = new Cluster(['n1', 'n2'], { n: 2, r: 1, w: 1, sloppyQuorum: false, readRepair: false, antiEntropyIntervalMs: 600_000, merkleDepth: 4 });
    cluster.cut.add('n2');
    cluster.run('n1', { f: 'put', key: 'late', value: 1 });
    cluster.cut.delete('n2');
    cluster.timers.get('n1')!.set('anti-entropy', cluster.nowMs);
    cluster.fireDueTimers();
    cluster.deliverAll(1); // n2 compares the roots and answers with its level-1 hashes
    cluster.send('n1', 'n2', 'repair', { key: 'late', versions: cluster.disks.get('n1')!.get('v:late') });
    cluster.deliverAll();
    const [exchange] = merged(cluster);
    assert.equal(exchange!.state, 'converged');
    assert.equal(exchange!.keysSyncedCount, 0);
    assert.ok(exchange!.differing >= 2, 'the root and a level-1 branch differed');
    assert.equal(cluster.view('n2').exchanges[0]!.state, 'converged');
  });

  it('keeps the newest exchange that found a difference after many in-sync ones, within DYNAMO_VIEW_EXCHANGES_MAX', () => {
    const { cluster } = divergedPair(4, 2);
    const synced = cluster.view('n1').exchanges[0]!.exchange;
    for (let round = 0; round < 20; round += 1) {
      cluster.nowMs += 10;
      cluster.antiEntropy('n1');
    }
    for (const node of ['n1', 'n2']) {
      const exchanges = cluster.view(node).exchanges;
      assert.equal(exchanges.length, DYNAMO_VIEW_EXCHANGES_MAX);
      assert.ok(exchanges.some((exchange) => exchange.exchange === synced), `${node} still shows the exchange that synced`);
      assert.deepEqual(exchanges.map((exchange) => exchange.startedAtMs), [...exchanges.map((exchange) => exchange.startedAtMs)].sort((a, b) => b - a), 'newest first');
    }
    assert.equal(pickExchange(merged(cluster), null)?.exchange, synced);
  });

  it('carries at most DYNAMO_VIEW_MERKLE_LEVELS_MAX levels of a deeper tree, and still every comparison down to the leaves', () => {
    const { cluster, keys } = divergedPair(9, 2);
    const record = cluster.view('n1').exchanges[0]!;
    assert.equal(record.depth, 9);
    assert.equal(record.tree.length, DYNAMO_VIEW_MERKLE_LEVELS_MAX);
    const [exchange] = merged(cluster);
    assert.equal(exchange!.shownDepth, DYNAMO_VIEW_MERKLE_LEVELS_MAX - 1);
    assert.deepEqual(exchange!.differingLeaves, [...new Set(keys.map((key) => leafOf(key, 9)))].sort((a, b) => a - b));
  });

  it('with one side\'s record gone, the other side\'s comparisons still give both hashes where they were compared', () => {
    const { cluster } = divergedPair(4, 3);
    const [exchange] = mergeExchanges([{ node: 'n2', exchanges: cluster.view('n2').exchanges }]);
    assert.deepEqual(exchange!.sides.map((side) => side.reported), [false, true]);
    const initiator = exchange!.sides[0];
    assert.notEqual(initiator.levels[0]![0]!.hash, null, 'n2 compared n1\'s root');
    assert.ok(initiator.levels.flat().some((cell) => cell.hash === null), 'hashes n1 never sent are unknown');
  });
});

describe('dynamo view: ring geometry', () => {
  const nodes = NODES.map((id) => ({ id, tokens: RING.tokens.filter((token) => token.node === id).map((token) => token.position) }));

  it('the owner arcs cover the circle once, each ending at a token of its node', () => {
    const arcs = ownerArcs(nodes);
    assert.equal(arcs.length, RING.tokens.length);
    const total = arcs.reduce((sum, arc) => sum + (((arc.to - arc.from) % 1) + 1) % 1, 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `sweeps add up to ${total}`);
    for (const arc of arcs) assert.ok(nodes.find((node) => node.id === arc.node)!.tokens.some((position) => ringFraction(position) === arc.to));
  });

  it('a key\'s walk stops at the first token of each preference-list node clockwise, in order', () => {
    for (const key of ['a', 'cart', 'key7', 'zebra']) {
      const stops = walkStops({ position: keyPosition(key), preferenceList: listOf(key) }, nodes);
      assert.deepEqual(stops.map((stop) => stop.node), listOf(key));
      assert.deepEqual(stops.map((stop) => stop.distance), [...stops.map((stop) => stop.distance)].sort((a, b) => a - b), 'met in ring order');
      for (const stop of stops) {
        const own = nodes.find((node) => node.id === stop.node)!.tokens;
        assert.ok(own.every((position) => (position - keyPosition(key) + RING_SIZE) % RING_SIZE >= stop.distance));
      }
    }
  });

  it('an arc with equal ends is the whole circle', () => {
    const center = { x: 0, y: 0 };
    assert.equal((arcPath(0.25, 0.25, 10, center).match(/A /g) ?? []).length, 2);
    assert.equal((arcPath(0, 0.25, 10, center).match(/A /g) ?? []).length, 1);
  });
});

describe('dynamo view: a recorded run', () => {
  it('rebuilds the ring from the recorded scenario\'s nodes and parameters, and nothing else', () => {
    const scenario = JSON.parse(readFileSync(new URL('../../resources/scenarios/dynamo-sloppy-quorum.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const statuses = dynamoRingStatuses({ scenario }, NODES);
    assert.deepEqual([...statuses.keys()], NODES);
    const nodes = NODES.map((id) => nodeView(id, statuses.get(id)!.view as DynamoView, 'stopped'));
    const board = buildDynamoBoard(nodes, { recorded: true });
    assert.equal(board.rebuilt, true);
    assert.deepEqual(board.params, { n: 3, r: 2, w: 2, conflictPolicy: 'vector-clock', sloppyQuorum: true, tokensPerNode: 8 });
    for (const node of board.nodes) {
      assert.deepEqual(node.tokens, RING.tokens.filter((token) => token.node === node.id).map((token) => token.position));
      assert.equal(node.upInGossip, null, 'a trace keeps no gossip');
    }
    assert.deepEqual([board.keys, board.hints, board.siblings, board.exchanges], [[], [], [], []]);
    assert.equal(dynamoRingStatuses({ scenario: { name: 'broken' } }, NODES).size, 0, 'no readable scenario, no ring');
  });
});

describe('dynamo view: key lanes', () => {
  it('keys closer than the gap go to different lanes; spread keys stay on the first', () => {
    assert.deepEqual(keyLanes([0.1, 0.3, 0.5], { gap: 0.02, lanes: 3 }), [0, 0, 0]);
    assert.deepEqual(keyLanes([0.1, 0.105, 0.11, 0.2], { gap: 0.02, lanes: 3 }), [0, 1, 2, 0]);
    // Every lane crowded: the one whose last key is furthest behind.
    assert.deepEqual(keyLanes([0.1, 0.101, 0.102, 0.103], { gap: 0.02, lanes: 3 }), [0, 1, 2, 0]);
  });
});
