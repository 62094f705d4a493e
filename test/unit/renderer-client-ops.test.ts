// The client panel's operations (src-renderer/client/client-ops.ts), proved against the real
// cores: for every protocol, each operation the panel offers is built from its fields (the
// defaults a person sees, then other values) and stepped through the protocol's own core in a
// small in-process cluster; the reply must be the protocol's answer, never a "bad request" or
// "unknown op" refusal. Bad input gets a sentence before anything is sent, and each reply reads
// as one line that says what it means (siblings and context, the chosen value, the
// transaction and its participants, a CRDT's new value, a CALM collection's tuples).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { CoreStatus, ProtocolCore } from '../../src-node/contract/core.ts';
import type { ClientOpOutcome, LabSnapshot, NodeView } from '../../src-node/contract/lab-api.ts';
import { TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import { REPLICATED_TYPES } from '../../src-node/protocols/crdt/index.ts';
import { CALM_EXAMPLES } from '../../src-node/protocols/calm/examples.ts';
import { ownerOfAccount } from '../../src-node/protocols/two-phase-commit/core.ts';
import { createRing, preferenceList } from '../../src-node/protocols/dynamo/ring.ts';
import { protocolByName } from '../../src-node/protocols/registry.ts';
import {
  EMPTY_MEMORY, autoTargetLabel, clientOperations, needsDescription, remember, settingOf, withDefaults,
  type ClientMemory, type ClientOperation, type ClientSetting, type FieldValues,
} from '../../src-renderer/client/client-ops.ts';
import { describeOutcome, outcomeLine } from '../../src-renderer/client/client-replies.ts';
import { CoreCluster } from '../support/core-cluster.ts';

const PERSON = 'c99';
const NODES = ['n1', 'n2', 'n3'];

/** A cluster of `protocol`'s real cores, with the parameters completed as a live run records them. */
function clusterOf(protocol: string, raw: Record<string, unknown> = {}, ids = NODES): { cluster: CoreCluster<ProtocolCore>; params: Record<string, unknown> } {
  const definition = protocolByName(protocol);
  const params = definition.parseParams(raw);
  return { cluster: new CoreCluster(ids, (context) => definition.create(context), params), params };
}

function settingFor(protocol: string, params: Record<string, unknown>, memory: ClientMemory = EMPTY_MEMORY, statuses: CoreStatus[] = []): ClientSetting {
  return { protocol, params, facts: statuses.map((status) => status.facts), calmListing: null, calm: memory.calm };
}

function operation(operations: readonly ClientOperation[], id: string): ClientOperation {
  const found = operations.find((candidate) => candidate.id === id);
  assert.ok(found, `the panel offers '${id}' (it offers ${operations.map((candidate) => candidate.id).join(', ')})`);
  return found;
}

/** The op an operation builds from its defaults overlaid with `typed`; fails the test on a refusal. */
function built(operations: readonly ClientOperation[], id: string, typed: FieldValues = {}, memory: ClientMemory = EMPTY_MEMORY): ClientOp {
  const result = operation(operations, id).build({ ...withDefaults(operations, {}), ...typed }, memory);
  assert.ok(result.ok, `'${id}' builds: ${result.ok ? '' : result.error}`);
  return result.op;
}

/** Why an operation refuses what was typed. */
function refusal(operations: readonly ClientOperation[], id: string, typed: FieldValues, memory: ClientMemory = EMPTY_MEMORY): string {
  const result = operation(operations, id).build({ ...withDefaults(operations, {}), ...typed }, memory);
  assert.ok(!result.ok, `'${id}' refuses ${JSON.stringify(typed)}`);
  return result.error;
}

/** A refusal of the request itself, as opposed to the protocol's own answer (a cas mismatch, a vote no…). */
const REQUEST_REFUSED = /serves|not '|takes input|bad[- ]request|unknown-op|unknown op|must be|is a string|needs|not an input|a transfer is|an update|no collection/i;

function assertServed(result: ClientResult, what: string): void {
  assert.ok(!(result.type === 'fail' && REQUEST_REFUSED.test(result.error ?? '')), `${what}: the core refused the request itself: ${result.error}`);
}

/** Runs op at node, asserts the core served it, and returns the outcome as the panel's list sees it. */
function ask(cluster: CoreCluster<ProtocolCore>, node: string, op: ClientOp): ClientOpOutcome {
  const result = cluster.run(node, op);
  assertServed(result, JSON.stringify(op));
  return { client: PERSON, node, op, result, latencyMs: 1 };
}

function leaderOf(cluster: CoreCluster<ProtocolCore>, role: string): string {
  for (let waited = 0; waited < 10_000; waited += 250) {
    const leader = [...cluster.cores].find(([, core]) => core.status().role === role)?.[0];
    if (leader !== undefined) return leader;
    cluster.advance(250);
  }
  assert.fail(`no ${role} within 10 s`);
}

describe('client ops: key-value protocols keep put, get and cas', () => {
  for (const protocol of ['raft', 'multi-paxos']) {
    it(`${protocol}: put, get and cas build the ops of today's panel, and the leader serves each`, () => {
      const { cluster, params } = clusterOf(protocol);
      const operations = clientOperations(settingFor(protocol, params));
      assert.deepEqual(operations.map((candidate) => candidate.id), ['put', 'get', 'cas']);
      assert.deepEqual(built(operations, 'put', { value: 'v1' }), { f: 'put', key: 'x', value: 'v1' });
      assert.deepEqual(built(operations, 'cas', { from: 'v1', value: 'v2' }), { f: 'cas', key: 'x', value: { from: 'v1', to: 'v2' } });
      assert.deepEqual(built(operations, 'get', { key: '  x ' }), { f: 'get', key: 'x' });
      const leader = leaderOf(cluster, 'leader');
      assert.equal(ask(cluster, leader, built(operations, 'put', { value: 'v1' })).result.type, 'ok');
      const swapped = ask(cluster, leader, built(operations, 'cas', { from: 'v1', value: 'v2' }));
      assert.equal(swapped.result.type, 'ok', JSON.stringify(swapped.result));
      assert.equal(describeOutcome(swapped).op, 'cas x v1 → v2');
      const mismatch = ask(cluster, leader, built(operations, 'cas', { from: 'v1', value: 'v3' }));
      assert.equal(mismatch.result.type, 'fail');
      assert.match(describeOutcome(mismatch).result, /cas-mismatch.*\(holds v2\)/);
      const read = ask(cluster, leader, built(operations, 'get'));
      assert.equal(outcomeLine(read), 'get x → v2');
    });
  }

  it('primary-backup: put and get, and no cas (its core knows no cas)', () => {
    const { cluster, params } = clusterOf('primary-backup');
    const operations = clientOperations(settingFor('primary-backup', params));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['put', 'get']);
    const primary = leaderOf(cluster, 'primary');
    let written = ask(cluster, primary, built(operations, 'put', { key: 'workshop', value: 'hello' }));
    // A fresh primary answers not-ready until it has its backups' state.
    for (let attempt = 0; written.result.type !== 'ok' && attempt < 20; attempt += 1) {
      cluster.advance(250);
      written = ask(cluster, primary, built(operations, 'put', { key: 'workshop', value: 'hello' }));
    }
    assert.equal(written.result.type, 'ok', JSON.stringify(written.result));
    assert.equal(describeOutcome(written).op, 'put workshop = hello');
    assert.equal(outcomeLine(ask(cluster, primary, built(operations, 'get', { key: 'workshop' }))), 'get workshop → hello');
    assert.equal(cluster.run(primary, { f: 'cas', key: 'x', value: { from: '1', to: '2' } }).type, 'fail', 'the core refuses cas: the panel must not offer it');
  });

  it('an empty key is refused with a sentence before anything is sent', () => {
    const operations = clientOperations(settingFor('raft', {}));
    assert.equal(refusal(operations, 'put', { key: '   ' }), 'Type a key: it is empty.');
    assert.match(refusal(operations, 'get', { key: 'k'.repeat(257) }), /at most 256 characters/);
  });
});

