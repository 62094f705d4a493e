// `distlab check`: exit codes 0 valid, 1 invalid, 2 unknown, 3 bad input, and output that
// says why — called directly through checkCommand, console captured.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkCommand } from '../../src-main/cli/check-command.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...parts: unknown[]) => { out.push(parts.join(' ')); };
  console.error = (...parts: unknown[]) => { err.push(parts.join(' ')); };
  try {
    const code = await checkCommand(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const lines = (...entries: object[]): string => entries.map((entry) => JSON.stringify(entry)).join('\n');

describe('distlab check', () => {
  let dir = '';
  const file = (name: string): string => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'distlab-check-'));
    await writeFile(file('valid.jsonl'), lines(
      { index: 0, type: 'invoke', f: 'put', key: 'a', value: 1, process: 'c1' },
      { index: 1, type: 'ok', f: 'put', key: 'a', process: 'c1' },
      { index: 2, type: 'invoke', f: 'get', key: 'a', process: 'c2' },
      { index: 3, type: 'ok', f: 'get', key: 'a', value: 1, process: 'c2' },
    ));
    await writeFile(file('invalid.jsonl'), lines(
      { index: 0, type: 'invoke', f: 'put', key: 'a', value: 1, process: 'c1' },
      { index: 1, type: 'ok', f: 'put', key: 'a', process: 'c1' },
      { index: 2, type: 'invoke', f: 'get', key: 'a', process: 'c2' },
      { index: 3, type: 'ok', f: 'get', key: 'a', value: null, process: 'c2' },
    ));
    const many: object[] = [];
    for (let op = 0; op < 50_000; op += 1) {
      many.push({ type: 'invoke', f: 'write', value: op, process: op % 4 }, { type: 'ok', f: 'write', value: op, process: op % 4 });
    }
    await writeFile(file('long.jsonl'), lines(...many));
    await writeFile(file('broken.jsonl'), '{"type":"invoke","f":"get","process":"c1"}\n{"type":"ok"\n');
    await writeFile(file('orphan.jsonl'), lines({ type: 'invoke', f: 'read', process: 1 }, { type: 'ok', f: 'read', value: 1, process: 2 }));
    await writeFile(file('etcd.log'), 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t3\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 for a linearizable history', async () => {
    const result = await run([file('valid.jsonl'), '--model', 'lab-kv']);
    assert.equal(result.code, 0);
    assert.match(result.out, /linearizable/);
  });

  it('exits 1 for a violation and names the key, the prefix and the unplaceable operation', async () => {
    const result = await run([file('invalid.jsonl'), '--model', 'lab-kv']);
    assert.equal(result.code, 1);
    assert.match(result.out, /NOT linearizable/);
    assert.match(result.out, /key: "a"/);
    assert.match(result.out, /1\. process c1 key "a": put 1/);
    assert.match(result.out, /process c2 key "a": get → null .*not allowed when the state is 1/);
  });

  it('--json prints the whole result', async () => {
    const result = await run([file('invalid.jsonl'), '--model', 'lab-kv', '--json']);
    assert.equal(result.code, 1);
    const parsed = JSON.parse(result.out);
    assert.equal(parsed.verdict, 'invalid');
    assert.equal(parsed.failing.key, 'a');
    assert.deepEqual(parsed.failing.window, { fromIndex: 2, toIndex: 3 });
  });

  it('exits 2 when the deadline passes first', async () => {
    const result = await run([file('long.jsonl'), '--model', 'register', '--timeout-ms', '1']);
    assert.equal(result.code, 2);
    assert.match(result.out, /unknown/);
  });

  it('reads a Jepsen log with the etcd conventions, or the Knossos ones', async () => {
    assert.equal((await run([file('etcd.log'), '--model', 'cas-register'])).code, 1);
    assert.equal((await run([file('etcd.log'), '--model', 'cas-register', '--format', 'jepsen'])).code, 1);
  });

  it('exits 3 with a clear message for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [[], /expected one history file/],
      [[file('valid.jsonl')], /--model is required/],
      [[file('valid.jsonl'), '--model', 'queue'], /unknown model 'queue'/],
      [[file('valid.jsonl'), '--model', 'kv', '--format', 'xml'], /unknown format 'xml'/],
      [[file('valid.jsonl'), '--model', 'kv', '--conventions', 'etcd2'], /unknown --conventions/],
      [[file('valid.jsonl'), '--model', 'kv', '--timeout-ms', 'soon'], /--timeout-ms must be a positive number/],
      [[file('valid.jsonl'), '--model', 'kv', '--bogus'], /Unknown option/],
      [[file('missing.jsonl'), '--model', 'kv'], /cannot read/],
      [[file('broken.jsonl'), '--model', 'kv'], /line 2: /],
      [[file('orphan.jsonl'), '--model', 'register'], /line 2 \(entry 1\): process 2 completes read \(ok\) without an outstanding invoke/],
      [[file('valid.jsonl'), '--model', 'register'], /unknown function 'put'/],
      [[file('etcd.log'), '--model', 'kv'], /needs a key/],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      assert.equal(result.code, 3, args.join(' '));
      assert.match(result.err, message, args.join(' '));
    }
  });
});
