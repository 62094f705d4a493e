// Session guarantees (Terry, Demers, Petersen, Spreitzer, Theimer, Welch: "Session
// guarantees for weakly consistent replicated data", PDIS 1994), judged on a key-value
// register history. A session is one process's operations, in the order it ran them. The
// book (§5, client-centric consistency) describes the idea: a client that never sees its
// data go backwards, whichever replica it talks to.
//
// The paper states each guarantee over DB(S, t), the set of writes server S holds at time t.
// A register read shows only the newest of those writes, so "W is in the state the read saw"
// becomes "the write the read saw is W or comes after W in the key's version order"
// (registers.ts: logs when given, else real time, else unknown). Hence, precisely:
//
// - read-your-writes: for each ok read R of key k by process p, every write of k by p that
//   completed ok before R is the write R saw or before it. Decidable from a history alone
//   (up to writes that overlap in real time).
// - monotonic reads: for each pair of ok reads R1 before R2 of key k by p, where R1 saw a
//   write V1, R2 saw V1 or a write after it. Decidable from a history alone, same caveat.
//   Reads of different keys say nothing about each other here: a register read cannot show
//   whether the server held some other key's write.
// - monotonic writes: for each pair of writes W1 (ok) before W2 by p, any replica whose log
//   holds W2 holds W1 before it. This is about what replicas apply, across keys; a history
//   of single-key reads cannot show it (it cannot tell a stale replica from a reordering
//   one), so it needs the replicas' logs. Without them: valid only when no session has two
//   writes, else unknown.
// - writes-follow-reads: for each ok read R1 by p that saw write V1, and each later write W2
//   by p, any replica whose log holds W2 holds V1 before it. Needs the logs, as monotonic
//   writes does. Only V1 itself is checked, not the writes before V1 that R1 also depended
//   on (the paper's RelevantWrites).
//
// A write W2 whose outcome is `info` counts as the session's write once a log shows it
// applied. An `info` or `fail` write is never required to be seen (read-your-writes) or to
// precede (monotonic writes): the client cannot know it happened.
//
// Each violation names the smallest window: the nearest earlier operation of the session
// that, with the later one, breaks the guarantee.
//
// Pure code: no I/O.

import type { CheckVerdict, HistoryEntry } from '../../../src-node/contract/history.ts';
import { byProcess, canonicalValue, keyOf, type Operation, type ProcessName } from '../history.ts';
import {
  DEFAULT_REGISTER_FUNCTIONS, explainOrder, indexLogs, isOkRead, isWrite, orderOf, registerHistory, sourceOf,
  type LogIndex, type ReadSource, type RegisterFunctions, type RegisterHistory, type ReplicaLog, type VersionOrder,
} from './registers.ts';

export type SessionGuarantee = 'read-your-writes' | 'monotonic-reads' | 'monotonic-writes' | 'writes-follow-reads';

export const SESSION_GUARANTEES: readonly SessionGuarantee[] = ['read-your-writes', 'monotonic-reads', 'monotonic-writes', 'writes-follow-reads'];

export interface SessionViolation {
  guarantee: SessionGuarantee;
  process: ProcessName;
  /** The session's operations that break the guarantee (invoke indexes), in session order. */
  ops: number[];
  /** The writes that are the evidence (invoke indexes): what the reads saw, or the writes a log misplaces. */
  writes: number[];
  explanation: string;
}

/** A place where the checker could not decide, and why (overlapping writes, a value nobody wrote, no logs). */
export interface SessionUndecided {
  guarantee: SessionGuarantee;
  process: ProcessName | null;
  ops: number[];
  explanation: string;
}

export interface SessionCheck {
  guarantee: SessionGuarantee;
  /** invalid: a violation; unknown: none found, but some place could not be decided; valid otherwise. */
  verdict: CheckVerdict;
  /** At most MAX_REPORTED, in history order of the later operation. */
  violations: SessionViolation[];
  violationCount: number;
  /** At most MAX_REPORTED. */
  undecided: SessionUndecided[];
  undecidedCount: number;
  summary: string;
}

export interface SessionOptions {
  /** Which functions read and write (default: read/get and write/put). */
  functions?: RegisterFunctions;
  /**
   * The replicas' logs at the end (or any replica's order of applied writes). They give the
   * version order where they hold both writes, and make monotonic writes and
   * writes-follow-reads decidable.
   */
  logs?: readonly ReplicaLog[];
}

/** Reports are capped; the counts stay exact. */
export const MAX_REPORTED = 100;