describe('client ops: dynamo', () => {
  const params = { n: 3, r: 2, w: 2, antiEntropyIntervalMs: 0 };
  const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];

  function replicaOf(key: string, tokensPerNode: number): string {
    return preferenceList(createRing(nodes, tokensPerNode), key, 3)[0]!;
  }

  it('read, see the siblings, write back with the read\'s context: the siblings collapse (read-modify-write)', () => {
    const { cluster, params: parsed } = clusterOf('dynamo', params, nodes);
    const operations = clientOperations(settingFor('dynamo', parsed));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['get', 'put']);
    const coordinator = replicaOf('cart', parsed['tokensPerNode'] as number);
    // Two writes without a context: neither saw the other, so they are siblings.
    for (const value of ['milk', 'eggs']) {
      const op = built(operations, 'put', { key: 'cart', value });
      assert.deepEqual(op, { f: 'put', key: 'cart', value }, 'no context unless asked, no quorum when it is the run\'s own');
      assert.equal(ask(cluster, coordinator, op).result.type, 'ok');
    }
    let memory = EMPTY_MEMORY;
    const read = ask(cluster, coordinator, built(operations, 'get', { key: 'cart' }));
    assert.deepEqual([...(read.result.siblings ?? [])].sort(), ['eggs', 'milk']);
    memory = remember(memory, read, PERSON);
    assert.match(outcomeLine(read), /^get cart → 2 siblings: (milk \| eggs|eggs \| milk) \(latest \w+\) · context \{n\d:2\}$/);
    const note = operation(operations, 'put').fields.find((field) => field.name === 'withContext')!.note!;
    assert.match(note({ key: 'cart' }, memory) ?? '', new RegExp(`your read at ${coordinator} saw 2 siblings`));
    assert.equal(note({ key: 'other' }, memory), 'no read of other yet: read it first');

    const writeBack = built(operations, 'put', { key: 'cart', value: 'eggs+milk', withContext: true }, memory);
    assert.deepEqual(writeBack.context, read.result.context, 'the context of that very read');
    const written = ask(cluster, coordinator, writeBack);
    assert.equal(written.result.type, 'ok', JSON.stringify(written.result));
    assert.match(describeOutcome(written).op, /^put cart = eggs\+milk · with context \{n\d:2\}$/);
    const after = ask(cluster, coordinator, built(operations, 'get', { key: 'cart' }));
    assert.deepEqual(after.result.siblings, ['eggs+milk'], 'the write superseded both siblings');
    assert.match(outcomeLine(after), /^get cart → eggs\+milk · context \{n\d:3\}$/);
  });

  it('R and W per request: sent when they differ from the run\'s, checked against N', () => {
    const { cluster, params: parsed } = clusterOf('dynamo', params, nodes);
    const operations = clientOperations(settingFor('dynamo', parsed));
    const fields = Object.fromEntries(operations.flatMap((candidate) => candidate.fields).map((field) => [field.name, field.default]));
    assert.deepEqual([fields['r'], fields['w']], ['2', '2'], 'the fields start at the run\'s R and W');
    const one = built(operations, 'get', { key: 'k', r: '1' });
    assert.deepEqual(one, { f: 'get', key: 'k', quorum: { r: 1 } });
    const coordinator = replicaOf('k', parsed['tokensPerNode'] as number);
    const all = built(operations, 'put', { key: 'k', value: 'v', w: '3' });
    assert.deepEqual(all.quorum, { w: 3 });
    assert.equal(ask(cluster, coordinator, all).result.type, 'ok');
    assert.equal(outcomeLine(ask(cluster, coordinator, one)), 'get k · R=1 → v · context {' + `${coordinator}:1}`);
    assert.equal(refusal(operations, 'get', { r: '4' }), 'R must be a whole number from 1 to 3, not "4".');
    assert.equal(refusal(operations, 'put', { w: 'two' }), 'W must be a whole number from 1 to 3, not "two".');
  });

  it('a write back with a context needs a read of that key first', () => {
    const operations = clientOperations(settingFor('dynamo', protocolByName('dynamo').parseParams(params)));
    assert.match(refusal(operations, 'put', { key: 'cart', withContext: true }), /^Read cart first/);
  });

  it('only the person\'s own reads are remembered, and only those with a context', () => {
    const outcome = (client: string, result: ClientResult): ClientOpOutcome => ({ client, node: 'n1', op: { f: 'get', key: 'k' }, result, latencyMs: 1 });
    const context = { vector: { n1: 1 }, dots: [], touchedMs: {} };
    assert.equal(remember(EMPTY_MEMORY, outcome('c1', { type: 'ok', value: 'v', siblings: ['v'], context }), PERSON), EMPTY_MEMORY);
    assert.equal(remember(EMPTY_MEMORY, outcome(PERSON, { type: 'ok', value: 'v' }), PERSON), EMPTY_MEMORY);
    assert.equal(remember(EMPTY_MEMORY, outcome(PERSON, { type: 'fail', error: 'timeout' }), PERSON), EMPTY_MEMORY);
    assert.deepEqual(remember(EMPTY_MEMORY, outcome(PERSON, { type: 'ok', value: 'v', siblings: ['v'], context }), PERSON).reads.get('k')?.context, context);
  });
});

