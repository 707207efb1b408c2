// What is wrong, not only what happened: detectors over what a capture's analysis and its
// FindingsObserver gathered (and the correlation of several captures), each finding with its
// evidence, its mechanism and what to change.
export { findingsDocument, MAX_EVIDENCE, MAX_FINDINGS_PER_KIND } from './findings.js';
export { FindingsObserver } from './observer.js';
export type { FindingsCapture, FindingsInput } from './context.js';
export * from './types.js';
