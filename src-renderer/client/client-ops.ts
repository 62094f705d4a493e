// What the client panel offers on a run: each protocol's own client operations, the fields a
// person fills in for each, the `ClientOp` those fields make (checked first, so that a bad
// amount or an empty key gets a sentence, not a round trip); what the replies say is
// client-replies.ts.
//
// The operations follow each core's client handling (docs/protocols.md):
//   primary-backup           put, get
//   raft, multi-paxos        put, get, cas (value {from, to})
//   dynamo                   get (R), put (W, optional context of a read)
//   paxos                    propose, read
//   2pc                      transfer {from, to, amount}, balance (bank); put, get (data: kv)
//   crdt-gossip              update with the type's own update, read
//   calm                     input (a tuple into an input collection), read, seal, describe
//
// Pure: no DOM, no Vue — it runs under Node in the unit tests, which step the real cores with
// every operation built here. It reads what the run says about itself (its protocol, its
// parameters, the nodes' status facts, what a calm node's `describe` answered); it computes
// no protocol.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { CoreStatus } from '../../src-node/contract/core.ts';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import type { ClientOpOutcome, LabSnapshot } from '../../src-node/contract/lab-api.ts';
import { REPLICATED_TYPES } from '../../src-node/protocols/crdt/index.ts';
import { contextText, isRecord, parseDescription, show } from './client-replies.ts';

// ---- the model ---------------------------------------------------------------------------

export type FieldKind = 'text' | 'integer' | 'select' | 'checkbox';
export type FieldValue = string | boolean;
/** What the person typed or chose, by field name (a field not yet shown has no entry). */
export type FieldValues = Readonly<Record<string, FieldValue | undefined>>;

export interface ClientField {
  /** Unique within a protocol: operations that share a field share what was typed in it (the key). */
  name: string;
  label: string;
  kind: FieldKind;
  default: FieldValue;
  /** A select's choices. */
  options?: readonly { value: string; label: string }[];
  /** Values a text field suggests (the person may type others). */
  suggestions?: readonly string[];
  placeholder?: string;
  /** A tooltip: what the field means. */
  title?: string;
  /** The element's `data-field` (what the browser tests look for). */
  dataField: string;
  size: 'narrow' | 'normal' | 'wide';
  /** A line beside the field that depends on what was typed and read, e.g. what the last read of this key saw. */
  note?: (values: FieldValues, memory: ClientMemory) => string | null;
}

export type Built = { ok: true; op: ClientOp } | { ok: false; error: string };

export interface ClientOperation {
  /** The select's value: unique within the run's list (`put`, `increment`, `input:client_add`, …). */
  id: string;
  label: string;
  button: string;
  /** One sentence under the form: what it does and what comes back. */
  explain: string;
  fields: readonly ClientField[];
  build(values: FieldValues, memory: ClientMemory): Built;
}

/** What a calm node's `describe` answered (src-node/protocols/calm/core.ts `CalmDescription`), as far as the panel uses it. */
export interface CalmDescription {
  example: string | null;
  inputs: { collection: string; values: (string | number)[][] }[];
  /** Tables and scratch collections, the ones worth reading. */
  readable: string[];
}

/** The person's last read of a key that came back with a context (Dynamo), for a read-modify-write. */
export interface RememberedRead {
  key: string;
  node: NodeId;
  value: unknown;
  siblings: unknown[];
  context: unknown;
}

/** What the panel has learned from replies: the person's reads (their contexts) and the calm program's shape. */
export interface ClientMemory {
  reads: ReadonlyMap<string, RememberedRead>;
  calm: CalmDescription | null;
}

export const EMPTY_MEMORY: ClientMemory = Object.freeze({ reads: new Map<string, RememberedRead>(), calm: null });

