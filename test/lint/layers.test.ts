// The lint rules that keep the layers of DESIGN.md are themselves tested: each rule is
// shown to fire on a small snippet placed at a virtual path in the layer it guards, and
// to stay quiet where the same code is allowed. The last test lints the whole repository.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'eslint.config.js') });

interface Finding {
  ruleId: string | null;
  message: string;
}

/** The errors ESLint reports for `code` as if it were the file at `file` (repo-relative). */
async function errorsFor(file: string, code: string): Promise<Finding[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  assert.ok(result, `no lint result for ${file}`);
  return result.messages
    .filter((message) => message.severity === 2)
    .map((message) => ({ ruleId: message.ruleId, message: message.message }));
}

async function assertFlags(file: string, code: string, ruleId: string, words?: RegExp): Promise<void> {
  const errors = await errorsFor(file, code);
  const hit = errors.find((error) => error.ruleId === ruleId && (words === undefined || words.test(error.message)));
  assert.ok(hit, `expected ${ruleId} in ${file} for:\n${code}\ngot: ${JSON.stringify(errors, null, 2)}`);
}

async function assertClean(file: string, code: string): Promise<void> {
  // An ignored path would pass vacuously.
  assert.equal(await eslint.isPathIgnored(path.join(root, file)), false, `${file} is ignored by the config`);
  const errors = await errorsFor(file, code);
  assert.deepEqual(errors, [], `expected no errors in ${file} for:\n${code}`);
}

