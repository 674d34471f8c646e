/**
 * Join to first frame, in real headless Chromium against the real SFU and web service: a patient is
 * in the call; a clinician page (fresh each time, camera already previewing) presses "join"; we time
 * from the click to the first rendered frame of the patient's video (requestVideoFrameCallback). The
 * clinician's browser is a fresh process each time, as a person's own browser would be.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { types } from 'mediasoup';
import { launchBrowser } from '../../tests/support/browser.ts';
import { startCallStack, type CallStack } from '../../tests/support/call-stack.ts';

/** Runs in the page (a string, so the bundler's helpers do not leak into it). */
const MEASURE = `new Promise((resolve) => {
  const t0 = performance.now();
  const watch = () => {
    const video = document.querySelector('[data-testid="video-camera"] video');
    if (video) video.requestVideoFrameCallback(() => resolve(performance.now() - t0));
    else requestAnimationFrame(watch);
  };
  document.querySelector('[data-testid="join"]').click();
  watch();
})`;

export async function measureJoinToFirstFrame(joins: number): Promise<number[]> {
  const stack = await startCallStack();
  const browser = await launchBrowser();
  const samples: number[] = [];
  const trace = process.env.BENCH_DEBUG ? traceMedia(stack) : [];
  try {
    const { links } = await stack.createConsultation(false);
    // Admit the patient once; admission is kept for every later join of the clinician.
    const first = await (await browser.newContext()).newPage();
    await first.goto(links.clinician);
    await first.getByTestId('join').click();
    const patient = await (await browser.newContext()).newPage();
    await patient.goto(links.patient);
    await patient.getByTestId('self-preview').waitFor();
    await patient.getByTestId('join').click();
    await first.getByTestId('admit-patient').click();
    await patient.getByTestId('in-call').waitFor();
    await first.getByTestId('hangup').click();
    await first.context().close();

    const bar = new SingleBar(
      { format: 'first frame {bar} {value}/{total} joins | last {last} ms', hideCursor: true },
      Presets.shades_classic,
    );
    bar.start(joins, 0, { last: '-' });
    for (let i = 0; i < joins; i += 1) {
      // A fresh browser each time: a person joins from their own, cold browser.
      const joiner = await launchBrowser();
      const page = await (await joiner.newContext()).newPage();
      await page.goto(links.clinician);
      await page.getByTestId('self-preview').waitFor();
      const clickAt = Date.now();
      const ms = await page.evaluate<number>(MEASURE);
      samples.push(ms);
      if (process.env.BENCH_DEBUG) {
        const marks = await page.evaluate<string>(
          `JSON.stringify(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('vigie:')).map((m) => [m.name, Math.round(m.startTime)]))`,
        );
        process.stderr.write(
          `\n${ms.toFixed(0)} ms: ${marks}\n  sfu: ${trace
            .splice(0)
            .map(([t, e]) => `${t - clickAt} ${e}`)
            .join(' | ')}\n`,
        );
      }
      bar.update(i + 1, { last: ms.toFixed(0) });
      await page.getByTestId('hangup').click();
      await joiner.close();
    }
    bar.stop();
  } finally {
    await browser.close();
    await stack.stop();
  }
  return samples;
}

/**
 * BENCH_DEBUG: what the SFU's media layer does during a join (keyframe requests, keyframes, layer
 * changes, scores), as [Date.now(), event], from mediasoup's observer and trace events.
 */
function traceMedia(stack: CallStack): Array<[number, string]> {
  const events: Array<[number, string]> = [];
  const add = (e: string) => events.push([Date.now(), e]);
  for (const slot of stack.sfu.server.pool.slots)
    slot.worker.observer.on('newrouter', (router: types.Router) =>
      router.observer.on('newtransport', (transport: types.Transport) => {
        transport.observer.on('newproducer', (producer: types.Producer) => {
          void producer.enableTraceEvent(['pli', 'fir', 'keyframe']);
          producer.on('trace', (t: types.ProducerTraceEventData) => {
            if (producer.kind === 'video') add(`producer ${t.type} ${t.direction}`);
          });
        });
        transport.observer.on('newconsumer', (consumer: types.Consumer) => {
          if (consumer.kind !== 'video') return;
          void consumer.enableTraceEvent(['pli', 'fir', 'keyframe']);
          consumer.on('trace', (t: types.ConsumerTraceEventData) => add(`consumer ${t.type} ${t.direction}`));
          consumer.on('layerschange', (l: types.ConsumerLayers | undefined) =>
            add(`layers ${l ? `${l.spatialLayer}/${l.temporalLayer}` : 'none'}`),
          );
          consumer.observer.on('resume', () => add('resumed'));
        });
      }),
    );
  return events;
}
