// One step of a node program (language.ts), Dedalus-style: the node's tables, plus the
// channel tuples that arrived and the inputs a client gave since the last step, are closed
// under the rules stratum by stratum (naive fixpoint: lab-sized data); then the channel rules
// say what to send, the delete rules what leaves the tables, and the tables (minus the
// deletions) are the state of the next step. Scratch collections, inputs and arrived tuples
// last one step. Pure and deterministic: tuples are kept in sorted order.

import type { NodeId } from '../../contract/clock.ts';
import type { Atom, Constant, Literal, Program, Rule, Term } from './language.ts';

export type Tuple = Constant[];

/** Collections by name, each a map from a tuple's canonical key to the tuple. */
export type Database = Map<string, Map<string, Tuple>>;

export interface StepInput {
  /** The node's tables as they stood after its last step. */
  tables: Database;
  /** Channel tuples that arrived (the location column is this node). */
  arrived: { channel: string; tuple: Tuple }[];
  /** Client inputs given since the last step. */
  inputs: { input: string; tuple: Tuple }[];
  self: NodeId;
  nodes: readonly NodeId[];
  /** Rules (indexes into program.rules) not evaluated this step: they wait for coordination. */
  held?: ReadonlySet<number>;
  /** Rules whose conclusions this step the output reports (the points of order). */
  watch?: readonly number[];
}

export interface StepOutput {
  tables: Database;
  /** Every collection after the fixpoint (tables, scratch, channels, inputs), for display. */
  view: Database;
  sends: { target: NodeId; channel: string; tuple: Tuple }[];
  deleted: { table: string; tuple: Tuple }[];
  /** For each watched rule that is not held: what it concluded this step (head tuples; a deletion's deleted tuples). */
  concluded: Map<number, Tuple[]>;
}

/** Tuples one collection may hold, and tuples derived per step, at most. */
export const EVALUATION_LIMITS = Object.freeze({ tuplesPerCollectionMax: 50_000, derivedPerStepMax: 200_000 });

export const tupleKey = (tuple: Tuple): string => JSON.stringify(tuple);

type Binding = Map<string, Constant>;

function add(database: Database, name: string, tuple: Tuple): boolean {
  let collection = database.get(name);
  if (collection === undefined) {
    collection = new Map();
    database.set(name, collection);
  }
  const key = tupleKey(tuple);
  if (collection.has(key)) return false;
  if (collection.size >= EVALUATION_LIMITS.tuplesPerCollectionMax) throw new Error(`${name} would hold more than ${EVALUATION_LIMITS.tuplesPerCollectionMax} tuples`);
  collection.set(key, tuple);
  return true;
}

export function emptyTables(program: Program): Database {
  const tables: Database = new Map();
  for (const collection of program.collections.values()) if (collection.kind === 'table') tables.set(collection.name, new Map());
  for (const fact of program.facts) add(tables, fact.name, fact.terms.map((term) => (term.kind === 'const' ? term.value : '')));
  return tables;
}

function copy(database: Database): Database {
  return new Map([...database].map(([name, tuples]) => [name, new Map(tuples)]));
}

function valueOf(term: Term, binding: Binding): Constant | undefined {
  if (term.kind === 'const') return term.value;
  if (term.kind === 'var') return binding.get(term.name);
  return undefined;
}

/** Extends `binding` so that `atom` matches `tuple`, or returns null. */
function match(atom: Atom, tuple: Tuple, binding: Binding): Binding | null {
  let extended: Binding | null = null;
  for (let index = 0; index < atom.terms.length; index += 1) {
    const term = atom.terms[index]!;
    const value = tuple[index]!;
    if (term.kind === 'wildcard') continue;
    if (term.kind === 'const') {
      if (term.value !== value) return null;
      continue;
    }
    const current = (extended ?? binding).get(term.name);
    if (current !== undefined) {
      if (current !== value) return null;
      continue;
    }
    extended ??= new Map(binding);
    extended.set(term.name, value);
  }
  return extended ?? binding;
}

function compare(op: Literal & { kind: 'compare' }, binding: Binding): boolean {
  const left = valueOf(op.left, binding);
  const right = valueOf(op.right, binding);
  if (left === undefined || right === undefined) return false;
  switch (op.op) {
    case '==': return left === right;
    case '!=': return left !== right;
    case '<': return left < right;
    case '<=': return left <= right;
    case '>': return left > right;
    case '>=': return left >= right;
  }
}

/**
 * Every binding that satisfies the body against `database`. Positive atoms join first (in
 * order), then comparisons and negations filter: range restriction guarantees their
 * variables are bound by then.
 */
function solve(body: readonly Literal[], database: Database): Binding[] {
  let bindings: Binding[] = [new Map()];
  for (const literal of body) {
    if (literal.kind !== 'atom' || literal.negated) continue;
    const tuples = [...(database.get(literal.atom.name)?.values() ?? [])];
    const next: Binding[] = [];
    for (const binding of bindings) {
      for (const tuple of tuples) {
        const extended = match(literal.atom, tuple, binding);
        if (extended !== null) next.push(extended);
      }
    }
    bindings = next;
    if (bindings.length > EVALUATION_LIMITS.derivedPerStepMax) throw new Error(`a rule's body has more than ${EVALUATION_LIMITS.derivedPerStepMax} solutions`);
  }
  return bindings.filter((binding) => body.every((literal) => {
    if (literal.kind === 'compare') return compare(literal, binding);
    if (!literal.negated) return true;
    const tuples = database.get(literal.atom.name)?.values() ?? [];
    for (const tuple of tuples) if (match(literal.atom, tuple, binding) !== null) return false;
    return true;
  }));
}

