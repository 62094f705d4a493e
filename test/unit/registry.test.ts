import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOLS, protocolByName } from '../../src-node/protocols/registry.ts';

describe('protocol registry', () => {
  it('knows primary-backup, raft (and the benchmark\'s flood) by the names scenarios use', () => {
    assert.equal(protocolByName('primary-backup').name, 'primary-backup');
    assert.equal(protocolByName('raft').name, 'raft');
    assert.equal(protocolByName('flood').name, 'flood');
    for (const [name, definition] of PROTOCOLS) assert.equal(definition.name, name);
  });

  it('an unknown name fails with the list of known ones', () => {
    assert.throws(() => protocolByName('paxos'), /unknown protocol "paxos"; known: .*primary-backup.*raft/);
  });
});