/** What the run says about itself, as far as its client operations depend on it. */
export interface ClientSetting {
  protocol: string | null;
  /** The run's protocol parameters (defaults filled in for a live run); {} when unknown. */
  params: Readonly<Record<string, unknown>>;
  /** Every node's status facts (a fallback where the parameters are not at hand). */
  facts: readonly CoreStatus['facts'][];
  /** A calm node's program text (its view's listing), for the input columns' names. */
  calmListing: string | null;
  calm: CalmDescription | null;
}

// ---- reading the run -----------------------------------------------------------------------


/** The run's protocol parameters: the parsed ones a live run records, else the scenario's own. */
function paramsOf(config: unknown): Record<string, unknown> {
  if (!isRecord(config)) return {};
  if (isRecord(config['params'])) return config['params'];
  const scenario = config['scenario'];
  const protocol = isRecord(scenario) ? scenario['protocol'] : undefined;
  return isRecord(protocol) && isRecord(protocol['params']) ? protocol['params'] : {};
}

export function settingOf(snapshot: LabSnapshot | null, memory: ClientMemory): ClientSetting {
  const run = snapshot?.run ?? null;
  const statuses = (snapshot?.nodes ?? []).map((node) => node.status).filter((status): status is CoreStatus => status !== null);
  const calmView = statuses.map((status) => status.view).find((view) => view?.protocol === 'calm');
  return {
    protocol: run?.protocol ?? null,
    params: paramsOf(run?.config),
    facts: statuses.map((status) => status.facts),
    calmListing: calmView?.protocol === 'calm' ? calmView.listing : null,
    calm: memory.calm,
  };
}

/** A parameter, or the first node fact of that name, or null. */
function lookup(run: ClientSetting, param: string, fact = param): unknown {
  if (run.params[param] !== undefined) return run.params[param];
  return run.facts.map((facts) => facts[fact]).find((value) => value !== undefined && value !== null) ?? null;
}

/** A calm run needs its program's shape before it can offer inputs: the panel asks a node (`describe`). */
export function needsDescription(setting: ClientSetting): boolean {
  return setting.protocol === 'calm' && setting.calm === null;
}

/** What "auto" in the node menu means on this run (the lab asks the node that leads, else the first up, and follows one redirect). */
export function autoTargetLabel(protocol: string | null): string {
  switch (protocol) {
    case 'primary-backup': return 'auto (the primary)';
    case 'raft': case 'multi-paxos': return 'auto (the leader)';
    case '2pc': case '3pc': return 'auto (coordinator)';
    case 'dynamo': return 'auto (first node up)';
    case null: return 'auto (primary / leader)';
    default: return 'auto (first node up)';
  }
}

// ---- remembering replies -------------------------------------------------------------------

/**
 * Learns from one outcome: the person's (`person`) successful reads that carry a context —
 * the context a read-modify-write sends back — and any client's `describe` of a calm program
 * (the workload asks it first). Returns `memory` itself when there is nothing to learn.
 */
export function remember(memory: ClientMemory, outcome: ClientOpOutcome, person: string): ClientMemory {
  const { op, result } = outcome;
  if (result.type !== 'ok') return memory;
  if (op.f === 'describe') {
    const calm = parseDescription(result.value);
    return calm === null ? memory : { ...memory, calm };
  }
  if (op.f !== 'get' || outcome.client !== person || typeof op.key !== 'string' || result.context === undefined) return memory;
  const reads = new Map(memory.reads);
  reads.set(op.key, { key: op.key, node: outcome.node, value: result.value ?? null, siblings: result.siblings ?? [], context: result.context });
  return { ...memory, reads };
}

// ---- fields ----------------------------------------------------------------------------------

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };
const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refuse = (error: string): { ok: false; error: string } => ({ ok: false, error });

/** Longest key or element the lab sends (the cores and the lab refuse longer ones). */
const TEXT_CHARS_MAX = 256;
/** Largest amount or integer value a person may type (the cores' own bound). */
const AMOUNT_MAX = 1_000_000_000;

function keyField(defaultKey: string, label = 'key'): ClientField {
  return { name: 'key', label, kind: 'text', default: defaultKey, placeholder: label, dataField: 'client-key', size: 'normal' };
}

