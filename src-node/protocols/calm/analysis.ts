// The CALM analysis (Hellerstein; Alvaro, Conway, Hellerstein, Marczak, "Consistency Analysis
// in Bloom", CIDR 2011): a rule is monotone when it only selects, projects, joins and unions
// — more input can only add to its output. Negation, aggregation and deletion are not: more
// input can retract what they concluded. A non-monotone rule is a *point of order* when what
// it reads can be fed by asynchronous input (a channel, whose tuples arrive in any order and
// at any time, or a client input): then its answer depends on timing, and replicas that saw
// the same inputs in different orders may disagree. A program with no point of order is
// confluent — eventually consistent without coordination (the CALM theorem); at each point of
// order, the program needs coordination (wait until the input it reads is complete: a seal,
// a barrier, a consensus round) to be eventually consistent.

import type { Program, Rule } from './language.ts';

export type NonMonotoneReason = 'negation' | 'aggregation' | 'deletion';

export interface RuleReport {
  line: number;
  text: string;
  monotone: boolean;
  reasons: NonMonotoneReason[];
}

export interface PointOfOrder {
  /** Index of the rule in program.rules. */
  rule: number;
  line: number;
  text: string;
  reasons: NonMonotoneReason[];
  /** The collections the non-monotone operator reads whose contents arrive asynchronously. */
  reads: string[];
  /** For each, one path from an asynchronous source to it: ['add', 'cart'] = channel add feeds cart. */
  paths: string[][];
}

export interface CalmReport {
  rules: RuleReport[];
  pointsOfOrder: PointOfOrder[];
  /** True when no non-monotone operator reads asynchronous input. */
  confluent: boolean;
  summary: string;
}

function reasonsOf(rule: Rule): NonMonotoneReason[] {
  const reasons: NonMonotoneReason[] = [];
  if (rule.body.some((literal) => literal.kind === 'atom' && literal.negated)) reasons.push('negation');
  if (rule.head.terms.some((term) => term.kind === 'agg')) reasons.push('aggregation');
  if (rule.delete) reasons.push('deletion');
  return reasons;
}

/** What a non-monotone rule's verdict depends on: negated atoms; for aggregation all of its body; for deletion its body and the table it deletes from. */
function nonMonotoneReads(rule: Rule): string[] {
  const reads = new Set<string>();
  const wholeBody = rule.delete || rule.head.terms.some((term) => term.kind === 'agg');
  for (const literal of rule.body) if (literal.kind === 'atom' && (literal.negated || wholeBody)) reads.add(literal.atom.name);
  if (rule.delete) reads.add(rule.head.name);
  return [...reads].sort();
}

/** For every collection, one shortest path from an asynchronous source (channel or input) to it, if any. */
function asynchronousPaths(program: Program): Map<string, string[]> {
  const feeds = new Map<string, Set<string>>();
  for (const rule of program.rules) {
    if (rule.delete) continue;
    for (const literal of rule.body) {
      if (literal.kind !== 'atom' || literal.negated) continue;
      const targets = feeds.get(literal.atom.name) ?? new Set<string>();
      targets.add(rule.head.name);
      feeds.set(literal.atom.name, targets);
    }
  }
  const paths = new Map<string, string[]>();
  const queue: string[] = [];
  for (const collection of program.collections.values()) {
    if (collection.kind === 'channel' || collection.kind === 'input') {
      paths.set(collection.name, [collection.name]);
      queue.push(collection.name);
    }
  }
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const to of [...(feeds.get(from) ?? [])].sort()) {
      if (paths.has(to)) continue;
      paths.set(to, [...paths.get(from)!, to]);
      queue.push(to);
    }
  }
  return paths;
}

export function analyze(program: Program): CalmReport {
  const paths = asynchronousPaths(program);
  const rules: RuleReport[] = program.rules.map((rule) => {
    const reasons = reasonsOf(rule);
    return { line: rule.line, text: rule.text, monotone: reasons.length === 0, reasons };
  });
  const pointsOfOrder: PointOfOrder[] = [];
  program.rules.forEach((rule, index) => {
    const report = rules[index]!;
    if (report.monotone) return;
    const reads = nonMonotoneReads(rule).filter((name) => paths.has(name));
    if (reads.length === 0) return;
    pointsOfOrder.push({ rule: index, line: rule.line, text: rule.text, reasons: report.reasons, reads, paths: reads.map((name) => paths.get(name)!) });
  });
  const nonMonotone = rules.filter((rule) => !rule.monotone).length;
  const summary = pointsOfOrder.length === 0
    ? `confluent: ${nonMonotone === 0 ? 'every rule is monotone' : `${nonMonotone} non-monotone rule(s), none reading asynchronous input`} — eventually consistent without coordination`
    : `${pointsOfOrder.length} point(s) of order: ${pointsOfOrder.map((point) => `line ${point.line} (${point.reasons.join(', ')} over ${point.reads.join(', ')})`).join('; ')} — coordinate there, or replicas may disagree`;
  return { rules, pointsOfOrder, confluent: pointsOfOrder.length === 0, summary };
}

