// The comparison table as the panel draws it: one row per protocol, cells formatted, and
// what each cell says that a reader should notice (a lost write, a seed that was not
// linearizable, the protocol that sent the fewest or most messages). Pure, for unit tests.

import type { CompareReport, CompareRow } from '../../src-node/contract/compare.ts';

export type CellTone = 'plain' | 'good' | 'bad';

export interface CompareCell {
  text: string;
  tone: CellTone;
  title?: string;
}

export interface CompareTableRow {
  variant: string;
  label: string;
  cells: CompareCell[];
}

export const COMPARE_COLUMNS: readonly { key: string; title: string; hint: string }[] = [
  { key: 'book', title: 'book', hint: 'messages per write, as the book counts them (§4)' },
  { key: 'messages', title: 'msgs / op', hint: 'node-to-node messages per completed operation, idle traffic (heartbeats) taken out' },
  { key: 'p50', title: 'p50 ms', hint: 'median latency of the operations that succeeded' },
  { key: 'p99', title: 'p99 ms', hint: '99th percentile latency of the operations that succeeded' },
  { key: 'availability', title: 'ok', hint: 'share of all operations that succeeded' },
  { key: 'fault', title: 'ok during the crash', hint: 'share of the operations invoked while the crashed node was down that succeeded' },
  { key: 'lost', title: 'lost writes', hint: 'acknowledged writes missing at the end (durability checker), over every seed' },
  { key: 'linearizable', title: 'non-linearizable', hint: 'seeds whose history no linearization explains' },
];

const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

export function compareTableRows(report: CompareReport): CompareTableRow[] {
  const fewest = Math.min(...report.rows.map((row) => row.messagesPerOp));
  return report.rows.map((row) => ({ variant: row.variant, label: row.label, cells: cellsOf(row, fewest) }));
}

function cellsOf(row: CompareRow, fewest: number): CompareCell[] {
  return [
    { text: row.bookMessages, tone: 'plain' },
    {
      text: row.messagesPerOp.toFixed(2), tone: row.messagesPerOp === fewest ? 'good' : 'plain',
      title: `${row.messagesPerOpRaw.toFixed(2)} with idle traffic; ${row.idleMessagesPerSec} messages/s when idle`,
    },
    { text: row.latencyMs.p50.toFixed(1), tone: 'plain' },
    { text: row.latencyMs.p99.toFixed(1), tone: 'plain', title: `max ${row.latencyMs.max.toFixed(1)} ms` },
    { text: percent(row.availability), tone: 'plain', title: `${row.operations.ok} ok, ${row.operations.fail} failed, ${row.operations.info} indeterminate` },
    { text: row.availabilityDuringFault === null ? '—' : percent(row.availabilityDuringFault), tone: 'plain' },
    {
      text: String(row.lostWrites), tone: row.lostWrites > 0 ? 'bad' : 'good',
      ...(row.lostWrites > 0 ? { title: `on ${row.violations.durability} of ${row.seeds} seeds` } : {}),
    },
    { text: `${row.violations.linearizability} / ${row.seeds}`, tone: row.violations.linearizability > 0 ? 'bad' : 'good' },
  ];
}

/** Every replay command of the report, with the protocol it replays. */
export function compareExamples(report: CompareReport): { label: string; command: string }[] {
  return report.rows.flatMap((row) => row.examples.map((command) => ({ label: row.label, command })));
}
