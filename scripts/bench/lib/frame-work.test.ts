import { describe, expect, it } from 'vitest';
import { mainThreadFrameWork, type TraceEvent } from './frame-work.ts';

const main = { pid: 1, tid: 10 };
const thread: TraceEvent = { name: 'thread_name', ph: 'M', ...main, ts: 0, args: { name: 'CrRendererMain' } };
const task = (ts: number, dur: number, where = main): TraceEvent => ({ name: 'RunTask', ph: 'X', ...where, ts, dur });
const frameEnd = (ts: number): TraceEvent => ({ name: 'AnimationFrame', ph: 'f', ...main, ts });
const frames = [0, 16_000, 32_000, 48_000].map(frameEnd);

describe('mainThreadFrameWork', () => {
  it.each([
    { case: 'no task: every frame idle', tasks: [], work: [0, 0, 0] },
    { case: 'overlapping tasks count once', tasks: [task(1_000, 2_000), task(2_000, 3_000)], work: [4, 0, 0] },
    { case: 'a task across a frame end is split', tasks: [task(14_000, 6_000)], work: [2, 4, 0] },
    {
      case: 'another thread is not the main thread',
      tasks: [task(20_000, 10_000, { pid: 1, tid: 11 })],
      work: [0, 0, 0],
    },
    { case: 'another process is not the page', tasks: [task(33_000, 5_000, { pid: 2, tid: 10 })], work: [0, 0, 0] },
    {
      case: 'a task before the first frame is left out',
      tasks: [task(-5_000, 4_000), task(40_000, 1_000)],
      work: [0, 0, 1],
    },
  ])('$case', ({ tasks, work }) => {
    expect(mainThreadFrameWork([thread, ...tasks, ...frames])).toEqual(work);
  });

  it('refuses a trace without the renderer main thread', () => {
    expect(() => mainThreadFrameWork([task(0, 1_000), ...frames])).toThrow('no renderer main thread in the trace');
  });
});