function valueField(label = 'value', title?: string): ClientField {
  return { name: 'value', label, kind: 'text', default: '1', placeholder: label, dataField: 'client-value', size: 'wide', ...(title ? { title } : {}) };
}

function text(values: FieldValues, name: string): string {
  const value = values[name];
  return typeof value === 'string' ? value : '';
}

/** A non-empty text of at most TEXT_CHARS_MAX characters, trimmed. */
function requiredText(values: FieldValues, name: string, what: string): Checked<string> {
  const value = text(values, name).trim();
  if (value === '') return refuse(`Type ${what}: it is empty.`);
  if (value.length > TEXT_CHARS_MAX) return refuse(`${capital(what)} is at most ${TEXT_CHARS_MAX} characters.`);
  return ok(value);
}

/** A whole number in [min, max], from what was typed. */
function integer(values: FieldValues, name: string, what: string, min: number, max: number): Checked<number> {
  const typed = text(values, name).trim();
  const value = Number(typed);
  if (typed === '' || !/^[+-]?\d+$/.test(typed) || !Number.isSafeInteger(value) || value < min || value > max) {
    const bound = (limit: number): string => limit.toLocaleString('en-US');
    return refuse(`${capital(what)} must be a whole number from ${bound(min)} to ${bound(max)}${typed === '' ? '' : `, not "${typed}"`}.`);
  }
  return ok(value);
}

const capital = (words: string): string => words.charAt(0).toUpperCase() + words.slice(1);

function key(values: FieldValues): Checked<string> {
  return requiredText(values, 'key', 'a key');
}

// ---- key-value protocols (primary-backup, raft, multi-paxos, 2pc with data: kv) --------------

const PUT: ClientOperation = {
  id: 'put', label: 'write (put)', button: 'Put', explain: 'Writes the value under the key.',
  fields: [keyField('x'), valueField()],
  build(values) {
    const checked = key(values);
    return checked.ok ? { ok: true, op: { f: 'put', key: checked.value, value: text(values, 'value') } } : checked;
  },
};

const GET: ClientOperation = {
  id: 'get', label: 'read (get)', button: 'Get', explain: 'Reads the key\'s value (null when it was never written).',
  fields: [keyField('x')],
  build(values) {
    const checked = key(values);
    return checked.ok ? { ok: true, op: { f: 'get', key: checked.value } } : checked;
  },
};

const CAS: ClientOperation = {
  id: 'cas', label: 'compare-and-set (cas)', button: 'Cas',
  explain: 'Writes the new value only if the key holds the expected one now; otherwise it fails and says what the key holds.',
  fields: [
    keyField('x'),
    { name: 'from', label: 'expected (from)', kind: 'text', default: '1', placeholder: 'from', title: 'cas writes only if the key holds this value now', dataField: 'client-from', size: 'normal' },
    valueField('new value (to)'),
  ],
  build(values) {
    const checked = key(values);
    return checked.ok ? { ok: true, op: { f: 'cas', key: checked.value, value: { from: text(values, 'from'), to: text(values, 'value') } } } : checked;
  },
};

// ---- dynamo ----------------------------------------------------------------------------------

/** N, R and W of the run: its parameters, else the `quorum` fact (`N=3 R=2 W=2`). */
function dynamoQuorum(run: ClientSetting): { n: number | null; r: number | null; w: number | null } {
  const fact = String(lookup(run, 'quorum') ?? '');
  const pick = (param: string, letter: string): number | null => {
    const value = run.params[param];
    if (typeof value === 'number') return value;
    const match = new RegExp(`${letter}=(\\d+)`).exec(fact);
    return match ? Number(match[1]) : null;
  };
  return { n: pick('n', 'N'), r: pick('r', 'R'), w: pick('w', 'W') };
}

