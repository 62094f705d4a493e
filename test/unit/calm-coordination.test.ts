// Coordination by sealing in the calm core (src-node/protocols/calm/coordination.ts, seals.ts,
// core.ts) and the `input` workload that feeds it (src-main/workload/calm.ts). One schedule at
// a time, narrated: a seal that overtakes its tuples, duplicates, a restart between them.
// Reference: Alvaro, Conway, Hellerstein, Marczak, "Consistency Analysis in Bloom" (CIDR 2011), §5.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CalmView } from '../../src-node/contract/core.ts';
import { analyze } from '../../src-node/protocols/calm/analysis.ts';
import { planCoordination } from '../../src-node/protocols/calm/coordination.ts';
import { CalmCore, parseCalmParams } from '../../src-node/protocols/calm/core.ts';
import { CALM_EXAMPLES } from '../../src-node/protocols/calm/examples.ts';
import { parseProgram } from '../../src-node/protocols/calm/language.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { CalmInputGenerator, drawInput, parseDescription } from '../../src-main/workload/calm.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const example = (name: string) => CALM_EXAMPLES.find((candidate) => candidate.name === name)!;
const TICK_MS = 10;

function voteCluster(coordinate: boolean): CoreCluster<CalmCore> {
  return new CoreCluster(['n1', 'n2'], (context) => new CalmCore(context), { example: 'vote-count', tickMs: TICK_MS, coordinate });
}

/** One tick of every node (each node's first tick is drawn within one period, so two periods). */
function tick(cluster: CoreCluster<CalmCore>): void {
  cluster.nowMs += 2 * TICK_MS;
  cluster.fireDueTimers();
}

const viewOf = (cluster: CoreCluster<CalmCore>, node: string): CalmView => cluster.cores.get(node)!.status().view as CalmView;
const countRule = (cluster: CoreCluster<CalmCore>, node: string) => viewOf(cluster, node).rules.find((rule) => rule.line === 9)!;
const vote = (voter: string) => ({ entries: [{ channel: 'vote', tuple: ['n2', voter] }] });

describe('calm: the coordination plan', () => {
  it('a point of order waits for the asynchronous sources upstream of what it reads', () => {
    const program = parseProgram(example('vote-count').source);
    const [held] = planCoordination(program, analyze(program)).held;
    assert.deepEqual(held!.sources, { inputs: [], channels: ['vote'] });
    assert.deepEqual(held!.directReads, []);
  });

  it('a deletion that reads a channel directly keeps its tuples while it waits', () => {
    const program = parseProgram(example('cart-destructive').source);
    const plan = planCoordination(program, analyze(program));
    assert.deepEqual(plan.held[0]!.sources, { inputs: [], channels: ['add', 'remove'] });
    assert.deepEqual(plan.held[0]!.directReads, ['remove']);
    assert.deepEqual(plan.channelSources.get('add'), { inputs: ['client_add'], channels: [] });
  });

  it('refuses coordination for a channel that feeds itself (it could never be sealed)', () => {
    const gossip = `table seen(x).
channel rumor(@node, x).
input client_tell(x).
scratch size(n).
seen(X) :- client_tell(X).
seen(X) :- rumor(_, X).
rumor(@N, X) :- seen(X), node(N).
size(count<X>) :- seen(X).
`;
    assert.throws(() => parseCalmParams({ source: gossip, coordinate: true }), /channel rumor feeds itself/);
    assert.doesNotThrow(() => parseCalmParams({ source: gossip }));
    assert.throws(() => parseCalmParams({ example: 'vote-count', coordinate: 'yes' }), /coordinate must be true or false/);
  });
});