describe('client ops: single-decree paxos', () => {
  it('propose shows the value chosen and whether it was yours; read shows what the node learned', () => {
    const { cluster, params } = clusterOf('paxos', {}, ['n1', 'n2', 'n3', 'n4', 'n5']);
    const operations = clientOperations(settingFor('paxos', params));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['propose', 'read']);
    assert.equal(outcomeLine(ask(cluster, 'n3', built(operations, 'read'))), 'read → nothing yet (null)');
    const mine = ask(cluster, 'n1', built(operations, 'propose', { value: 'apple' }));
    assert.deepEqual(mine.op, { f: 'propose', value: 'apple' });
    assert.equal(outcomeLine(mine), 'propose = apple → chosen apple (this proposal won)');
    const late = ask(cluster, 'n2', built(operations, 'propose', { value: 'pear' }));
    assert.equal(outcomeLine(late), 'propose = pear → chosen apple — not pear (another proposal won)');
    assert.equal(outcomeLine(ask(cluster, 'n1', built(operations, 'read'))), 'read → apple');
    assert.equal(refusal(operations, 'propose', { value: ' ' }), 'Type a value to propose: it is empty.');
  });
});

describe('client ops: 2pc', () => {
  it('bank: a transfer names its transaction and participants; a balance is read where the account lives', () => {
    const { cluster, params } = clusterOf('2pc', { accounts: 4 }, ['n1', 'n2', 'n3', 'n4']);
    const operations = clientOperations(settingFor('2pc', params));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['transfer', 'balance']);
    const from = operation(operations, 'transfer').fields.find((field) => field.name === 'from')!;
    assert.deepEqual(from.options?.map((option) => option.value), ['a1', 'a2', 'a3', 'a4'], 'the run\'s accounts to choose from');
    const op = built(operations, 'transfer', { amount: '30' });
    assert.deepEqual(op, { f: 'transfer', value: { from: 'a1', to: 'a2', amount: 30 } });
    const committed = ask(cluster, 'n1', op);
    assert.equal(committed.result.type, 'ok', JSON.stringify(committed.result));
    const participants = [...new Set([ownerOfAccount('a1', ['n2', 'n3', 'n4']), ownerOfAccount('a2', ['n2', 'n3', 'n4'])])];
    assert.equal(outcomeLine(committed), `transfer 30 a1 → a2 → committed t1 on ${participants.join(', ')}`);
    const balance = ask(cluster, ownerOfAccount('a2', ['n2', 'n3', 'n4']), built(operations, 'balance', { account: 'a2' }));
    assert.equal(outcomeLine(balance), 'balance a2 → 130');
    // More than a1 holds: the participant votes no and the reply says why, with the participants.
    const aborted = ask(cluster, 'n1', built(operations, 'transfer', { amount: '500' }));
    assert.equal(aborted.result.type, 'fail');
    assert.match(outcomeLine(aborted), /^transfer 500 a1 → a2 aborted t2: .* · participants n\d/);
  });

  it('bank: bad transfers are refused before they leave', () => {
    const operations = clientOperations(settingFor('2pc', protocolByName('2pc').parseParams({ accounts: 4 })));
    assert.equal(refusal(operations, 'transfer', { from: 'a3', to: 'a3' }), 'A transfer needs two different accounts.');
    assert.equal(refusal(operations, 'transfer', { amount: '0' }), 'The amount must be a whole number from 1 to 1,000,000,000, not "0".');
    assert.equal(refusal(operations, 'transfer', { amount: '2.5' }), 'The amount must be a whole number from 1 to 1,000,000,000, not "2.5".');
    assert.match(refusal(operations, 'balance', { account: 'a9' }), /must be an account a1…a4, not "a9"/);
  });

  it('kv: put and get through the coordinator', () => {
    const { cluster, params } = clusterOf('2pc', { data: 'kv' });
    const operations = clientOperations(settingFor('2pc', params));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['put', 'get']);
    assert.equal(ask(cluster, 'n1', built(operations, 'put', { key: 'k', value: 'v' })).result.type, 'ok');
    assert.equal(outcomeLine(ask(cluster, 'n1', built(operations, 'get', { key: 'k' }))), 'get k → v');
  });

  it('3pc kv: the same operations, explained with three-phase commit\'s rounds', () => {
    const { cluster, params } = clusterOf('3pc', { data: 'kv' });
    const operations = clientOperations(settingFor('3pc', params));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['put', 'get']);
    assert.match(operations[0]!.explain, /pre-commit/);
    assert.doesNotMatch(clientOperations(settingFor('2pc', params))[0]!.explain, /pre-commit/);
    assert.equal(ask(cluster, 'n1', built(operations, 'put', { key: 'k', value: 'v' })).result.type, 'ok');
    assert.equal(outcomeLine(ask(cluster, 'n1', built(operations, 'get', { key: 'k' }))), 'get k → v');
  });

  it('without the parameters, a coordinator fact tells kv from bank', () => {
    const { cluster } = clusterOf('2pc', { data: 'kv' });
    const statuses = [...cluster.cores.values()].map((core) => core.status());
    assert.deepEqual(clientOperations(settingFor('2pc', {}, EMPTY_MEMORY, statuses)).map((candidate) => candidate.id), ['put', 'get']);
    const bank = clusterOf('2pc', {}).cluster;
    assert.deepEqual(clientOperations(settingFor('2pc', {}, EMPTY_MEMORY, [...bank.cores.values()].map((core) => core.status()))).map((candidate) => candidate.id), ['transfer', 'balance']);
  });
});

