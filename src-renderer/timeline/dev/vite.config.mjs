// Serves the timeline dev page alone: npx vite --config src-renderer/timeline/dev/vite.config.mjs
// This file is Vite configuration, run by Node, never bundled into the renderer (the app's
// build takes src-renderer/index.html as its one input), so the renderer's import layer
// does not apply to it. The dev server writes nothing into the tree.
/* eslint-disable distlab/layers -- dev-server config for Node, not renderer code */
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

export default {
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [vue()],
  server: { host: '127.0.0.1', port: 5197, strictPort: true },
  logLevel: 'warn',
};
