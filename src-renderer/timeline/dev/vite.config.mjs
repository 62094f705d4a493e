// Serves the timeline dev page alone: npx vite --config src-renderer/timeline/dev/vite.config.mjs
// Dev only: nothing here is part of the app's build, and it writes nothing into the tree.
import vue from '@vitejs/plugin-vue';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default {
  root: fileURLToPath(new URL('.', import.meta.url)),
  cacheDir: path.join(tmpdir(), 'distlab-timeline-dev-vite'),
  plugins: [vue()],
  server: { host: '127.0.0.1', port: 5197, strictPort: true },
  logLevel: 'warn',
};