interface Context {
  registers: RegisterHistory;
  sessions: Map<ProcessName, Operation[]>;
  logs: LogIndex | null;
  /** What each ok read saw, computed once: the checkers ask for it in their inner loops. */
  sources: Map<Operation, ReadSource>;
}

class Findings {
  readonly violations: SessionViolation[] = [];
  readonly undecided: SessionUndecided[] = [];
  violationCount = 0;
  undecidedCount = 0;

  constructor(readonly guarantee: SessionGuarantee) {}

  violation(process: ProcessName, ops: Operation[], writes: Operation[], explanation: string): void {
    this.violationCount += 1;
    if (this.violations.length < MAX_REPORTED) {
      this.violations.push({ guarantee: this.guarantee, process, ops: indexes(ops), writes: indexes(writes), explanation });
    }
  }

  unknown(process: ProcessName | null, ops: Operation[], explanation: string): void {
    this.undecidedCount += 1;
    if (this.undecided.length < MAX_REPORTED) this.undecided.push({ guarantee: this.guarantee, process, ops: indexes(ops), explanation });
  }

  result(judged: string): SessionCheck {
    const verdict: CheckVerdict = this.violationCount > 0 ? 'invalid' : this.undecidedCount > 0 ? 'unknown' : 'valid';
    const summary = verdict === 'invalid'
      ? `${this.guarantee}: ${this.violationCount} violation(s); first: ${(this.violations[0] as SessionViolation).explanation}`
      : verdict === 'unknown'
        ? `${this.guarantee}: no violation found, but ${this.undecidedCount} case(s) undecided; first: ${(this.undecided[0] as SessionUndecided).explanation}`
        : `${this.guarantee}: holds (${judged})`;
    return {
      guarantee: this.guarantee, verdict, violations: this.violations, violationCount: this.violationCount,
      undecided: this.undecided, undecidedCount: this.undecidedCount, summary,
    };
  }
}

function indexes(operations: Operation[]): number[] {
  return [...new Set(operations.map((operation) => operation.index))].sort((a, b) => a - b);
}

function context(history: readonly HistoryEntry[], options: SessionOptions): Context {
  const registers = registerHistory(history, options.functions ?? DEFAULT_REGISTER_FUNCTIONS);
  const logs = options.logs ? indexLogs(registers, options.logs) : null;
  const sources = new Map<Operation, ReadSource>();
  for (const read of registers.reads) if (isOkRead(registers, read)) sources.set(read, sourceOf(registers, read));
  return { registers, sessions: byProcess(registers.operations), logs, sources };
}

/** Did a read whose source is `seen` see a state that includes `write` (same key)? 'after': no. */
function includes(seen: ReadSource, write: Operation, logs: LogIndex | null): VersionOrder {
  if (seen.kind === 'initial') return 'after';
  if (seen.kind === 'unwritten') return 'unknown';
  return orderOf(write, seen.write, logs);
}

/** Why includes(seen, write, logs) answered as it did. */
function explainIncludes(seen: ReadSource, write: Operation, logs: LogIndex | null): string {
  if (seen.kind === 'initial') return 'it read the initial value (null), as if no write had happened';
  if (seen.kind === 'unwritten') return `it read ${canonicalValue(seen.value)}, which no write wrote`;
  return explainOrder(write, seen.write, logs);
}

/**
 * Read your writes: "If Read R follows Write W in a session and R is performed at server S at
 * time t, then W is included in DB(S,t)" (Terry et al. 1994).
 */
export function checkReadYourWrites(history: readonly HistoryEntry[], options: SessionOptions = {}): SessionCheck {
  return readYourWrites(context(history, options));
}

function readYourWrites({ registers, sessions, logs, sources }: Context): SessionCheck {
  const findings = new Findings('read-your-writes');
  let judged = 0;
  for (const [process, session] of sessions) {
    session.forEach((read, at) => {
      if (!isOkRead(registers, read)) return;
      const seen = sources.get(read) as ReadSource;
      let undecided: Operation | null = null;
      // Newest write first: the first one the read misses is the smallest window.
      for (let earlier = at - 1; earlier >= 0; earlier -= 1) {
        const write = session[earlier] as Operation;
        if (!isWrite(registers, write) || write.type !== 'ok' || keyOf(write) !== keyOf(read)) continue;
        judged += 1;
        const seenIt = includes(seen, write, logs);
        if (seenIt === 'after') {
          findings.violation(process, [write, read], seen.kind === 'write' ? [seen.write] : [],
            `op ${read.index} (${read.f} ${keyOf(read)}) by process ${String(process)} does not see its own write op ${write.index} (${canonicalValue(write.argument)}): ${explainIncludes(seen, write, logs)}`);
          return;
        }
        if (seenIt === 'unknown') undecided ??= write;
        // In real time, the session's earlier writes all precede this one: seeing it is seeing them.
        else if (logs === null) break;
      }
      if (undecided) {
        findings.unknown(process, [undecided, read], `whether op ${read.index} sees op ${undecided.index}: ${explainIncludes(seen, undecided, logs)}`);
      }
    });
  }
  return findings.result(`${judged} read/own-write pair(s)`);
}

