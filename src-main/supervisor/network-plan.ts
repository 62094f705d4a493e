// The lab's picture of the network: what faults each directed link carries. Faults set on
// one link by hand and the cuts of a partition are kept apart, so that healing the
// partition restores exactly the links the user had set.

import type { NodeId } from '../../src-node/contract/clock.ts';
import { HEALTHY_LINK, type LinkFaults, type PartitionSpec } from '../../src-node/contract/faults.ts';

export const MAX_DELAY_MS = 60_000;

export function linkKey(source: NodeId, target: NodeId): string {
  return `${source}->${target}`;
}

export class NetworkPlan {
  private readonly manual = new Map<string, LinkFaults>();
  private partitionCuts = new Set<string>();
  private partition: PartitionSpec | null = null;

  constructor(private readonly nodes: readonly NodeId[]) {}

  /** Merges `faults` into the link's hand-set faults, after checking every value. */
  setLink(source: NodeId, target: NodeId, faults: Partial<LinkFaults>): void {
    this.assertNode(source);
    this.assertNode(target);
    if (source === target) throw new Error(`a link joins two different nodes, not ${source} to itself`);
    const merged = { ...this.manualLink(source, target), ...faults };
    validateLinkFaults(merged);
    this.manual.set(linkKey(source, target), merged);
  }

  /** Cuts every link between different groups (or only from groups[0] to the others, one way). */
  setPartition(spec: PartitionSpec): void {
    const seen = new Set<NodeId>();
    for (const group of spec.groups) {
      for (const node of group) {
        this.assertNode(node);
        if (seen.has(node)) throw new Error(`node ${node} is in two groups of the partition`);
        seen.add(node);
      }
    }
    const groups = spec.groups.filter((group) => group.length > 0);
    if (groups.length < 2) throw new Error('a partition needs at least two non-empty groups');
    const rest = this.nodes.filter((node) => !seen.has(node));
    // Nodes the user left out form a group of their own, so every node is somewhere.
    const complete = rest.length > 0 ? [...groups, rest] : groups;
    const groupOf = new Map<NodeId, number>();
    complete.forEach((group, index) => group.forEach((node) => groupOf.set(node, index)));
    const cuts = new Set<string>();
    for (const source of this.nodes) {
      for (const target of this.nodes) {
        const from = groupOf.get(source);
        const to = groupOf.get(target);
        if (source === target || from === to) continue;
        if (spec.oneWay && from !== 0) continue;
        cuts.add(linkKey(source, target));
      }
    }
    this.partition = { groups: complete, oneWay: spec.oneWay };
    this.partitionCuts = cuts;
  }

  /** Heals the network: no partition, and no link cut by hand. Loss, delay etc. stay. */
  heal(): void {
    this.partition = null;
    this.partitionCuts = new Set();
    for (const [key, faults] of this.manual) this.manual.set(key, { ...faults, cut: false });
  }

  currentPartition(): PartitionSpec | null {
    return this.partition;
  }

  /** The faults in force on a link: hand-set ones plus the partition's cut. */
  link(source: NodeId, target: NodeId): LinkFaults {
    const manual = this.manualLink(source, target);
    return this.partitionCuts.has(linkKey(source, target)) ? { ...manual, cut: true } : manual;
  }

  /** The faults on every outgoing link of `source`, as its fault filter wants them. */
  outgoing(source: NodeId): Record<NodeId, LinkFaults> {
    const links: Record<NodeId, LinkFaults> = {};
    for (const target of this.nodes) if (target !== source) links[target] = this.link(source, target);
    return links;
  }

  private manualLink(source: NodeId, target: NodeId): LinkFaults {
    return this.manual.get(linkKey(source, target)) ?? { ...HEALTHY_LINK };
  }

  private assertNode(node: NodeId): void {
    if (!this.nodes.includes(node)) throw new Error(`unknown node '${node}' (nodes: ${this.nodes.join(', ')})`);
  }
}

export function validateLinkFaults(faults: LinkFaults): void {
  const percent = (name: keyof LinkFaults): void => {
    const value = faults[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
      throw new Error(`${name} must be a number from 0 to 100, not ${JSON.stringify(value)}`);
    }
  };
  const duration = (name: keyof LinkFaults): void => {
    const value = faults[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
      throw new Error(`${name} must be a number of ms from 0 to ${MAX_DELAY_MS}, not ${JSON.stringify(value)}`);
    }
  };
  if (typeof faults.cut !== 'boolean') throw new Error(`cut must be true or false, not ${JSON.stringify(faults.cut)}`);
  percent('lossPct');
  percent('duplicatePct');
  percent('reorderPct');
  duration('delayMs');
  duration('jitterMs');
  const known = new Set(Object.keys(HEALTHY_LINK));
  for (const key of Object.keys(faults)) if (!known.has(key)) throw new Error(`unknown link fault '${key}'`);
}
