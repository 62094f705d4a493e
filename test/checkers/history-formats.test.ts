// The history parsers: the lab's JSON lines, Jepsen etcd logs, EDN maps; detection from
// the content; bad input answered with line numbers, never an exception.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat, parseHistory } from '../../src-main/checkers/history-formats/parse.ts';
import { EdnKeyword, readEdn, toPlain } from '../../src-main/checkers/history-formats/edn.ts';

describe('EDN subset reader', () => {
  it('reads maps, keywords, strings, integers, nil, booleans, vectors and lists', () => {
    const read = readEdn('{:process 3, :type :invoke, :f :cas, :value [1 -2], :s "a \\"b\\"\\n", :n nil, :t true, :l (1 2)}');
    assert.ok(read.ok);
    assert.deepEqual(toPlain(read.value), { process: 3, type: 'invoke', f: 'cas', value: [1, -2], s: 'a "b"\n', n: null, t: true, l: [1, 2] });
    const keyword = readEdn(':timed-out');
    assert.ok(keyword.ok && keyword.value instanceof EdnKeyword && keyword.value.name === 'timed-out');
  });

  it('refuses what it does not read, with the column', () => {
    for (const [text, message] of [['{:a 1', /unclosed map/], ['{:a}', /without a value/], ['"abc', /unclosed string/], ['#{1 2}', /not supported/],
      ['{:a 1 :a 2}', /duplicate key/], ['[1 2] 3', /after the value/], ['99999999999999999999', /too large/], ['@x', /unexpected/]] as const) {
      const read = readEdn(text);
      assert.ok(!read.ok, text);
      assert.match(read.message, message);
      assert.ok(read.column >= 1);
    }
    const deep = readEdn('['.repeat(100) + ']'.repeat(100));
    assert.ok(!deep.ok && /nested deeper/.test(deep.message));
  });
});

describe('format detection', () => {
  it('recognizes each format from its first line with content', () => {
    assert.equal(detectFormat('\n{"type":"invoke","f":"get","process":"c1","index":0}\n'), 'lab');
    assert.equal(detectFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil\n'), 'jepsen');
    assert.equal(detectFormat('{:process 0, :type :invoke, :f :get, :key "1", :value nil}'), 'edn');
    assert.equal(detectFormat(''), 'empty');
    assert.equal(detectFormat('  \n\n'), 'empty');
    assert.equal(detectFormat('hello'), null);
  });

  it('an unrecognized history is an error naming the line', () => {
    const parsed = parseHistory('\n\nnot a history\n');
    assert.ok(!parsed.ok);
    assert.equal(parsed.errors[0]!.line, 3);
    assert.match(parsed.errors[0]!.message, /unrecognized history format/);
  });
});

describe('lab JSON lines', () => {
  it('reads one HistoryEntry per line, keeping index, time and key', () => {
    const text = [
      '{"index":0,"type":"invoke","f":"put","key":"k","value":{"n":1},"process":"c1","time":1.5}',
      '',
      '{"index":1,"type":"ok","f":"put","key":"k","process":"c1","time":2}',
      '{"type":"info","f":"get","process":2,"error":"timeout"}',
    ].join('\n');
    const parsed = parseHistory(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.format, 'lab');
    assert.deepEqual(parsed.entries[0], { index: 0, type: 'invoke', f: 'put', key: 'k', value: { n: 1 }, process: 'c1', time: 1.5 });
    assert.deepEqual(parsed.lines, [1, 3, 4]);
    assert.equal(parsed.entries[2]!.index, 2, 'a missing index is the position');
    assert.equal(parsed.entries[2]!.error, 'timeout');
  });

  it('bad lines are errors with their line numbers', () => {
    const text = ['{"type":"invoke","f":"get","process":"c1"}', '{"type":"done","f":"get","process":"c1"}', '{oops', '[1]', '{"type":"ok","f":"get","process":true}'].join('\n');
    const parsed = parseHistory(text, { format: 'lab' });
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.errors.map((error) => error.line), [2, 3, 4, 5]);
    assert.match(parsed.errors[0]!.message, /"type" must be one of/);
    assert.match(parsed.errors[1]!.message, /not JSON/);
    assert.match(parsed.errors[2]!.message, /JSON object/);
    assert.match(parsed.errors[3]!.message, /"process"/);
  });
});

