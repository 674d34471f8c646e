/**
 * One mediasoup worker per core. Rooms go to the least-loaded worker that still has room; a worker
 * that dies is replaced at once, and whoever owns rooms on it is told (they move to a live worker).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../common/log.ts';
import { createWorker, type MediaNetwork, type Worker } from './media.ts';

export interface WorkerSlot {
  readonly index: number;
  worker: Worker;
  /** Participants placed on this worker (the capacity unit). */
  load: number;
}

interface PoolEvents {
  /** The worker of this slot died; every router on it is gone. A replacement is being started. */
  died: [slot: WorkerSlot];
  replaced: [slot: WorkerSlot];
}

export class WorkerPool extends EventEmitter<PoolEvents> {
  readonly #slots: WorkerSlot[];
  readonly #network: MediaNetwork;
  readonly #maxLoad: number;
  readonly #log: Logger;
  #closed = false;
  #restarts = 0;

  private constructor(slots: WorkerSlot[], network: MediaNetwork, maxLoad: number, log: Logger) {
    super();
    this.#slots = slots;
    this.#network = network;
    this.#maxLoad = maxLoad;
    this.#log = log;
    for (const slot of slots) this.#watch(slot);
  }

  static async create(options: {
    count: number;
    network: MediaNetwork;
    maxParticipantsPerWorker: number;
    logger: Logger;
  }): Promise<WorkerPool> {
    if (options.count < 1) throw new TypeError('at least one worker');
    const workers = await Promise.all(Array.from({ length: options.count }, () => createWorker(options.network)));
    const slots = workers.map((worker, index) => ({ index, worker, load: 0 }));
    const pool = new WorkerPool(slots, options.network, options.maxParticipantsPerWorker, options.logger);
    options.logger.info({ workers: workers.map((w) => w.pid) }, 'mediasoup workers started');
    return pool;
  }

  get slots(): readonly WorkerSlot[] {
    return this.#slots;
  }

  get restarts(): number {
    return this.#restarts;
  }

  pids(): number[] {
    return this.#slots.map((s) => s.worker.pid);
  }

  /** The least-loaded live worker with space for `participants` more, if any. */
  pick(participants = 1): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const slot of this.#slots) {
      if (slot.worker.closed || slot.load + participants > this.#maxLoad) continue;
      if (!best || slot.load < best.load) best = slot;
    }
    return best;
  }

  hasSpace(slot: WorkerSlot, participants = 1): boolean {
    return !slot.worker.closed && slot.load + participants <= this.#maxLoad;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) slot.worker.close();
  }

  #watch(slot: WorkerSlot): void {
    slot.worker.once('died', (error: Error) => {
      if (this.#closed) return;
      this.#restarts += 1;
      this.#log.error(
        { worker: slot.index, pid: slot.worker.pid, err: error.message },
        'mediasoup worker died; replacing it',
      );
      slot.load = 0;
      this.emit('died', slot);
      void this.#replace(slot, 0);
    });
  }

  async #replace(slot: WorkerSlot, attempt: number): Promise<void> {
    try {
      const worker = await createWorker(this.#network);
      if (this.#closed) return void worker.close();
      slot.worker = worker;
      this.#watch(slot);
      this.#log.info({ worker: slot.index, pid: worker.pid }, 'mediasoup worker replaced');
      this.emit('replaced', slot);
    } catch (error) {
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      this.#log.error(
        { worker: slot.index, err: String(error), retryInMs: delay },
        'could not start a mediasoup worker',
      );
      setTimeout(() => void this.#replace(slot, attempt + 1), delay).unref();
    }
  }
}
