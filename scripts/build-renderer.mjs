// Builds only the renderer into out/renderer (for the browser shell and the e2e tests),
// with the renderer settings of electron.vite.config.ts, so both shells get the same
// bundle. Skips the build when nothing it reads has changed since the last one;
// `--force` builds anyway.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { build } from 'vite';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
register();
const { rendererConfig, rendererOutDir, rendererRoot } = await import('../electron.vite.config.ts');

const STAMP = path.join(rendererOutDir, '.build-stamp');
const inputs = [
  rendererRoot,
  path.join(projectRoot, 'src-node', 'contract'),
  path.join(projectRoot, 'src-node', 'protocols', 'clocks'),
  path.join(projectRoot, 'package-lock.json'),
  path.join(projectRoot, 'scripts', 'build-renderer.mjs'),
  path.join(projectRoot, 'electron.vite.config.ts'),
];

function listFiles(entry) {
  if (!existsSync(entry)) return [];
  if (!statSync(entry).isDirectory()) return [entry];
  return readdirSync(entry).sort().flatMap((name) => listFiles(path.join(entry, name)));
}

/** A fingerprint of every input's path, size and modification time. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap(listFiles)) {
    const info = statSync(file);
    hash.update(`${path.relative(projectRoot, file)}\0${info.size}\0${info.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

export async function buildRenderer({ force = false, quiet = false } = {}) {
  const stamp = fingerprint();
  const upToDate =
    !force &&
    existsSync(path.join(rendererOutDir, 'index.html')) &&
    existsSync(STAMP) &&
    readFileSync(STAMP, 'utf8') === stamp;
  if (upToDate) {
    if (!quiet) console.log('renderer: out/renderer is up to date');
    return { built: false, outDir: rendererOutDir };
  }
  await build({ ...rendererConfig(), configFile: false, logLevel: quiet ? 'warn' : 'info' });
  writeFileSync(STAMP, stamp);
  return { built: true, outDir: rendererOutDir };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildRenderer({ force: process.argv.includes('--force') });
}
