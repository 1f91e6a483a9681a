// Renders an email's subject, text part and HTML part from templates/mail/.
// Each email is one template rendered twice, once per format, so both parts
// say the same thing and carry the same link. The text part has its own
// nunjucks environment because HTML escaping would corrupt plain text
// (an `&` in a link would become `&amp;`).
import nunjucks from 'nunjucks';
import { translator } from '../i18n/index.ts';
import { parseMailData, type MailTemplate } from './templates.ts';

const mailTemplatesDir = new URL('../../templates/mail/', import.meta.url).pathname;

export type RenderedMail = { subject: string; text: string; html: string };

const environment = (autoescape: boolean) =>
  new nunjucks.Environment(new nunjucks.FileSystemLoader(mailTemplatesDir), { autoescape, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });

const html = environment(true);
const text = environment(false);

/** "December 4, 2026 at 14:30 UTC": every time in an email is shown in UTC. */
function formatDateTime(date: Date, language: string): string {
  return new Intl.DateTimeFormat(language, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(date);
}

/** "in 12 hours", "in 30 minutes", "in 7 days". */
function formatTimeUntil(date: Date, now: Date, language: string): string {
  const minutes = Math.max(1, Math.round((date.getTime() - now.getTime()) / 60_000));
  const words = new Intl.RelativeTimeFormat(language, { numeric: 'always' });
  if (minutes < 120) return words.format(minutes, 'minute');
  if (minutes < 48 * 60) return words.format(Math.round(minutes / 60), 'hour');
  return words.format(Math.round(minutes / (24 * 60)), 'day');
}

function tidyText(rendered: string): string {
  return `${rendered
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

// Subjects are header values: never let a line break through.
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();

export function renderMail(options: { issuer: string; template: MailTemplate; data: Record<string, unknown>; language?: string; now: Date }): RenderedMail {
  const language = options.language ?? 'en';
  const t = translator(language);
  const data = parseMailData(options.template, options.data, options.issuer);
  const subject = oneLine(t(`mail.${options.template}.subject`));
  const context = {
    ...data,
    t,
    lang: language,
    subject,
    issuer: options.issuer,
    expiresInWords: data.expiresAt instanceof Date ? formatTimeUntil(data.expiresAt, options.now, language) : undefined,
    expiresAtText: data.expiresAt instanceof Date ? formatDateTime(data.expiresAt, language) : undefined,
    atText: data.at instanceof Date ? formatDateTime(data.at, language) : undefined,
  };
  const file = `${options.template}.njk`;
  return {
    subject,
    text: tidyText(text.render(file, { ...context, format: 'text' })),
    html: html.render(file, { ...context, format: 'html' }).replace(/\n{2,}/g, '\n'),
  };
}