describe('client ops: crdt-gossip, per type', () => {
  for (const type of REPLICATED_TYPES.keys()) {
    it(`${type}: every update the panel offers, with its defaults, is applied by the node; read shows the value`, () => {
      const { cluster, params } = clusterOf('crdt-gossip', { type });
      const operations = clientOperations(settingFor('crdt-gossip', params));
      assert.equal(operations.at(-1)!.id, 'read');
      assert.ok(operations.length >= 2 && operations.every((candidate) => candidate.id !== 'update'), `${type} has updates of its own, not raw JSON`);
      for (const candidate of operations) {
        const outcome = ask(cluster, 'n1', built(operations, candidate.id));
        assert.equal(outcome.result.type, 'ok', `${candidate.id}: ${JSON.stringify(outcome.result)}`);
        assert.ok(outcome.op.f === 'update' || outcome.op.f === 'read');
        if (candidate.id === 'read') assert.match(outcomeLine(outcome), /^read \S+ → /);
        else assert.match(outcomeLine(outcome), new RegExp(`^update \\S+ ${candidate.id} .* → now `));
      }
    });
  }

  it('the type comes from the parameters or, failing them, the nodes\' facts; the key is the workload\'s', () => {
    const { cluster } = clusterOf('crdt-gossip', { type: 'pn-counter' });
    const statuses = [...cluster.cores.values()].map((core) => core.status());
    const operations = clientOperations(settingFor('crdt-gossip', {}, EMPTY_MEMORY, statuses));
    assert.deepEqual(operations.map((candidate) => candidate.id), ['increment', 'decrement', 'read']);
    assert.deepEqual(built(operations, 'decrement', { amount: '3' }), { f: 'update', key: 'counter', value: { op: 'decrement', amount: 3 } });
    const counter = ask(cluster, 'n2', built(operations, 'increment', { amount: '5' }));
    assert.equal(outcomeLine(counter), 'update counter increment 5 → now 5');
    assert.equal(refusal(operations, 'increment', { amount: '-1' }), 'The amount must be a whole number from 1 to 1,000,000,000, not "-1".');
    assert.equal(refusal(operations, 'increment', { amount: '' }), 'The amount must be a whole number from 1 to 1,000,000,000.');
  });

  it('sets: add then remove the same element; a remove of what is not there is the protocol\'s answer, not a bad request', () => {
    const { cluster, params } = clusterOf('crdt-gossip', { type: 'or-set' });
    const operations = clientOperations(settingFor('crdt-gossip', params));
    assert.deepEqual(built(operations, 'add', { element: 'eggs' }), { f: 'update', key: 'set', value: { op: 'add', element: 'eggs' } });
    assert.equal(outcomeLine(ask(cluster, 'n1', built(operations, 'add', { element: 'eggs' }))), 'update set add eggs → now ["eggs"]');
    const missing = ask(cluster, 'n1', built(operations, 'remove', { element: 'bread' }));
    assert.equal(missing.result.type, 'fail');
    assert.equal(refusal(operations, 'add', { element: '' }), 'Type an element: it is empty.');
  });

  it('max-register: an integer value, checked by the type\'s own rule', () => {
    const operations = clientOperations(settingFor('crdt-gossip', { type: 'max-register' }));
    assert.deepEqual(built(operations, 'max', { number: '-4' }), { f: 'update', key: 'register', value: { op: 'max', value: -4 } });
    assert.match(refusal(operations, 'max', { number: '1.5' }), /^The value must be a whole number/);
  });
});

