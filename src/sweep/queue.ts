/** A started child: its exit code (null when killed by a signal) and a way to ask it to stop. */
export interface Started {
  done: Promise<number | null>;
  /** Asks it to stop, once: with SIGINT unless told which. */
  interrupt: (signal?: NodeJS.Signals) => void;
}

export interface QueueOptions<T> {
  parallel: number;
  start: (job: T) => Promise<Started>;
  /** Called once per job that ran, in the order they finish; awaited before the next finish is handled. */
  finished: (job: T, code: number | null) => Promise<void>;
  /** Ctrl-C flag, polled: once true no job starts and every running one is asked to stop, once. */
  interrupted: () => boolean;
  /** The signal to pass on to running jobs (the one this process got). */
  stopSignal?: () => NodeJS.Signals | undefined;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise<'tick'>((r) => setTimeout(() => r('tick'), ms).unref());

/**
 * Runs jobs at most `parallel` at a time. Returns whether it stopped early (interrupted); jobs never
 * started are simply left, so a later run of the same sweep picks them up.
 */
export async function runQueue<T>(jobs: T[], o: QueueOptions<T>): Promise<{ stopped: boolean }> {
  const waiting = [...jobs];
  const running = new Map<T, Started & { settled: Promise<T> }>();
  let stopping = false;
  while (waiting.length || running.size) {
    if (!stopping && o.interrupted()) {
      stopping = true;
      for (const r of running.values()) r.interrupt(o.stopSignal?.());
    }
    while (!stopping && waiting.length && running.size < o.parallel) {
      const job = waiting.shift()!;
      const started = await o.start(job);
      running.set(job, {
        ...started,
        settled: started.done.then(
          () => job,
          () => job,
        ),
      });
    }
    if (!running.size) break;
    const first = await Promise.race([...[...running.values()].map((r) => r.settled), sleep(o.pollMs ?? 100)]);
    if (first === 'tick') continue;
    const done = running.get(first as T)!;
    running.delete(first as T);
    await o.finished(first as T, await done.done.catch(() => null));
  }
  return { stopped: stopping };
}
