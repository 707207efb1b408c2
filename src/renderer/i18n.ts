// Every string the UI shows comes from these catalogs (English and Korean: many people doing
// Kubernetes-networking homework study it in Korean). The language follows the system's and
// can be switched; the choice is remembered.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json' with { type: 'json' };
import ko from './locales/ko.json' with { type: 'json' };

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'ko', name: '한국어' },
] as const;

const STORAGE_KEY = 'podpath.language';

function initialLanguage(): string {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved !== null && LANGUAGES.some((l) => l.code === saved)) return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, ko: { translation: ko } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

export function setLanguage(code: string): void {
  localStorage.setItem(STORAGE_KEY, code);
  void i18next.changeLanguage(code);
  document.documentElement.lang = code;
}

export default i18next;
