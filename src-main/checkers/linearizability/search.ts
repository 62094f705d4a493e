// The search for a linearization of one partition: Wing & Gong's algorithm (1993) with
// Lowe's cache of configurations (2017, "Testing for linearizability", §4), in the
// doubly-linked-list form Porcupine uses. Every operation contributes a call entry and a
// return entry, ordered as in the history. Scanning from the head, a call entry is a
// candidate for the next linearization point; placing it ("lift") removes both its entries;
// meeting a return entry means the operation returning there can no longer be placed in
// time, so the last choice is undone ("unlift") and the next candidate tried.
//
// A configuration is (the set of operations placed so far, the model state). Reaching one a
// second time cannot succeed where the first visit failed, so each is explored once (Lowe).
// Sets are bitsets in a typed array; their hash is kept incrementally as the XOR of a
// random 64-bit key per operation (Zobrist hashing), so placing or removing an operation
// costs O(1) to rehash. States are interned to integers by the caller and transitions are
// cached, so the loop runs on integers and allocates nothing once warm.
//
// The search is resumable: `run(maxSteps)` works a bounded slice and returns, so the caller
// can interleave partitions and watch a deadline. Memory is bounded by a shared budget: when
// a configuration would not fit, the search stops with `out-of-memory` instead of failing
// the process.

/** What the search needs to know about one operation. */
export interface SearchOperation {
  callPosition: number;
  /** Infinity while open (info / never completed). */
  returnPosition: number;
  open: boolean;
  readOnly: boolean;
}

export type SearchStatus = 'running' | 'valid' | 'invalid' | 'out-of-memory';

/** Bytes shared by all partitions of one check. */
export interface MemoryBudget {
  usedBytes: number;
  maxBytes: number;
}

/**
 * The next state of operation `op` from state `state`, as an interned id; -1 when illegal;
 * a list when the model allows several.
 */
export type ResolveTransition = (op: number, state: number) => number | readonly number[];

const HASH_SEED = 0x5eed1234;
const INITIAL_CACHE_RECORDS = 256;
/** The table is rebuilt larger when more than half full (open addressing, linear probing). */
const TABLE_LOAD_NUMERATOR = 1;
const TABLE_LOAD_DENOMINATOR = 2;
/** Record layout in the arena: hash low, hash high, state, then the bitset words. */
const RECORD_HEADER_WORDS = 3;
/** A rough cost of one set of alternative next states (nondeterministic models only). */
const ALTERNATIVES_BYTES = 64;
/** The transition memo: this many entries per operation, within these bounds (powers of two). */
const MEMO_ENTRIES_PER_OPERATION = 256;
const MEMO_ENTRIES_MIN = 1 << 10;
const MEMO_ENTRIES_MAX = 1 << 16;

function memoEntries(operations: number): number {
  let size = MEMO_ENTRIES_MIN;
  while (size < MEMO_ENTRIES_MAX && size < operations * MEMO_ENTRIES_PER_OPERATION) size *= 2;
  return size;
}
const ILLEGAL_CODE = -1;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
}

export class PartitionSearch {
  status: SearchStatus = 'running';
  steps = 0;
  /** Configurations cached (each one explored once). */
  cachedConfigurations = 0;

  private readonly count: number;
  private readonly head: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly entryOp: Int32Array;
  private readonly isCall: Uint8Array;
  private readonly returnOf: Int32Array;
  private readonly open: Uint8Array;
  private readonly readOnly: Uint8Array;
  private readonly keyLow: Int32Array;
  private readonly keyHigh: Int32Array;
  private readonly words: number;
  private readonly bits: Uint32Array;
  private readonly stackEntry: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackAlternative: Int32Array;
  // A direct-mapped, lossy memo of transitions: (state, op) → code. Lossy on purpose: for
  // models whose states rarely repeat (appends) a complete map would grow without ever
  // being read, and a fixed table allocates nothing in the loop.
  private readonly memoState: Int32Array;
  private readonly memoOp: Int32Array;
  private readonly memoCode: Int32Array;
  private readonly memoMask: number;
  private readonly alternatives: (readonly number[])[] = [];

  private arena: Int32Array;
  private table: Int32Array;
  /** The high hash word of each slot's record, beside the table: most probes end here. */
  private tags: Int32Array;
  private records = 0;

  // The search position, saved between slices.
  private entry: number;
  private alternative = 0;
  private state: number;
  private depth = 0;
  private hashLow = 0;
  private hashHigh = 0;
  private required: number;
  private readonly hasReadOnly: boolean;

  // The deepest configuration reached: the longest linearizable prefix.
  private bestDepth = 0;
  private bestDirty = false;
  private readonly bestOps: Int32Array;
  private bestState: number;

