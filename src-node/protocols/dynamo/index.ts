// The Dynamo-style store as the lab knows it: name, summary, parameters and factory.

import type { CoreContext, ProtocolCore, ProtocolDefinition } from '../../contract/core.ts';
import { DynamoCore } from './core.ts';
import { parseDynamoParams, type DynamoParams } from './params.ts';
import { createRing, preferenceList } from './ring.ts';

export { DynamoCore } from './core.ts';
export { DEFAULT_DYNAMO_PARAMS, parseDynamoParams } from './params.ts';
export type { DynamoParams } from './params.ts';

export const DYNAMO: ProtocolDefinition = Object.freeze({
  name: 'dynamo',
  summary: 'A Dynamo-style store: consistent hashing, partial quorums (N, R, W), sloppy quorum with hinted handoff, vector clocks or LWW, read repair, Merkle anti-entropy, gossip (book §5).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseDynamoParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new DynamoCore(context),
  // A key lives on its preference list: the first N distinct nodes clockwise on the ring.
  holdersOf: (params: Record<string, unknown>, nodes: readonly string[]) => {
    const { n, tokensPerNode } = params as unknown as DynamoParams;
    const ring = createRing(nodes, tokensPerNode);
    return (key: string) => preferenceList(ring, key, n);
  },
});
