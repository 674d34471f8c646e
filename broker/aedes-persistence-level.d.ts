// aedes-persistence-level ships no types; this is the part we use (its async persistence, as aedes 1.x requires).
declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { Level } from 'level';
  export default class AsyncLevelPersistence {
    constructor(db: Level<string, Buffer>);
    setup(broker: unknown): Promise<void>;
  }
}
