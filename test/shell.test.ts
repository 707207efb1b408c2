import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, devContentSecurityPolicy } from '../src/main/security.js';

describe('content security policy', () => {
  it('is the same in index.html as in the header main sends', () => {
    const html = readFileSync(new URL('../src/renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
  });

  it('loads nothing remote', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|'unsafe-eval'/);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
  });

  it('relaxes only scripts and the HMR socket for the dev server', () => {
    expect(devContentSecurityPolicy('http://localhost:5173/')).toBe(
      "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; " +
        "img-src 'self' data:; connect-src 'self' ws://localhost:5173; object-src 'none'; base-uri 'none'; " +
        "form-action 'none'",
    );
  });
});
