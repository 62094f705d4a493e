// A small Datalog for node programs, in the spirit of Dedalus and Bloom (Alvaro, Conway,
// Hellerstein, Marczak), for the book's "The CALM theorem": a program is a set of unordered
// rules over collections, so what it computes can be checked for monotonicity.
//
//   table cart(item).               % persists from one step to the next
//   scratch total(n).               % recomputed every step
//   channel add(@node, item).       % a tuple derived here is sent to the node in the @ column
//   input client_add(item).         % what a client hands one node
//
//   cart(I) :- client_add(I).
//   add(@N, I) :- client_add(I), node(N), me(M), N != M.
//   cart(I) :- add(_, I).
//   delete cart(I) :- client_remove(I).      % deletion: applied at the end of the step
//   total(count<I>) :- cart(I).              % aggregation: count, sum, min, max
//   missing(X) :- expected(X), not got(X).   % negation
//   size(3).                                 % a fact: holds from the start
//
// Built-in collections: node(N) lists every node of the cluster, me(N) holds this node.
// Variables start with an upper-case letter or `_`; constants are numbers, "strings" or
// lower-case words. Comments start with `%` or `//`.
//
// Every program is checked when parsed: collections declared before use with the right arity,
// rule heads writable, every variable of a head, a negated atom or a comparison bound by a
// positive atom of the body (range restriction), and no recursion through negation or
// aggregation (stratification). Errors name the line.

export type CollectionKind = 'table' | 'scratch' | 'channel' | 'input' | 'builtin';

export interface Collection {
  kind: CollectionKind;
  name: string;
  columns: string[];
  line: number;
}

export type Constant = string | number;

export type Term =
  | { kind: 'var'; name: string }
  | { kind: 'const'; value: Constant }
  | { kind: 'wildcard' }
  | { kind: 'agg'; fn: 'count' | 'sum' | 'min' | 'max'; name: string };

export interface Atom {
  name: string;
  terms: Term[];
}

export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Literal =
  | { kind: 'atom'; atom: Atom; negated: boolean }
  | { kind: 'compare'; op: ComparisonOp; left: Term; right: Term };

export interface Rule {
  head: Atom;
  body: Literal[];
  /** `delete h :- body.`: the tuples of h the body finds leave the table at the end of the step. */
  delete: boolean;
  /** The rule as written (one line, normalized spaces), for reports. */
  text: string;
  line: number;
}

export interface Program {
  collections: Map<string, Collection>;
  rules: Rule[];
  /** Initial tuples of tables (rules with no body). */
  facts: Atom[];
  /** Rule strata: strata[i] lists the indexes of rules evaluated in stratum i. */
  strata: number[][];
}

export const PROGRAM_LIMITS = Object.freeze({ textMax: 100_000, rulesMax: 500, collectionsMax: 200, termsMax: 16 });

export const BUILTINS: readonly Collection[] = [
  { kind: 'builtin', name: 'node', columns: ['node'], line: 0 },
  { kind: 'builtin', name: 'me', columns: ['node'], line: 0 },
];

export class ProgramError extends Error {}

// ---- lexer -----------------------------------------------------------------------------------

type Token = { kind: 'ident' | 'var' | 'number' | 'string' | 'punct'; text: string; line: number };

const PUNCT = [':-', '==', '!=', '<=', '>=', '(', ')', ',', '.', '<', '>', '@'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '\n') { line += 1; index += 1; continue; }
    if (/\s/.test(char)) { index += 1; continue; }
    if (char === '%' || text.startsWith('//', index)) {
      while (index < text.length && text[index] !== '\n') index += 1;
      continue;
    }
    if (char === '"') {
      let end = index + 1;
      while (end < text.length && text[end] !== '"' && text[end] !== '\n') end += 1;
      if (text[end] !== '"') throw new ProgramError(`line ${line}: a string is not closed`);
      tokens.push({ kind: 'string', text: text.slice(index + 1, end), line });
      index = end + 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index, index + 200));
    if (word !== null) {
      const first = word[0][0]!;
      tokens.push({ kind: first === '_' || (first >= 'A' && first <= 'Z') ? 'var' : 'ident', text: word[0], line });
      index += word[0].length;
      continue;
    }
    const number = /^-?[0-9]+(\.[0-9]+)?/.exec(text.slice(index, index + 40));
    if (number !== null) {
      tokens.push({ kind: 'number', text: number[0], line });
      index += number[0].length;
      continue;
    }
    const punct = PUNCT.find((candidate) => text.startsWith(candidate, index));
    if (punct === undefined) throw new ProgramError(`line ${line}: unexpected character '${char}'`);
    tokens.push({ kind: 'punct', text: punct, line });
    index += punct.length;
  }
  return tokens;
}

