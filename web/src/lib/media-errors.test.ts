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
  it('keeps the detail of anything else', () => {
    expect(mediaProblem(domError('TypeError', 'constraints are empty'))).toEqual({
      key: 'error.media',
      detail: 'constraints are empty',
    });
  });
  it('explains an insecure page first', () => {
    expect(mediaProblem(domError('NotAllowedError'), false)).toEqual({ key: 'error.insecure' });
  });
});
