// The engine's sentences as data (code and values) and their English, one catalog per kind:
// the CLI prints the English, the UI words the codes from its own catalogs.
export { fillTemplate, type TextCatalog, type TextFact, type TextParams } from './template.js';
export {
  EVIDENCE_CODES,
  EVIDENCE_TEXT,
  evidenceFact,
  evidenceText,
  type EvidenceCode,
  type SeenShape,
} from './evidence.js';
export { WARNING_CODES, WARNING_TEXT, warningText, type WarningCode } from './warnings.js';
export { FINDING_CODES, FINDING_TEXT, findingText, type FindingCode, type FindingPart } from './findings.js';
