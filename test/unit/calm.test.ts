// The node-program language, its evaluator and the CALM analysis (src-node/protocols/calm/):
// every shipped example gets the analysis it documents; evaluation follows the rules; and the
// book's contrast, run by hand on two nodes that hear the same messages in opposite orders:
// the monotone programs end equal, the ones with a point of order do not.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProgram, ProgramError } from '../../src-node/protocols/calm/language.ts';
import { analyze } from '../../src-node/protocols/calm/analysis.ts';
import { databaseJson, emptyTables, step, type Database, type Tuple } from '../../src-node/protocols/calm/evaluate.ts';
import { CALM_EXAMPLES } from '../../src-node/protocols/calm/examples.ts';

const example = (name: string) => CALM_EXAMPLES.find((candidate) => candidate.name === name)!;

/** Runs a program on one node that receives `arrivals` (channel tuples) one per step, in that order. */
function runInOrder(source: string, arrivals: { channel: string; tuple: Tuple }[], node = 'n1'): Record<string, Tuple[]> {
  const program = parseProgram(source);
  let tables: Database = emptyTables(program);
  let view: Database = tables;
  for (const arrival of [...arrivals, null]) {
    const out = step(program, { tables, arrived: arrival === null ? [] : [arrival], inputs: [], self: node, nodes: ['n1', 'n2'] });
    tables = out.tables;
    view = out.view;
  }
  return databaseJson(view, (name) => program.collections.get(name)?.kind === 'table' || program.collections.get(name)?.kind === 'scratch');
}

describe('calm: the analysis of every shipped example', () => {
  for (const shipped of CALM_EXAMPLES) {
    it(`${shipped.name}: ${shipped.expectedPointsOfOrder.length === 0 ? 'confluent' : `points of order at line(s) ${shipped.expectedPointsOfOrder.join(', ')}`}`, () => {
      const report = analyze(parseProgram(shipped.source));
      assert.deepEqual(report.pointsOfOrder.map((point) => point.line), shipped.expectedPointsOfOrder, report.summary);
      assert.equal(report.confluent, shipped.expectedPointsOfOrder.length === 0);
      for (const point of report.pointsOfOrder) assert.ok(point.paths.every((path) => path.length >= 1), 'each point names the asynchronous source it depends on');
    });
  }

  it('names the operator and the asynchronous path: the destructive cart deletes what the remove channel says', () => {
    const [point] = analyze(parseProgram(example('cart-destructive').source)).pointsOfOrder;
    assert.deepEqual(point!.reasons, ['deletion']);
    assert.ok(point!.reads.includes('remove'));
    assert.deepEqual(point!.paths[point!.reads.indexOf('cart')], ['add', 'cart']);
  });
});

describe('calm: order matters exactly where the analysis says', () => {
  const add = { channel: 'add', tuple: ['n1', 'milk'] };
  const remove = { channel: 'remove', tuple: ['n1', 'milk'] };

  it('the destructive cart diverges: remove-then-add keeps the milk, add-then-remove does not', () => {
    const source = example('cart-destructive').source;
    assert.deepEqual(runInOrder(source, [add, remove])['cart'], []);
    assert.deepEqual(runInOrder(source, [remove, add])['cart'], [['milk']]);
  });

  it('the monotone cart converges in both orders', () => {
    const source = example('cart-monotone').source;
    assert.deepEqual(runInOrder(source, [add, remove]), runInOrder(source, [remove, add]));
    assert.deepEqual(runInOrder(source, [remove, add])['cart'], []);
  });

  it('set union converges in every order, with duplicates', () => {
    const source = example('set-union').source;
    const shares = ['a', 'b', 'c'].map((item) => ({ channel: 'share', tuple: ['n1', item] }));
    const reference = runInOrder(source, shares);
    assert.deepEqual(runInOrder(source, [...shares].reverse()), reference);
    assert.deepEqual(runInOrder(source, [shares[1]!, ...shares, shares[0]!]), reference);
  });

  it('overwrite keeps whichever put came last', () => {
    const source = example('kv-overwrite').source;
    const first = { channel: 'put', tuple: ['n1', 'x', 1] };
    const second = { channel: 'put', tuple: ['n1', 'x', 2] };
    assert.deepEqual(runInOrder(source, [first, second])['kv'], [['x', 2]]);
    assert.deepEqual(runInOrder(source, [second, first])['kv'], [['x', 1]]);
  });

  it('a count read before the last vote is wrong, and is reported anyway', () => {
    const source = example('vote-count').source;
    const votes = ['n1', 'n2', 'n3'].map((voter) => ({ channel: 'vote', tuple: ['n1', voter] }));
    assert.deepEqual(runInOrder(source, votes)['reported'], [[1], [2], [3]], 'every partial count was asserted on the way');
  });
});

