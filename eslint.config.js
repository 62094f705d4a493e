// Lint for distlab: modest general rules (typescript-eslint "recommended", not
// type-aware, so `eslint .` runs in seconds) plus the rules that keep the layers of
// DESIGN.md true. Where code may run is written in its path:
//
//   src-node/protocols/   pure cores: no I/O, no Node, no ambient time or randomness, no await
//   src-main/sim/         the deterministic simulator: no ambient time, timers, randomness
//                         or await (only its CLI, src-main/cli/sim-command.ts, reads the clock)
//   src-node/contract/    types shared by all three process kinds: pure, browser-safe
//   src-node/runtime/     one cluster node (a Node process): never the lab, never electron
//   src-main/             the lab under plain Node or Electron's main process: no native
//                         module (the recorder child, src-main/recorder/, is the one
//                         exception), no electron
//   src-main/electron/    the only folder that may import electron (main.ts and preload.ts)
//   src-renderer/         the UI: vue, socket.io-client, its own files, the contract and the
//                         pure clocks; reaches the lab only through LabApi
//
// Imports are checked by one local rule, `distlab/layers`, instead of
// `no-restricted-imports`, for two reasons: a relative import is judged by the file it
// resolves to (`../../src-main/lab/lab.ts` is src-main whatever the depth of the
// importer), and `import('x')`, `require('x')` and `export … from 'x'` are checked too
// (`no-restricted-imports` sees only static imports, and a lazy `await import('electron')`
// is exactly the kind of import that slips in). test/lint/layers.test.ts proves each rule.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------
// The local rule `distlab/layers`.
// Options: {
//   layer:    a name for messages,
//   builtins: 'allow' | 'deny'                      Node built-ins (fs, node:fs, …),
//   packages: { allow?: string[], deny?: {name, why}[] }   bare specifiers; `allow` is a
//             whitelist (a name covers its subpaths), `deny` a blacklist,
//   paths:    { allow?: string[], deny?: {path, why, except?}[] }   repo-relative folders
//             ending in '/' or exact files, matched against where a relative import resolves,
// }
// ---------------------------------------------------------------------------------------

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]);
}

function packageMatches(specifier, name) {
  if (name.endsWith('*')) return specifier.startsWith(name.slice(0, -1));
  return specifier === name || specifier.startsWith(`${name}/`);
}

function pathMatches(file, entry) {
  return entry.endsWith('/') ? file.startsWith(entry) : file === entry;
}

/** The repo-relative path (with '/') of a file, or null when it lies outside the repo. */
function repoRelative(absolute) {
  const relative = path.relative(root, absolute).split(path.sep).join('/');
  return relative.startsWith('..') || path.isAbsolute(relative) ? null : relative;
}

function judge(specifier, importer, options) {
  const layer = options.layer;
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = repoRelative(path.resolve(path.dirname(importer), specifier));
    if (target === null) return `${layer} may not import '${specifier}': it resolves outside the repository`;
    const denied = (options.paths?.deny ?? []).find(
      (entry) => pathMatches(target, entry.path) && !(entry.except ?? []).some((kept) => pathMatches(target, kept)),
    );
    if (denied) return `${layer} may not import '${specifier}' (${target}): ${denied.why}`;
    const allow = options.paths?.allow;
    if (allow && !allow.some((entry) => pathMatches(target, entry))) {
      return `${layer} may import only ${allow.join(', ')}; '${specifier}' resolves to ${target}`;
    }
    return null;
  }
  if (isBuiltin(specifier)) {
    return options.builtins === 'deny' ? `${layer} may not import the Node built-in '${specifier}'` : null;
  }
  const denied = (options.packages?.deny ?? []).find((entry) => packageMatches(specifier, entry.name));
  if (denied) return `${layer} may not import '${specifier}': ${denied.why}`;
  const allow = options.packages?.allow;
  if (allow && !allow.some((name) => packageMatches(specifier, name))) {
    return `${layer} may import only the packages ${allow.join(', ') || '(none)'}, not '${specifier}'`;
  }
  return null;
}

