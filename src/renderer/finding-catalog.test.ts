// The findings' sentences as the app words them: English is the engine's own catalog, so the
// app says exactly what `podpath findings` prints; Korean has every code and form the engine
// has, reading the same values, and is Korean.
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { FINDING_CODES, FINDING_TEXT, findingText } from '../core/text/findings.js';
import { findingKey, type FindingPart } from './finding-model.js';
import ko from './locales/findings/ko.json' with { type: 'json' };

type Catalog = { [key: string]: string | Catalog };
const PARTS: FindingPart[] = ['summary', 'explanation', 'suggestion'];

const i18n = i18next.createInstance();
await i18n.init({
  resources: { en: { translation: { finding: FINDING_TEXT } }, ko: { translation: { finding: ko } } },
  lng: 'en',
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
});

const placeholders = (template: string): string[] =>
  [...new Set([...template.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]))].sort();

/** Every value a code's templates read, each a recognisable word. */
function paramsFor(code: string, count: number): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  for (const template of Object.values((FINDING_TEXT as unknown as Catalog)[code]))
    for (const name of placeholders(template as string)) params[name] = `<${name}>`;
  params.count = count;
  return params;
}

/** A part as FindingsView words it. */
function word(lng: 'en' | 'ko', code: string, part: FindingPart, params: Record<string, string | number>) {
  const key = findingKey({ code, params }, part, (k) => i18n.exists(k, { lng }));
  return key === null ? null : i18n.getFixedT(lng)(key, { replace: { ...params } });
}

describe('the findings’ sentences in the app', () => {
  it('Korean has every code and form of the engine’s catalog, with the same values', () => {
    const english = FINDING_TEXT as unknown as Catalog;
    const korean = ko as Catalog;
    expect(Object.keys(korean).sort()).toEqual([...FINDING_CODES].sort());
    for (const code of FINDING_CODES) {
      const forms = english[code] as Record<string, string>;
      expect(Object.keys(korean[code]).sort(), code).toEqual(Object.keys(forms).sort());
      for (const [form, template] of Object.entries(forms)) {
        const translated = (korean[code] as Record<string, string>)[form];
        expect(placeholders(translated), `${code}.${form}`).toEqual(placeholders(template));
        expect(translated, `${code}.${form}`).not.toBe(template);
        expect(translated, `${code}.${form}`).toMatch(/[가-힣]/);
      }
    }
  });

  it.each(FINDING_CODES)(
    '%s: English as the engine writes it, Korean complete, for one and for many',
    (code) => {
      for (const count of [1, 3]) {
        const params = paramsFor(code, count);
        for (const part of PARTS) {
          expect(word('en', code, part, params)).toBe(findingText(code, part, params));
          const korean = word('ko', code, part, params);
          expect(korean).not.toBeNull();
          expect(korean).not.toMatch(/\{\{|\}\}|finding\./);
        }
      }
    },
  );
});
