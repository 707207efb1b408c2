// The findings' sentences (catalog section "finding") are added to i18next when the Findings
// view first shows, not carried in the page's first script: they are a third of the English
// catalog's size again. English is the engine's own catalog (src/core/text/findings.ts, so the
// app's English is the CLI's by construction); other languages are a JSON file each, fetched
// when first used. A code a language lacks falls back to English, and a code no catalog knows
// to the engine's English text in the document.
import i18next from 'i18next';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
// The module itself, not core/text's index: the index would bring the evidence and warning
// catalogs into this chunk too, and the first script already has those.
import { FINDING_TEXT } from '../core/text/findings.js';

type Catalog = Readonly<Record<string, unknown>>;

const CATALOGS: Record<string, () => Promise<Catalog>> = {
  en: () => Promise.resolve(FINDING_TEXT),
  ko: () => import('./locales/findings/ko.json', { with: { type: 'json' } }).then((m) => m.default),
};

const added = new Map<string, Promise<void>>();

/** Adds a language's "finding" section (once); a catalog that does not load leaves English. */
export function addFindingCatalog(language: string): Promise<void> {
  const load = CATALOGS[language];
  // Only beside the language's own catalog: adding a bundle first would make i18n.ts think the
  // language's catalog is in and never fetch it.
  if (load === undefined || !i18next.hasResourceBundle(language, 'translation')) return Promise.resolve();
  const known = added.get(language);
  if (known !== undefined) return known;
  const done = load().then(
    (finding) => void i18next.addResourceBundle(language, 'translation', { finding }, true, false),
    () => void added.delete(language),
  );
  added.set(language, done);
  return done;
}

/** Whether the findings' sentences of the page's language are in (English, at least). */
export function useFindingCatalog(): boolean {
  const { i18n } = useTranslation();
  const [ready, setReady] = useState<string | null>(null);
  const language = i18n.language;
  useEffect(() => {
    let live = true;
    void Promise.all([addFindingCatalog('en'), addFindingCatalog(language)]).then(
      () => live && setReady(language),
    );
    return () => {
      live = false;
    };
  }, [language]);
  return ready !== null;
}
