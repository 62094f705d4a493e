// How the lab's replies read in the client panel: a value, a Dynamo context, a calm node's
// `describe`, and each outcome as the list shows it — what was asked and what came back, in
// the protocol's terms (Dynamo's siblings and context, the value Paxos chose, the 2PC
// transaction and its participants, a CRDT's new value, a CALM collection's tuples). The
// menu of operations is client-ops.ts; this is what their answers say. Pure: no DOM, no Vue.

import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { ClientOpOutcome } from '../../src-node/contract/lab-api.ts';
import type { CalmDescription } from './client-ops.ts';

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A calm node's `describe` answer, if it has the shape (it is read from the wire). */
export function parseDescription(raw: unknown): CalmDescription | null {
  if (!isRecord(raw) || !Array.isArray(raw['inputs']) || !Array.isArray(raw['readable'])) return null;
  const inputs: CalmDescription['inputs'] = [];
  for (const input of raw['inputs']) {
    if (!isRecord(input) || typeof input['collection'] !== 'string' || !Array.isArray(input['values'])) return null;
    const values = input['values'].map((column) => (Array.isArray(column) ? column.filter((value): value is string | number => typeof value === 'string' || typeof value === 'number') : []));
    inputs.push({ collection: input['collection'], values });
  }
  return {
    example: typeof raw['example'] === 'string' ? raw['example'] : null,
    inputs,
    readable: raw['readable'].filter((name): name is string => typeof name === 'string'),
  };
}

/** A value as the list shows it: a string as it is, anything else as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A Dynamo context as its vector: `{n1:2, n3:1}`. */
export function contextText(context: unknown): string {
  const vector = isRecord(context) && isRecord(context['vector']) ? context['vector'] : null;
  if (vector === null) return show(context);
  const entries = Object.entries(vector).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  return `{${entries.map(([node, counter]) => `${node}:${show(counter)}`).join(', ')}}`;
}

const tupleText = (tuple: unknown): string => (Array.isArray(tuple) ? `(${tuple.map(show).join(', ')})` : show(tuple));

/** An update of a CRDT as words: `increment 2`, `add milk`, `assign v`. */
function updateText(update: unknown): string {
  if (!isRecord(update) || typeof update['op'] !== 'string') return show(update);
  const argument = update['amount'] ?? update['element'] ?? update['value'] ?? update['text'];
  return argument === undefined ? update['op'] : `${update['op']} ${show(argument)}`;
}

/** What was asked, as the list's first line: `put x = 1`, `transfer 10 a1 → a2`, `input client_add (milk)`. */
export function opText(op: ClientOp): string {
  const key = op.key ?? '';
  const value = isRecord(op.value) ? op.value : null;
  switch (op.f) {
    case 'cas': return value !== null && 'to' in value ? `cas ${key} ${show(value['from'] ?? null)} → ${show(value['to'])}` : `cas ${key} = ${show(op.value)}`;
    case 'transfer': return value !== null ? `transfer ${show(value['amount'])} ${show(value['from'])} → ${show(value['to'])}` : `transfer ${show(op.value)}`;
    case 'update': return `update ${key} ${updateText(op.value)}`;
    case 'input': return `input ${key} ${tupleText(op.value)}`;
    case 'seal': return op.key === undefined ? 'seal all inputs' : `seal ${key}`;
    case 'flood': return `flood ${show(op.value)}`;
    default: break;
  }
  const parts = [op.f, key].filter((part) => part !== '');
  if (op.value !== undefined) parts.push(`= ${show(op.value)}`);
  if (op.context !== undefined) parts.push(`· with context ${contextText(op.context)}`);
  if (op.quorum?.r !== undefined) parts.push(`· R=${op.quorum.r}`);
  if (op.quorum?.w !== undefined) parts.push(`· W=${op.quorum.w}`);
  return parts.join(' ');
}

/** Dynamo's read: one version, siblings, or nothing; and the context to write back with. */
function siblingsText(result: ClientResult): string {
  const siblings = result.siblings ?? [];
  const versions = siblings.length === 0 ? `${show(result.value ?? null)} (no versions)`
    : siblings.length === 1 ? show(siblings[0])
      : `${siblings.length} siblings: ${siblings.map(show).join(' | ')} (latest ${show(result.value)})`;
  return `→ ${versions}${result.context === undefined ? '' : ` · context ${contextText(result.context)}`}`;
}

/** A successful reply, by what was asked. */
function okText(op: ClientOp, result: ClientResult): string {
  const value = result.value;
  if (result.siblings !== undefined) return siblingsText(result);
  if (op.f === 'propose') {
    // Said of the proposal, not of a person: the list shows every client's proposals.
    const won = show(value) === show(op.value);
    return `→ chosen ${show(value)}${won ? ' (this proposal won)' : ` — not ${show(op.value)} (another proposal won)`}`;
  }
  if (op.f === 'transfer' && isRecord(value)) return `→ committed ${show(value['tx'])} on ${participantsText(value['participants'])}`;
  if (op.f === 'read' && value === null) return '→ nothing yet (null)';
  if (op.f === 'update') return `→ now ${show(value)}`;
  if (op.f === 'input') return '→ taken (joins the next step)';
  if (op.f === 'seal') return `→ sealed: ${Array.isArray(value) ? value.map(show).join(', ') : show(value)}`;
  if (op.f === 'read' && Array.isArray(value) && value.every(Array.isArray)) return value.length === 0 ? '→ empty' : `→ ${value.map(tupleText).join(' ')}`;
  if (op.f === 'describe') {
    const described = parseDescription(value);
    if (described !== null) return `→ inputs ${described.inputs.map((input) => `${input.collection}/${input.values.length}`).join(', ') || 'none'}; readable ${described.readable.join(', ') || 'none'}`;
  }
  return value === undefined ? '' : `→ ${show(value)}`;
}

const participantsText = (participants: unknown): string => (Array.isArray(participants) ? participants.map(show).join(', ') : show(participants));

/** What came back, as the list's second line (empty for a bare ok). */
export function resultText(op: ClientOp, result: ClientResult): string {
  let line: string;
  if (result.type === 'ok') line = okText(op, result);
  else if (result.error !== undefined) {
    const outcome = isRecord(result.value) && 'participants' in result.value ? result.value : null;
    line = outcome !== null ? `${result.error} · participants ${participantsText(outcome['participants'])}`
      : `${result.error}${result.value !== undefined ? ` (holds ${show(result.value)})` : ''}`;
  } else line = '';
  return result.redirect ? `${line} (try ${result.redirect})` : line;
}

/** The outcome list's two parts: what was asked and what came back. */
export function describeOutcome(outcome: Pick<ClientOpOutcome, 'op' | 'result'>): { op: string; result: string } {
  return { op: opText(outcome.op), result: resultText(outcome.op, outcome.result) };
}

/** One outcome in one line: `propose = v1 → chosen v1 (yours)`. */
export function outcomeLine(outcome: Pick<ClientOpOutcome, 'op' | 'result'>): string {
  const { op, result } = describeOutcome(outcome);
  return result === '' ? op : `${op} ${result}`;
}
