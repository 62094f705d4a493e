// A compact way to write histories in tests, one entry per line, as Jepsen prints them:
//
//   1 invoke write x a      process 1 invokes a write of "a" to key x
//   1 ok     write x a
//   2 invoke read  x
//   2 ok     read  x nil    nil is null (the initial state)
//   3 invoke read  -        - is no key
//
// Values are JSON when they parse as JSON, else strings. Lines starting with # are comments.
import type { HistoryEntry } from '../../src-node/contract/history.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';

export function history(text: string): HistoryEntry[] {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0 && !line.startsWith('#'));
  return lines.map((line, index) => {
    const [process, type, f, key, value] = line.split(/\s+/) as [string, HistoryEntry['type'], string, string | undefined, string | undefined];
    const entry: HistoryEntry = { index, type, process: /^\d+$/.test(process) ? Number(process) : process, f };
    if (key !== undefined && key !== '-') entry.key = key;
    if (value !== undefined) entry.value = parseValue(value);
    return entry;
  });
}

function parseValue(text: string): unknown {
  if (text === 'nil') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** What the simulated store knew about one read: where it read and how much of the log that replica had. */
export interface ReadTruth {
  index: number;
  /** How many log entries the replica read from had applied (the primary has them all). */
  prefix: number;
}

export interface SimulatedRun {
  history: HistoryEntry[];
  /** The primary's log: every write that took effect, in the order applied. */
  log: { key: string; value: string }[];
  reads: ReadTruth[];
}

/**
 * A replicated register store driven by a seeded generator: writes go to a primary that
 * appends them to its log; reads go to the primary (`stale: false`: a single copy, every
 * session guarantee holds) or to a backup that has applied only a prefix of the log and
 * catches up at random (`stale: true`). Each operation is invoked, executed, then completed
 * in separate steps, so operations overlap; some writes end `info` (applied or not) or
 * `fail` (not applied).
 */
export function simulateRegisterStore(random: Random, options: { processes: number; keys: number; operations: number; stale: boolean }): SimulatedRun {
  const history: HistoryEntry[] = [];
  const log: { key: string; value: string }[] = [];
  const reads: ReadTruth[] = [];
  const backups = [0, 0];
  type Pending = { f: 'read' | 'write'; key: string; value?: string; phase: 'invoked' | 'executed'; outcome?: HistoryEntry['type']; result?: unknown; invokeIndex: number };
  const pending = new Map<number, Pending>();
  let invoked = 0;
  let written = 0;
  const push = (entry: Omit<HistoryEntry, 'index'>): number => history.push({ index: history.length, ...entry }) - 1;
  while (invoked < options.operations || pending.size > 0) {
    if (random.chance(20)) {
      const backup = random.int(0, backups.length - 1);
      backups[backup] = Math.min(log.length, (backups[backup] ?? 0) + random.int(0, 2));
      continue;
    }
    const process = random.int(1, options.processes);
    const op = pending.get(process);
    if (op === undefined) {
      if (invoked >= options.operations) continue;
      invoked += 1;
      const key = `k${random.int(1, options.keys)}`;
      const write = random.chance(50);
      const value = write ? `${process}-${(written += 1)}` : undefined;
      const invokeIndex = push({ type: 'invoke', process, f: write ? 'write' : 'read', key, ...(value ? { value } : {}) });
      pending.set(process, { f: write ? 'write' : 'read', key, ...(value ? { value } : {}), phase: 'invoked', invokeIndex });
    } else if (op.phase === 'invoked') {
      op.phase = 'executed';
      if (op.f === 'write') {
        const roll = random.int(1, 10);
        op.outcome = roll === 1 ? 'fail' : roll === 2 ? 'info' : 'ok';
        if (op.outcome === 'ok' || (op.outcome === 'info' && random.chance(50))) log.push({ key: op.key, value: op.value as string });
      } else {
        const prefix = options.stale && random.chance(60) ? (backups[random.int(0, backups.length - 1)] ?? 0) : log.length;
        const seen = log.slice(0, prefix).filter((entry) => entry.key === op.key).at(-1);
        op.outcome = 'ok';
        op.result = seen ? seen.value : null;
        reads.push({ index: op.invokeIndex, prefix });
      }
    } else {
      pending.delete(process);
      push({ type: op.outcome as HistoryEntry['type'], process, f: op.f, key: op.key, ...(op.f === 'write' ? { value: op.value } : { value: op.result }) });
    }
  }
  return { history, log, reads };
}