const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'keeps each folder to the imports its process kind may load (DESIGN.md)' },
    schema: [{ type: 'object' }],
    messages: { layer: '{{why}}' },
  },
  create(context) {
    const options = context.options[0] ?? { layer: 'this file' };
    const importer = context.filename;
    function check(node, source) {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = judge(source.value, importer, options);
      if (why) context.report({ node: source, messageId: 'layer', data: { why } });
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportEqualsDeclaration: (node) => check(node, node.moduleReference?.expression),
      CallExpression(node) {
        const callee = node.callee;
        const isRequire = callee.type === 'Identifier' && callee.name === 'require';
        const isResolve = callee.type === 'MemberExpression' && callee.object.type === 'Identifier'
          && callee.object.name === 'require' && callee.property.type === 'Identifier'
          && callee.property.name === 'resolve';
        // require.resolve() names a file without loading it (e.g. a child entry): fine.
        if (isRequire && !isResolve) check(node, node.arguments[0]);
      },
    };
  },
};

const distlab = { rules: { layers: layersRule } };

// ---------------------------------------------------------------------------------------
// The layers.
// ---------------------------------------------------------------------------------------

const ELECTRON = {
  name: 'electron',
  why: 'only src-main/electron/main.ts and preload.ts import electron, so the lab runs and is tested under plain Node (and require("electron") there tries to download the binary)',
};
const NATIVE_SQLITE = {
  name: 'better-sqlite3',
  why: 'the Electron main process loads no native module (VERSIONS.md): SQLite lives in the recorder child process (src-main/recorder/recorder-main.ts) and in the nodes',
};
const SERVER_ONLY = [
  { name: 'socket.io', why: 'pure code does no I/O; the transport belongs to the runtime and the shells' },
  { name: 'socket.io-client', why: 'pure code does no I/O; the transport belongs to the runtime and the shells' },
];
const UI_ONLY = { name: 'vue', why: 'vue belongs to src-renderer' };
const NOT_MAIN = { path: 'src-main/', why: 'only the lab itself is src-main; other layers reach it through LabApi or the control channel' };
const NOT_RENDERER = { path: 'src-renderer/', why: 'the UI is a client of the lab, not a library' };
const NOT_RUNTIME = { path: 'src-node/runtime/', why: 'the runtime is the host of the cores, not something they call' };

/** Packages that no layer but its own may import. */
const PACKAGES_DENIED_EVERYWHERE = [ELECTRON];

const layerRule = (options) => ({ 'distlab/layers': ['error', options] });

const CORE_IMPORTS = {
  layer: 'a pure protocol core (src-node/protocols)',
  builtins: 'deny',
  packages: { allow: [] },
  paths: {
    deny: [NOT_RUNTIME, NOT_MAIN, NOT_RENDERER],
    allow: ['src-node/protocols/', 'src-node/contract/'],
  },
};

const CONTRACT_IMPORTS = {
  layer: 'the contract (src-node/contract)',
  builtins: 'deny',
  packages: { deny: [...PACKAGES_DENIED_EVERYWHERE, NATIVE_SQLITE, ...SERVER_ONLY, UI_ONLY] },
  paths: {
    deny: [NOT_RUNTIME, NOT_MAIN, NOT_RENDERER],
    allow: ['src-node/contract/', 'src-node/protocols/'],
  },
};

