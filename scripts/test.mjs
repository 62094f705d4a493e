// Runs every test/**/*.test.ts under node:test with tsx (Node 20's --test takes no globs).
// `node scripts/test.mjs unit` runs only the files whose path contains "unit".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** No single test may hang CI: past this it fails. */
const TEST_TIMEOUT_MS = 300_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...collect(full));
    else if (name.endsWith('.test.ts')) found.push(path.relative(root, full));
  }
  return found;
}

const files = collect(path.join(root, 'test')).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.includes(filter)),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const startedAt = Date.now();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
const leftovers = leftoverChildren(startedAt);
if (leftovers.length > 0) {
  console.error(`\nleft running after the tests (a test or the lab leaks processes):\n${leftovers.join('\n')}`);
  process.exit(1);
}
process.exit(result.status ?? 1);

/**
 * Node, recorder and test-node processes of this checkout that outlived the test run
 * (orphans adopted by init), started after it began. Linux only: elsewhere it finds none.
 */
function leftoverChildren(sinceMs) {
  if (!existsSync('/proc')) return [];
  const bootMs = Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  const ticksPerSecond = 100;
  const found = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!/out\/(node|test-node)\/[\w-]+\.cjs/.test(cmdline) || !cmdline.includes(root)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const parent = Number(fields[1]);
      const startedMs = bootMs + (Number(fields[19]) / ticksPerSecond) * 1000;
      if (parent === 1 && startedMs >= sinceMs - 1000) found.push(`  pid ${pid}: ${cmdline.trim()}`);
    } catch {
      // The process ended while we looked: not a leftover.
    }
  }
  return found;
}
