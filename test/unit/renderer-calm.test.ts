// The CALM view's model (src-renderer/calm/calm-board.ts), from nodes' statuses built by the
// real calm core: the listing carries the analysis as margin marks, every node's facts line up
// by collection, and a fact that some running node lacks is marked — but not one a node that
// is down lacks, and not by guesswork when a view carries only the first tuples.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CalmView } from '../../src-node/contract/core.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { CalmCore } from '../../src-node/protocols/calm/core.ts';
import { buildCalmBoard } from '../../src-renderer/calm/calm-board.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const TICK_MS = 10;

function nodeView(id: string, cluster: CoreCluster<CalmCore>, state: NodeView['state'] = 'up'): NodeView {
  return { id, state, url: null, pid: null, restarts: 0, status: cluster.cores.get(id)!.status(), clock: { skewMs: 0, driftPpm: 0 }, persistDelayMs: 0, linksUp: [] };
}

function tick(cluster: CoreCluster<CalmCore>): void {
  cluster.nowMs += 2 * TICK_MS;
  cluster.fireDueTimers();
}

/** The destructive cart after n1 heard "add milk, remove milk" and n2 "remove milk, add milk". */
function divergedCart(): CoreCluster<CalmCore> {
  const cluster = new CoreCluster(['n1', 'n2'], (context) => new CalmCore(context), { example: 'cart-destructive', tickMs: TICK_MS });
  tick(cluster);
  const add = (target: string) => ({ entries: [{ channel: 'add', tuple: [target, 'milk'] }] });
  const remove = (target: string) => ({ entries: [{ channel: 'remove', tuple: [target, 'milk'] }] });
  cluster.send('n2', 'n1', 'tuples', add('n1'));
  cluster.send('n1', 'n2', 'tuples', remove('n2'));
  tick(cluster);
  cluster.send('n2', 'n1', 'tuples', remove('n1'));
  cluster.send('n1', 'n2', 'tuples', add('n2'));
  tick(cluster);
  tick(cluster);
  return cluster;
}

describe('calm view: the board', () => {
  it('marks the program: monotone rules, and the deletion as the point of order', () => {
    const cluster = divergedCart();
    const board = buildCalmBoard([nodeView('n1', cluster), nodeView('n2', cluster)]);
    assert.equal(board.program, 'cart-destructive');
    assert.equal(board.confluent, false);
    const marks = Object.fromEntries(board.listing.filter((line) => line.mark !== null).map((line) => [line.line, line.mark]));
    assert.deepEqual(marks, { 7: 'monotone', 8: 'monotone', 9: 'monotone', 10: 'point-of-order' });
    assert.match(board.listing[9]!.note, /point of order: deletion over cart, remove/);
    assert.equal(board.listing[0]!.text, 'table cart(item).');
    assert.equal(board.listing.length, 10, 'no empty line after the last rule');
  });

  it('lines up the facts by collection and marks the ones a running node lacks', () => {
    const cluster = divergedCart();
    const board = buildCalmBoard([nodeView('n1', cluster), nodeView('n2', cluster)]);
    const cart = board.rows.find((row) => row.name === 'cart')!;
    assert.equal(cart.differs, true);
    assert.deepEqual(cart.cells.map((cell) => [cell.node, cell.chips.map((chip) => `${chip.text}${chip.differs ? '!' : ''}`)]), [['n1', []], ['n2', ['(milk)!']]]);
    // What the point of order concluded: n1 deleted the milk, n2 never did.
    const concluded = board.rows.find((row) => row.name === 'line 10')!;
    assert.equal(concluded.kind, 'concluded');
    assert.deepEqual(concluded.cells.map((cell) => cell.chips.map((chip) => chip.text)), [['(milk)'], []]);
    assert.equal(board.differingRows, 2);
  });

  it('a node that is down does not make the others differ', () => {
    const cluster = divergedCart();
    const board = buildCalmBoard([nodeView('n1', cluster), nodeView('n2', cluster, 'down')]);
    assert.equal(board.rows.find((row) => row.name === 'cart')!.differs, false);
    assert.equal(board.nodes.find((node) => node.id === 'n2')!.current, false);
  });

  it('a truncated view is compared by count, never tuple by tuple', () => {
    const cluster = divergedCart();
    const [one, two] = [nodeView('n1', cluster), nodeView('n2', cluster)];
    const truncate = (node: NodeView, count: number): void => {
      const view = node.status!.view as CalmView;
      view.collections = view.collections.map((collection) => (collection.name === 'cart' ? { ...collection, tuples: [['milk']], count } : collection));
    };
    truncate(one, 60);
    truncate(two, 60);
    let cart = buildCalmBoard([one, two]).rows.find((row) => row.name === 'cart')!;
    assert.equal(cart.differs, false);
    assert.ok(cart.cells.every((cell) => cell.truncated && cell.chips.every((chip) => !chip.differs)));
    truncate(two, 61);
    cart = buildCalmBoard([one, two]).rows.find((row) => row.name === 'cart')!;
    assert.equal(cart.differs, true);
  });

  it('with coordination, shows which point of order waits, on which node, for what', () => {
    const cluster = new CoreCluster(['n1', 'n2'], (context) => new CalmCore(context), { example: 'vote-count', tickMs: TICK_MS, coordinate: true });
    cluster.run('n2', { f: 'seal' });
    tick(cluster);
    tick(cluster);
    const board = buildCalmBoard([nodeView('n1', cluster), nodeView('n2', cluster)]);
    const count = board.listing.find((line) => line.line === 9)!;
    assert.deepEqual(count.waitingOn, ['n1', 'n2']);
    assert.match(count.note, /waits on n1, n2/);
    const n2 = board.nodes.find((node) => node.id === 'n2')!;
    assert.deepEqual(n2.sealedInputs, ['client_vote']);
    assert.deepEqual(n2.sealedChannels, ['vote']);
    assert.deepEqual(n2.waitingFor, [{ line: 9, what: ['seal of vote from n1'] }]);
  });

  it('nodes without a calm view give an empty board', () => {
    const board = buildCalmBoard([{ id: 'n1', state: 'up', url: null, pid: null, restarts: 0, status: null, clock: { skewMs: 0, driftPpm: 0 }, persistDelayMs: 0, linksUp: [] }]);
    assert.equal(board.program, null);
    assert.deepEqual(board.rows, []);
  });
});