describe('calm: evaluation', () => {
  it('joins, recursion, negation by strata, aggregates and channel sends', () => {
    const program = parseProgram(example('garbage-collection').source);
    const inputs = [
      { input: 'client_object', tuple: ['a'] }, { input: 'client_object', tuple: ['b'] }, { input: 'client_object', tuple: ['c'] },
      { input: 'client_root', tuple: ['a'] },
      { input: 'client_ref', tuple: ['a', 'b'] },
    ];
    const first = step(program, { tables: emptyTables(program), arrived: [], inputs, self: 'n1', nodes: ['n1', 'n2'] });
    assert.deepEqual(first.sends.filter((send) => send.channel === 'reference').map((send) => `${send.target}:${send.tuple.join('>')}`).sort(), ['n1:n1>a>b', 'n2:n2>a>b']);
    assert.equal(first.sends.length, 10, 'three objects, a root and a reference, to both nodes');
    // Everything travels over channels, even to n1 itself: nothing is known yet.
    assert.deepEqual(databaseJson(first.view)['garbage'], []);
    const objectsAndRoot = [...['a', 'b', 'c'].map((id) => ({ channel: 'new_object', tuple: ['n1', id] })), { channel: 'new_root', tuple: ['n1', 'a'] }];
    const second = step(program, { tables: first.tables, arrived: objectsAndRoot, inputs: [], self: 'n1', nodes: ['n1', 'n2'] });
    // The reference has not arrived yet: b looks like garbage.
    assert.deepEqual(databaseJson(second.view)['garbage'], [['b'], ['c']]);
    const third = step(program, { tables: second.tables, arrived: [{ channel: 'reference', tuple: ['n1', 'a', 'b'] }], inputs: [], self: 'n1', nodes: ['n1', 'n2'] });
    assert.deepEqual(databaseJson(third.view)['garbage'], [['c']]);
    assert.deepEqual(databaseJson(third.view)['reachable'], [['a'], ['b']]);
  });

  it('aggregates: count, sum, min, max per group', () => {
    const program = parseProgram(`table sale(shop, amount).
scratch stats(shop, n, total, low, high).
stats(S, count<A>, sum<A>, min<A>, max<A>) :- sale(S, A).
sale(x, 5). sale(x, 7). sale(y, 1).`);
    const out = step(program, { tables: emptyTables(program), arrived: [], inputs: [], self: 'n1', nodes: ['n1'] });
    assert.deepEqual(databaseJson(out.view)['stats'], [['x', 2, 12, 5, 7], ['y', 1, 1, 1, 1]]);
  });

  it('rejects bad programs with the line and the reason', () => {
    const cases: [string, RegExp][] = [
      ['table a(x).\nb(X) :- a(X).', /line 2: 'b' is not declared/],
      ['table a(x).\ntable b(x).\nb(X, Y) :- a(X).', /line 3: b has 1 column\(s\), not 2/],
      ['table a(x).\ntable b(x).\nb(Y) :- a(X).', /variable Y in the head is not bound/],
      ['table a(x).\ntable b(x).\nb(X) :- a(X), not c(Y).\ntable c(x).', /variable Y in not c is not bound/],
      ['table a(x).\ntable b(x).\nb(X) :- a(X), not b(X).', /recursion through negation/],
      ['channel c(node, x).', /a channel's first column is its location/],
      ['input i(x).\ntable t(x).\ni(X) :- t(X).', /rules cannot derive it/],
      ['table a(x).\na(X) :- a(X)', /ends in the middle/],
      ['table a(x). table a(y).', /declared twice/],
      ['table t(x).\nt(X) :- X == 1.', /at least one positive atom/],
    ];
    for (const [source, expected] of cases) assert.throws(() => parseProgram(source), (error: unknown) => error instanceof ProgramError && expected.test(error.message), source);
  });
});

describe('calm: programs on a cluster', () => {
  // Imported here to keep the pure-language tests above free of the core.
  const run = async (exampleName: string, seed: number): Promise<unknown[]> => {
    const { CalmCore } = await import('../../src-node/protocols/calm/core.ts');
    const { CoreCluster } = await import('../support/core-cluster.ts');
    const { createRandom } = await import('../../src-node/protocols/random/prng.ts');
    const cluster = new CoreCluster(['n1', 'n2', 'n3'], (context) => new CalmCore(context), { example: exampleName, tickMs: 10 }, seed);
    const random = createRandom(seed);
    const script: [string, string, unknown[]][] = exampleName === 'set-union'
      ? [['n1', 'client_add', ['a']], ['n2', 'client_add', ['b']], ['n3', 'client_add', ['c']]]
      : [['n1', 'client_add', ['milk']], ['n2', 'client_remove', ['milk']]];
    for (const [node, input, tuple] of script) {
      cluster.client(node, { f: 'input', key: input, value: tuple });
      cluster.nowMs += 10;
      cluster.fireDueTimers();
    }
    // Messages in a random order with duplicates; time moves so every node steps between deliveries.
    for (let round = 0; round < 200 && cluster.queued > 0; round += 1) {
      cluster.deliverShuffled(() => random.next(), 1, { duplicatePct: 20 });
      cluster.nowMs += 10;
      cluster.fireDueTimers();
    }
    cluster.advance(200);
    return ['n1', 'n2', 'n3'].map((node) => JSON.stringify(cluster.cores.get(node)!.status().data));
  };

  it('set union and the disorderly cart end equal on every node, whatever the schedule', async () => {
    for (const name of ['set-union', 'cart-monotone']) {
      for (let seed = 1; seed <= 30; seed += 1) {
        const states = await run(name, seed);
        assert.equal(new Set(states).size, 1, `${name} seed ${seed}: ${states.join(' | ')}`);
      }
    }
  });

  it('the destructive cart diverges on some schedule, and the search finds one', async () => {
    let divergent: number | null = null;
    for (let seed = 1; seed <= 60 && divergent === null; seed += 1) {
      if (new Set(await run('cart-destructive', seed)).size > 1) divergent = seed;
    }
    assert.ok(divergent !== null, 'no schedule among 60 made the replicas disagree');
  });
});
