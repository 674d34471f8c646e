/**
 * Runs `each` on every item, in order, giving the event loop a turn (setImmediate) whenever about
 * `sliceMs` have passed since the last one: long work on a batch does not hold other sockets (an
 * alarm's connection) back until the whole batch is done.
 */
export async function inSlices<T>(items: Iterable<T>, sliceMs: number, each: (item: T) => void): Promise<void> {
  let slice = performance.now();
  for (const item of items) {
    if (performance.now() - slice >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
    each(item);
  }
}