function quorumField(name: 'r' | 'w', size: number | null, n: number | null): ClientField {
  const letter = name.toUpperCase();
  const what = name === 'r' ? 'replicas whose answers the read waits for' : 'replicas whose acknowledgements the write waits for';
  return {
    name, label: letter, kind: 'integer', default: size === null ? '' : String(size), placeholder: letter, dataField: `client-${name}`, size: 'narrow',
    title: `${letter}: ${what}${n === null ? '' : ` (1–${n}; N = ${n})`}; the run's own is ${size ?? 'unknown'}`,
  };
}

/** The per-request quorum, or nothing when the field is empty or says the run's own size. */
function quorumOf(values: FieldValues, name: 'r' | 'w', quorum: ReturnType<typeof dynamoQuorum>): Checked<number | null> {
  if (text(values, name).trim() === '') return ok(null);
  const size = integer(values, name, name.toUpperCase(), 1, quorum.n ?? AMOUNT_MAX);
  if (!size.ok) return size;
  return ok(size.value === quorum[name] ? null : size.value);
}

/** What the person's last read of `key` saw, for the line beside "with the context of my last read". */
export function readNote(memory: ClientMemory, key: string): string {
  const read = memory.reads.get(key.trim());
  if (read === undefined) return `no read of ${key.trim() || 'this key'} yet: read it first`;
  const versions = read.siblings.length === 0 ? 'nothing' : read.siblings.length === 1 ? show(read.siblings[0]) : `${read.siblings.length} siblings: ${read.siblings.map(show).join(' | ')}`;
  return `your read at ${read.node} saw ${versions} · context ${contextText(read.context)}`;
}

function dynamoOperations(run: ClientSetting): ClientOperation[] {
  const quorum = dynamoQuorum(run);
  const get: ClientOperation = {
    id: 'get', label: 'read (get)', button: 'Get',
    explain: 'Asks R replicas; the reply is the latest value, every sibling (concurrent versions), and the context to write back with.',
    fields: [keyField('x'), quorumField('r', quorum.r, quorum.n)],
    build(values) {
      const checked = key(values);
      if (!checked.ok) return checked;
      const r = quorumOf(values, 'r', quorum);
      if (!r.ok) return r;
      return { ok: true, op: { f: 'get', key: checked.value, ...(r.value === null ? {} : { quorum: { r: r.value } }) } };
    },
  };
  const put: ClientOperation = {
    id: 'put', label: 'write (put)', button: 'Put',
    explain: 'Writes to W replicas. With the context of your last read it replaces the siblings that read saw (read-modify-write); without, it is one more sibling.',
    fields: [
      keyField('x'), valueField(),
      {
        name: 'withContext', label: 'with the context of my last read of this key', kind: 'checkbox', default: false, dataField: 'client-with-context', size: 'wide',
        title: 'Send back the context your last read of this key returned: the versions this write supersedes',
        note: (values, memory) => readNote(memory, text(values, 'key')),
      },
      quorumField('w', quorum.w, quorum.n),
    ],
    build(values, memory) {
      const checked = key(values);
      if (!checked.ok) return checked;
      const w = quorumOf(values, 'w', quorum);
      if (!w.ok) return w;
      const op: ClientOp = { f: 'put', key: checked.value, value: text(values, 'value') };
      if (values['withContext'] === true) {
        const read = memory.reads.get(checked.value);
        if (read === undefined) return refuse(`Read ${checked.value} first: writing back with a context needs a read of that key (or untick "with the context").`);
        op.context = read.context;
      }
      if (w.value !== null) op.quorum = { w: w.value };
      return { ok: true, op };
    },
  };
  return [get, put];
}

// ---- paxos -------------------------------------------------------------------------------------