/**
 * Monotonic reads: "If Read R1 occurs before R2 in a session and R1 accesses server S1 at
 * time t1 and R2 accesses server S2 at time t2, then RelevantWrites(S1,t1,R1) is a subset
 * of DB(S2,t2)" (Terry et al. 1994).
 */
export function checkMonotonicReads(history: readonly HistoryEntry[], options: SessionOptions = {}): SessionCheck {
  return monotonicReads(context(history, options));
}

function monotonicReads({ registers, sessions, logs, sources }: Context): SessionCheck {
  const findings = new Findings('monotonic-reads');
  let judged = 0;
  for (const [process, session] of sessions) {
    session.forEach((later, at) => {
      if (!isOkRead(registers, later)) return;
      const seenLater = sources.get(later) as ReadSource;
      let undecided: { read: Operation; because: () => string } | null = null;
      for (let before = at - 1; before >= 0; before -= 1) {
        const earlier = session[before] as Operation;
        if (!isOkRead(registers, earlier) || keyOf(earlier) !== keyOf(later)) continue;
        const seenEarlier = sources.get(earlier) as ReadSource;
        // A read of the initial value requires nothing of later reads.
        if (seenEarlier.kind === 'initial') continue;
        if (seenEarlier.kind === 'unwritten') {
          undecided ??= { read: earlier, because: () => `op ${earlier.index} read ${canonicalValue(seenEarlier.value)}, which no write wrote` };
          continue;
        }
        judged += 1;
        const seenIt = includes(seenLater, seenEarlier.write, logs);
        if (seenIt === 'after') {
          findings.violation(process, [earlier, later], [seenEarlier.write, ...(seenLater.kind === 'write' ? [seenLater.write] : [])],
            `op ${later.index} (${later.f} ${keyOf(later)}) by process ${String(process)} goes back from what op ${earlier.index} read (op ${seenEarlier.write.index}'s value): ${explainIncludes(seenLater, seenEarlier.write, logs)}`);
          return;
        }
        if (seenIt === 'unknown') undecided ??= { read: earlier, because: () => explainIncludes(seenLater, seenEarlier.write, logs) };
        else if (logs === null) break;
      }
      if (undecided) {
        findings.unknown(process, [undecided.read, later], `whether op ${later.index} sees what op ${undecided.read.index} saw: ${undecided.because()}`);
      }
    });
  }
  return findings.result(`${judged} pair(s) of reads`);
}

/**
 * Monotonic writes: "If Write W1 precedes Write W2 in a session, then, for any server S2, if
 * W2 in DB(S2) then W1 is included in DB(S2) and WriteOrder(W1,W2)" (Terry et al. 1994).
 * Needs `options.logs`; see the top of this file.
 */
export function checkMonotonicWrites(history: readonly HistoryEntry[], options: SessionOptions = {}): SessionCheck {
  return monotonicWrites(context(history, options));
}

function monotonicWrites({ registers, sessions, logs }: Context): SessionCheck {
  const findings = new Findings('monotonic-writes');
  let judged = 0;
  for (const [process, session] of sessions) {
    let previous: Operation | null = null;
    for (const write of session) {
      if (!isWrite(registers, write) || write.type === 'fail') continue;
      // The nearest earlier acknowledged write suffices: in a log, it in turn was checked
      // against the one before it, and a log that holds W2 must hold that chain before W2.
      if (previous !== null) {
        judged += 1;
        if (logs === null) {
          findings.unknown(process, [previous, write], `the order in which replicas apply ops ${previous.index} and ${write.index} is not in a history; give the replicas' logs`);
        } else {
          const broken = misplaced(previous, write, logs);
          if (broken) findings.violation(process, [previous, write], [previous, write], `process ${String(process)} wrote op ${previous.index} before op ${write.index}, but ${broken}`);
        }
      }
      if (write.type === 'ok') previous = write;
    }
  }
  return findings.result(`${judged} pair(s) of writes`);
}

