// `distlab check <file> --model NAME`: judges a recorded history for linearizability and
// says why. Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (deadline or memory
// bound), 3 bad input (arguments, unreadable file, malformed history).

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { parseHistory, isHistoryFormat, HISTORY_FORMATS, type ParseResult } from '../checkers/history-formats/parse.ts';
import { checkLinearizability, type LinearizabilityResult, type OperationView } from '../checkers/linearizability/check.ts';
import { createModel, isModelName, MODEL_NAMES, type Conventions } from '../checkers/linearizability/models.ts';

export const CHECK_EXIT_VALID = 0;
export const CHECK_EXIT_INVALID = 1;
export const CHECK_EXIT_UNKNOWN = 2;
export const CHECK_EXIT_BAD_INPUT = 3;
/** The default wall-clock budget of one check. */
export const DEFAULT_CHECK_TIMEOUT_MS = 60_000;
/** Lines of a linearization printed before eliding the middle. */
const PRINTED_PREFIX_MAX = 12;

export const CHECK_USAGE = `distlab check <file> --model ${MODEL_NAMES.join('|')} [--format ${HISTORY_FORMATS.join('|')}]
               [--conventions knossos] [--timeout-ms N] [--json]
  Judges a history for linearizability. Exit 0 linearizable, 1 not, 2 unknown, 3 bad input.`;

class BadInput extends Error {}

interface CheckArguments {
  file: string;
  model: string;
  format?: string;
  conventions: Conventions;
  timeoutMs: number;
  json: boolean;
}

function readArguments(args: string[]): CheckArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        model: { type: 'string' }, format: { type: 'string' }, conventions: { type: 'string' },
        'timeout-ms': { type: 'string' }, json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new BadInput((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new BadInput(`expected one history file, got ${positionals.length}`);
  if (values.model === undefined) throw new BadInput(`--model is required (${MODEL_NAMES.join(', ')})`);
  const conventions = values.conventions ?? 'default';
  if (conventions !== 'default' && conventions !== 'knossos') throw new BadInput(`unknown --conventions '${conventions}' (known: knossos)`);
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_CHECK_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new BadInput(`--timeout-ms must be a positive number, got '${values['timeout-ms']}'`);
  const result: CheckArguments = { file: positionals[0]!, model: values.model, conventions, timeoutMs, json: values.json ?? false };
  if (values.format !== undefined) result.format = values.format;
  return result;
}

function exitCodeOf(result: LinearizabilityResult): number {
  switch (result.verdict) {
    case 'valid': return CHECK_EXIT_VALID;
    case 'invalid': return CHECK_EXIT_INVALID;
    case 'unknown': return CHECK_EXIT_UNKNOWN;
  }
}

function operationLine(operation: OperationView): string {
  const key = operation.key === undefined ? '' : ` key ${JSON.stringify(operation.key)}`;
  const completion = operation.returnIndex === null ? 'never completed' : `${operation.type} at entry ${operation.returnIndex}`;
  return `process ${operation.process}${key}: ${operation.description}  (invoked at entry ${operation.callIndex}, ${completion})`;
}

function printLinearization(operations: readonly OperationView[]): void {
  const half = PRINTED_PREFIX_MAX / 2;
  operations.forEach((operation, index) => {
    const elided = operations.length > PRINTED_PREFIX_MAX && index >= half && index < operations.length - half;
    if (!elided) console.log(`    ${index + 1}. ${operationLine(operation)}`);
    else if (index === half) console.log(`    … ${operations.length - PRINTED_PREFIX_MAX} more …`);
  });
}

function printResult(file: string, result: LinearizabilityResult, elapsedMs: number): void {
  const verdict = result.verdict === 'valid' ? 'linearizable' : result.verdict === 'invalid' ? 'NOT linearizable' : 'unknown';
  console.log(`${file}: ${verdict} (model ${result.model}, ${result.operations} operations, ${result.partitions.length} partition(s), ${Math.round(elapsedMs)} ms)`);
  console.log(`  ${result.reason}`);
  const failing = result.failing;
  if (!failing) return;
  if (failing.key !== '') console.log(`  key: ${JSON.stringify(failing.key)}`);
  console.log(`  longest linearizable prefix (${failing.longestLinearization.length} operations), leaving the state ${failing.state}:`);
  printLinearization(failing.longestLinearization);
  console.log('  operations that could not be placed next:');
  for (const operation of failing.unplaceable) console.log(`    - ${operationLine(operation)}: ${operation.why}`);
  console.log(`  failing window: entries ${failing.window.fromIndex}–${failing.window.toIndex}`);
}

function parseErrorMessage(file: string, parsed: Extract<ParseResult, { ok: false }>): string {
  const format = parsed.format ? ` as ${parsed.format}` : '';
  return [`cannot read ${file}${format}:`, ...parsed.errors.map((error) => `  line ${error.line}: ${error.message}`)].join('\n');
}

async function check(args: string[]): Promise<number> {
  const options = readArguments(args);
  if (!isModelName(options.model)) throw new BadInput(`unknown model '${options.model}' (known: ${MODEL_NAMES.join(', ')})`);
  if (options.format !== undefined && !isHistoryFormat(options.format)) throw new BadInput(`unknown format '${options.format}' (known: ${HISTORY_FORMATS.join(', ')})`);
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (error) {
    throw new BadInput(`cannot read ${options.file}: ${(error as Error).message}`);
  }
  const parsed = parseHistory(text, options.format === undefined ? {} : { format: options.format as never });
  if (!parsed.ok) throw new BadInput(parseErrorMessage(options.file, parsed));
  const started = performance.now();
  const result = checkLinearizability(parsed.entries, {
    model: createModel(options.model, options.conventions),
    deadlineMs: options.timeoutMs,
    now: () => performance.now(),
  });
  const elapsedMs = performance.now() - started;
  if (result.problems.length > 0) {
    const lineOf = new Map(parsed.entries.map((entry, position) => [entry.index, parsed.lines[position]]));
    const lines = result.problems.map((problem) => `  line ${lineOf.get(problem.entryIndex) ?? '?'} (entry ${problem.entryIndex}): ${problem.message}`);
    throw new BadInput([`malformed history in ${options.file}:`, ...lines].join('\n'));
  }
  if (options.json) console.log(JSON.stringify({ file: options.file, format: parsed.format, elapsedMs, ...result }, null, 2));
  else printResult(options.file, result, elapsedMs);
  return exitCodeOf(result);
}

/** Runs `distlab check`; never throws for bad input (it answers 3 with a message). */
export async function checkCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(CHECK_USAGE);
    console.log('\nModels and their conventions:');
    for (const name of MODEL_NAMES) {
      console.log(`  ${name}`);
      for (const convention of createModel(name).conventions) console.log(`    - ${convention}`);
    }
    console.log('  (--conventions knossos: Knossos\'s reading of Jepsen EDN histories: a fail did not happen, a nil read is unknown)');
    return CHECK_EXIT_VALID;
  }
  try {
    return await check(args);
  } catch (error) {
    if (error instanceof BadInput) {
      console.error(`distlab check: ${error.message}`);
      console.error(CHECK_USAGE);
      return CHECK_EXIT_BAD_INPUT;
    }
    throw error;
  }
}