// ---- parser ----------------------------------------------------------------------------------

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.position >= this.tokens.length;
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  line(): number {
    return this.peek()?.line ?? this.tokens.at(-1)?.line ?? 1;
  }

  next(): Token {
    const token = this.tokens[this.position];
    if (token === undefined) throw new ProgramError(`line ${this.line()}: the program ends in the middle of a statement`);
    this.position += 1;
    return token;
  }

  expect(text: string): void {
    const token = this.next();
    if (token.text !== text || (token.kind !== 'punct' && token.kind !== 'ident')) throw new ProgramError(`line ${token.line}: expected '${text}', found '${token.text}'`);
  }

  accept(text: string): boolean {
    const token = this.peek();
    if (token !== undefined && token.text === text && (token.kind === 'punct' || token.kind === 'ident')) {
      this.position += 1;
      return true;
    }
    return false;
  }
}

const DECLARATIONS = new Set(['table', 'scratch', 'channel', 'input']);
const AGGREGATES = new Set(['count', 'sum', 'min', 'max']);
const COMPARISONS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

function parseTerm(parser: Parser, allowAggregate: boolean): Term {
  const token = parser.next();
  if (token.kind === 'var') return token.text === '_' ? { kind: 'wildcard' } : { kind: 'var', name: token.text };
  if (token.kind === 'number') return { kind: 'const', value: Number(token.text) };
  if (token.kind === 'string') return { kind: 'const', value: token.text };
  if (token.kind === 'ident' && AGGREGATES.has(token.text) && parser.peek()?.text === '<') {
    if (!allowAggregate) throw new ProgramError(`line ${token.line}: an aggregate (${token.text}<…>) belongs in a rule's head`);
    parser.expect('<');
    const variable = parser.next();
    if (variable.kind !== 'var' || variable.text === '_') throw new ProgramError(`line ${variable.line}: ${token.text}<…> takes a variable`);
    parser.expect('>');
    return { kind: 'agg', fn: token.text as 'count', name: variable.text };
  }
  if (token.kind === 'ident') return { kind: 'const', value: token.text };
  throw new ProgramError(`line ${token.line}: expected a term, found '${token.text}'`);
}

function parseAtom(parser: Parser, inHead: boolean): Atom {
  const name = parser.next();
  if (name.kind !== 'ident') throw new ProgramError(`line ${name.line}: expected a collection name, found '${name.text}'`);
  parser.expect('(');
  const terms: Term[] = [];
  if (!parser.accept(')')) {
    do {
      parser.accept('@'); // the location marker is documentation at use sites; the declaration decides
      terms.push(parseTerm(parser, inHead));
      if (terms.length > PROGRAM_LIMITS.termsMax) throw new ProgramError(`line ${name.line}: at most ${PROGRAM_LIMITS.termsMax} terms`);
    } while (parser.accept(','));
    parser.expect(')');
  }
  return { name: name.text, terms };
}

function parseLiteral(parser: Parser): Literal {
  if (parser.peek()?.text === 'not' && parser.peek()?.kind === 'ident' && parser.peek(1)?.kind === 'ident') {
    parser.next();
    return { kind: 'atom', atom: parseAtom(parser, false), negated: true };
  }
  if (parser.peek()?.kind === 'ident' && parser.peek(1)?.text === '(') return { kind: 'atom', atom: parseAtom(parser, false), negated: false };
  const left = parseTerm(parser, false);
  const op = parser.next();
  if (!COMPARISONS.has(op.text)) throw new ProgramError(`line ${op.line}: expected a comparison (== != < <= > >=), found '${op.text}'`);
  return { kind: 'compare', op: op.text as ComparisonOp, left, right: parseTerm(parser, false) };
}

function termText(term: Term): string {
  switch (term.kind) {
    case 'var': return term.name;
    case 'wildcard': return '_';
    case 'const': return typeof term.value === 'number' ? String(term.value) : /^[a-z][A-Za-z0-9_]*$/.test(term.value) ? term.value : JSON.stringify(term.value);
    case 'agg': return `${term.fn}<${term.name}>`;
  }
}

