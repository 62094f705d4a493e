// Where a calm program must wait, when it runs with coordination (the core's `coordinate`
// param): Bloom's sealing (Alvaro, Conway, Hellerstein, Marczak, "Consistency Analysis in
// Bloom", CIDR 2011, §5: "seal" a collection; a non-monotone operator over it runs only once
// the collection is sealed, i.e. known complete). The analysis (analysis.ts) names the points
// of order; this plan says, for each, which asynchronous sources must be complete before the
// rule may run, and, for each channel, what must be complete before a node may promise that it
// will send nothing more on it.
//
// A node's input collection is complete when its client seals it. A channel is complete at a
// node when every node has sealed it toward that node — telling how many distinct tuples it
// sent there — and that many have arrived (duplicates and reordering do not matter: tuples are
// counted as a set per sender). A node seals a channel once everything the channel's rules
// read that arrives asynchronously is complete at the node. A channel that feeds itself (a
// gossip loop) could never be sealed this way; such programs are refused with coordination on.
//
// Pure: no I/O.

import type { Program, Rule } from './language.ts';
import { ProgramError } from './language.ts';
import type { CalmReport } from './analysis.ts';

/** Asynchronous sources: input collections (this node's client) and channels (every node). */
export interface Sources {
  inputs: string[];
  channels: string[];
}

export interface HeldRule {
  /** Index into program.rules. */
  index: number;
  line: number;
  text: string;
  /** What must be complete at this node before the rule runs. */
  sources: Sources;
  /** Channels and inputs the rule reads directly: their tuples last one step, so a waiting node keeps them for the rule. */
  directReads: string[];
}

export interface CoordinationPlan {
  held: HeldRule[];
  /** For every channel: what must be complete at a node before it seals the channel. */
  channelSources: Map<string, Sources>;
}

/** The collections a rule's verdict depends on: every atom of its body, and for a deletion the table it deletes from. */
function ruleReads(rule: Rule): string[] {
  const names = rule.body.flatMap((literal) => (literal.kind === 'atom' ? [literal.atom.name] : []));
  if (rule.delete) names.push(rule.head.name);
  return names;
}

/** The asynchronous sources upstream of `start`: walks rules backwards and stops at channels and inputs. */
function sourcesOf(program: Program, start: readonly string[]): Sources {
  const inputs = new Set<string>();
  const channels = new Set<string>();
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const kind = program.collections.get(name)?.kind;
    if (kind === 'input') { inputs.add(name); continue; }
    if (kind === 'channel') { channels.add(name); continue; }
    for (const rule of program.rules) if (rule.head.name === name) stack.push(...ruleReads(rule));
  }
  return { inputs: [...inputs].sort(), channels: [...channels].sort() };
}

export function planCoordination(program: Program, report: CalmReport): CoordinationPlan {
  const channelSources = new Map<string, Sources>();
  for (const collection of program.collections.values()) {
    if (collection.kind !== 'channel') continue;
    const reads = program.rules.filter((rule) => rule.head.name === collection.name).flatMap(ruleReads);
    const sources = sourcesOf(program, reads);
    channelSources.set(collection.name, sources);
  }
  // A channel upstream of itself (directly or through other channels) can never be sealed.
  for (const channel of channelSources.keys()) {
    const seen = new Set<string>();
    const stack = [...channelSources.get(channel)!.channels];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next === channel) throw new ProgramError(`channel ${channel} feeds itself: it can never be sealed, so coordination by sealing cannot be used (run without coordinate)`);
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(channelSources.get(next)?.channels ?? []));
    }
  }
  const held: HeldRule[] = report.pointsOfOrder.map((point) => {
    const index = point.rule;
    const rule = program.rules[index]!;
    const directReads = [...new Set(rule.body.flatMap((literal) => {
      if (literal.kind !== 'atom') return [];
      const kind = program.collections.get(literal.atom.name)?.kind;
      return kind === 'channel' || kind === 'input' ? [literal.atom.name] : [];
    }))].sort();
    return { index, line: rule.line, text: rule.text, sources: sourcesOf(program, ruleReads(rule)), directReads };
  });
  return { held, channelSources };
}