/** Globals a deterministic core must not reach: time, randomness, the process, I/O. */
const AMBIENT_GLOBALS = [
  ['performance', 'time comes from the host (the step input), not performance.now()'],
  ['setTimeout', 'a core asks for a timer with a setTimer effect; the host owns real timers'],
  ['setInterval', 'a core asks for a timer with a setTimer effect; the host owns real timers'],
  ['setImmediate', 'a core runs each step to completion; the host schedules'],
  ['clearTimeout', 'a core cancels timers through its effects'],
  ['clearInterval', 'a core cancels timers through its effects'],
  ['queueMicrotask', 'a core runs each step to completion; the host schedules'],
  ['process', 'a core knows nothing of the process it runs in'],
  ['require', 'a core imports only pure code'],
  ['Buffer', 'a core uses Uint8Array, not Node\'s Buffer'],
  ['crypto', 'randomness comes from the seeded Random that the host passes in'],
  ['fetch', 'a core does no I/O'],
  ['globalThis', 'a core reaches nothing global (time, timers and randomness come from the host)'],
].map(([name, message]) => ({ name, message: `${name}: ${message}` }));

const AMBIENT_PROPERTIES = [
  { object: 'Date', property: 'now', message: 'Date.now(): time comes from the host (the step input); the simulator must replay it' },
  { object: 'Math', property: 'random', message: 'Math.random(): use the seeded Random the host passes in, so a seed replays the run' },
];

/** The simulator replays a run from its seed: the ambient clocks, timers and randomness are out. */
const SIMULATOR_GLOBALS = AMBIENT_GLOBALS.filter((entry) =>
  ['performance', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'crypto'].includes(entry.name));

const CORE_SYNTAX = [
  { selector: 'NewExpression[callee.name="Date"][arguments.length=0]', message: 'new Date(): time comes from the host (the step input)' },
  { selector: 'CallExpression[callee.name="Date"]', message: 'Date(): time comes from the host (the step input)' },
  { selector: 'AwaitExpression', message: 'await in a core: a step runs to completion; effects are queued and drained by the host' },
  { selector: 'ForOfStatement[await=true]', message: 'for await in a core: a step runs to completion' },
  { selector: ':function[async=true]', message: 'async function in a core: a step runs to completion; I/O belongs to the host' },
  { selector: ':function[generator=true][async=true]', message: 'async generator in a core: a step runs to completion' },
];

const RENDERER_IMPORTS = {
  layer: 'the renderer (src-renderer)',
  builtins: 'deny',
  packages: { allow: ['vue', 'socket.io-client'] },
  paths: {
    deny: [{ path: 'src-main/', why: 'the renderer reaches the lab only through LabApi (src-node/contract/lab-api.ts)' }],
    // The CRDT library is pure (no Node, no time, no randomness), like the clocks: the CRDT
    // view explains a merge with the very merge functions the gossip cores run.
    allow: ['src-renderer/', 'src-node/contract/', 'src-node/protocols/clocks/', 'src-node/protocols/crdt/'],
  },
};

const RUNTIME_IMPORTS = {
  layer: 'the node runtime (src-node/runtime)',
  builtins: 'allow',
  packages: { deny: [...PACKAGES_DENIED_EVERYWHERE, UI_ONLY] },
  paths: { deny: [NOT_MAIN, NOT_RENDERER] },
};

// The recorder is the child process that owns the trace file, so the one part of
// src-main that may load better-sqlite3. The lab's own process (which is Electron's main
// process in the desktop app) reaches it only through these two files, which therefore
// load no native module either; a lint rule cannot follow imports further, so this
// folder boundary is what keeps better-sqlite3 out of Electron.
const RECORDER_MAIN_SIDE = ['src-main/recorder/recorder-client.ts', 'src-main/recorder/recorder-protocol.ts'];
const RECORDER_CHILD_ONLY = {
  path: 'src-main/recorder/',
  except: RECORDER_MAIN_SIDE,
  why: 'it runs in the recorder child process (it may load better-sqlite3); the lab talks to it through recorder-client.ts',
};
const NOT_NODE_RUNTIME_FROM_LAB = {
  path: 'src-node/runtime/',
  why: 'the runtime runs in the node processes and loads better-sqlite3; share types through src-node/contract',
};

const MAIN_IMPORTS = {
  layer: 'the lab (src-main)',
  builtins: 'allow',
  packages: { deny: [...PACKAGES_DENIED_EVERYWHERE, NATIVE_SQLITE, UI_ONLY] },
  paths: { deny: [NOT_RENDERER, RECORDER_CHILD_ONLY, NOT_NODE_RUNTIME_FROM_LAB] },
};

