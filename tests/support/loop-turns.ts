/**
 * Counts the event loop's turns: a tick that runs once a turn (setImmediate). A test notes `turns.now`
 * where work happens, to tell whether that work gave the loop a turn between its parts.
 */
export function countTurns(): { readonly now: number; stop(): void } {
  let now = 0;
  let ticking = true;
  const tick = () => {
    now += 1;
    if (ticking) setImmediate(tick);
  };
  tick();
  return {
    get now() {
      return now;
    },
    stop() {
      ticking = false;
    },
  };
}
