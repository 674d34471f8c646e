/**
 * Names the steps of a long test: when it fails (its timeout included), it says which step it was
 * in, for how long, and whatever `more` adds (a child process's last output). For the tests that once
 * stalled under the full suite at a step nobody could tell.
 */
import { onTestFailed } from 'vitest';

/** Registers the report; call the function it returns at the start of each step. */
export function steps(label: string, more?: () => string): (name: string) => void {
  const started = Date.now();
  let step = 'start';
  let stepAt = started;
  onTestFailed(() => {
    const now = Date.now();
    const extra = more?.();
    console.error(
      `${label} failed in step "${step}" after ${now - stepAt} ms (${now - started} ms in all)${extra ? `\n${extra}` : ''}`,
    );
  });
  return (name) => {
    step = name;
    stepAt = Date.now();
  };
}