const PAXOS_OPERATIONS: readonly ClientOperation[] = [
  {
    id: 'propose', label: 'propose a value', button: 'Propose',
    explain: 'Asks the node to get the value chosen. The answer is the value chosen — maybe another client\'s, and once chosen it never changes.',
    fields: [valueField('value to propose')],
    build(values) {
      const value = requiredText(values, 'value', 'a value to propose');
      return value.ok ? { ok: true, op: { f: 'propose', value: value.value } } : value;
    },
  },
  {
    id: 'read', label: 'read what was learned', button: 'Read', explain: 'The value this node has learned was chosen, or null if it has learned nothing yet.',
    fields: [],
    build: () => ({ ok: true, op: { f: 'read' } }),
  },
];

// ---- 2pc -----------------------------------------------------------------------------------------

function accountField(name: string, label: string, accounts: number | null, fallback: string, dataField: string): ClientField {
  if (accounts === null) return { name, label, kind: 'text', default: fallback, placeholder: 'a1', dataField, size: 'narrow' };
  const options = Array.from({ length: accounts }, (_, index) => ({ value: `a${index + 1}`, label: `a${index + 1}` }));
  return { name, label, kind: 'select', default: options.some((option) => option.value === fallback) ? fallback : options[0]?.value ?? fallback, options, dataField, size: 'narrow' };
}

function account(values: FieldValues, name: string, what: string, accounts: number | null): Checked<string> {
  const value = text(values, name).trim();
  const number = /^a([1-9]\d*)$/.exec(value);
  if (number === null || (accounts !== null && Number(number[1]) > accounts)) {
    return refuse(`${capital(what)} must be an account a1…a${accounts ?? 'N'}${value === '' ? '' : `, not "${value}"`}.`);
  }
  return ok(value);
}

function bankOperations(run: ClientSetting): ClientOperation[] {
  // Only the parameter: a participant's `accounts` fact counts the accounts it holds, not all of them.
  const configured = run.params['accounts'];
  const accounts = typeof configured === 'number' ? configured : null;
  const transfer: ClientOperation = {
    id: 'transfer', label: 'transfer money', button: 'Transfer',
    explain: 'One transaction on the participants holding the two accounts: all of it commits or none. The reply names the transaction and its participants, or why it aborted.',
    fields: [
      accountField('from', 'from', accounts, 'a1', 'client-from-account'),
      accountField('to', 'to', accounts, 'a2', 'client-to-account'),
      { name: 'amount', label: 'amount', kind: 'integer', default: '10', placeholder: 'amount', dataField: 'client-amount', size: 'narrow' },
    ],
    build(values) {
      const from = account(values, 'from', 'the account to pay from', accounts);
      if (!from.ok) return from;
      const to = account(values, 'to', 'the account to pay to', accounts);
      if (!to.ok) return to;
      if (from.value === to.value) return refuse('A transfer needs two different accounts.');
      const amount = integer(values, 'amount', 'the amount', 1, AMOUNT_MAX);
      return amount.ok ? { ok: true, op: { f: 'transfer', value: { from: from.value, to: to.value, amount: amount.value } } } : amount;
    },
  };
  const balance: ClientOperation = {
    id: 'balance', label: 'read a balance', button: 'Read',
    explain: 'The committed balance of an account, read where it lives (a transfer still being voted on is not in it).',
    fields: [accountField('account', 'account', accounts, 'a1', 'client-account')],
    build(values) {
      const checked = account(values, 'account', 'the account', accounts);
      return checked.ok ? { ok: true, op: { f: 'balance', key: checked.value } } : checked;
    },
  };
  return [transfer, balance];
}

function twoPhaseCommitOperations(run: ClientSetting): ClientOperation[] {
  const data = run.params['data'];
  // Without the parameters: a kv coordinator names itself in a `coordinator` fact, a bank one does not.
  const keyValue = data === 'kv' || (data === undefined && run.facts.some((facts) => facts['coordinator'] !== undefined));
  if (!keyValue) return bankOperations(run);
  const rounds = run.protocol === '3pc'
    ? 'can-commit, votes, pre-commit, acknowledgements, do-commit, have-committed'
    : 'prepare, votes, commit, acknowledgements';
  return [
    { ...PUT, explain: `Writes the value on every participant in one transaction (${rounds}).` },
    { ...GET, explain: 'The coordinator answers from what it has committed (null when the key was never written).' },
  ];
}

