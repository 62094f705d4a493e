// The simulated network between nodes: per directed link a delay distribution, loss,
// duplication and reordering, plus the faults the lab can ask for — partitions (symmetric or
// one-way) and per-link faults — kept by the same NetworkPlan the real supervisor uses, so a
// `partition` or `link` request means exactly what it means on a real cluster.
//
// Like the real fault filter (src-node/runtime/fault-filter.ts), a link is FIFO: delay and
// jitter never let a message overtake an earlier one on the same link; only `reorderPct` does,
// by holding a message back. A cut is judged when the message is sent, at the source (a
// message already on the wire when the cut comes is delivered, as on a TCP connection).

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import { NetworkPlan } from '../supervisor/network-plan.ts';
import { drawDelay, type NetworkConfig } from './config.ts';

export type DropReason = 'cut' | 'loss' | 'link-down';

/** When each copy of a message arrives, or why it never will. */
export type Fate = { drop: DropReason } | { arrivals: number[] };

export class SimNetwork {
  private plan: NetworkPlan;
  /** The latest arrival on each directed link, for FIFO order. */
  private readonly lastArrival = new Map<string, number>();
  private lossPct: number;

  constructor(private readonly config: NetworkConfig, private readonly nodes: readonly NodeId[], private readonly random: Random) {
    this.plan = new NetworkPlan(nodes);
    this.lossPct = config.lossPct;
  }

  /** A partition, a heal or a link fault; throws on a request that names unknown nodes. */
  apply(request: FaultRequest): void {
    if (request.kind === 'partition') this.plan.setPartition(request.spec);
    else if (request.kind === 'heal') this.plan.heal();
    else if (request.kind === 'link') this.plan.setLink(request.source, request.target, request.faults);
  }

  /** The liveness phase: no partition, no link fault, no loss. Delay, duplication and reordering stay. */
  calm(): void {
    this.plan = new NetworkPlan(this.nodes);
    this.lossPct = 0;
  }

  isCut(source: NodeId, target: NodeId): boolean {
    return this.plan.link(source, target).cut;
  }

  /** Decides what happens to a message (or heartbeat) sent now from `source` to `target`. */
  route(source: NodeId, target: NodeId, nowMs: number): Fate {
    const faults = this.plan.link(source, target);
    const random = this.random;
    if (faults.cut) return { drop: 'cut' };
    if (random.chance(Math.max(this.lossPct, faults.lossPct))) return { drop: 'loss' };
    const copies = random.chance(Math.max(this.config.duplicatePct, faults.duplicatePct)) ? 2 : 1;
    const key = `${source}>${target}`;
    const model = this.config.slowLinks[key] ?? this.config.delay;
    const arrivals: number[] = [];
    for (let copy = 0; copy < copies; copy += 1) {
      const delayMs = drawDelay(random, model) + faults.delayMs + random.next() * faults.jitterMs;
      const reorderPct = Math.max(this.config.reorderPct, faults.reorderPct);
      if (reorderPct > 0 && random.chance(reorderPct)) {
        // Held back: later messages overtake it; it does not hold them back in turn.
        arrivals.push(nowMs + delayMs + random.next() * (this.config.reorderMaxMs + 2 * (faults.delayMs + faults.jitterMs)));
        continue;
      }
      const arrival = Math.max(nowMs + delayMs, this.lastArrival.get(key) ?? 0);
      this.lastArrival.set(key, arrival);
      arrivals.push(arrival);
    }
    return { arrivals };
  }

  /** One leg between a client and a node. */
  clientDelayMs(): number {
    return drawDelay(this.random, this.config.clientDelay);
  }
}
