/** Starts a Vigie service the way the demo does (its own entry script), to kill and restart it for real. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The first JSON log line whose msg matches, e.g. 'broker listening'. */
  readonly ready: Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startService(entry: string, env: Record<string, string>, readyMessage: string): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const entryLog: unknown = JSON.parse(line);
        if (typeof entryLog === 'object' && entryLog !== null && 'msg' in entryLog && entryLog.msg === readyMessage)
          resolve(entryLog);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`${entry} exited (${String(code)}) before "${readyMessage}": ${stderr}`)),
    );
  });
  return {
    child,
    ready,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}
