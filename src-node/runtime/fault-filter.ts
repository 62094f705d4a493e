// The fault filter of one node: for every outgoing directed link (this node → target) it
// applies what the supervisor programmed — cut, loss, delay + jitter, duplication,
// reordering. A one-way partition is just a cut on one side's filter.
//
// Ordering: the links under it are TCP, so without faults messages arrive in order. Delay
// and jitter keep that order (a held message never leaves before one sent earlier on the
// same link); only `reorderPct` lets a message fall behind later ones, through an extra
// random delay outside the queue. Randomness comes from the node's seeded generator.

import type { NodeId } from '../contract/clock.ts';
import type { LinkFaults } from '../contract/faults.ts';
import { HEALTHY_LINK } from '../contract/faults.ts';
import type { Random } from '../protocols/random/prng.ts';
import { MAX_HELD_MESSAGES_PER_LINK } from './limits.ts';

export type DropReason = 'cut' | 'loss' | 'queue-full' | 'link-down';

/** One thing to send on a link: a socket.io event name and its data (and its JSON, when the sender has it already). */
export interface Outgoing {
  event: string;
  data: unknown;
  json?: string;
}

export interface FaultFilterOptions {
  random: Random;
  isLinkUp(peer: NodeId): boolean;
  deliver(peer: NodeId, item: Outgoing): void;
  onDrop(peer: NodeId, item: Outgoing, reason: DropReason): void;
  nowMs?: () => number;
}

interface Held {
  dueMs: number;
  item: Outgoing;
}

class LinkQueue {
  faults: LinkFaults = { ...HEALTHY_LINK };
  /** In-order messages, due times non-decreasing. */
  readonly fifo: Held[] = [];
  fifoTimer: NodeJS.Timeout | undefined;
  /** Messages picked for reordering, each on its own timer. */
  readonly overtaken = new Set<NodeJS.Timeout>();

  get heldCount(): number {
    return this.fifo.length + this.overtaken.size;
  }

  lastDueMs(): number {
    return this.fifo.at(-1)?.dueMs ?? 0;
  }
}

export class FaultFilter {
  private readonly links = new Map<NodeId, LinkQueue>();
  private readonly nowMs: () => number;

  constructor(private readonly options: FaultFilterOptions) {
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Replaces the faults of every link; links not named become healthy. */
  setLinks(links: Readonly<Record<NodeId, LinkFaults>>): void {
    for (const [peer, link] of this.links) link.faults = { ...(links[peer] ?? HEALTHY_LINK) };
    for (const [peer, faults] of Object.entries(links)) this.link(peer).faults = { ...faults };
  }

  faultsOf(peer: NodeId): LinkFaults {
    return this.link(peer).faults;
  }

  heldCount(peer: NodeId): number {
    return this.links.get(peer)?.heldCount ?? 0;
  }

  send(peer: NodeId, item: Outgoing): void {
    const link = this.link(peer);
    const { random } = this.options;
    if (link.faults.cut) return this.options.onDrop(peer, item, 'cut');
    if (random.chance(link.faults.lossPct)) return this.options.onDrop(peer, item, 'loss');
    const copies = random.chance(link.faults.duplicatePct) ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) this.schedule(peer, link, item);
  }

  /** Drops nothing: held messages are simply forgotten (the process is going away). */
  close(): void {
    for (const link of this.links.values()) {
      clearTimeout(link.fifoTimer);
      for (const timer of link.overtaken) clearTimeout(timer);
      link.overtaken.clear();
      link.fifo.length = 0;
    }
  }

  private schedule(peer: NodeId, link: LinkQueue, item: Outgoing): void {
    const { random } = this.options;
    const { delayMs, jitterMs, reorderPct } = link.faults;
    const baseDelayMs = delayMs + random.next() * jitterMs;
    if (reorderPct > 0 && random.chance(reorderPct)) {
      if (link.heldCount >= MAX_HELD_MESSAGES_PER_LINK) return this.options.onDrop(peer, item, 'queue-full');
      const extraMs = random.next() * (2 * (delayMs + jitterMs) + 20);
      const timer = setTimeout(() => {
        link.overtaken.delete(timer);
        this.transmit(peer, link, item);
      }, baseDelayMs + extraMs);
      link.overtaken.add(timer);
      return;
    }
    if (baseDelayMs === 0 && link.fifo.length === 0) return this.transmit(peer, link, item);
    if (link.heldCount >= MAX_HELD_MESSAGES_PER_LINK) return this.options.onDrop(peer, item, 'queue-full');
    link.fifo.push({ dueMs: Math.max(this.nowMs() + baseDelayMs, link.lastDueMs()), item });
    if (link.fifo.length === 1) this.armFifo(peer, link);
  }

  private armFifo(peer: NodeId, link: LinkQueue): void {
    const head = link.fifo[0];
    if (head === undefined) return;
    link.fifoTimer = setTimeout(() => {
      link.fifoTimer = undefined;
      const nowMs = this.nowMs();
      // Everything due leaves in order, in this one callback.
      while (link.fifo.length > 0 && (link.fifo[0]?.dueMs ?? Infinity) <= nowMs + 0.5) {
        const held = link.fifo.shift();
        if (held !== undefined) this.transmit(peer, link, held.item);
      }
      this.armFifo(peer, link);
    }, Math.max(0, head.dueMs - this.nowMs()));
  }

  /** The last check before a message leaves: a link cut or down meanwhile eats it. */
  private transmit(peer: NodeId, link: LinkQueue, item: Outgoing): void {
    if (link.faults.cut) return this.options.onDrop(peer, item, 'cut');
    if (!this.options.isLinkUp(peer)) return this.options.onDrop(peer, item, 'link-down');
    this.options.deliver(peer, item);
  }

  private link(peer: NodeId): LinkQueue {
    let link = this.links.get(peer);
    if (link === undefined) {
      link = new LinkQueue();
      this.links.set(peer, link);
    }
    return link;
  }
}