export function atomText(atom: Atom): string {
  return `${atom.name}(${atom.terms.map(termText).join(', ')})`;
}

function ruleText(rule: Omit<Rule, 'text' | 'line'>): string {
  const body = rule.body.map((literal) => (literal.kind === 'atom' ? `${literal.negated ? 'not ' : ''}${atomText(literal.atom)}` : `${termText(literal.left)} ${literal.op} ${termText(literal.right)}`));
  return `${rule.delete ? 'delete ' : ''}${atomText(rule.head)}${body.length > 0 ? ` :- ${body.join(', ')}` : ''}.`;
}

export function parseProgram(text: string): Program {
  if (text.length > PROGRAM_LIMITS.textMax) throw new ProgramError(`a program is at most ${PROGRAM_LIMITS.textMax} characters`);
  const parser = new Parser(tokenize(text));
  const collections = new Map<string, Collection>(BUILTINS.map((builtin) => [builtin.name, builtin]));
  const rules: Rule[] = [];
  const facts: Atom[] = [];
  while (!parser.done) {
    const line = parser.line();
    const first = parser.peek()!;
    if (first.kind === 'ident' && DECLARATIONS.has(first.text) && parser.peek(1)?.kind === 'ident' && parser.peek(2)?.text === '(') {
      parser.next();
      const name = parser.next().text;
      if (collections.has(name)) throw new ProgramError(`line ${line}: '${name}' is declared twice`);
      parser.expect('(');
      const columns: string[] = [];
      let located = false;
      if (!parser.accept(')')) {
        do {
          if (parser.accept('@')) {
            if (columns.length > 0) throw new ProgramError(`line ${line}: only a channel's first column may be its location (@)`);
            located = true;
          }
          const column = parser.next();
          if (column.kind !== 'ident' && column.kind !== 'var') throw new ProgramError(`line ${column.line}: expected a column name, found '${column.text}'`);
          columns.push(column.text);
        } while (parser.accept(','));
        parser.expect(')');
      }
      parser.expect('.');
      if (first.text === 'channel' && !located) throw new ProgramError(`line ${line}: a channel's first column is its location: channel ${name}(@node, …)`);
      if (first.text !== 'channel' && located) throw new ProgramError(`line ${line}: only channels have a location column (@)`);
      collections.set(name, { kind: first.text as CollectionKind, name, columns, line });
      if (collections.size > PROGRAM_LIMITS.collectionsMax) throw new ProgramError(`at most ${PROGRAM_LIMITS.collectionsMax} collections`);
      continue;
    }
    const isDelete = parser.accept('delete');
    const head = parseAtom(parser, true);
    const body: Literal[] = [];
    if (parser.accept(':-')) {
      do body.push(parseLiteral(parser)); while (parser.accept(','));
    }
    parser.expect('.');
    const rule = { head, body, delete: isDelete };
    if (body.length === 0 && !isDelete) facts.push(head);
    else rules.push({ ...rule, text: ruleText(rule), line });
    if (rules.length > PROGRAM_LIMITS.rulesMax) throw new ProgramError(`at most ${PROGRAM_LIMITS.rulesMax} rules`);
  }
  const program: Program = { collections, rules, facts, strata: [] };
  check(program);
  program.strata = stratify(program);
  return program;
}

// ---- checks ----------------------------------------------------------------------------------

function collectionOf(program: Program, atom: Atom, line: number): Collection {
  const collection = program.collections.get(atom.name);
  if (collection === undefined) throw new ProgramError(`line ${line}: '${atom.name}' is not declared (declare it: table ${atom.name}(…).)`);
  if (collection.columns.length !== atom.terms.length) throw new ProgramError(`line ${line}: ${atom.name} has ${collection.columns.length} column(s), not ${atom.terms.length}`);
  return collection;
}

function variablesOf(terms: readonly Term[]): string[] {
  return terms.flatMap((term) => (term.kind === 'var' || term.kind === 'agg' ? [term.name] : []));
}