// ---- crdt-gossip ---------------------------------------------------------------------------------

type CrdtUpdateKind = 'increment' | 'decrement' | 'max' | 'assign' | 'add' | 'remove' | 'append';

/** Each type's updates, in the order the menu offers them (a new type without an entry offers a raw JSON update). */
const CRDT_UPDATES: Readonly<Record<string, readonly CrdtUpdateKind[]>> = {
  'g-counter': ['increment'],
  'pn-counter': ['increment', 'decrement'],
  'max-register': ['max'],
  'lww-register': ['assign'],
  'mv-register': ['assign'],
  'g-set': ['add'],
  '2p-set': ['add', 'remove'],
  'lww-element-set': ['add', 'remove'],
  'pn-set': ['add', 'remove'],
  'or-set': ['add', 'remove'],
  'naive-concat': ['append'],
};

/** The key a type's workload uses (src-main/workload/crdt.ts `crdtKeyName`), so the person's updates land where the view looks. */
function crdtKey(type: string): string {
  return type.endsWith('counter') ? 'counter' : type.endsWith('register') ? 'register' : type === 'naive-concat' ? 'text' : 'set';
}

interface CrdtUpdateShape {
  label: string;
  explain: string;
  field: ClientField;
  /** The update's JSON from the filled field, or why not. */
  value(values: FieldValues): Checked<Record<string, unknown>>;
}

function crdtUpdateShape(kind: CrdtUpdateKind): CrdtUpdateShape {
  const amountField: ClientField = { name: 'amount', label: 'amount', kind: 'integer', default: '1', placeholder: 'amount', dataField: 'client-amount', size: 'narrow' };
  const elementField: ClientField = { name: 'element', label: 'element', kind: 'text', default: 'milk', placeholder: 'element', dataField: 'client-value', size: 'wide' };
  const byAmount = (values: FieldValues): Checked<Record<string, unknown>> => {
    const amount = integer(values, 'amount', 'the amount', 1, AMOUNT_MAX);
    return amount.ok ? ok({ op: kind, amount: amount.value }) : amount;
  };
  const byElement = (values: FieldValues): Checked<Record<string, unknown>> => {
    const element = requiredText(values, 'element', 'an element');
    return element.ok ? ok({ op: kind, element: element.value }) : element;
  };
  switch (kind) {
    case 'increment': return { label: 'increment', explain: 'Adds the amount here, at once; gossip carries it to the others.', field: amountField, value: byAmount };
    case 'decrement': return { label: 'decrement', explain: 'Subtracts the amount here, at once; gossip carries it to the others.', field: amountField, value: byAmount };
    case 'add': return { label: 'add an element', explain: 'Adds the element here, at once; gossip carries it to the others.', field: elementField, value: byElement };
    case 'remove': return { label: 'remove an element', explain: 'Removes the element (only one this replica has in the set); the type decides what a concurrent add does.', field: elementField, value: byElement };
    case 'max': return {
      label: 'raise to (max)', explain: 'The register keeps the largest value any replica saw.',
      field: { ...amountField, name: 'number', label: 'value', default: '7', placeholder: 'value', dataField: 'client-value' },
      value: (values) => {
        const number = integer(values, 'number', 'the value', -AMOUNT_MAX, AMOUNT_MAX);
        return number.ok ? ok({ op: 'max', value: number.value }) : number;
      },
    };
    case 'assign': return { label: 'assign a value', explain: 'Writes the register here; the type decides how concurrent writes meet.', field: valueField(), value: (values) => ok({ op: 'assign', value: text(values, 'value') }) };
    case 'append': return {
      label: 'append text', explain: 'Appends the text in the order this replica hears of it — not a CRDT: replicas end in different orders.',
      field: { ...elementField, name: 'text', label: 'text', default: 'hello', placeholder: 'text' },
      value: (values) => {
        const piece = requiredText(values, 'text', 'some text');
        return piece.ok ? ok({ op: 'append', text: piece.value }) : piece;
      },
    };
  }
}

