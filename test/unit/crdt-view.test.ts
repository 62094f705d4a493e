// The CRDT view's logic: a merge explained part by part (src-node/protocols/crdt/explain.ts),
// whose result is always the type's own merge, and the lattices the panel draws
// (src-renderer/crdt/crdt-board.ts). Reference: the book, §5, the two drawn lattices — the
// subsets of {a, b, c} under union and the integers under max.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CRDT_TYPES, NAIVE_TYPES, stateKey, type AnyCrdt } from '../../src-node/protocols/crdt/index.ts';
import { explainMerge } from '../../src-node/protocols/crdt/explain.ts';
import { bottomOf, hasseOf, type ReplicaState } from '../../src-renderer/crdt/crdt-board.ts';

/** A few states of `crdt` reached by updates at three replicas (clocks 1, 2, 3 …). */
function statesOf(crdt: AnyCrdt, updates: unknown[]): unknown[] {
  const replicas = ['n1', 'n2', 'n3'];
  const states = replicas.map(() => crdt.initial());
  updates.forEach((update, index) => {
    const at = index % 3;
    const next = crdt.update(states[at], update, { replica: replicas[at]!, timestampMs: index + 1 });
    if (next.ok) states[at] = next.value;
  });
  return states;
}

const UPDATES: Record<string, unknown[]> = {
  'g-counter': [{ op: 'increment' }, { op: 'increment', amount: 2 }, { op: 'increment' }, { op: 'increment' }],
  'pn-counter': [{ op: 'increment' }, { op: 'decrement', amount: 2 }, { op: 'increment' }],
  'max-register': [{ op: 'max', value: 3 }, { op: 'max', value: 7 }, { op: 'max', value: 5 }],
  'lww-register': [{ op: 'assign', value: 'a' }, { op: 'assign', value: 'b' }, { op: 'assign', value: 'c' }],
  'mv-register': [{ op: 'assign', value: 'a' }, { op: 'assign', value: 'b' }],
  'g-set': [{ op: 'add', element: 'a' }, { op: 'add', element: 'b' }, { op: 'add', element: 'a' }],
  '2p-set': [{ op: 'add', element: 'a' }, { op: 'add', element: 'b' }, { op: 'add', element: 'c' }, { op: 'remove', element: 'a' }],
  'lww-element-set': [{ op: 'add', element: 'a' }, { op: 'add', element: 'a' }, { op: 'add', element: 'b' }, { op: 'remove', element: 'a' }],
  'pn-set': [{ op: 'add', element: 'a' }, { op: 'remove', element: 'a' }, { op: 'add', element: 'b' }],
  'or-set': [{ op: 'add', element: 'a' }, { op: 'add', element: 'a' }, { op: 'add', element: 'b' }, { op: 'remove', element: 'a' }],
  'naive-concat': [{ op: 'append', text: 'Hello ' }, { op: 'append', text: 'World' }, { op: 'append', text: '!' }],
};

describe('a merge explained step by step', () => {
  for (const crdt of [...CRDT_TYPES.values(), ...NAIVE_TYPES.values()]) {
    it(`${crdt.name}: the result is the type's merge, and every part of both sides is accounted for`, () => {
      const states = statesOf(crdt, UPDATES[crdt.name] ?? []);
      for (const a of [...states, crdt.initial()]) {
        for (const b of states) {
          const explained = explainMerge(crdt.name, a, b);
          assert.equal(stateKey(explained.merged), stateKey(crdt.merge(a, b)));
          for (const step of explained.steps) {
            if (step.winner === 'left') assert.equal(step.merged, step.left);
            if (step.winner === 'right') assert.equal(step.merged, step.right);
            assert.ok(step.why.length > 0);
          }
        }
      }
    });
  }

  it('a G-Counter: each slot takes the larger count, and says which side had it', () => {
    const explained = explainMerge('g-counter', { n1: 3, n2: 1 }, { n2: 4, n3: 1 });
    assert.deepEqual(explained.steps.map(({ component, left, right, merged, winner }) => [component, left, right, merged, winner]), [
      ['n1', '3', '—', '3', 'left'], ['n2', '1', '4', '4', 'right'], ['n3', '—', '1', '1', 'right'],
    ]);
    assert.match(explained.steps[1]!.why, /max\(1, 4\)/);
  });

  it('naive concatenation: merging the same two states either way round gives two different strings', () => {
    const a = { pieces: [{ id: 'n1:1', text: 'Hello ' }] };
    const b = { pieces: [{ id: 'n2:1', text: 'World' }] };
    const [ab, ba] = [explainMerge('naive-concat', a, b), explainMerge('naive-concat', b, a)];
    assert.notEqual(stateKey(ab.merged), stateKey(ba.merged));
    assert.match(ab.steps[1]!.why, /NOT A CRDT/);
  });

  it('an unknown type is a caller bug', () => {
    assert.throws(() => explainMerge('x-set', [], []), /no merge explanation/);
  });
});

