/**
 * The Bulk Data export jobs (web/fhir/export.ts): each job writes its NDJSON files, one per resource
 * type, under its own folder of the web service's data directory, as it reads its sources (a file is
 * written line by line with the stream's back-pressure: nothing is held whole in memory). A job
 * belongs to whoever started it; its files are deleted when it is cancelled, and `retentionMs` after
 * it ends. A requester keeps at most `maxPerRequester` jobs (running or kept), which bounds both the
 * work and the disk one account can cause.
 *
 * Jobs live in memory: a restart forgets them, so the folder is emptied when the service starts.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { VigieError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { FhirResource } from './bundle.ts';

export const EXPORT_RETENTION_MS = 3600_000;
export const MAX_EXPORTS_PER_REQUESTER = 3;
/** Observations asked of InfluxDB at a time. */
export const EXPORT_OBSERVATION_PAGE = 500;
const PURGE_EVERY_MS = 60_000;

export interface ExportOptions {
  /** Where jobs write their files (a folder of the web service's data directory, emptied at start). */
  readonly dir: string;
  readonly now?: () => number;
  readonly retentionMs?: number;
  readonly maxPerRequester?: number;
  readonly observationPage?: number;
}

/** One NDJSON file of a finished job, as the manifest lists it. */
export interface ExportFile {
  readonly type: string;
  readonly name: string;
  readonly count: number;
}

export type JobState =
  | { readonly kind: 'running'; readonly progress: string }
  | { readonly kind: 'done'; readonly at: number; readonly output: ExportFile[]; readonly error: ExportFile[] }
  | { readonly kind: 'failed'; readonly at: number };

export interface ExportJob {
  readonly id: string;
  readonly requester: string;
  /** The kick-off request's URL. */
  readonly request: string;
  /** The patients it exports: the requester must still be allowed each of them to read its files. */
  readonly patients: readonly string[];
  /** When the data was read from (the kick-off), as the manifest's `transactionTime`. */
  readonly transactionTime: string;
  state: JobState;
}

/** What a job's work writes to: a line per resource in its type's file, and how far it is. */
export interface JobWriter {
  readonly signal: AbortSignal;
  write(type: string, resource: FhirResource): Promise<void>;
  /** A problem that did not stop the export, as a line of the OperationOutcome file. */
  issue(outcome: FhirResource): Promise<void>;
  progress(text: string): void;
}