function crdtUpdateOperation(type: string, kind: CrdtUpdateKind): ClientOperation {
  const shape = crdtUpdateShape(kind);
  const crdt = REPLICATED_TYPES.get(type);
  return {
    id: kind, label: shape.label, button: capital(kind), explain: shape.explain,
    fields: [keyField(crdtKey(type)), shape.field],
    build(values) {
      const checked = key(values);
      if (!checked.ok) return checked;
      const update = shape.value(values);
      if (!update.ok) return update;
      // The type's own check, the one the node applies: what passes here, the node takes.
      const parsed = crdt?.parseUpdate(update.value);
      if (parsed !== undefined && !parsed.ok) return refuse(`${capital(parsed.error)}.`);
      return { ok: true, op: { f: 'update', key: checked.value, value: update.value } };
    },
  };
}

/** For a type the panel does not know: the update as JSON, checked by the node. */
function rawUpdateOperation(type: string): ClientOperation {
  return {
    id: 'update', label: 'update (JSON)', button: 'Update', explain: `A ${type} update as JSON, e.g. {"op": "add", "element": "milk"}.`,
    fields: [keyField(crdtKey(type)), { ...valueField('update (JSON)'), default: '{"op": "add", "element": "milk"}' }],
    build(values) {
      const checked = key(values);
      if (!checked.ok) return checked;
      try {
        return { ok: true, op: { f: 'update', key: checked.value, value: JSON.parse(text(values, 'value')) as unknown } };
      } catch {
        return refuse('The update is not JSON, e.g. {"op": "add", "element": "milk"}.');
      }
    },
  };
}

function crdtOperations(run: ClientSetting): ClientOperation[] {
  const configured = lookup(run, 'type');
  const type = typeof configured === 'string' ? configured : 'or-set';
  const updates = CRDT_UPDATES[type];
  const read: ClientOperation = {
    id: 'read', label: 'read', button: 'Read', explain: 'This replica\'s value now — what it has heard so far; others may differ until gossip reaches them.',
    fields: [keyField(crdtKey(type))],
    build(values) {
      const checked = key(values);
      return checked.ok ? { ok: true, op: { f: 'read', key: checked.value } } : checked;
    },
  };
  return [...(updates === undefined ? [rawUpdateOperation(type)] : updates.map((kind) => crdtUpdateOperation(type, kind))), read];
}

// ---- calm ----------------------------------------------------------------------------------------

/** The column names of an input collection, from its declaration in the program (`input client_put(key, value).`). */
function inputColumns(listing: string | null, collection: string): string[] | null {
  if (listing === null) return null;
  for (const line of listing.split('\n')) {
    const declared = /^\s*input\s+([A-Za-z_]\w*)\s*\(([^)]*)\)/.exec(line);
    if (declared?.[1] === collection) return declared[2]!.split(',').map((column) => column.trim()).filter((column) => column !== '');
  }
  return null;
}

function calmInputOperation(input: CalmDescription['inputs'][number], listing: string | null): ClientOperation {
  const columns = inputColumns(listing, input.collection);
  const arity = input.values.length;
  const names = Array.from({ length: arity }, (_, index) => (columns?.length === arity ? columns[index]! : `value ${index + 1}`));
  const fields: ClientField[] = names.map((name, index) => ({
    name: `${input.collection}.${index}`, label: name, kind: 'text', default: String(input.values[index]?.[0] ?? ''), placeholder: name,
    suggestions: (input.values[index] ?? []).map(String), dataField: `client-tuple-${index}`, size: 'normal',
  }));
  return {
    id: `input:${input.collection}`, label: `input into ${input.collection}`, button: 'Input',
    explain: `Gives this node the tuple ${input.collection}(${names.join(', ')}); it joins the node's next step.`,
    fields,
    build(values) {
      const tuple: (string | number)[] = [];
      for (const [index, name] of names.entries()) {
        const value = requiredText(values, `${input.collection}.${index}`, `a ${name}`);
        if (!value.ok) return value;
        // A column whose declared values are numbers takes a typed number as a number (3, not "3").
        const numeric = (input.values[index] ?? []).length > 0 && (input.values[index] ?? []).every((candidate) => typeof candidate === 'number');
        tuple.push(numeric && /^-?\d+(\.\d+)?$/.test(value.value) ? Number(value.value) : value.value);
      }
      return { ok: true, op: { f: 'input', key: input.collection, value: tuple } };
    },
  };
}