  constructor(
    operations: readonly SearchOperation[],
    initialState: number,
    private readonly resolve: ResolveTransition,
    private readonly budget: MemoryBudget,
  ) {
    const count = operations.length;
    this.count = count;
    this.head = 2 * count;
    this.next = new Int32Array(2 * count + 1);
    this.prev = new Int32Array(2 * count + 1);
    this.entryOp = new Int32Array(2 * count);
    this.isCall = new Uint8Array(2 * count);
    this.returnOf = new Int32Array(2 * count);
    this.open = new Uint8Array(count);
    this.readOnly = new Uint8Array(count);
    this.keyLow = new Int32Array(count);
    this.keyHigh = new Int32Array(count);
    this.words = Math.max(1, Math.ceil(count / 32));
    this.bits = new Uint32Array(this.words);
    this.stackEntry = new Int32Array(count);
    this.stackState = new Int32Array(count);
    this.stackAlternative = new Int32Array(count);
    this.bestOps = new Int32Array(count);
    this.state = initialState;
    this.bestState = initialState;
    this.required = operations.filter((operation) => !operation.open).length;
    this.buildEntries(operations);
    const memoSize = memoEntries(count);
    this.memoState = new Int32Array(memoSize).fill(-1);
    this.memoOp = new Int32Array(memoSize);
    this.memoCode = new Int32Array(memoSize);
    this.memoMask = memoSize - 1;
    this.arena = new Int32Array(INITIAL_CACHE_RECORDS * (RECORD_HEADER_WORDS + this.words));
    this.table = new Int32Array(INITIAL_CACHE_RECORDS * 2);
    this.tags = new Int32Array(INITIAL_CACHE_RECORDS * 2);
    this.charge(this.arena.byteLength + 2 * this.table.byteLength + 12 * memoSize);
    this.hasReadOnly = operations.some((operation) => operation.readOnly);
    this.entry = this.firstCandidate();
    if (this.required === 0) this.status = 'valid';
  }

  /** Lays out the call and return entries in history order; open returns go last. */
  private buildEntries(operations: readonly SearchOperation[]): void {
    const random = splitmix32(HASH_SEED);
    const order: { position: number; op: number; call: boolean }[] = [];
    operations.forEach((operation, op) => {
      this.open[op] = operation.open ? 1 : 0;
      this.readOnly[op] = operation.readOnly ? 1 : 0;
      this.keyLow[op] = random();
      this.keyHigh[op] = random();
      order.push({ position: operation.callPosition, op, call: true });
      order.push({ position: operation.open ? Infinity : operation.returnPosition, op, call: false });
    });
    order.sort((a, b) => a.position - b.position || a.op - b.op || Number(b.call) - Number(a.call));
    const callEntryOf = new Int32Array(operations.length);
    order.forEach((item, entry) => {
      this.entryOp[entry] = item.op;
      this.isCall[entry] = item.call ? 1 : 0;
      if (item.call) callEntryOf[item.op] = entry;
      else this.returnOf[callEntryOf[item.op]!] = entry;
      this.next[entry] = entry + 1;
      this.prev[entry] = entry === 0 ? this.head : entry - 1;
    });
    // A circular list through the head sentinel.
    this.next[this.head] = order.length === 0 ? this.head : 0;
    this.prev[this.head] = order.length === 0 ? this.head : order.length - 1;
    if (order.length > 0) this.next[order.length - 1] = this.head;
  }

  private charge(bytes: number): boolean {
    if (this.budget.usedBytes + bytes > this.budget.maxBytes) return false;
    this.budget.usedBytes += bytes;
    return true;
  }

  /** The code for a transition: a state id, ILLEGAL_CODE, or -(2 + alternatives index). */
  private transition(op: number, state: number): number {
    const slot = (Math.imul(state, 0x9e3779b1) ^ Math.imul(op, 0x85ebca6b)) & this.memoMask;
    if (this.memoState[slot] === state && this.memoOp[slot] === op) return this.memoCode[slot]!;
    const next = this.resolve(op, state);
    let code: number;
    if (typeof next === 'number') code = next < 0 ? ILLEGAL_CODE : next;
    else if (next.length === 0) code = ILLEGAL_CODE;
    else if (next.length === 1) code = next[0]!;
    else {
      code = -(2 + this.alternatives.length);
      this.alternatives.push(next);
      this.budget.usedBytes += ALTERNATIVES_BYTES;
    }
    this.memoState[slot] = state;
    this.memoOp[slot] = op;
    this.memoCode[slot] = code;
    return code;
  }