function headTuple(head: Atom, binding: Binding): Tuple {
  return head.terms.map((term) => valueOf(term, binding)!);
}

/** An aggregate rule: group the body's solutions by the head's plain terms, fold each group. */
function aggregate(rule: Rule, bindings: readonly Binding[]): Tuple[] {
  const groups = new Map<string, { key: Tuple; values: Map<string, Map<string, Constant>> }>();
  for (const binding of bindings) {
    const key = rule.head.terms.map((term) => (term.kind === 'agg' ? null : valueOf(term, binding)!)) as Tuple;
    const id = tupleKey(key);
    let group = groups.get(id);
    if (group === undefined) {
      group = { key, values: new Map() };
      groups.set(id, group);
    }
    // Set semantics: each distinct binding counts once (a fact is not counted twice).
    for (const term of rule.head.terms) {
      if (term.kind !== 'agg') continue;
      const column = group.values.get(term.name) ?? new Map<string, Constant>();
      column.set(JSON.stringify([...binding.entries()].sort()), binding.get(term.name)!);
      group.values.set(term.name, column);
    }
  }
  return [...groups.values()].map(({ key, values }) => rule.head.terms.map((term, index) => {
    if (term.kind !== 'agg') return key[index]!;
    const column = [...(values.get(term.name)?.values() ?? [])];
    switch (term.fn) {
      case 'count': return column.length;
      case 'sum': return column.reduce<number>((sum, value) => sum + (typeof value === 'number' ? value : 0), 0);
      case 'min': return column.reduce((low, value) => (value < low ? value : low));
      case 'max': return column.reduce((high, value) => (value > high ? value : high));
    }
  }));
}

export function step(program: Program, input: StepInput): StepOutput {
  const database = copy(input.tables);
  // Every declared collection is present, empty or not, so that views show empty ones too.
  for (const name of program.collections.keys()) if (!database.has(name)) database.set(name, new Map());
  for (const node of input.nodes) add(database, 'node', [node]);
  add(database, 'me', [input.self]);
  for (const { channel, tuple } of input.arrived) add(database, channel, tuple);
  for (const { input: name, tuple } of input.inputs) add(database, name, tuple);
  const held = input.held ?? new Set<number>();
  for (const stratum of program.strata) {
    const rules = stratum.filter((index) => !held.has(index)).map((index) => program.rules[index]!).filter((rule) => program.collections.get(rule.head.name)!.kind !== 'channel');
    const aggregates = rules.filter((rule) => rule.head.terms.some((term) => term.kind === 'agg'));
    const plain = rules.filter((rule) => !aggregates.includes(rule));
    // Aggregates read only lower strata (stratification), so one pass before the fixpoint suffices.
    for (const rule of aggregates) for (const tuple of aggregate(rule, solve(rule.body, database))) add(database, rule.head.name, tuple);
    for (let changed = true; changed;) {
      changed = false;
      for (const rule of plain) {
        for (const binding of solve(rule.body, database)) if (add(database, rule.head.name, headTuple(rule.head, binding))) changed = true;
      }
    }
  }
  const sends: StepOutput['sends'] = [];
  const deleted: StepOutput['deleted'] = [];
  const concluded = new Map<number, Tuple[]>();
  const watched = new Set(input.watch ?? []);
  program.rules.forEach((rule, index) => {
    if (held.has(index)) return;
    const kind = program.collections.get(rule.head.name)!.kind;
    if (watched.has(index) && !rule.delete) {
      // The fixpoint is complete: the rule's body now gives exactly what it concluded this step.
      const bindings = solve(rule.body, database);
      concluded.set(index, rule.head.terms.some((term) => term.kind === 'agg') ? aggregate(rule, bindings) : bindings.map((binding) => headTuple(rule.head, binding)));
    }
    if (kind === 'channel' && !rule.delete) {
      for (const binding of solve(rule.body, database)) {
        const tuple = headTuple(rule.head, binding);
        const target = String(tuple[0]);
        if (input.nodes.includes(target)) sends.push({ target, channel: rule.head.name, tuple });
      }
    } else if (rule.delete) {
      const gone = solve(rule.body, database).map((binding) => headTuple(rule.head, binding));
      for (const tuple of gone) deleted.push({ table: rule.head.name, tuple });
      if (watched.has(index)) concluded.set(index, gone);
    }
  });
  const tables: Database = new Map();
  for (const collection of program.collections.values()) {
    if (collection.kind === 'table') tables.set(collection.name, new Map(database.get(collection.name) ?? []));
  }
  for (const { table, tuple } of deleted) tables.get(table)?.delete(tupleKey(tuple));
  return { tables, view: database, sends, deleted, concluded };
}

/** A database as plain JSON: collection → sorted tuples (for status, persistence, comparison). */
export function databaseJson(database: Database, only?: (name: string) => boolean): Record<string, Tuple[]> {
  const json: Record<string, Tuple[]> = {};
  for (const name of [...database.keys()].sort()) {
    if (only !== undefined && !only(name)) continue;
    json[name] = [...database.get(name)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, tuple]) => tuple);
  }
  return json;
}
