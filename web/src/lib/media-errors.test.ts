import { describe, expect, it } from 'vitest';
import { mediaProblem } from './media-errors.ts';

const domError = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('camera and microphone problems', () => {
  it.each([
    ['NotAllowedError', 'error.permission'],
    ['SecurityError', 'error.permission'],
    ['NotFoundError', 'error.no_camera'],
    ['OverconstrainedError', 'error.no_camera'],
    ['NotReadableError', 'error.camera_busy'],
    ['AbortError', 'error.camera_busy'],
  ])('%s means %s', (name, key) => {
    expect(mediaProblem(domError(name))).toEqual({ key });
  });
  it('gives anything else by its name, never by the browser’s message (in the browser’s language)', () => {
    expect(mediaProblem(domError('TypeError', 'constraints are empty'))).toEqual({
      key: 'error.media',
      detail: 'TypeError',
    });
    expect(mediaProblem('nonsense')).toEqual({ key: 'error.media', detail: 'unknown' });
  });
  it('explains an insecure page first', () => {
    expect(mediaProblem(domError('NotAllowedError'), false)).toEqual({ key: 'error.insecure' });
  });
});
