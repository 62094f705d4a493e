// Raft log entries as the outside sees them: the client operations that become commands
// (checked here, before they reach the log), the one-line summary the UI's Raft view shows,
// and the digest that commit notes carry (so a trace can tell entries apart without holding
// them). Pure.

import { RAFT_VIEW_SUMMARY_MAX } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { hashString } from '../hash/hash-string.ts';
import type { Entry } from './log.ts';
import type { Command } from './state-machine.ts';

export const KEY_LENGTH_MAX = 256;
export const CLIENT_ID_LENGTH_MAX = 256;

/** One line for the UI: what an entry does (`put x=1`, `cas x 1→2`, `no-op`, `config n1,n2`). */
export function entrySummary(entry: Entry): string {
  const text = entry.kind === 'noop' ? 'no-op'
    : entry.kind === 'config' ? `config ${entry.voters.join(',')}`
    : entry.command.f === 'put' ? `put ${entry.command.key}=${JSON.stringify(entry.command.value)}`
    : `cas ${entry.command.key} ${JSON.stringify((entry.command.value as { from: unknown }).from)}→${JSON.stringify((entry.command.value as { to: unknown }).to)}`;
  return text.length > RAFT_VIEW_SUMMARY_MAX ? `${text.slice(0, RAFT_VIEW_SUMMARY_MAX - 1)}…` : text;
}

/** A short hash of what an entry says (of its JSON): equal entries, equal digests. */
export function entryDigest(entry: Entry): string {
  const body = entry.kind === 'command' ? entry.command : entry.kind === 'config' ? entry.voters : null;
  return hashString(`${entry.kind}|${JSON.stringify(body)}`).toString(16).padStart(8, '0');
}

/** Validates a client op: a Command to log, a get, or the reason it is refused. */
export function parseOp(op: ClientOp): Command | { f: 'get'; key: string } | string {
  const key = op.key;
  if (typeof key !== 'string' || key.length === 0 || key.length > KEY_LENGTH_MAX) {
    return `bad-request: key must be a string of 1..${KEY_LENGTH_MAX} characters`;
  }
  if (op.f === 'get') return { f: 'get', key };
  if (op.f !== 'put' && op.f !== 'cas') return `unknown-op: ${String(op.f)}; known: get, put, cas, add-server, remove-server`;
  const session = parseSession(op as ClientOp & { client?: unknown; seq?: unknown });
  if (typeof session === 'string') return session;
  if (op.f === 'put') {
    if (op.value === undefined) return 'bad-request: put needs a value';
    return { f: 'put', key, value: op.value, ...session };
  }
  const value = op.value as Record<string, unknown> | unknown[] | undefined;
  const [from, to] = Array.isArray(value) ? [value[0], value[1]] : [value?.['from'], value?.['to']];
  if (to === undefined) return 'bad-request: cas needs value = {from, to} (or [from, to])';
  return { f: 'cas', key, value: { from: from ?? null, to }, ...session };
}

function parseSession(op: { client?: unknown; seq?: unknown }): { client?: string; seq?: number } | string {
  if (op.client === undefined && op.seq === undefined) return {};
  const { client, seq } = op;
  if (typeof client !== 'string' || client.length === 0 || client.length > CLIENT_ID_LENGTH_MAX) {
    return `bad-request: client must be a string of 1..${CLIENT_ID_LENGTH_MAX} characters`;
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return 'bad-request: seq must be a positive integer';
  return { client, seq };
}
