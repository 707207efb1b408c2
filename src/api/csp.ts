// The page's Content-Security-Policy, one for both ways it is served: the Electron shell sends
// it as a header (src/main/security.ts), web mode too (src/server/), and
// src/renderer/index.html carries it in a <meta> tag (test/shell.test.ts keeps them equal).

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