describe('calm: a point of order runs only once its inputs are sealed', () => {
  it('a seal that overtakes its tuples waits for them; duplicates do not count; the count runs once, complete', () => {
    const cluster = voteCluster(true);
    assert.deepEqual(cluster.run('n2', { f: 'seal', key: 'client_vote' }), { type: 'ok', value: ['client_vote'] });
    tick(cluster);
    assert.ok(cluster.notes.some((note) => note.node === 'n2' && note.name === 'sealed'), 'n2 seals the vote channel: its inputs are complete');
    // n1's seal says it sent two votes here, and arrives before either of them.
    cluster.send('n1', 'n2', 'seal', { seals: [{ channel: 'vote', count: 2 }] });
    tick(cluster);
    assert.equal(countRule(cluster, 'n2').coordination, 'waiting');
    assert.deepEqual(countRule(cluster, 'n2').waitingFor, ['2 of 2 vote tuple(s) from n1']);
    cluster.send('n1', 'n2', 'tuples', vote('alice'));
    tick(cluster);
    cluster.send('n1', 'n2', 'tuples', vote('alice'));
    tick(cluster);
    assert.deepEqual(countRule(cluster, 'n2').waitingFor, ['1 of 2 vote tuple(s) from n1'], 'a duplicate is the same tuple: still one missing');
    assert.deepEqual(cluster.data('n2', 'reported'), [], 'nothing reported while waiting');
    assert.ok(viewOf(cluster, 'n2').waiting);
    cluster.send('n1', 'n2', 'tuples', vote('bob'));
    tick(cluster);
    assert.equal(countRule(cluster, 'n2').coordination, 'ready');
    assert.deepEqual(cluster.data('n2', 'reported'), [[2]], 'one report, of the complete count');
    assert.deepEqual(countRule(cluster, 'n2').concluded, [[2]]);
    const waited = cluster.notes.find((note) => note.node === 'n2' && note.name === 'waiting');
    assert.ok(waited !== undefined && String(waited.detail?.['rule']).startsWith('tally(count<V>)'), 'a waiting note names the rule');
    assert.ok(cluster.notes.some((note) => note.node === 'n2' && note.name === 'coordinated'));
  });

  it('without coordination the same arrivals report every partial count', () => {
    const cluster = voteCluster(false);
    tick(cluster);
    cluster.send('n1', 'n2', 'tuples', vote('alice'));
    tick(cluster);
    cluster.send('n1', 'n2', 'tuples', vote('bob'));
    tick(cluster);
    assert.deepEqual(cluster.data('n2', 'reported'), [[1], [2]]);
    assert.equal(countRule(cluster, 'n2').coordination, null);
  });

  it('what it heard before a crash counts after the restart (the seals and the received tuples are on disk)', () => {
    const cluster = voteCluster(true);
    cluster.run('n2', { f: 'seal' });
    tick(cluster);
    cluster.send('n1', 'n2', 'seal', { seals: [{ channel: 'vote', count: 2 }] });
    cluster.send('n1', 'n2', 'tuples', vote('alice'));
    tick(cluster);
    cluster.crash('n2');
    cluster.start('n2');
    tick(cluster);
    assert.deepEqual(countRule(cluster, 'n2').waitingFor, ['1 of 2 vote tuple(s) from n1']);
    cluster.send('n1', 'n2', 'tuples', vote('bob'));
    tick(cluster);
    assert.deepEqual(cluster.data('n2', 'reported'), [[2]]);
  });

  it('a deletion waits with the removals it read, and applies them once the cart is complete', () => {
    const cluster = new CoreCluster(['n1', 'n2'], (context) => new CalmCore(context), { example: 'cart-destructive', tickMs: TICK_MS, coordinate: true });
    const deletionRule = (of: CoreCluster<CalmCore>) => viewOf(of, 'n2').rules.find((rule) => rule.line === 10)!.coordination;
    cluster.run('n2', { f: 'seal' });
    tick(cluster);
    // The removal arrives first: without coordination it would delete nothing and the milk would stay.
    cluster.send('n1', 'n2', 'tuples', { entries: [{ channel: 'remove', tuple: ['n2', 'milk'] }] });
    tick(cluster);
    cluster.send('n1', 'n2', 'tuples', { entries: [{ channel: 'add', tuple: ['n2', 'milk'] }] });
    tick(cluster);
    assert.deepEqual(cluster.data('n2', 'cart'), [['milk']], 'the add is monotone: it is applied at once');
    cluster.send('n1', 'n2', 'seal', { seals: [{ channel: 'add', count: 1 }, { channel: 'remove', count: 1 }] });
    tick(cluster);
    assert.equal(deletionRule(cluster), 'ready');
    tick(cluster); // a deletion takes effect at the next step (Dedalus)
    assert.deepEqual(cluster.data('n2', 'cart'), [], 'the removal kept while waiting deletes the milk');
    // A late duplicate of the add is dropped: the sealed collection already holds it.
    cluster.send('n1', 'n2', 'tuples', { entries: [{ channel: 'add', tuple: ['n2', 'milk'] }] });
    tick(cluster);
    assert.deepEqual(cluster.data('n2', 'cart'), []);
  });
});

describe('calm: deletion', () => {
  it('a deletion shows in the node\'s state at the next step, even when nothing more arrives', () => {
    // The step after a deletion is not quiet: its fixpoint differs (it used to be skipped, and the cart kept showing the milk).
    const cluster = new CoreCluster(['n1', 'n2'], (context) => new CalmCore(context), { example: 'cart-destructive', tickMs: TICK_MS });
    tick(cluster);
    cluster.send('n1', 'n2', 'tuples', { entries: [{ channel: 'add', tuple: ['n2', 'milk'] }] });
    tick(cluster);
    cluster.send('n1', 'n2', 'tuples', { entries: [{ channel: 'remove', tuple: ['n2', 'milk'] }] });
    tick(cluster);
    tick(cluster);
    tick(cluster);
    assert.deepEqual(cluster.data('n2', 'cart'), []);
  });
});