describe('client ops: calm', () => {
  function calmCluster(example: string) {
    return clusterOf('calm', { example, tickMs: 10 });
  }

  it('before describe: read, seal and describe; describe\'s answer offers one input per input collection, with its columns', () => {
    const { cluster, params } = calmCluster('kv-overwrite');
    const before = clientOperations(settingFor('calm', params));
    assert.deepEqual(before.map((candidate) => candidate.id), ['read', 'seal', 'describe']);
    assert.equal(needsDescription(settingFor('calm', params)), true);
    const described = ask(cluster, 'n1', built(before, 'describe'));
    const memory = remember(EMPTY_MEMORY, { ...described, client: 'c1' }, PERSON);
    assert.ok(memory.calm, 'any client\'s describe teaches the panel the program');
    assert.equal(outcomeLine(described), 'describe → inputs client_put/2; readable kv');
    const status = cluster.cores.get('n1')!.status();
    const run: ClientSetting = { ...settingFor('calm', params, memory), calmListing: status.view?.protocol === 'calm' ? status.view.listing : null };
    assert.equal(needsDescription(run), false);
    const operations = clientOperations(run);
    assert.deepEqual(operations.map((candidate) => candidate.id), ['input:client_put', 'read', 'seal', 'describe']);
    const input = operation(operations, 'input:client_put');
    assert.deepEqual(input.fields.map((field) => [field.label, field.default, field.suggestions?.join(',')]), [['key', 'x', 'x,y'], ['value', '1', '1,2,3,4']]);
    // The value column holds numbers: a typed 3 is the number 3.
    assert.deepEqual(built(operations, 'input:client_put', { 'client_put.1': '3' }), { f: 'input', key: 'client_put', value: ['x', 3] });
    assert.equal(refusal(operations, 'input:client_put', { 'client_put.0': '' }), 'Type a key: it is empty.');
  });

  for (const example of CALM_EXAMPLES.map((candidate) => candidate.name)) {
    it(`${example}: every input, read and seal the panel offers is taken by the node`, () => {
      const { cluster, params } = calmCluster(example);
      const memory = remember(EMPTY_MEMORY, ask(cluster, 'n1', { f: 'describe' }), PERSON);
      const operations = clientOperations(settingFor('calm', params, memory));
      const inputs = operations.filter((candidate) => candidate.id.startsWith('input:'));
      assert.equal(inputs.length, CALM_EXAMPLES.find((candidate) => candidate.name === example)!.inputs.length);
      for (const candidate of inputs) {
        const outcome = ask(cluster, 'n1', built(operations, candidate.id));
        assert.equal(outcome.result.type, 'ok', `${candidate.id}: ${JSON.stringify(outcome.result)}`);
        assert.match(outcomeLine(outcome), /^input \w+ \(.+\) → taken/);
      }
      cluster.advance(100);
      const collections = operation(operations, 'read').fields[0]!.options!.map((option) => option.value);
      for (const collection of collections) {
        const read = ask(cluster, 'n1', built(operations, 'read', { collection }));
        assert.equal(read.result.type, 'ok', `read ${collection}: ${JSON.stringify(read.result)}`);
      }
      for (const sealed of operation(operations, 'seal').fields[0]!.options!.map((option) => option.value)) {
        assert.equal(ask(cluster, 'n2', built(operations, 'seal', { sealed })).result.type, 'ok');
      }
    });
  }

  it('a read shows the tuples; a seal names what is sealed', () => {
    const { cluster, params } = calmCluster('set-union');
    const memory = remember(EMPTY_MEMORY, ask(cluster, 'n1', { f: 'describe' }), PERSON);
    const operations = clientOperations(settingFor('calm', params, memory));
    ask(cluster, 'n1', built(operations, 'input:client_add', { 'client_add.0': 'figs' }));
    cluster.advance(100);
    assert.equal(outcomeLine(ask(cluster, 'n2', built(operations, 'read', { collection: 'seen' }))), 'read seen → (figs)');
    assert.deepEqual(built(operations, 'seal'), { f: 'seal', key: 'client_add' }, 'one input unless "all" is chosen');
    assert.equal(outcomeLine(ask(cluster, 'n1', built(operations, 'seal', { sealed: '' }))), 'seal all inputs → sealed: client_add');
  });
});