/** Why some log holding `later` does not hold `earlier` before it; null when every log does. */
function misplaced(earlier: Operation, later: Operation, logs: LogIndex): string | null {
  for (let at = 0; at < logs.positions.length; at += 1) {
    const position = logs.positions[at] as Map<Operation, number>;
    const replica = (logs.logs[at] as ReplicaLog).replica;
    const positionLater = position.get(later);
    if (positionLater === undefined) continue;
    const positionEarlier = position.get(earlier);
    if (positionEarlier === undefined) return `${replica} applied op ${later.index} without op ${earlier.index}`;
    if (positionEarlier > positionLater) return `${replica} applied op ${later.index} (position ${positionLater}) before op ${earlier.index} (position ${positionEarlier})`;
  }
  return null;
}

/**
 * Writes follow reads: "If Read R1 precedes Write W2 in a session and R1 is performed at
 * server S1 at time t1, then, for any server S2, if W2 is in DB(S2) then any W1 in
 * RelevantWrites(S1,t1,R1) is also in DB(S2) and WriteOrder(W1,W2)" (Terry et al. 1994).
 * Needs `options.logs`; see the top of this file.
 */
export function checkWritesFollowReads(history: readonly HistoryEntry[], options: SessionOptions = {}): SessionCheck {
  return writesFollowReads(context(history, options));
}

function writesFollowReads({ registers, sessions, logs, sources }: Context): SessionCheck {
  const findings = new Findings('writes-follow-reads');
  let judged = 0;
  for (const [process, session] of sessions) {
    // What the session has read so far, summed up per log (the latest position of a write
    // read, and how many writes read are missing), so that each write is judged in O(logs).
    let newestRead: Operation | null = null;
    let newestUnwritten: Operation | null = null;
    const seenWrites = new Set<Operation>();
    const summaries = (logs?.positions ?? []).map(() => ({ latest: -1, missing: 0 }));
    session.forEach((operation, at) => {
      if (isOkRead(registers, operation)) {
        const seen = sources.get(operation) as ReadSource;
        if (seen.kind === 'unwritten') newestUnwritten = operation;
        if (seen.kind !== 'write') return;
        newestRead = operation;
        if (seenWrites.has(seen.write)) return;
        seenWrites.add(seen.write);
        logs?.positions.forEach((position, log) => {
          const summary = summaries[log] as { latest: number; missing: number };
          const found = position.get(seen.write);
          if (found === undefined) summary.missing += 1;
          else summary.latest = Math.max(summary.latest, found);
        });
        return;
      }
      if (!isWrite(registers, operation) || operation.type === 'fail') return;
      if (newestUnwritten !== null) {
        const read: Operation = newestUnwritten;
        findings.unknown(process, [read, operation], `op ${read.index} read ${canonicalValue(read.result)}, which no write wrote`);
      }
      if (newestRead === null) return;
      judged += 1;
      const read: Operation = newestRead;
      if (logs === null) {
        findings.unknown(process, [read, operation], `whether replicas apply what op ${read.index} (and the session's earlier reads) saw before op ${operation.index} is not in a history; give the replicas' logs`);
        return;
      }
      const broken = logs.positions.some((position, log) => {
        const found = position.get(operation);
        const summary = summaries[log] as { latest: number; missing: number };
        return found !== undefined && (summary.missing > 0 || summary.latest > found);
      });
      if (broken) reportFollowed(findings, process, session, at, { registers, sources, logs });
    });
  }
  return findings.result(`${judged} write(s) after reads`);
}

/** Names the smallest window of a known writes-follow-reads violation: the newest read whose write the log misplaces. */
function reportFollowed(findings: Findings, process: ProcessName, session: Operation[], at: number, context: Pick<Context, 'registers' | 'sources'> & { logs: LogIndex }): void {
  const write = session[at] as Operation;
  for (let before = at - 1; before >= 0; before -= 1) {
    const read = session[before] as Operation;
    if (!isOkRead(context.registers, read)) continue;
    const seen = context.sources.get(read) as ReadSource;
    if (seen.kind !== 'write') continue;
    const broken = misplaced(seen.write, write, context.logs);
    if (broken) {
      findings.violation(process, [read, write], [seen.write, write], `process ${String(process)} read op ${seen.write.index}'s value (op ${read.index}) before writing op ${write.index}, but ${broken}`);
      return;
    }
  }
}

/** All four guarantees over one history (paired and indexed once). */
export function checkSessionGuarantees(history: readonly HistoryEntry[], options: SessionOptions = {}): Record<SessionGuarantee, SessionCheck> {
  const shared = context(history, options);
  return {
    'read-your-writes': readYourWrites(shared),
    'monotonic-reads': monotonicReads(shared),
    'monotonic-writes': monotonicWrites(shared),
    'writes-follow-reads': writesFollowReads(shared),
  };
}
