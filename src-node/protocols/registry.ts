// Every protocol the lab can run, by the name that scenarios use. A node process resolves its
// protocol here (src-node/runtime/node-main.ts), so a core that real nodes must run is listed
// here, the benchmark's load generator included.

import type { ProtocolDefinition } from '../contract/core.ts';
import { CALM } from './calm/core.ts';
import { CRDT_GOSSIP } from './crdt-gossip/core.ts';
import { DYNAMO } from './dynamo/index.ts';
import { floodProtocol } from './flood/flood.ts';
import { MULTI_PAXOS } from './paxos/multi-paxos.ts';
import { PAXOS } from './paxos/single-decree.ts';
import { PRIMARY_BACKUP } from './primary-backup/index.ts';
import { RAFT } from './raft/index.ts';
import { THREE_PHASE_COMMIT } from './three-phase-commit/core.ts';
import { TWO_PHASE_COMMIT } from './two-phase-commit/core.ts';

export const PROTOCOLS: ReadonlyMap<string, ProtocolDefinition> = new Map(
  [PRIMARY_BACKUP, RAFT, MULTI_PAXOS, PAXOS, TWO_PHASE_COMMIT, THREE_PHASE_COMMIT, DYNAMO, CRDT_GOSSIP, CALM, floodProtocol].map((definition) => [definition.name, definition]),
);

/** The protocol named `name`; throws an Error that lists the known names. */
export function protocolByName(name: string): ProtocolDefinition {
  const definition = PROTOCOLS.get(name);
  if (definition === undefined) {
    throw new Error(`unknown protocol ${JSON.stringify(name)}; known: ${[...PROTOCOLS.keys()].join(', ')}`);
  }
  return definition;
}
