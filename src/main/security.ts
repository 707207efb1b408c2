// Everything the shell does to keep remote or injected content from running. Kept apart from window
// creation so the policy can be read, and tested, in one place.
import type { WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../api/csp.js';

/** The renderer's policy (src/api/csp.ts), sent as a header; index.html carries it in a <meta> tag. */
export { CONTENT_SECURITY_POLICY };

/**
 * The policy while `electron-vite dev` serves the renderer: the React refresh preamble is an inline
 * script and HMR talks over a WebSocket to the dev server. Never used in a packaged app.
 */
export function devContentSecurityPolicy(devServerUrl: string): string {
  const origin = new URL(devServerUrl);
  const socket = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}`;
  return CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "connect-src 'self'",
    `connect-src 'self' ${socket}`,
  );
}

/** No navigation, no new windows, no <webview>: the app is one page that never leaves itself. */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