const ELECTRON_SHELL_IMPORTS = {
  layer: 'the Electron shell (main.ts, preload.ts)',
  builtins: 'allow',
  packages: { deny: [NATIVE_SQLITE, UI_ONLY] },
  paths: { deny: [NOT_RENDERER, RECORDER_CHILD_ONLY, NOT_NODE_RUNTIME_FROM_LAB] },
};

const RECORDER_IMPORTS = {
  layer: 'the recorder child process (src-main/recorder)',
  builtins: 'allow',
  packages: { deny: [...PACKAGES_DENIED_EVERYWHERE, UI_ONLY] },
  paths: { deny: [NOT_RENDERER] },
};

const ELSEWHERE_IMPORTS = {
  layer: 'this file',
  builtins: 'allow',
  packages: { deny: PACKAGES_DENIED_EVERYWHERE },
};

const TS_AND_JS = ['**/*.{ts,mts,cts,js,mjs,cjs,vue}'];

export default defineConfig(
  {
    ignores: [
      'out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'bench-results/**', '.distlab/**',
      '**/*.tsbuildinfo',
    ],
  },

  // General rules: modest, fast, not type-aware.
  { files: TS_AND_JS, ...js.configs.recommended },
  ...tseslint.configs.recommended.map((config) => ({ files: TS_AND_JS, ...config })),
  ...pluginVue.configs['flat/essential'].map((config) => ({ files: ['**/*.vue'], ...config })),
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    files: TS_AND_JS,
    plugins: { distlab },
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      ...layerRule(ELSEWHERE_IMPORTS),
    },
  },

  // src-node/runtime: a cluster node process.
  { files: ['src-node/runtime/**'], rules: layerRule(RUNTIME_IMPORTS) },

  // src-node/contract: shared by the nodes, the lab and the renderer, so browser-safe.
  {
    files: ['src-node/contract/**'],
    languageOptions: { globals: { ...globals.es2021 } },
    rules: layerRule(CONTRACT_IMPORTS),
  },

  // src-node/protocols: pure, deterministic cores.
  {
    files: ['src-node/protocols/**'],
    languageOptions: { globals: { ...globals.es2021 } },
    rules: {
      ...layerRule(CORE_IMPORTS),
      'no-restricted-globals': ['error', ...AMBIENT_GLOBALS],
      'no-restricted-properties': ['error', ...AMBIENT_PROPERTIES],
      'no-restricted-syntax': ['error', ...CORE_SYNTAX],
    },
  },

  // src-main/sim (the deterministic simulator): same seed, same run. Its steps run to
  // completion like the cores it hosts, so no await either.
  {
    files: ['src-main/sim/**'],
    rules: {
      'no-restricted-globals': ['error', ...SIMULATOR_GLOBALS],
      'no-restricted-properties': ['error', ...AMBIENT_PROPERTIES],
      'no-restricted-syntax': ['error', ...CORE_SYNTAX],
    },
  },

  // src-main: the lab. It runs inside Electron's main process too: no native module.
  { files: ['src-main/**'], rules: layerRule(MAIN_IMPORTS) },
  { files: ['src-main/recorder/**'], ignores: RECORDER_MAIN_SIDE, rules: layerRule(RECORDER_IMPORTS) },
  {
    files: ['src-main/electron/main.ts', 'src-main/electron/preload.ts'],
    rules: layerRule(ELECTRON_SHELL_IMPORTS),
  },

  // src-renderer: the UI, in a sandboxed browser page.
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...layerRule(RENDERER_IMPORTS),
      'no-restricted-globals': ['error',
        ...['process', 'require', 'Buffer', '__dirname', '__filename', 'global'].map((name) => ({
          name, message: `${name}: the renderer is a sandboxed page; it has no Node and reaches the lab through LabApi`,
        })),
      ],
    },
  },
);
