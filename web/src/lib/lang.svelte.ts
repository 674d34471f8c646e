/** The page's language, reactive: components call `i18n.t(key)` and re-render when it changes. */
import { LANGS, pickLang, translate, type Lang, type MessageKey } from './i18n.ts';
import { explain } from './error-text.ts';

const STORAGE_KEY = 'vigie.lang';

class I18n {
  lang = $state<Lang>(
    pickLang(new URLSearchParams(location.search).get('lang'), localStorage.getItem(STORAGE_KEY), navigator.languages),
  );

  t = (key: MessageKey, params?: Record<string, string | number>): string => translate(this.lang, key, params);

  /** What to tell the person about a failed call to the API (web/src/lib/error-text.ts). */
  error = (error: unknown): string => explain(this.lang, error);

  toggle(): void {
    this.lang = LANGS[(LANGS.indexOf(this.lang) + 1) % LANGS.length] ?? 'fr';
    localStorage.setItem(STORAGE_KEY, this.lang);
    document.documentElement.lang = this.lang;
  }
}

export const i18n = new I18n();
document.documentElement.lang = i18n.lang;
