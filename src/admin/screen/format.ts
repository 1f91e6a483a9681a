// How the screen writes durations (times: src/http/format.ts).
import type { Translate } from '../../i18n/index.ts';

/** ACTION_LINK_TTL in words: "12 hours", "30 minutes", "90 seconds". */
export function duration(t: Translate, seconds: number): string {
  if (seconds % 3600 === 0) return t(seconds === 3600 ? 'admin.duration.hour' : 'admin.duration.hours', { n: seconds / 3600 });
  if (seconds % 60 === 0) return t(seconds === 60 ? 'admin.duration.minute' : 'admin.duration.minutes', { n: seconds / 60 });
  return t(seconds === 1 ? 'admin.duration.second' : 'admin.duration.seconds', { n: seconds });
}