describe('client ops: reading the run', () => {
  function snapshot(protocol: string, config: unknown, statuses: (CoreStatus | null)[]): LabSnapshot {
    const nodes: NodeView[] = statuses.map((status, index) => ({
      id: `n${index + 1}`, state: 'up', url: null, pid: null, restarts: 0, status, clock: TRUE_CLOCK, persistDelayMs: 0, linksUp: [],
    }));
    return {
      run: { runId: 'r', scenario: 's', protocol, startedAtEpochMs: 0, labVersion: '0', seed: 1, mode: 'real', config },
      nodes, links: [], phiThreshold: 8, tracePath: null, labTimeMs: 0, live: true,
    };
  }

  it('takes the parameters a live run records, else the scenario\'s, and the calm listing from a node\'s view', () => {
    const params = protocolByName('crdt-gossip').parseParams({ type: 'g-set' });
    assert.equal(settingOf(snapshot('crdt-gossip', { scenario: {}, params }, [null]), EMPTY_MEMORY).params['type'], 'g-set');
    const fromScenario = settingOf(snapshot('2pc', { scenario: { protocol: { name: '2pc', params: { accounts: 3 } } } }, []), EMPTY_MEMORY);
    assert.equal(fromScenario.params['accounts'], 3);
    assert.deepEqual(settingOf(snapshot('raft', null, []), EMPTY_MEMORY).params, {});
    const { cluster } = clusterOf('calm', { example: 'cart-destructive' });
    const calm = settingOf(snapshot('calm', null, [null, cluster.cores.get('n2')!.status()]), EMPTY_MEMORY);
    assert.match(calm.calmListing ?? '', /^table cart\(item\)\./);
    assert.equal(settingOf(null, EMPTY_MEMORY).protocol, null);
  });

  it('"auto" says whom the lab asks on each protocol', () => {
    assert.equal(autoTargetLabel('raft'), 'auto (the leader)');
    assert.equal(autoTargetLabel('primary-backup'), 'auto (the primary)');
    assert.equal(autoTargetLabel('dynamo'), 'auto (first node up)');
  });

  it('what was typed stays across operations that share a field; the rest start at their defaults', () => {
    const operations = clientOperations(settingFor('raft', {}));
    assert.deepEqual(withDefaults(operations, { key: 'k', value: 'typed' }), { key: 'k', value: 'typed', from: '1' });
  });

  it('an outcome the panel did not make (another client, a redirect, no value) still reads as one line', () => {
    assert.equal(outcomeLine({ op: { f: 'put', key: 'x', value: '1' }, result: { type: 'fail', error: 'not the primary', redirect: 'n2' } }), 'put x = 1 not the primary (try n2)');
    assert.equal(outcomeLine({ op: { f: 'put', key: 'x', value: { a: 1 } }, result: { type: 'ok' } }), 'put x = {"a":1}');
    assert.equal(outcomeLine({ op: { f: 'put', key: 'x', value: 'v' }, result: { type: 'info', error: 'timeout' } }), 'put x = v timeout');
  });
});
