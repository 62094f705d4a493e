import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOLS, protocolByName } from '../../src-node/protocols/registry.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';

describe('protocol registry', () => {
  it('knows primary-backup, raft (and the benchmark\'s flood) by the names scenarios use', () => {
    assert.equal(protocolByName('primary-backup').name, 'primary-backup');
    assert.equal(protocolByName('raft').name, 'raft');
    assert.equal(protocolByName('flood').name, 'flood');
    for (const [name, definition] of PROTOCOLS) assert.equal(definition.name, name);
  });

  it('an unknown name fails with the list of known ones', () => {
    assert.throws(() => protocolByName('zab'), /unknown protocol "zab"; known: .*primary-backup.*raft.*paxos/);
  });

  it('a core\'s roleName(), where it has one, is its status().role, step after step', () => {
    for (const definition of PROTOCOLS.values()) {
      const random = createRandom(7);
      const core = definition.create({ self: 'n1', peers: ['n2', 'n3'], random: () => random.next(), params: definition.parseParams({}) });
      if (core.roleName === undefined) continue;
      let nowMs = 0;
      const ready = core.step({ kind: 'recover', nowMs, stable: new Map() });
      assert.equal(core.roleName(), core.status().role, definition.name);
      // Fire every timer the core sets for a while: elections, heartbeats, announcements.
      const timers = ready.timers.filter((timer) => timer.kind === 'set').map((timer) => timer.timer);
      for (let round = 0; round < 20; round += 1) {
        nowMs += 500;
        for (const timer of [...new Set(timers)]) {
          const next = core.step({ kind: 'timer', nowMs, timer });
          for (const command of next.timers) if (command.kind === 'set') timers.push(command.timer);
          assert.equal(core.roleName(), core.status().role, `${definition.name} after ${timer}`);
        }
      }
    }
  });
});
