// Raft as the lab knows it: name, summary, parameters and factory.

import type { CoreContext, ProtocolCore, ProtocolDefinition } from '../../contract/core.ts';
import { RaftCore } from './core.ts';
import { parseRaftParams } from './params.ts';

export { RaftCore, TIMER } from './core.ts';
export { entryDigest } from './entries.ts';
export type { ApplyObserver, Role } from './core.ts';
export { MESSAGE } from './messages.ts';
export { STABLE_KEY } from './log.ts';
export { DEFAULT_RAFT_PARAMS, parseRaftParams } from './params.ts';
export type { RaftParams } from './params.ts';

export const RAFT: ProtocolDefinition = Object.freeze({
  name: 'raft',
  summary: 'Raft consensus (pre-vote, check quorum, read-index reads, snapshots, single-server membership changes) replicating a key-value map (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseRaftParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new RaftCore(context),
});
