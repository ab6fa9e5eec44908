// How a command ends when the world around it ends it, the same for every command:
// - its output closed early (`xen-memsim check | head`): it stops at once, silently, with the
//   status a program killed by SIGPIPE has (141);
// - SIGINT (Ctrl-C), SIGTERM or SIGHUP: the command's interrupt handler prints what it has so
//   far (check: the runs, the seed, the reproduce command, a failure found) and the process
//   exits 128 + the signal's number (130, 143, 129). process.exit() ends the worker threads;
//   a command that starts child processes ends them in its handler (bench).
// - a programmer error that escapes a command: one line naming it, exit 70 (EX_SOFTWARE);
//   XEN_MEMSIM_DEBUG=1 prints the stack trace as well.

export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
export type EndSignal = keyof typeof SIGNAL_EXIT;
/** Status of a command whose output was closed under it (128 + SIGPIPE). */
export const EXIT_EPIPE = 141;
export const EXIT_INTERNAL = 70;

/** @returns 'handled' when the command absorbed the signal (the shell's Ctrl-C at its prompt), else the process ends. */
export type InterruptHandler = (signal: EndSignal) => 'handled' | 'exit';

const handlers: InterruptHandler[] = [];
let ending = false;

/** Installs `h` as the current command's interrupt handler. @returns a function that removes it */
export function onInterrupt(h: InterruptHandler): () => void {
  handlers.push(h);
  return () => {
    const i = handlers.lastIndexOf(h);
    if (i >= 0) handlers.splice(i, 1);
  };
}

function writeQuietly(stream: NodeJS.WriteStream, text: string): void {
  try {
    if (!stream.destroyed) stream.write(text);
  } catch {
    // the stream is gone: nothing more can be said
  }
}

/** Ends the process now (after an interrupt, or when its output is gone). */
export function endNow(status: number): never {
  ending = true;
  process.exit(status);
}

function deliver(signal: EndSignal): void {
  if (ending) endNow(SIGNAL_EXIT[signal]); // a second signal while the first one's summary prints
  const h = handlers.at(-1);
  let verdict: 'handled' | 'exit' = 'exit';
  if (h === undefined) writeQuietly(process.stderr, `\nxen-memsim: interrupted (${signal})\n`);
  else {
    ending = true;
    try {
      verdict = h(signal);
    } catch (e) {
      writeQuietly(process.stderr, `xen-memsim: while stopping: ${(e as Error).message}\n`);
    }
    ending = false;
  }
  if (verdict === 'exit') endNow(SIGNAL_EXIT[signal]);
}

/** Reports an error no command caught. @returns the exit status */
export function internalError(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  writeQuietly(process.stderr, `xen-memsim: internal error: ${err.message}\n`);
  if (process.env.XEN_MEMSIM_DEBUG === '1') writeQuietly(process.stderr, `${err.stack ?? ''}\n`);
  else writeQuietly(process.stderr, '(this is a bug: XEN_MEMSIM_DEBUG=1 shows where it happened)\n');
  return EXIT_INTERNAL;
}

/** Installs the handlers above on this process: once, from the CLI's entry point. */
export function installLifecycle(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') writeQuietly(stream === process.stdout ? process.stderr : process.stdout, `xen-memsim: cannot write output: ${e.message}\n`);
      endNow(e.code === 'EPIPE' ? EXIT_EPIPE : 1);
    });
  }
  for (const signal of Object.keys(SIGNAL_EXIT) as EndSignal[]) process.on(signal, () => deliver(signal));
  process.on('uncaughtException', (e) => endNow(internalError(e)));
  process.on('unhandledRejection', (e) => endNow(internalError(e)));
}