function check(program: Program): void {
  for (const fact of program.facts) {
    const collection = collectionOf(program, fact, 0);
    if (collection.kind !== 'table') throw new ProgramError(`a fact (${atomText(fact)}) must be of a table`);
    if (fact.terms.some((term) => term.kind !== 'const')) throw new ProgramError(`a fact (${atomText(fact)}) holds constants only`);
  }
  for (const rule of program.rules) {
    const head = collectionOf(program, rule.head, rule.line);
    if (head.kind === 'input' || head.kind === 'builtin') throw new ProgramError(`line ${rule.line}: ${head.name} is ${head.kind === 'input' ? 'an input' : 'built in'}: rules cannot derive it`);
    if (rule.delete && head.kind !== 'table') throw new ProgramError(`line ${rule.line}: only tables can be deleted from`);
    const aggregates = rule.head.terms.filter((term) => term.kind === 'agg');
    if (aggregates.length > 0 && (head.kind === 'channel' || rule.delete)) throw new ProgramError(`line ${rule.line}: aggregate into a table or scratch`);
    const bound = new Set<string>();
    for (const literal of rule.body) {
      if (literal.kind !== 'atom') continue;
      collectionOf(program, literal.atom, rule.line);
      if (!literal.negated) for (const name of variablesOf(literal.atom.terms)) bound.add(name);
    }
    if (!rule.body.some((literal) => literal.kind === 'atom' && !literal.negated)) throw new ProgramError(`line ${rule.line}: a rule needs at least one positive atom in its body`);
    const mustBeBound = [
      ...variablesOf(rule.head.terms).map((name) => ({ name, where: 'the head' })),
      ...rule.body.flatMap((literal) => (literal.kind === 'atom' && literal.negated ? variablesOf(literal.atom.terms).map((name) => ({ name, where: `not ${literal.atom.name}` }))
        : literal.kind === 'compare' ? variablesOf([literal.left, literal.right]).map((name) => ({ name, where: 'a comparison' })) : [])),
    ];
    for (const { name, where } of mustBeBound) {
      if (!bound.has(name)) throw new ProgramError(`line ${rule.line}: variable ${name} in ${where} is not bound by a positive atom of the body`);
    }
    if (rule.head.terms.some((term) => term.kind === 'wildcard')) throw new ProgramError(`line ${rule.line}: a head cannot hold _`);
  }
}

/** Whether a rule's dependency on its body is non-monotone: negated atoms, and every body atom of an aggregate or a deletion. */
function negativeDependencies(rule: Rule): Set<string> {
  const aggregate = rule.head.terms.some((term) => term.kind === 'agg');
  const names = new Set<string>();
  for (const literal of rule.body) {
    if (literal.kind !== 'atom') continue;
    if (literal.negated || aggregate || rule.delete) names.add(literal.atom.name);
  }
  return names;
}

/**
 * Orders rules into strata so that a collection is complete before anything negates or
 * aggregates it. Channels break cycles: a tuple sent now is seen in a later step. Throws on
 * recursion through negation or aggregation (no stratification exists).
 */
function stratify(program: Program): number[][] {
  const derived = [...program.collections.values()].filter((collection) => collection.kind === 'table' || collection.kind === 'scratch').map((collection) => collection.name);
  const stratum = new Map<string, number>(derived.map((name) => [name, 0]));
  const limit = derived.length + 1;
  for (let changed = true, rounds = 0; changed; rounds += 1) {
    changed = false;
    if (rounds > limit) {
      const cycle = program.rules.find((rule) => !rule.delete && [...negativeDependencies(rule)].some((name) => stratum.has(name) && stratum.get(name)! >= stratum.get(rule.head.name)!));
      throw new ProgramError(`line ${cycle?.line ?? 0}: recursion through negation or aggregation (${cycle?.text ?? 'a cycle'}): no stratum can be complete before it is read`);
    }
    for (const rule of program.rules) {
      if (rule.delete || !stratum.has(rule.head.name)) continue;
      const negative = negativeDependencies(rule);
      for (const literal of rule.body) {
        if (literal.kind !== 'atom' || !stratum.has(literal.atom.name)) continue;
        const needed = stratum.get(literal.atom.name)! + (negative.has(literal.atom.name) ? 1 : 0);
        if (needed > stratum.get(rule.head.name)!) {
          stratum.set(rule.head.name, needed);
          changed = true;
        }
      }
    }
  }
  const count = Math.max(0, ...stratum.values()) + 1;
  const strata: number[][] = Array.from({ length: count }, () => []);
  program.rules.forEach((rule, index) => {
    if (rule.delete || !stratum.has(rule.head.name)) return;
    strata[stratum.get(rule.head.name)!]!.push(index);
  });
  return strata;
}
