// What a run remembers for its checks: client operations, node states and roles over
// time, faults, and the moments a node suspected a peer. Kept in memory, bounded, and fed
// from the same stream of events that goes into the trace.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import type { CompletedOp } from '../workload/client.ts';

export const MAX_OBSERVATIONS = 200_000;

export interface NodeSample {
  atMs: number;
  node: NodeId;
  state: NodeView['state'];
  role: string | null;
}

export interface SuspicionSample {
  atMs: number;
  observer: NodeId;
  suspected: NodeId[];
}

export interface FaultSample {
  atMs: number;
  request: FaultRequest;
}

export class Observations {
  readonly operations: CompletedOp[] = [];
  readonly nodeSamples: NodeSample[] = [];
  readonly suspicions: SuspicionSample[] = [];
  readonly faults: FaultSample[] = [];
  clusterUpAtMs = 0;
  /** Observations past the bound were not kept: checks over them say so. */
  overflowed = false;
  private lastSeen = new Map<NodeId, string>();

  clusterUp(atMs: number, nodes: NodeView[]): void {
    this.clusterUpAtMs = atMs;
    this.nodes(atMs, nodes);
  }

  operation(done: CompletedOp): void {
    this.keep(this.operations, done);
  }

  fault(atMs: number, request: FaultRequest, nodes: NodeView[]): void {
    this.keep(this.faults, { atMs, request });
    this.nodes(atMs, nodes);
  }

  /** Records each node's state and role when it differs from what was last recorded. */
  nodes(atMs: number, nodes: NodeView[]): void {
    for (const node of nodes) {
      const role = node.status?.role ?? null;
      const key = `${node.state}/${role}`;
      if (this.lastSeen.get(node.id) === key) continue;
      this.lastSeen.set(node.id, key);
      this.keep(this.nodeSamples, { atMs, node: node.id, state: node.state, role });
    }
  }

  events(events: readonly StoredEvent[]): void {
    for (const event of events) {
      if (event.kind !== 'suspicion') continue;
      const detail = event.detail as { suspected?: unknown } | undefined;
      const suspected = Array.isArray(detail?.suspected) ? detail.suspected.filter((peer): peer is string => typeof peer === 'string') : [];
      if (suspected.length > 0) this.keep(this.suspicions, { atMs: event.labTimeMs, observer: event.node, suspected });
    }
  }

  private keep<T>(list: T[], item: T): void {
    if (list.length >= MAX_OBSERVATIONS) {
      this.overflowed = true;
      return;
    }
    list.push(item);
  }
}
