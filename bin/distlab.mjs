#!/usr/bin/env node
// The `distlab` command. The lab's TypeScript runs through tsx; the node and recorder
// child processes run from their bundles (scripts/build-node.mjs), built on first use.
import { register } from 'tsx/esm/api';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'out/node/node.cjs'))) {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-node.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
// `distlab … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
