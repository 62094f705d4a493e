// Single-decree Paxos (src-node/protocols/paxos/single-decree.ts): one proposer, the P2c rule
// (a later proposer adopts a value a minority accepted), dueling proposers, recovery, and a
// property test over random interleavings, drops, duplicates and crashes: no two nodes ever
// learn different values (agreement), only proposed values are learned (validity), and a
// node learns at most once (integrity). Reference: Lamport, "Paxos Made Simple".

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PaxosCore, parsePaxosParams } from '../../src-node/protocols/paxos/single-decree.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';
import { CoreCluster } from '../support/core-cluster.ts';
import { ProposeGenerator } from '../../src-main/workload/propose.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

class Cluster extends CoreCluster<PaxosCore> {
  constructor(params: Record<string, unknown> = {}, seed = 1) {
    super(NODES, (context) => new PaxosCore(context), params, seed);
  }

  learned(): Map<string, unknown[]> {
    const learned = new Map<string, unknown[]>();
    for (const note of this.notes) if (note.name === 'learned') learned.set(note.node, [...(learned.get(note.node) ?? []), note.detail?.['value']]);
    return learned;
  }
}

describe('paxos: single decree', () => {
  it('one proposer: its value is chosen and every node learns it', () => {
    const cluster = new Cluster();
    assert.deepEqual(cluster.run('n1', { f: 'propose', value: 'x' }), { type: 'ok', value: 'x' });
    cluster.deliverAll();
    for (const node of NODES) assert.equal(cluster.data(node, 'chosen'), 'x');
  });

  it('P2c: a value accepted by a minority is adopted by the next proposer whose majority includes one of them', () => {
    const cluster = new Cluster();
    cluster.client('n1', { f: 'propose', value: 'a' });
    cluster.deliverAll(4);          // the four prepares
    cluster.deliverAll(2);          // two promises: with its own, n1 has a majority and sends accepts
    cluster.cut.add('n3'); cluster.cut.add('n4'); cluster.cut.add('n5');
    cluster.deliverAll();           // only n2 accepts 'a' (with n1: 2 of 5, not chosen)
    assert.equal(cluster.data('n2', 'chosen'), undefined);
    cluster.crash('n1');
    cluster.cut.clear();
    const result = cluster.run('n5', { f: 'propose', value: 'b' });
    assert.equal(result.value, 'a', 'n5 learned of a from n2 in its promises and proposed it');
    assert.ok(cluster.notes.some((note) => note.node === 'n5' && note.name === 'accept-request' && note.detail?.['adopted'] === true));
  });

  it('a node that crashes and restarts keeps its promise and acceptance (they were on disk before it replied)', () => {
    const cluster = new Cluster();
    cluster.run('n1', { f: 'propose', value: 'x' });
    cluster.deliverAll();
    cluster.crash('n3');
    cluster.start('n3');
    assert.equal(cluster.cores.get('n3')!.status().facts['acceptedValue'], '"x"');
    assert.equal(cluster.data('n3', 'chosen'), 'x');
  });

  it('two dueling proposers with random back-off: exactly one value is chosen, everywhere', () => {
    const cluster = new Cluster({ backoff: 'random', backoffMaxMs: 100, phaseTimeoutMs: 300 });
    cluster.client('n1', { f: 'propose', value: 'left' });
    cluster.client('n5', { f: 'propose', value: 'right' });
    cluster.advance(10_000);
    const chosen = new Set(NODES.map((node) => cluster.data(node, 'chosen')));
    assert.equal(chosen.size, 1);
    assert.ok(['left', 'right'].includes([...chosen][0] as string));
  });

  it('agreement, validity and integrity under random interleavings, drops, duplicates and crashes', () => {
    let runsThatLearned = 0;
    let runsWithRivals = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
      const random = createRandom(seed);
      const cluster = new Cluster({ backoff: random.chance(50) ? 'none' : 'random', backoffMaxMs: 50, phaseTimeoutMs: 100 }, seed);
      const proposed = new Set<string>();
      for (let round = 0; round < 40; round += 1) {
        const node = NODES[random.int(0, NODES.length - 1)]!;
        if (random.chance(15) && cluster.cores.has(node)) {
          const value = `v${round}`;
          proposed.add(value);
          cluster.client(node, { f: 'propose', value });
        }
        if (random.chance(5) && cluster.cores.has(node)) cluster.crash(node);
        else if (random.chance(20) && !cluster.cores.has(node)) cluster.start(node);
        cluster.deliverShuffled(() => random.next(), random.int(0, 20), { dropPct: 20, duplicatePct: 10 });
        cluster.nowMs += random.int(0, 60);
        cluster.fireDueTimers();
      }
      const learned = cluster.learned();
      const values = new Set([...learned.values()].flat());
      if (values.size > 0) runsThatLearned += 1;
      if (proposed.size > 1 && values.size > 0) runsWithRivals += 1;
      assert.ok(values.size <= 1, `agreement: learned ${[...values].join(', ')}`);
      for (const value of values) assert.ok(proposed.has(value as string), `validity: ${String(value)} was never proposed`);
      for (const [node, list] of learned) {
        // Integrity: a node learns once per life; a restarted node may note it again, but the same value.
        assert.equal(new Set(list).size, 1, `${node} learned ${list.join(', ')}`);
      }
    }), { numRuns: 300 });
    // The property must not hold vacuously: most runs choose a value, many among rival proposals.
    assert.ok(runsThatLearned > 150, `only ${runsThatLearned} of 300 runs chose a value`);
    assert.ok(runsWithRivals > 100, `only ${runsWithRivals} runs chose among several proposals`);
  });

  it('a node that missed the decision asks its peers (learn) and learns; a node that learned answers a prepare with the value', () => {
    // Reference: Paxos Made Simple §2.3 — a learner may have to find out what was chosen.
    const cluster = new Cluster({ learnIntervalMs: 300 });
    cluster.cut.add('n5');
    assert.equal(cluster.run('n1', { f: 'propose', value: 'x' }).value, 'x');
    cluster.deliverAll();
    assert.equal(cluster.data('n5', 'chosen'), undefined, 'n5 was cut off');
    cluster.cut.clear();
    cluster.advance(400);
    assert.equal(cluster.data('n5', 'chosen'), 'x', 'n5 asked and was told');
    assert.equal(cluster.learned().get('n5')?.length, 1);
    // A decided node takes part in no new ballot: it answers the prepare with the chosen value.
    cluster.crash('n4');
    cluster.disks.set('n4', new Map());
    cluster.start('n4');
    assert.equal(cluster.run('n4', { f: 'propose', value: 'y' }).value, 'x', 'the wiped n4 proposes y and is told x');
    assert.ok(cluster.notes.every((note) => note.name !== 'accept-request' || note.node !== 'n4'), 'n4 never reached phase 2');
  });

  it('the status carries the Paxos view: promise, acceptance, learned value, proposer phase and counts', () => {
    const cluster = new Cluster();
    cluster.client('n1', { f: 'propose', value: { v: 1 } });
    let view = cluster.cores.get('n1')!.status().view;
    assert.equal(view?.protocol, 'paxos');
    if (view?.protocol !== 'paxos') return;
    assert.deepEqual(view.proposer, { phase: 'phase-1', ballot: { round: 1, node: 'n1' }, own: '{"v":1}', value: null, adopted: false, promises: 1, accepts: 0, majority: 3 });
    assert.deepEqual(view.promised, { round: 1, node: 'n1' });
    assert.equal(view.waiting, 1);
    cluster.deliverAll();
    view = cluster.cores.get('n3')!.status().view;
    if (view?.protocol !== 'paxos') return assert.fail('no view');
    assert.deepEqual(view.accepted, { ballot: { round: 1, node: 'n1' }, value: '{"v":1}' });
    assert.equal(view.learned, '{"v":1}');
    assert.equal(view.proposer.phase, 'idle');
  });

  it('the propose workload: a first proposal always, unique values, then proposals or reads by writeShare', () => {
    const generator = new ProposeGenerator({ writeShare: 0.5 }, 'c2', createRandom(3));
    const ops = Array.from({ length: 40 }, () => generator.next());
    assert.deepEqual(ops[0], { f: 'propose', value: 'c2-1' });
    const proposals = ops.filter((op) => op.f === 'propose').map((op) => op.value);
    assert.equal(new Set(proposals).size, proposals.length);
    assert.ok(proposals.length > 10 && proposals.length < 35, `${proposals.length} proposals of 40`);
    assert.ok(ops.every((op) => op.f === 'propose' || op.f === 'read'));
  });

  it('rejects bad requests, params and messages', () => {
    const cluster = new Cluster();
    assert.equal(cluster.run('n1', { f: 'put', key: 'k', value: 1 }).type, 'fail');
    cluster.send('n2', 'n1', 'prepare', { ballot: { round: 0, node: 'n2' } });
    cluster.send('n2', 'n1', 'accept', { ballot: { round: 1, node: 'n2' } });
    assert.equal(cluster.notes.filter((note) => note.name === 'malformed-message').length, 2);
    assert.throws(() => parsePaxosParams({ backoff: 'sometimes' }), /backoff must be none or random/);
  });
});
