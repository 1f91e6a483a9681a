// One translation function for every user-facing string. Only English exists
// today; the catalogue's keys are the type of `key`, so a typo in TypeScript
// fails tsc, and a typo in a template shows the key itself.
import catalogue from './locales/en.json' with { type: 'json' };

export type MessageKey = keyof typeof catalogue;

const messages: Record<string, string> = catalogue;

/** The message for `key` with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params: Record<string, string> = {}): string {
  const message = messages[key] ?? key;
  return message.replace(/\{(\w+)\}/g, (placeholder, name: string) => params[name] ?? placeholder);
}

export function isMessageKey(key: string): key is MessageKey {
  return key in messages;
}
