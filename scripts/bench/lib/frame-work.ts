/** What a Chromium performance trace says of the page's main thread, frame by frame. */

export interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}
/**
 * Per rendered frame, the renderer main thread's busy time (ms) since the previous frame: the union
 * of its tasks, clipped to the frame. Frames are Chromium's "AnimationFrame" spans (every frame that
 * had something to update).
 */
export function mainThreadFrameWork(events: readonly TraceEvent[]): number[] {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) throw new Error('no renderer main thread in the trace');
  const tasks = events
    .filter(
      (e) => e.pid === main.pid && e.tid === main.tid && e.name === 'RunTask' && e.ph === 'X' && e.dur !== undefined,
    )
    .map((e) => [e.ts, e.ts + e.dur!] as const)
    .sort((a, b) => a[0] - b[0]);
  const busy: Array<[number, number]> = [];
  for (const [s, f] of tasks) {
    const lastSpan = busy.at(-1);
    if (lastSpan && s <= lastSpan[1]) lastSpan[1] = Math.max(lastSpan[1], f);
    else busy.push([s, f]);
  }
  const ends = events
    .filter((e) => e.pid === main.pid && e.name === 'AnimationFrame' && e.ph === 'f')
    .map((e) => e.ts)
    .sort((a, b) => a - b);
  const work: number[] = [];
  let from = ends[0] ?? 0;
  let i = 0;
  for (const end of ends.slice(1)) {
    while (i < busy.length && busy[i]![1] <= from) i += 1;
    let us = 0;
    for (let j = i; j < busy.length && busy[j]![0] < end; j += 1)
      us += Math.min(end, busy[j]![1]) - Math.max(from, busy[j]![0]);
    work.push(us / 1000);
    from = end;
  }
  return work;
}