describe('Jepsen etcd log lines', () => {
  it('reads invokes, results, cas pairs and timeouts', () => {
    const text = [
      'INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]',
      'INFO  jepsen.util - 2\t:fail\t:cas\t[3 0]',
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 0\t:fail\t:read\t:timed-out',
      'INFO  jepsen.util - 1\t:invoke\t:write\t4',
      'INFO  jepsen.util - 1\t:info\t:write\t:timed-out',
      'INFO  jepsen.util - 3  :invoke :read nil',
      'INFO  jepsen.util - 3  :ok :read 4',
    ].join('\n');
    const parsed = parseHistory(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.format, 'jepsen');
    assert.deepEqual(parsed.entries[0], { index: 0, type: 'invoke', f: 'cas', process: 2, value: [3, 0] });
    assert.deepEqual(parsed.entries[1], { index: 1, type: 'fail', f: 'cas', process: 2, value: [3, 0] });
    assert.deepEqual(parsed.entries[2], { index: 2, type: 'invoke', f: 'read', process: 0, value: null });
    assert.deepEqual(parsed.entries[3], { index: 3, type: 'fail', f: 'read', process: 0, error: 'timed-out' });
    assert.equal(parsed.entries[5]!.error, 'timed-out');
    assert.equal(parsed.entries[7]!.value, 4);
  });

  it('bad lines are errors with their line numbers', () => {
    const text = ['INFO  jepsen.util - 0\t:invoke\t:read\tnil', 'INFO  jepsen.util - x\t:invoke\t:read\tnil', 'INFO  jepsen.util - 0\t:done\t:read\tnil',
      'INFO  jepsen.util - 0\t:ok\t:read\t[1', 'WARN something else'].join('\n');
    const parsed = parseHistory(text);
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.errors.map((error) => error.line), [2, 3, 4, 5]);
    assert.match(parsed.errors[0]!.message, /process must be an integer/);
    assert.match(parsed.errors[2]!.message, /bad value/);
  });
});

describe('EDN history maps', () => {
  it('reads the kv files\' maps, skipping the nemesis', () => {
    const text = [
      '{:process 3, :type :invoke, :f :append, :key "4", :value "x 3 1 y"}',
      '{:process :nemesis, :type :info, :f :start, :value nil}',
      '{:process 3, :type :ok, :f :append, :key "4", :value "x 3 1 y", :time 12}',
      '{:process 1, :type :info, :f :get, :key 4, :value :timeout}',
    ].join('\n');
    const parsed = parseHistory(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.format, 'edn');
    assert.equal(parsed.skipped, 1);
    assert.deepEqual(parsed.entries[0], { index: 0, type: 'invoke', f: 'append', key: '4', value: 'x 3 1 y', process: 3 });
    assert.equal(parsed.entries[1]!.time, 12);
    assert.deepEqual(parsed.lines, [1, 3, 4]);
    assert.equal(parsed.entries[2]!.key, '4');
    assert.equal(parsed.entries[2]!.error, 'timeout');
  });

  it('bad lines are errors with their line numbers', () => {
    const text = ['{:process 0, :type :invoke, :f :get, :key "1", :value nil}', '{:process 0, :type :invoke, :f :get', '{:type :ok, :f :get}',
      '{:process 0, :type :maybe, :f :get}', '[1 2]'].join('\n');
    const parsed = parseHistory(text);
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.errors.map((error) => error.line), [2, 3, 4, 5]);
    assert.match(parsed.errors[0]!.message, /unclosed map \(column 1\)/);
    assert.match(parsed.errors[1]!.message, /:process/);
    assert.match(parsed.errors[2]!.message, /:type/);
    assert.match(parsed.errors[3]!.message, /expected an EDN map/);
  });

  it('never throws on arbitrary bytes', () => {
    const samples = ['\u0000\u0001{', '{:a "\\u12"}', '{"type": 1}', ':::', '{:process 1 :type :invoke :f :x :value #inst "2020"}', 'INFO  jepsen.util - 1'];
    for (const sample of samples) {
      for (const format of [undefined, 'lab', 'jepsen', 'edn'] as const) {
        const parsed = parseHistory(sample, format ? { format } : {});
        assert.equal(typeof parsed.ok, 'boolean');
      }
    }
  });
});
