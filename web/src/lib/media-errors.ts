/** What went wrong with the camera or microphone, in words a person can act on. */
import type { MessageKey } from './i18n.ts';

export interface MediaProblem {
  readonly key: MessageKey;
  readonly detail?: string;
}

/** Maps a getUserMedia / getDisplayMedia failure (a DOMException name) to a plain-language message. */
export function mediaProblem(error: unknown, secureContext = true): MediaProblem {
  if (!secureContext) return { key: 'error.insecure' };
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return { key: 'error.permission' };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { key: 'error.no_camera' };
    case 'NotReadableError':
    case 'AbortError':
      return { key: 'error.camera_busy' };
    default:
      // The browser's message is in the browser's language, not the page's: its name is a code to report.
      return { key: 'error.media', detail: name || 'unknown' };
  }
}
