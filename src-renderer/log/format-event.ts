// How trace events read in the log and the details panel. Presentation only.
import type { VectorClock } from '../../src-node/contract/clock.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { compareProcesses } from '../lab/process-order.ts';

export { compareProcesses };

export function formatLabTime(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** `n1:3 n2:5 c1:2`: the cluster's nodes first. */
export function formatVectorClock(clock: VectorClock): string {
  return Object.keys(clock)
    .sort(compareProcesses)
    .map((process) => `${process}:${clock[process]}`)
    .join(' ');
}

/** `replicate → n2`, `ack ← n3`, or the peer alone. */
export function formatMessage(event: StoredEvent): string {
  const arrow = event.kind === 'receive' ? '←' : '→';
  const type = event.msgType ?? '';
  if (event.peer === undefined) return type;
  return `${type}${type ? ' ' : ''}${arrow} ${event.peer}`;
}

/** A short line of the detail, for the log's last column. */
export function summarizeDetail(event: StoredEvent): string {
  const detail = event.detail;
  if (detail === undefined || detail === null) return '';
  if (typeof detail !== 'object') return String(detail);
  const record = detail as Record<string, unknown>;
  if (event.kind === 'suspicion' && Array.isArray(record.suspected)) {
    return record.suspected.length > 0 ? `suspects ${record.suspected.join(', ')}` : 'suspects none';
  }
  if (typeof record.message === 'string') return record.message;
  if (typeof record.name === 'string') return record.name;
  if (typeof record.reason === 'string') return record.reason;
  const text = JSON.stringify(detail);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** Trace kinds in the order the log's filter lists them. */
export const KIND_ORDER = [
  'send', 'receive', 'drop', 'timer', 'persist', 'state', 'fault', 'suspicion', 'link',
  'invoke', 'ok', 'fail', 'info', 'start', 'recover', 'log',
] as const;
