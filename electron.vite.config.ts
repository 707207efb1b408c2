// electron-vite builds the desktop shell into out/: main and preload for Electron's Node side, the
// React renderer for Chromium. The CLI is built separately by `tsc -p tsconfig.cli.json` into dist/.
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { devContentSecurityPolicy } from './src/main/security.js';

// The React refresh preamble is an inline script and HMR needs a WebSocket, both of which the
// production policy in index.html forbids. Only `electron-vite dev` serves this relaxed policy;
// builds keep index.html as written.
function devContentSecurityPolicyPlugin(): Plugin {
  return {
    name: 'podpath:dev-csp',
    apply: 'serve',
    transformIndexHtml(html, { server }) {
      const url = server?.resolvedUrls?.local[0];
      if (url === undefined) return html;
      return html.replace(
        /(http-equiv="Content-Security-Policy"\s+content=")[^"]*"/,
        (_match, head: string) => `${head}${devContentSecurityPolicy(url)}"`,
      );
    },
  };
}

export default defineConfig({
  main: {
    build: {
      // The session's thread and each capture's are entries of their own: session-host.ts and
      // capture-client.ts start ./session-worker.js and ./capture-worker.js beside the bundle.
      lib: {
        entry: {
          index: resolve('src/main/index.ts'),
          'session-worker': resolve('src/node/session-worker.ts'),
          'capture-worker': resolve('src/node/capture-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      lib: { entry: resolve('src/preload/index.ts') },
      // A sandboxed preload runs as CommonJS with only `electron` to require: bundle everything else.
      externalizeDeps: false,
      rolldownOptions: {
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: {
      // electron-vite leaves the renderer unminified; the page's boot is parsing its script, in
      // the app and in a browser (`podpath serve`), so ship it minified.
      minify: true,
      rolldownOptions: {
        input: resolve('src/renderer/index.html'),
      },
    },
    plugins: [react(), devContentSecurityPolicyPlugin()],
  },
});
