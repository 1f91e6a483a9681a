// Every user-facing string goes through t(). A language's catalogue is the
// flat JSON files in its folder (one per area: core, mail, admin, account);
// a key missing in another language falls back to English.
import { readFileSync, readdirSync } from 'node:fs';

export type Translate = (key: string, params?: Record<string, string | number>) => string;

type Catalogue = Record<string, string>;

function load(language: string): Catalogue {
  const dir = new URL(`./${language}/`, import.meta.url);
  const catalogue: Catalogue = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    for (const [key, value] of Object.entries(JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Catalogue)) {
      if (key in catalogue) throw new Error(`translation key ${key} is defined twice in ${language}/`);
      catalogue[key] = value;
    }
  }
  return catalogue;
}

const catalogues: Record<string, Catalogue> = { en: load('en') };
export const languages = Object.keys(catalogues);

export function translator(language: string): Translate {
  const catalogue = catalogues[language] ?? catalogues.en!;
  return (key, params = {}) => {
    const template = catalogue[key] ?? catalogues.en![key];
    if (template === undefined) throw new Error(`missing translation: ${key}`);
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}

/** Picks the best catalogue for an Accept-Language header. */
export function pickLanguage(acceptLanguage: string | undefined): string {
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', q] = part.trim().split(';q=');
      return { tag: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q) : 1 };
    })
    .sort((a, b) => b.q - a.q);
  return wanted.find((w) => languages.includes(w.tag))?.tag ?? 'en';
}
