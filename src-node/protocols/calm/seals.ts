// One node's bookkeeping for coordination by sealing (coordination.ts says what waits for
// what): which of its inputs its client sealed, which tuples it sent and received on each
// channel (as sets: a duplicate is the same tuple), which seals it heard, and which channels it
// sealed itself. Plain data that survives a restart as JSON. Pure: no I/O.

import type { NodeId } from '../../contract/clock.ts';
import type { Sources } from './coordination.ts';

type Ledger = Map<NodeId, Map<string, Set<string>>>;

export interface SealsJson {
  sealedInputs: string[];
  sealedChannels: string[];
  sent: Record<NodeId, Record<string, string[]>>;
  received: Record<NodeId, Record<string, string[]>>;
  sealsIn: Record<NodeId, Record<string, number>>;
}

function addTo(ledger: Ledger, node: NodeId, channel: string, key: string): boolean {
  let byChannel = ledger.get(node);
  if (byChannel === undefined) {
    byChannel = new Map();
    ledger.set(node, byChannel);
  }
  let keys = byChannel.get(channel);
  if (keys === undefined) {
    keys = new Set();
    byChannel.set(channel, keys);
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

const countOf = (ledger: Ledger, node: NodeId, channel: string): number => ledger.get(node)?.get(channel)?.size ?? 0;

const ledgerJson = (ledger: Ledger): Record<NodeId, Record<string, string[]>> =>
  Object.fromEntries([...ledger].sort(([a], [b]) => a.localeCompare(b)).map(([node, byChannel]) => [node, Object.fromEntries([...byChannel].map(([channel, keys]) => [channel, [...keys].sort()]))]));

const ledgerOf = (json: Record<NodeId, Record<string, string[]>>): Ledger =>
  new Map(Object.entries(json).map(([node, byChannel]) => [node, new Map(Object.entries(byChannel).map(([channel, keys]) => [channel, new Set(keys)]))]));

export class Seals {
  readonly sealedInputs = new Set<string>();
  readonly sealedChannels = new Set<string>();
  private sent: Ledger = new Map();
  private received: Ledger = new Map();
  private readonly sealsIn = new Map<NodeId, Map<string, number>>();

  /** Records a tuple this node sends (or sends itself); false if it was sent there before. */
  recordSent(target: NodeId, channel: string, key: string): boolean {
    return addTo(this.sent, target, channel, key);
  }

  /** Records an arrival; false for a duplicate (a tuple this sender sent before). */
  recordReceived(source: NodeId, channel: string, key: string): boolean {
    return addTo(this.received, source, channel, key);
  }

  sentCount(target: NodeId, channel: string): number {
    return countOf(this.sent, target, channel);
  }

  /** A seal heard from `source`: it sent `count` distinct tuples of `channel` here and will send no more. */
  recordSeal(source: NodeId, channel: string, count: number): void {
    let byChannel = this.sealsIn.get(source);
    if (byChannel === undefined) {
      byChannel = new Map();
      this.sealsIn.set(source, byChannel);
    }
    byChannel.set(channel, count);
  }

  /** Why `channel` is not complete here yet (empty: complete): a missing seal, or tuples still on their way. */
  channelMissing(channel: string, nodes: readonly NodeId[]): string[] {
    const missing: string[] = [];
    for (const node of nodes) {
      const sealed = this.sealsIn.get(node)?.get(channel);
      if (sealed === undefined) missing.push(`seal of ${channel} from ${node}`);
      else if (countOf(this.received, node, channel) < sealed) missing.push(`${sealed - countOf(this.received, node, channel)} of ${sealed} ${channel} tuple(s) from ${node}`);
    }
    return missing;
  }

  /** More tuples arrived from a sender than its seal counted: a bug in the sealing, shown rather than hidden. */
  overCounted(channel: string, nodes: readonly NodeId[]): NodeId[] {
    return nodes.filter((node) => {
      const sealed = this.sealsIn.get(node)?.get(channel);
      return sealed !== undefined && countOf(this.received, node, channel) > sealed;
    });
  }

  /** Everything `sources` waits for (empty: all of it is complete here). */
  missing(sources: Sources, nodes: readonly NodeId[]): string[] {
    return [
      ...sources.inputs.filter((input) => !this.sealedInputs.has(input)).map((input) => `${input} sealed here`),
      ...sources.channels.flatMap((channel) => this.channelMissing(channel, nodes)),
    ];
  }

  toJson(): SealsJson {
    return {
      sealedInputs: [...this.sealedInputs].sort(),
      sealedChannels: [...this.sealedChannels].sort(),
      sent: ledgerJson(this.sent),
      received: ledgerJson(this.received),
      sealsIn: Object.fromEntries([...this.sealsIn].map(([node, byChannel]) => [node, Object.fromEntries(byChannel)])),
    };
  }

  static fromJson(json: SealsJson): Seals {
    const seals = new Seals();
    for (const input of json.sealedInputs) seals.sealedInputs.add(input);
    for (const channel of json.sealedChannels) seals.sealedChannels.add(channel);
    seals.sent = ledgerOf(json.sent);
    seals.received = ledgerOf(json.received);
    for (const [node, byChannel] of Object.entries(json.sealsIn)) for (const [channel, count] of Object.entries(byChannel)) seals.recordSeal(node, channel, count);
    return seals;
  }
}