  /**
   * Adds the configuration (current bitset, hash, state) to the cache. Returns 1 when it is
   * new, 0 when it was cached already, -1 when it does not fit the memory budget.
   */
  private visit(low: number, high: number, state: number): number {
    const stride = RECORD_HEADER_WORDS + this.words;
    let table = this.table;
    const arena = this.arena;
    const bits = this.bits;
    const mask = table.length - 1;
    let slot = (low ^ Math.imul(state, 0x9e3779b1)) & mask;
    const tags = this.tags;
    for (;;) {
      const stored = table[slot]!;
      if (stored === 0) break;
      if (tags[slot] === high) {
        const base = (stored - 1) * stride;
        if (arena[base] === low && arena[base + 2] === state && this.sameBits(arena, base + RECORD_HEADER_WORDS)) return 0;
      }
      slot = (slot + 1) & mask;
    }
    if (!this.ensureRoom()) return -1;
    table = this.table;
    if (table.length - 1 !== mask) {
      // The table was rebuilt: find the free slot again.
      slot = (low ^ Math.imul(state, 0x9e3779b1)) & (table.length - 1);
      while (table[slot] !== 0) slot = (slot + 1) & (table.length - 1);
    }
    const base = this.records * stride;
    const target = this.arena;
    target[base] = low;
    target[base + 1] = high;
    target[base + 2] = state;
    for (let word = 0; word < this.words; word += 1) target[base + RECORD_HEADER_WORDS + word] = bits[word]! | 0;
    this.records += 1;
    this.cachedConfigurations = this.records;
    table[slot] = this.records;
    this.tags[slot] = high;
    return 1;
  }

  private sameBits(arena: Int32Array, base: number): boolean {
    const bits = this.bits;
    for (let word = 0; word < this.words; word += 1) {
      if (arena[base + word] !== (bits[word]! | 0)) return false;
    }
    return true;
  }

  /** Grows the arena and the table before they fill; false when the budget says no. */
  private ensureRoom(): boolean {
    const stride = RECORD_HEADER_WORDS + this.words;
    if ((this.records + 1) * stride > this.arena.length) {
      const grown = new Int32Array(this.arena.length * 2);
      if (!this.charge(grown.byteLength - this.arena.byteLength)) return false;
      grown.set(this.arena);
      this.arena = grown;
    }
    if ((this.records + 1) * TABLE_LOAD_DENOMINATOR > this.table.length * TABLE_LOAD_NUMERATOR) {
      const table = new Int32Array(this.table.length * 2);
      const tags = new Int32Array(table.length);
      if (!this.charge(2 * (table.byteLength - this.table.byteLength))) return false;
      const mask = table.length - 1;
      for (let record = 0; record < this.records; record += 1) {
        const base = record * stride;
        let slot = (this.arena[base]! ^ Math.imul(this.arena[base + 2]!, 0x9e3779b1)) & mask;
        while (table[slot] !== 0) slot = (slot + 1) & mask;
        table[slot] = record + 1;
        tags[slot] = this.arena[base + 1]!;
      }
      this.table = table;
      this.tags = tags;
    }
    return true;
  }

  private lift(callEntry: number): void {
    const { next, prev } = this;
    const returnEntry = this.returnOf[callEntry]!;
    next[prev[callEntry]!] = next[callEntry]!;
    prev[next[callEntry]!] = prev[callEntry]!;
    next[prev[returnEntry]!] = next[returnEntry]!;
    prev[next[returnEntry]!] = prev[returnEntry]!;
  }

  private unlift(callEntry: number): void {
    const { next, prev } = this;
    const returnEntry = this.returnOf[callEntry]!;
    next[prev[returnEntry]!] = returnEntry;
    prev[next[returnEntry]!] = returnEntry;
    next[prev[callEntry]!] = callEntry;
    prev[next[callEntry]!] = callEntry;
  }

  /** Remembers the stack as the longest prefix; called before the first pop after a new maximum. */
  private recordBest(): void {
    for (let level = 0; level < this.depth; level += 1) this.bestOps[level] = this.entryOp[this.stackEntry[level]!]!;
    this.bestState = this.state;
    this.bestDirty = false;
  }

  /** The longest linearizable prefix found (operation indexes in order) and the state after it. */
  longest(): { operations: number[]; state: number } {
    if (this.bestDirty) this.recordBest();
    return { operations: Array.from(this.bestOps.subarray(0, this.bestDepth)), state: this.bestState };
  }