const replica = (name: string, state: unknown, value: unknown): ReplicaState => ({ replica: name, entry: { key: 'k', state, stateChars: 1, value } });

describe('the lattice the panel draws', () => {
  it('a G-Set of {a, b, c}: the book\'s cube — 8 subsets, 12 covering edges, each replica on its subset', () => {
    const diagram = hasseOf('g-set', [replica('n1', ['a', 'b'], ['a', 'b']), replica('n2', ['c'], ['c']), { replica: 'n3', entry: undefined }]);
    assert.equal(diagram.kind, 'diagram');
    if (diagram.kind !== 'diagram') return;
    assert.equal(diagram.nodes.length, 8);
    assert.equal(diagram.edges.length, 12);
    const held = Object.fromEntries(diagram.nodes.filter((node) => node.replicas.length > 0).map((node) => [node.label, node.replicas]));
    assert.deepEqual(held, { '{a, b}': ['n1'], '{c}': ['n2'], '∅': ['n3'] });
    const bottom = diagram.nodes.find((node) => node.label === '∅')!;
    const top = diagram.nodes.find((node) => node.label === '{a, b, c}')!;
    assert.ok(bottom.y > top.y, 'the bottom is drawn below the top');
  });

  it('more than four elements is refused with the reason', () => {
    const diagram = hasseOf('or-set', [replica('n1', null, ['a', 'b', 'c', 'd', 'e'])]);
    assert.equal(diagram.kind, 'none');
    assert.match(diagram.kind === 'none' ? diagram.reason : '', /5 elements/);
  });

  it('a G-Counter: every vector below the join of the replicas, ordered slot by slot', () => {
    const diagram = hasseOf('g-counter', [replica('n1', { n1: 2 }, 2), replica('n2', { n1: 1, n2: 1 }, 2)]);
    assert.equal(diagram.kind, 'diagram');
    if (diagram.kind !== 'diagram') return;
    assert.equal(diagram.nodes.length, 3 * 2, 'n1 ∈ 0..2 × n2 ∈ 0..1');
    assert.equal(diagram.edges.length, 2 * 2 + 3 * 1);
    assert.deepEqual(diagram.nodes.find((node) => node.replicas.includes('n2'))?.label, 'n1:1 n2:1');
  });

  it('max(): the chain of values proposed, above ⊥ (the book\'s "7 / 5 / 3")', () => {
    const diagram = hasseOf('max-register', [replica('n1', 3, 3), replica('n2', 7, 7), replica('n3', 7, 7), { replica: 'n4', entry: undefined }]);
    assert.equal(diagram.kind, 'diagram');
    if (diagram.kind !== 'diagram') return;
    assert.deepEqual(diagram.nodes.map((node) => [node.label, node.replicas]), [['⊥', ['n4']], ['3', ['n1']], ['7', ['n2', 'n3']]]);
    assert.deepEqual(diagram.edges, [['⊥', '3'], ['3', '7']]);
  });

  it('the naive type has no lattice, and says why', () => {
    const diagram = hasseOf('naive-concat', []);
    assert.match(diagram.kind === 'none' ? diagram.reason : '', /not a CRDT/);
  });

  it('the bottom the panel assumes for a replica that never heard of a key is the type\'s initial state', () => {
    for (const crdt of [...CRDT_TYPES.values(), ...NAIVE_TYPES.values()]) assert.equal(stateKey(bottomOf(crdt.name)), stateKey(crdt.initial()), crdt.name);
  });
});
