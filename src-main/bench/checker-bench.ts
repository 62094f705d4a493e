// `distlab bench` for the linearizability checker: Porcupine's own test histories (the
// Jepsen etcd logs and the key-value files), timed parse + check, compared with the figures
// Porcupine measured on this kind of machine (validation README). Figures, not
// assertions; but a verdict that differs from the README's is reported as a mismatch.
// Each measure runs once cold, then MEASURED_RUNS more times; the median of those is the
// figure (the first run pays for the JIT).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CheckVerdict } from '../../src-node/contract/history.ts';
import { parseHistory } from '../checkers/history-formats/parse.ts';
import { checkLinearizability } from '../checkers/linearizability/check.ts';
import { createModel, type ModelName } from '../checkers/linearizability/models.ts';

export const MEASURED_RUNS = 5;
/** No single check in the bench may take longer than this; past it the verdict is unknown. */
export const BENCH_CHECK_TIMEOUT_MS = 120_000;
export const ETCD_LOG_COUNT = 103;
/** The etcd logs the README lists as linearizable; 095 is empty (linearizable too). */
export const ETCD_LINEARIZABLE = new Set([2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67, 75, 76, 80, 87, 92, 95, 98, 100, 101, 102]);

/** Porcupine's figures from the validation README (ms). */
export const PORCUPINE_MS = { etcdTotal: 308, c50Ok: 229, c50Bad: 37, c10OkUnpartitioned: 5_100, c10BadUnpartitioned: 5_100 } as const;

export interface CheckerBenchResults {
  etcdTotalMs: number;
  c50OkMs: number;
  c50BadMs: number;
  c10OkUnpartitionedMs: number;
  c10BadUnpartitionedMs: number;
  /** The same figures for the first (cold) run. */
  coldMs: { etcdTotal: number; c50Ok: number; c50Bad: number; c10OkUnpartitioned: number; c10BadUnpartitioned: number };
  totalMs: number;
  porcupineTotalMs: number;
  /** Porcupine's total over ours. */
  speedup: number;
  verdictsMatch: boolean;
  mismatches: string[];
  machine: { node: string; platform: string };
}

interface Case {
  name: string;
  text: string;
  model: ModelName;
  expected: CheckVerdict;
}

function checkCase(item: Case, partitionByKey: boolean): CheckVerdict {
  const parsed = parseHistory(item.text);
  if (!parsed.ok) return 'unknown';
  return checkLinearizability(parsed.entries, {
    model: createModel(item.model), partitionByKey, deadlineMs: BENCH_CHECK_TIMEOUT_MS, now: () => performance.now(),
  }).verdict;
}

/** Times one pass over `cases`; records every verdict that differs from the expected one. */
function timePass(cases: readonly Case[], partitionByKey: boolean, mismatches: Set<string>): number {
  const started = performance.now();
  for (const item of cases) {
    const verdict = checkCase(item, partitionByKey);
    if (verdict !== item.expected) mismatches.add(`${item.name}${partitionByKey ? '' : ' (unpartitioned)'}: ${verdict}, expected ${item.expected}`);
  }
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function measure(cases: readonly Case[], partitionByKey: boolean, mismatches: Set<string>): { coldMs: number; warmMs: number } {
  const coldMs = timePass(cases, partitionByKey, mismatches);
  const runs: number[] = [];
  for (let run = 0; run < MEASURED_RUNS; run += 1) runs.push(timePass(cases, partitionByKey, mismatches));
  return { coldMs, warmMs: median(runs) };
}

async function loadCases(dataDir: string): Promise<{ etcd: Case[]; kv: Map<string, Case> }> {
  const etcd: Case[] = [];
  for (let number = 0; number < ETCD_LOG_COUNT; number += 1) {
    const name = `etcd_${String(number).padStart(3, '0')}.log`;
    const text = await readFile(path.join(dataDir, 'jepsen', name), 'utf8');
    etcd.push({ name, text, model: 'cas-register', expected: ETCD_LINEARIZABLE.has(number) ? 'valid' : 'invalid' });
  }
  const kv = new Map<string, Case>();
  for (const name of ['c10-ok', 'c10-bad', 'c50-ok', 'c50-bad']) {
    const text = await readFile(path.join(dataDir, 'kv', `${name}.txt`), 'utf8');
    kv.set(name, { name, text, model: 'kv', expected: name.endsWith('-ok') ? 'valid' : 'invalid' });
  }
  return { etcd, kv };
}

export async function runCheckerBench(options: { dataDir: string; log(line: string): void }): Promise<CheckerBenchResults> {
  const { etcd, kv } = await loadCases(options.dataDir);
  const mismatches = new Set<string>();
  const log = options.log;
  const etcdTotal = measure(etcd, true, mismatches);
  log(`etcd (102 logs + 1 empty)   ${etcdTotal.warmMs.toFixed(1)} ms (cold ${etcdTotal.coldMs.toFixed(1)}; Porcupine ${PORCUPINE_MS.etcdTotal})`);
  const c50Ok = measure([kv.get('c50-ok')!], true, mismatches);
  log(`kv c50-ok                   ${c50Ok.warmMs.toFixed(1)} ms (cold ${c50Ok.coldMs.toFixed(1)}; Porcupine ${PORCUPINE_MS.c50Ok})`);
  const c50Bad = measure([kv.get('c50-bad')!], true, mismatches);
  log(`kv c50-bad                  ${c50Bad.warmMs.toFixed(1)} ms (cold ${c50Bad.coldMs.toFixed(1)}; Porcupine ${PORCUPINE_MS.c50Bad})`);
  const c10Ok = measure([kv.get('c10-ok')!], false, mismatches);
  log(`kv c10-ok, one partition    ${c10Ok.warmMs.toFixed(1)} ms (cold ${c10Ok.coldMs.toFixed(1)}; Porcupine ~${PORCUPINE_MS.c10OkUnpartitioned})`);
  const c10Bad = measure([kv.get('c10-bad')!], false, mismatches);
  log(`kv c10-bad, one partition   ${c10Bad.warmMs.toFixed(1)} ms (cold ${c10Bad.coldMs.toFixed(1)}; Porcupine ~${PORCUPINE_MS.c10BadUnpartitioned})`);
  const totalMs = etcdTotal.warmMs + c50Ok.warmMs + c50Bad.warmMs + c10Ok.warmMs + c10Bad.warmMs;
  const porcupineTotalMs = Object.values(PORCUPINE_MS).reduce((sum, value) => sum + value, 0);
  const speedup = porcupineTotalMs / totalMs;
  log(`total                       ${totalMs.toFixed(1)} ms (Porcupine ${porcupineTotalMs}): ${speedup.toFixed(1)}× faster`);
  log(mismatches.size === 0 ? 'verdicts: all as the README lists' : `verdict mismatches: ${[...mismatches].join('; ')}`);
  return {
    etcdTotalMs: etcdTotal.warmMs, c50OkMs: c50Ok.warmMs, c50BadMs: c50Bad.warmMs,
    c10OkUnpartitionedMs: c10Ok.warmMs, c10BadUnpartitionedMs: c10Bad.warmMs,
    coldMs: { etcdTotal: etcdTotal.coldMs, c50Ok: c50Ok.coldMs, c50Bad: c50Bad.coldMs, c10OkUnpartitioned: c10Ok.coldMs, c10BadUnpartitioned: c10Bad.coldMs },
    totalMs, porcupineTotalMs, speedup,
    verdictsMatch: mismatches.size === 0,
    mismatches: [...mismatches],
    machine: { node: process.version, platform: `${process.platform} ${process.arch}` },
  };
}
