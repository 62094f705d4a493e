// The comparison panel's table: cells formatted, the cheapest protocol and every lost write
// or non-linearizable seed marked, replay commands listed with their protocol.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompareReport, CompareRow } from '../../src-node/contract/compare.ts';
import { COMPARE_COLUMNS, compareExamples, compareTableRows } from '../../src-renderer/compare/compare-table.ts';

function row(fields: Partial<CompareRow> & Pick<CompareRow, 'variant' | 'label'>): CompareRow {
  return {
    bookMessages: '2n', messagesPerOp: 3, messagesPerOpRaw: 4, idleMessagesPerSec: 5, latencyMs: { p50: 2, p99: 9.5, max: 20 },
    availability: 0.9, availabilityDuringFault: 0.5, operations: { total: 10, ok: 9, fail: 1, info: 0 },
    violations: { durability: 0, linearizability: 0, convergence: 0 }, lostWrites: 0, examples: [], seeds: 3, ...fields,
  };
}

describe('the comparison table in the UI', () => {
  const report: CompareReport = {
    scenario: 'compare-leader-crash', seeds: [1, 2, 3],
    rows: [
      row({ variant: 'async-pb', label: 'async primary/backup', bookMessages: '1n', messagesPerOp: 0.75, lostWrites: 4,
        violations: { durability: 2, linearizability: 0, convergence: 0 }, examples: ['npx distlab compare compare-leader-crash --variant async-pb --seed 2'] }),
      row({ variant: 'raft', label: 'Raft', messagesPerOp: 3.66, availabilityDuringFault: null, violations: { durability: 0, linearizability: 1, convergence: 0 } }),
    ],
  };
  const rows = compareTableRows(report);
  const cell = (variant: string, key: string) => rows.find((candidate) => candidate.variant === variant)!.cells[COMPARE_COLUMNS.findIndex((column) => column.key === key)]!;

  it('formats every column and explains the message count', () => {
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.cells.length, COMPARE_COLUMNS.length);
    assert.equal(cell('async-pb', 'messages').text, '0.75');
    assert.match(cell('async-pb', 'messages').title ?? '', /4\.00 with idle traffic; 5 messages\/s when idle/);
    assert.equal(cell('async-pb', 'availability').text, '90.0 %');
    assert.equal(cell('raft', 'fault').text, '—', 'no crash hit a node');
    assert.equal(cell('async-pb', 'p99').title, 'max 20.0 ms');
  });

  it('marks the cheapest protocol, lost writes and non-linearizable seeds', () => {
    assert.equal(cell('async-pb', 'messages').tone, 'good');
    assert.equal(cell('raft', 'messages').tone, 'plain');
    assert.deepEqual([cell('async-pb', 'lost').text, cell('async-pb', 'lost').tone, cell('async-pb', 'lost').title], ['4', 'bad', 'on 2 of 3 seeds']);
    assert.equal(cell('raft', 'lost').tone, 'good');
    assert.deepEqual([cell('raft', 'linearizable').text, cell('raft', 'linearizable').tone], ['1 / 3', 'bad']);
  });

  it('lists the replay commands with their protocol', () => {
    assert.deepEqual(compareExamples(report), [{ label: 'async primary/backup', command: 'npx distlab compare compare-leader-crash --variant async-pb --seed 2' }]);
  });
});