function calmOperations(run: ClientSetting): ClientOperation[] {
  const described = run.calm;
  const inputs = described?.inputs.map((input) => input.collection) ?? [];
  const readable = described === null ? [] : [...new Set([...described.readable, ...inputs])];
  const collectionField: ClientField = readable.length > 0
    ? { name: 'collection', label: 'collection', kind: 'select', default: readable[0]!, options: readable.map((name) => ({ value: name, label: name })), dataField: 'client-collection', size: 'normal' }
    : { name: 'collection', label: 'collection', kind: 'text', default: '', placeholder: 'collection', dataField: 'client-collection', size: 'normal' };
  const read: ClientOperation = {
    id: 'read', label: 'read a collection', button: 'Read', explain: 'The tuples this node holds in the collection now.',
    fields: [collectionField],
    build(values) {
      const collection = requiredText(values, 'collection', 'a collection');
      return collection.ok ? { ok: true, op: { f: 'read', key: collection.value } } : collection;
    },
  };
  const seal: ClientOperation = {
    id: 'seal', label: 'seal an input', button: 'Seal',
    explain: 'Promises this node no more input there (for good): with coordination on, the rules waiting on it may then run.',
    // One input by default: a seal cannot be taken back, so "all" is a choice, not the default.
    fields: [{
      name: 'sealed', label: 'input', kind: 'select', default: inputs[0] ?? '', dataField: 'client-seal',
      options: [...inputs.map((name) => ({ value: name, label: name })), { value: '', label: 'all inputs' }], size: 'normal',
    }],
    build(values) {
      const sealed = text(values, 'sealed');
      return { ok: true, op: sealed === '' ? { f: 'seal' } : { f: 'seal', key: sealed } };
    },
  };
  const describe: ClientOperation = {
    id: 'describe', label: 'describe the program', button: 'Describe', explain: 'What the program takes: its input collections and what can be read.',
    fields: [], build: () => ({ ok: true, op: { f: 'describe' } }),
  };
  return [...(described?.inputs ?? []).map((input) => calmInputOperation(input, run.calmListing)), read, seal, describe];
}

// ---- the list ---------------------------------------------------------------------------------------

/** The operations the panel offers on this run, the first being the one it starts with. */
export function clientOperations(run: ClientSetting): ClientOperation[] {
  switch (run.protocol) {
    case 'primary-backup': return [PUT, GET];
    case 'dynamo': return dynamoOperations(run);
    case 'paxos': return [...PAXOS_OPERATIONS];
    case '2pc': case '3pc': return twoPhaseCommitOperations(run);
    case 'crdt-gossip': return crdtOperations(run);
    case 'calm': return calmOperations(run);
    // raft, multi-paxos, and whatever the panel has not heard of yet: the key-value operations.
    default: return [PUT, GET, CAS];
  }
}

/** Every field's default, for the fields not yet filled (what was typed stays, also across operations that share a field). */
export function withDefaults(operations: readonly ClientOperation[], values: FieldValues): Record<string, FieldValue> {
  const filled: Record<string, FieldValue> = {};
  for (const operation of operations) {
    for (const field of operation.fields) filled[field.name] = values[field.name] ?? field.default;
  }
  return filled;
}