describe('calm: client operations for coordination', () => {
  it('seal closes an input; a later input is refused; an unknown input cannot be sealed', () => {
    const cluster = voteCluster(false);
    assert.equal(cluster.run('n1', { f: 'input', key: 'client_vote', value: ['alice'] }).type, 'ok');
    assert.equal(cluster.run('n1', { f: 'seal', key: 'client_vote' }).type, 'ok');
    assert.equal(cluster.run('n1', { f: 'seal', key: 'client_vote' }).type, 'ok', 'sealing is idempotent');
    assert.match(cluster.run('n1', { f: 'input', key: 'client_vote', value: ['bob'] }).error ?? '', /client_vote is sealed at n1/);
    assert.match(cluster.run('n1', { f: 'seal', key: 'votes' }).error ?? '', /'votes' is not an input/);
  });

  it('a malformed seal message is noted and changes nothing', () => {
    const cluster = voteCluster(true);
    cluster.send('n1', 'n2', 'seal', { seals: [{ channel: 'votes', count: 1 }] });
    cluster.send('n1', 'n2', 'seal', { seals: [{ channel: 'vote', count: -1 }] });
    assert.equal(cluster.notes.filter((note) => note.name === 'malformed-message').length, 2);
    tick(cluster);
    assert.deepEqual(countRule(cluster, 'n2').waitingFor, ['seal of vote from n1', 'seal of vote from n2']);
  });

  it('describe answers what the example declares it takes', () => {
    const cluster = voteCluster(false);
    const description = parseDescription(cluster.run('n1', { f: 'describe' }).value);
    assert.deepEqual(description?.inputs, example('vote-count').inputs);
    assert.equal(description?.inputsPerClient, example('vote-count').inputsPerClient);
    assert.deepEqual(description?.readable, ['votes', 'tally', 'reported']);
  });
});

describe('calm: the input workload', () => {
  const description = { example: 'cart-destructive', coordinate: false, inputs: example('cart-destructive').inputs, inputsPerClient: 3, readable: ['cart'] };

  it('describes, gives its inputs from the declared shapes, seals each input collection, then reads', () => {
    const generator = new CalmInputGenerator(createRandom(5));
    const ops = [];
    for (let index = 0; index < 8; index += 1) {
      const op = generator.next();
      ops.push(op);
      generator.completed({ op, result: op.f === 'describe' ? { type: 'ok', value: description } : { type: 'ok' } });
    }
    assert.deepEqual(ops.map((op) => op.f), ['describe', 'input', 'input', 'input', 'seal', 'seal', 'read', 'read']);
    for (const op of ops.filter((candidate) => candidate.f === 'input')) {
      assert.ok(['client_add', 'client_remove'].includes(op.key!));
      assert.ok(['milk', 'eggs', 'bread'].includes((op.value as string[])[0]!));
    }
    assert.deepEqual(ops.filter((op) => op.f === 'seal').map((op) => op.key), ['client_add', 'client_remove']);
  });

  it('asks again when a describe or a seal did not certainly happen', () => {
    const generator = new CalmInputGenerator(createRandom(5));
    let op = generator.next();
    generator.completed({ op, result: { type: 'info', error: 'timeout' } });
    assert.equal(generator.next().f, 'describe');
    generator.completed({ op: { f: 'describe' }, result: { type: 'ok', value: { ...description, inputsPerClient: 0 } } });
    op = generator.next();
    assert.deepEqual(op, { f: 'seal', key: 'client_add' });
    generator.completed({ op, result: { type: 'info', error: 'timeout' } });
    assert.deepEqual(generator.next(), { f: 'seal', key: 'client_add' });
  });

  it('draws collections by weight and rejects a description that is not one', () => {
    const random = createRandom(9);
    const drawn = Array.from({ length: 3000 }, () => drawInput(description.inputs, random).collection);
    const adds = drawn.filter((name) => name === 'client_add').length / drawn.length;
    assert.ok(adds > 0.6 && adds < 0.73, `weight 2 of 3: ${adds}`);
    assert.equal(parseDescription({ inputs: [{ collection: 'x', values: [[]], weight: 1 }], inputsPerClient: 1, readable: [] }), null);
    assert.equal(parseDescription({ inputs: [], inputsPerClient: -1, readable: [] }), null);
    assert.equal(parseDescription('nonsense'), null);
  });
});
