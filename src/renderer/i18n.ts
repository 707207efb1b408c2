// Every string the UI shows comes from these catalogs (English and Korean: many people doing
// Kubernetes-networking homework study it in Korean). The language follows the system's and
// can be switched; the choice is remembered.
import i18next, { type ResourceLanguage } from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json' with { type: 'json' };

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'ko', name: '한국어' },
] as const;

/** English is in the page's first script (every language falls back to it); the others load when used. */
const CATALOGS: Record<string, () => Promise<{ default: ResourceLanguage }>> = {
  ko: () => import('./locales/ko.json', { with: { type: 'json' } }),
};

const STORAGE_KEY = 'podpath.language';

function initialLanguage(): string {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved !== null && LANGUAGES.some((l) => l.code === saved)) return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

/** Adds a language's catalog unless it is there; a catalog that does not load leaves English. */
async function addCatalog(code: string): Promise<void> {
  const load = CATALOGS[code];
  if (load === undefined || i18next.hasResourceBundle(code, 'translation')) return;
  try {
    i18next.addResourceBundle(code, 'translation', (await load()).default);
  } catch {
    // web mode with the server gone: the page goes on in English
  }
}

const language = initialLanguage();
void i18next.use(initReactI18next).init({
  resources: { en: { translation: en } },
  partialBundledLanguages: true,
  lng: language,
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

/** Settles once the first language's catalog is in: main.tsx renders then, so no English flashes by. */
export const catalogReady: Promise<void> = addCatalog(language);

export function setLanguage(code: string): void {
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  void addCatalog(code).then(() => i18next.changeLanguage(code));
}

export default i18next;
