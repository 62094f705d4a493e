// Desktop build (electron-vite 6): the main process and the preload target Node 20 like
// the rest of the lab. The renderer's settings are exported too, because they are the
// one place the browser shell's build (scripts/build-renderer.mjs) reads them from: both
// shells run the same bundle from out/renderer.
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';

const projectRoot = path.dirname(fileURLToPath(import.meta.url));
export const rendererRoot = path.join(projectRoot, 'src-renderer');
export const rendererOutDir = path.join(projectRoot, 'out', 'renderer');

/**
 * In `vite dev` Vite injects CSS as <style> elements, which the strict CSP of index.html
 * forbids; only the dev server relaxes style-src. Built pages keep the strict policy.
 */
function relaxStyleCspInDev(): Plugin {
  return {
    name: 'distlab:dev-style-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}

export function rendererConfig(): UserConfig {
  return {
    root: rendererRoot,
    // Relative asset URLs: the same files load from file:// (Electron) and http:// (browser).
    base: './',
    plugins: [vue(), relaxStyleCspInDev()],
    build: {
      outDir: rendererOutDir,
      emptyOutDir: true,
      target: 'chrome120',
      sourcemap: true,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 1000,
      rolldownOptions: { input: path.join(rendererRoot, 'index.html') },
    },
  };
}

export default defineConfig({
  main: {
    build: {
      target: 'node20',
      rolldownOptions: { input: { index: path.join(projectRoot, 'src-main/electron/main.ts') } },
    },
  },
  preload: {
    build: {
      target: 'node20',
      rolldownOptions: {
        input: { index: path.join(projectRoot, 'src-main/electron/preload.ts') },
        // A sandboxed preload cannot be an ES module; main.ts looks for out/preload/index.cjs.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig(),
});