class NdjsonFile {
  count = 0;
  readonly #stream: WriteStream;
  #failed: Error | null = null;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.#stream.on('error', (error) => (this.#failed = error));
  }

  async write(resource: object): Promise<void> {
    if (this.#failed) throw this.#failed;
    this.count++;
    if (!this.#stream.write(`${JSON.stringify(resource)}\n`)) await once(this.#stream, 'drain');
  }

  async end(): Promise<void> {
    if (this.#stream.closed) return;
    this.#stream.end();
    await once(this.#stream, 'close');
    if (this.#failed) throw this.#failed;
  }
}

interface Running {
  readonly job: ExportJob;
  readonly abort: AbortController;
  done: Promise<void>;
}

export class ExportJobs {
  readonly observationPage: number;
  readonly #dir: string;
  readonly #now: () => number;
  readonly #retentionMs: number;
  readonly #max: number;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, Running>();
  readonly #purge: ReturnType<typeof setInterval>;

  private constructor(o: ExportOptions, logger: Logger) {
    this.#dir = o.dir;
    this.#now = o.now ?? Date.now;
    this.#retentionMs = o.retentionMs ?? EXPORT_RETENTION_MS;
    this.#max = o.maxPerRequester ?? MAX_EXPORTS_PER_REQUESTER;
    this.observationPage = o.observationPage ?? EXPORT_OBSERVATION_PAGE;
    this.#logger = logger;
    this.#purge = setInterval(() => void this.purge(), PURGE_EVERY_MS).unref();
  }

  /** Empties the folder of files left by jobs a restart forgot. */
  static async create(o: ExportOptions, logger: Logger): Promise<ExportJobs> {
    await rm(o.dir, { recursive: true, force: true });
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    return new ExportJobs(o, logger);
  }

  now(): number {
    return this.#now();
  }

  /** Starts a job of `requester` about `patients`; `work` writes its resources (refused when they keep too many already). */
  async start(
    requester: string,
    request: string,
    patients: readonly string[],
    work: (writer: JobWriter) => Promise<void>,
  ): Promise<ExportJob> {
    await this.purge();
    const kept = [...this.#jobs.values()].filter((r) => r.job.requester === requester).length;
    if (kept >= this.#max)
      throw new VigieError('export_busy', `at most ${this.#max} exports running or kept per person`, {
        max: this.#max,
      });
    const id = randomBytes(16).toString('hex');
    const job: ExportJob = {
      id,
      requester,
      request,
      patients,
      transactionTime: new Date(this.#now()).toISOString(),
      state: { kind: 'running', progress: 'starting' },
    };
    await mkdir(this.#folder(id), { mode: 0o700 });
    const abort = new AbortController();
    const running: Running = { job, abort, done: Promise.resolve() };
    this.#jobs.set(id, running);
    running.done = this.#run(running, work);
    return job;
  }

  /** A job of this requester (anyone else's is as unknown as one that does not exist). */
  async get(id: string, requester: string): Promise<ExportJob> {
    await this.purge();
    const running = this.#jobs.get(id);
    if (!running || running.job.requester !== requester) throw new VigieError('export_not_found', 'no such export');
    return running.job;
  }

  /** Where a file of a finished job is, when it has one of that name. */
  async file(id: string, requester: string, name: string): Promise<string> {
    const job = await this.get(id, requester);
    const files = job.state.kind === 'done' ? [...job.state.output, ...job.state.error] : [];
    if (!files.some((f) => f.name === name)) throw new VigieError('export_not_found', 'no such file in this export');
    return join(this.#folder(id), name);
  }

  /** Stops the job if it runs, and deletes it with its files. */
  async delete(id: string, requester: string): Promise<void> {
    await this.get(id, requester);
    await this.#remove(id);
  }

  /** Deletes the jobs that ended more than the retention ago. */
  async purge(): Promise<void> {
    const now = this.#now();
    const expired = [...this.#jobs.values()].filter(
      ({ job }) => job.state.kind !== 'running' && job.state.at + this.#retentionMs <= now,
    );
    await Promise.all(expired.map(({ job }) => this.#remove(job.id)));
  }

  async close(): Promise<void> {
    clearInterval(this.#purge);
    await Promise.all([...this.#jobs.keys()].map((id) => this.#remove(id)));
  }

  #folder(id: string): string {
    return join(this.#dir, id);
  }

  async #remove(id: string): Promise<void> {
    const running = this.#jobs.get(id);
    if (!running) return;
    this.#jobs.delete(id);
    running.abort.abort();
    await running.done;
    await rm(this.#folder(id), { recursive: true, force: true });
  }

  async #run(running: Running, work: (writer: JobWriter) => Promise<void>): Promise<void> {
    const { job, abort } = running;
    const files = new Map<string, NdjsonFile>();
    const fileOf = (type: string) => {
      let file = files.get(type);
      if (!file) {
        file = new NdjsonFile(join(this.#folder(job.id), `${type}.ndjson`));
        files.set(type, file);
      }
      return file;
    };
    const writer: JobWriter = {
      signal: abort.signal,
      write: (type, resource) => fileOf(type).write(resource),
      issue: (outcome) => fileOf('OperationOutcome').write(outcome),
      progress: (text) => {
        if (job.state.kind === 'running') job.state = { kind: 'running', progress: text };
      },
    };
    try {
      await work(writer);
      await Promise.all([...files.values()].map((f) => f.end()));
      const listed = [...files].map(([type, f]) => ({ type, name: `${type}.ndjson`, count: f.count }));
      job.state = {
        kind: 'done',
        at: this.#now(),
        output: listed.filter((f) => f.type !== 'OperationOutcome'),
        error: listed.filter((f) => f.type === 'OperationOutcome'),
      };
    } catch (error) {
      await Promise.allSettled([...files.values()].map((f) => f.end()));
      if (!abort.signal.aborted) this.#logger.warn({ jobId: job.id, error: String(error) }, 'FHIR export failed');
      job.state = { kind: 'failed', at: this.#now() };
    }
  }
}
