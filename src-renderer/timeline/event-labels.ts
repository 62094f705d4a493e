// Short texts the diagram writes next to events. Pure, so they read the same in the
// diagram, its selection box and the tests.

import type { StoredEvent } from '../../src-node/contract/trace.ts';

const MAX_LABEL_CHARS = 24;

function truncate(text: string): string {
  return text.length > MAX_LABEL_CHARS ? `${text.slice(0, MAX_LABEL_CHARS - 1)}…` : text;
}

function scalar(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** `leader t3` for a state change `{name: 'leader', term: 3}`; `name role` when a role is given. */
export function stateLabel(event: StoredEvent): string {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const parts = [scalar(detail['name']) ?? 'state'];
  const role = scalar(detail['role']);
  if (role !== null && role !== parts[0]) parts.push(role);
  const term = scalar(detail['term']);
  if (term !== null) parts.push(`t${term}`);
  return truncate(parts.join(' '));
}

/** A client operation in a few words: `put x 1`, `get x`. */
export function operationLabel(event: StoredEvent): string {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const op = detail['op'];
  if (op === null || typeof op !== 'object') return event.kind;
  const words = Object.values(op as Record<string, unknown>)
    .map(scalar)
    .filter((word): word is string => word !== null);
  return truncate(words.join(' ') || event.kind);
}

/** What the lane shows next to an event, or null for events that speak through their glyph. */
export function eventLabel(event: StoredEvent): string | null {
  switch (event.kind) {
    case 'state':
      return stateLabel(event);
    case 'invoke':
      return operationLabel(event);
    case 'start': {
      const detail = (event.detail ?? {}) as Record<string, unknown>;
      return detail['recovered'] === true || Number(detail['restart'] ?? 0) > 0 ? 'restart' : 'start';
    }
    case 'recover':
      return 'recover';
    case 'fail':
      return 'fail';
    case 'info':
      return 'info?';
    default:
      return null;
  }
}

/** One line that names an event, for the selection box: `n3 #42 receive AppendEntries ← n1`. */
export function eventTitle(event: StoredEvent): string {
  const arrow = event.kind === 'receive' ? ' ← ' : event.kind === 'send' || event.kind === 'drop' ? ' → ' : ' · ';
  const message = event.msgType !== undefined ? ` ${event.msgType}` : '';
  const peer = event.peer !== undefined ? `${arrow}${event.peer}` : '';
  return `${event.node} #${event.seq} ${event.kind}${message}${peer}`;
}