describe('pure protocol cores (src-node/protocols) have no ambient time, randomness or I/O', () => {
  const core = 'src-node/protocols/x.ts';
  const runtime = 'src-node/runtime/x.ts';

  test('Date.now() is an error in a core and fine in the runtime', async () => {
    const code = 'export const now = (): number => Date.now();\n';
    await assertFlags(core, code, 'no-restricted-properties', /Date\.now/);
    await assertClean(runtime, code);
  });

  test('Math.random() is an error in a core', async () => {
    await assertFlags(core, 'export const pick = (): number => Math.random();\n', 'no-restricted-properties', /seeded/);
  });

  test('new Date() is an error in a core; new Date(ms) (a conversion) is not', async () => {
    await assertFlags(core, 'export const now = (): Date => new Date();\n', 'no-restricted-syntax', /new Date/);
    await assertClean(core, 'export const at = (ms: number): string => new Date(ms).toISOString();\n');
  });

  for (const name of ['performance', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process', 'crypto']) {
    test(`the global ${name} is an error in a core`, async () => {
      await assertFlags(core, `export const reach = (): unknown => ${name};\n`, 'no-restricted-globals', new RegExp(name));
    });
  }

  test('await and async functions are errors in a core, fine in the runtime', async () => {
    const code = 'export async function step(next: () => Promise<number>): Promise<number> {\n  return await next();\n}\n';
    await assertFlags(core, code, 'no-restricted-syntax', /await in a core/);
    await assertFlags(core, code, 'no-restricted-syntax', /async function/);
    await assertFlags(core, 'export const step = async (): Promise<void> => {};\n', 'no-restricted-syntax', /async function/);
    await assertClean(runtime, code);
  });

  test('Node built-ins are errors in a core, in either spelling', async () => {
    await assertFlags(core, "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n", 'distlab/layers', /built-in/);
    await assertFlags(core, "import { EventEmitter } from 'events';\nexport const Emitter = EventEmitter;\n", 'distlab/layers', /built-in/);
  });

  test('a core may not import the runtime, the lab, socket.io or better-sqlite3', async () => {
    await assertFlags(core, "export { clock } from '../runtime/node-clock.ts';\n", 'distlab/layers', /src-node\/runtime/);
    await assertFlags(core, "import { createLab } from '../../src-main/lab/lab.ts';\nexport const make = createLab;\n", 'distlab/layers', /src-main/);
    await assertFlags(core, "import { io } from 'socket.io-client';\nexport const connect = io;\n", 'distlab/layers');
    await assertFlags(core, "import Database from 'better-sqlite3';\nexport const open = Database;\n", 'distlab/layers');
  });

  test('a core may import other cores and the contract', async () => {
    await assertClean(
      'src-node/protocols/raft/core.ts',
      "import { lamportTick } from '../clocks/lamport.ts';\nimport type { NodeId } from '../../contract/clock.ts';\n" +
        'export const tick = (node: NodeId, time: number): [NodeId, number] => [node, lamportTick(time)];\n',
    );
  });
});

describe('the simulator (src-main/sim) replays a run from its seed', () => {
  test('ambient time, timers, randomness and await are errors', async () => {
    const file = 'src-main/sim/x.ts';
    await assertFlags(file, 'export const now = (): number => Date.now();\n', 'no-restricted-properties', /Date\.now/);
    await assertFlags(file, 'export const pick = (): number => Math.random();\n', 'no-restricted-properties', /seeded/);
    await assertFlags(file, 'export const later = (f: () => void): unknown => setTimeout(f, 1);\n', 'no-restricted-globals', /setTimeout/);
    await assertFlags(file, 'export const now = (): Date => new Date();\n', 'no-restricted-syntax', /new Date/);
    await assertFlags(file, 'export async function run(step: () => Promise<void>): Promise<void> {\n  await step();\n}\n', 'no-restricted-syntax', /await|async/);
  });
});

describe('only src-main/electron/main.ts and preload.ts import electron', () => {
  const code = "import { app } from 'electron';\nexport const quit = (): void => app.quit();\n";

  test('electron in the supervisor is an error', async () => {
    await assertFlags('src-main/supervisor/x.ts', code, 'distlab/layers', /electron/);
  });

  test('electron in main.ts and preload.ts is fine', async () => {
    await assertClean('src-main/electron/main.ts', code);
    await assertClean('src-main/electron/preload.ts', code);
  });

  test('electron in launch.ts (plain Node), the runtime, the renderer and tests is an error', async () => {
    await assertFlags('src-main/electron/launch.ts', code, 'distlab/layers', /electron/);
    await assertFlags('src-node/runtime/x.ts', code, 'distlab/layers', /electron/);
    await assertFlags('src-renderer/x.ts', code, 'distlab/layers', /electron/);
    await assertFlags('test/unit/x.test.ts', code, 'distlab/layers', /electron/);
  });

  test('a lazy import() or require() of electron is caught too', async () => {
    await assertFlags('src-main/lab/x.ts', "export const load = (): Promise<unknown> => import('electron');\n", 'distlab/layers', /electron/);
    await assertFlags('src-main/lab/x.cjs', "module.exports = require('electron');\n", 'distlab/layers', /electron/);
  });
});

describe('src-main loads no native module: better-sqlite3 only in the recorder child process', () => {
  const code = "import Database from 'better-sqlite3';\nexport const open = (file: string): unknown => new Database(file);\n";

  test('better-sqlite3 in the supervisor, the lab or the Electron shell is an error', async () => {
    await assertFlags('src-main/supervisor/x.ts', code, 'distlab/layers', /native module/);
    await assertFlags('src-main/lab/lab.ts', code, 'distlab/layers', /native module/);
    await assertFlags('src-main/electron/main.ts', code, 'distlab/layers', /native module/);
  });

  test('better-sqlite3 in the recorder entry is fine; in its main-side client it is an error', async () => {
    await assertClean('src-main/recorder/recorder-main.ts', code);
    await assertFlags('src-main/recorder/recorder-client.ts', code, 'distlab/layers', /native module/);
  });

  test('the lab reaches the recorder only through recorder-client.ts and recorder-protocol.ts', async () => {
    await assertFlags('src-main/lab/x.ts', "export { TraceDb } from '../recorder/trace-db.ts';\n", 'distlab/layers', /recorder child/);
    await assertClean('src-main/lab/x.ts', "export { RecorderClient } from '../recorder/recorder-client.ts';\n");
    await assertFlags('src-main/recorder/recorder-client.ts', "export { TraceDb } from './trace-db.ts';\n", 'distlab/layers', /recorder child/);
  });

  test('the lab does not import the node runtime (it loads better-sqlite3)', async () => {
    await assertFlags('src-main/supervisor/x.ts', "export { StableStorage } from '../../src-node/runtime/stable-storage.ts';\n", 'distlab/layers', /runtime/);
  });

  test('the node runtime may use better-sqlite3', async () => {
    await assertClean('src-node/runtime/x.ts', code);
  });
});

describe('the renderer reaches the lab only through LabApi', () => {
  const file = 'src-renderer/cluster/x.ts';

  test('importing src-main from the renderer is an error', async () => {
    await assertFlags(file, "import { createLab } from '../../src-main/lab/lab.ts';\nexport const make = createLab;\n", 'distlab/layers', /LabApi/);
  });

  test('Node built-ins and better-sqlite3 are errors in the renderer', async () => {
    await assertFlags(file, "import { readFile } from 'node:fs/promises';\nexport const read = readFile;\n", 'distlab/layers', /built-in/);
    await assertFlags(file, "import { spawn } from 'child_process';\nexport const run = spawn;\n", 'distlab/layers', /built-in/);
    await assertFlags(file, "import Database from 'better-sqlite3';\nexport const open = Database;\n", 'distlab/layers');
  });

  test('the runtime, other cores and Node globals are out of reach', async () => {
    await assertFlags(file, "export { nodeClock } from '../../src-node/runtime/node-clock.ts';\n", 'distlab/layers', /may import only/);
    await assertFlags(file, "export { createRaft } from '../../src-node/protocols/raft/core.ts';\n", 'distlab/layers', /may import only/);
    await assertFlags(file, 'export const env = (): unknown => process.env;\n', 'no-restricted-globals', /sandboxed/);
  });

  test('vue, socket.io-client, its own files, the contract and the clocks are fine', async () => {
    await assertClean(
      file,
      "import { ref } from 'vue';\nimport { io } from 'socket.io-client';\nimport { useLab } from '../lab/use-lab.ts';\n" +
        "import type { LabApi } from '../../src-node/contract/lab-api.ts';\nimport { lamportTick } from '../../src-node/protocols/clocks/lamport.ts';\n" +
        'export const parts = (api: LabApi): unknown[] => [ref(0), io, useLab, api, lamportTick];\n',
    );
  });

  test('a .vue single-file component is held to the same rules', async () => {
    const component = (imports: string): string =>
      `<script setup lang="ts">\n${imports}\nconst count = ref(0);\n</script>\n\n<template>\n  <p>{{ count }}</p>\n</template>\n`;
    await assertClean('src-renderer/cluster/NodeCard.vue', component("import { ref } from 'vue';"));
    await assertFlags(
      'src-renderer/cluster/NodeCard.vue',
      component("import { ref } from 'vue';\nimport { createLab } from '../../src-main/lab/lab.ts';\nvoid createLab;"),
      'distlab/layers',
      /LabApi/,
    );
  });
});

describe('the contract is browser-safe', () => {
  test('a Node built-in or the lab in src-node/contract is an error', async () => {
    await assertFlags('src-node/contract/x.ts', "import path from 'node:path';\nexport const join = path.join;\n", 'distlab/layers', /built-in/);
    await assertFlags('src-node/contract/x.ts', "export type { Lab } from '../../src-main/lab/lab.ts';\n", 'distlab/layers', /src-main/);
  });
});

describe('the whole repository', () => {
  test('`eslint .` reports no errors', async () => {
    const results = await eslint.lintFiles(['.']);
    const errors = results.flatMap((result) =>
      result.messages
        .filter((message) => message.severity === 2)
        .map((message) => `${path.relative(root, result.filePath)}:${message.line}:${message.column} ${message.ruleId ?? ''} ${message.message}`),
    );
    assert.deepEqual(errors, [], `lint errors:\n${errors.join('\n')}`);
  });
});