  /** Works at most `maxSteps` steps; returns the status (still `running` when not done). */
  run(maxSteps: number): SearchStatus {
    if (this.status !== 'running') return this.status;
    const { next, entryOp, isCall, open, bits, keyLow, keyHigh, head } = this;
    let steps = 0;
    let outcome: SearchStatus = 'running';
    while (steps < maxSteps) {
      steps += 1;
      const entry = this.entry;
      if (entry === head || isCall[entry] === 0) {
        // A return entry: its operation could not be placed before it returned. Undo.
        if (!this.backtrack()) {
          outcome = 'invalid';
          break;
        }
        continue;
      }
      const op = entryOp[entry]!;
      const code = this.transition(op, this.state);
      // An open operation that would leave the state as it is gains nothing: it may be left
      // out, and the configuration without it (an ancestor on the stack) is explored anyway.
      if (code === ILLEGAL_CODE || (code === this.state && open[op] === 1)) {
        this.entry = next[entry]!;
        this.alternative = 0;
        continue;
      }
      const word = op >>> 5;
      const bit = 1 << (op & 31);
      bits[word] = bits[word]! | bit;
      const low = this.hashLow ^ keyLow[op]!;
      const high = this.hashHigh ^ keyHigh[op]!;
      const placed = this.place(code, low, high);
      if (placed === -1) {
        bits[word] = bits[word]! & ~bit;
        outcome = 'out-of-memory';
        break;
      }
      if (placed === 0) {
        // Every next state was explored from this set already, and failed.
        bits[word] = bits[word]! & ~bit;
        if (this.readOnly[op] === 1) {
          // A legal read-only operation leads to a failed configuration, so the current one
          // fails too (the argument of PreparedOperation.readOnly): undo at once.
          if (!this.backtrack()) {
            outcome = 'invalid';
            break;
          }
          continue;
        }
        this.entry = next[entry]!;
        this.alternative = 0;
        continue;
      }
      this.hashLow = low;
      this.hashHigh = high;
      this.lift(entry);
      if (open[op] === 0) {
        this.required -= 1;
        if (this.required === 0) {
          outcome = 'valid';
          break;
        }
      }
      if (this.depth > this.bestDepth) {
        this.bestDepth = this.depth;
        this.bestDirty = true;
      }
      this.entry = this.firstCandidate();
      this.alternative = 0;
    }
    this.steps += steps;
    this.status = outcome;
    return outcome;
  }

  /**
   * Where to start scanning a new configuration: a read-only candidate that is legal now,
   * if there is one, else the head. Placing such a read is never wrong (the argument of
   * PreparedOperation.readOnly), and trying it first saves exploring the branches that
   * place a write before it and fail later for that.
   */
  private firstCandidate(): number {
    const { next, head, isCall, entryOp } = this;
    if (!this.hasReadOnly) return next[head]!;
    for (let entry = next[head]!; entry !== head && isCall[entry] === 1; entry = next[entry]!) {
      const op = entryOp[entry]!;
      if (this.readOnly[op] === 1 && this.transition(op, this.state) !== ILLEGAL_CODE) return entry;
    }
    return next[head]!;
  }

  /**
   * Tries the next state(s) of the current call entry from the current alternative on;
   * pushes a frame and moves to that state when a configuration is new. 1 placed, 0 nothing
   * new, -1 out of memory.
   */
  private place(code: number, low: number, high: number): number {
    if (code >= 0) {
      const visited = this.visit(low, high, code);
      if (visited === 1) this.push(code, -1);
      return visited;
    }
    const choices = this.alternatives[-code - 2]!;
    for (let choice = this.alternative; choice < choices.length; choice += 1) {
      const visited = this.visit(low, high, choices[choice]!);
      if (visited === -1) return -1;
      if (visited === 1) {
        this.push(choices[choice]!, choice);
        return 1;
      }
    }
    return 0;
  }

  private push(state: number, alternative: number): void {
    this.stackEntry[this.depth] = this.entry;
    this.stackState[this.depth] = this.state;
    this.stackAlternative[this.depth] = alternative;
    this.depth += 1;
    this.state = state;
  }

  /**
   * Undoes the last placement and moves to the next candidate. A read-only operation that
   * was legal where it was placed is a committed choice: if nothing works after it, nothing
   * works from the configuration before it either (see PreparedOperation.readOnly), so the
   * undo continues one level further. False when there is nothing left to undo.
   */
  private backtrack(): boolean {
    if (this.bestDirty) this.recordBest();
    for (;;) {
      if (this.depth === 0) return false;
      this.depth -= 1;
      const entry = this.stackEntry[this.depth]!;
      const op = this.entryOp[entry]!;
      this.state = this.stackState[this.depth]!;
      this.unlift(entry);
      this.bits[op >>> 5] = this.bits[op >>> 5]! & ~(1 << (op & 31));
      this.hashLow ^= this.keyLow[op]!;
      this.hashHigh ^= this.keyHigh[op]!;
      if (this.open[op] === 0) this.required += 1;
      if (this.readOnly[op] === 1) continue;
      const alternative = this.stackAlternative[this.depth]!;
      if (alternative >= 0) {
        this.entry = entry;
        this.alternative = alternative + 1;
      } else {
        this.entry = this.next[entry]!;
        this.alternative = 0;
      }
      return true;
    }
  }
}
