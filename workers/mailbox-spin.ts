// The one bounded spin both ends of the mailbox use before they park on a futex (Atomics.wait):
// the caller on its slot's respSeq, the owner on the doorbell. Leaves out: what the word means,
// the wait that follows, and how each end adapts its budget.
//
// On a 2-core machine with more runnable threads than cores, pure spinning is the enemy: a
// thread spinning for a peer that has no core only keeps the core from it (measured: four
// spinning callers under load ~9 got slower than comlink). So a spin is bounded three ways — a
// poll count, a time budget, and the core itself: two clock reads of one spin far apart mean the
// spinner was descheduled in between, and the spin ends at once so that its owner parks.

/** What spinWhileEqual saw. Numbers, not strings or objects: the hot path allocates nothing. */
export const SpinOutcome = {
  /** The word changed: what the spinner waits for happened. */
  Changed: 0,
  /** The polls or the time budget ran out. */
  Exhausted: 1,
  /** The spinner lost its core mid-spin: more runnable threads than cores, park now. */
  Preempted: 2,
} as const;
export type SpinOutcome = (typeof SpinOutcome)[keyof typeof SpinOutcome];

/** Polls between two clock reads of a spin (32 Atomics.loads take well under a µs). */
export const SPIN_POLLS_PER_CLOCK = 32;

/**
 * Two clock reads of one spin this far apart mean the thread was descheduled meanwhile (a clock
 * read and 32 polls take < 1 µs on a core; a scheduler time slice is ≥ 100 µs).
 */
export const SPIN_PREEMPTED_GAP_MS = 0.02;

/**
 * After a spin lost its core, this thread does not spin at all for this long: the machine has
 * more runnable threads than cores, and there a parked thread woken by a futex is scheduled
 * ahead of a runnable one (sleeper credit), while a spinner waits its turn in the run queue.
 */
export const SPIN_COOLDOWN_MS = 50;

/** Per thread (module state is per isolate): the time before which spins are skipped. */
let spinOffUntil = 0;

/**
 * Polls `words[index]` (Atomics.load, so reads after a Changed are ordered after the peer's
 * store) while it equals `value`, for at most `polls` polls and about `budgetMs` of wall time;
 * only one poll (then Preempted) within SPIN_COOLDOWN_MS of this thread's last preempted spin.
 */
export function spinWhileEqual(words: Int32Array, index: number, value: number, polls: number, budgetMs: number): SpinOutcome {
  if (Atomics.load(words, index) !== value) return SpinOutcome.Changed;
  let last = performance.now();
  if (last < spinOffUntil) return SpinOutcome.Preempted;
  const deadline = last + budgetMs;
  for (let i = 0; i < polls; ) {
    const end = Math.min(polls, i + SPIN_POLLS_PER_CLOCK);
    for (; i < end; i++) {
      if (Atomics.load(words, index) !== value) return SpinOutcome.Changed;
    }
    const now = performance.now();
    if (now - last > SPIN_PREEMPTED_GAP_MS) {
      spinOffUntil = now + SPIN_COOLDOWN_MS;
      return SpinOutcome.Preempted;
    }
    if (now > deadline) return SpinOutcome.Exhausted;
    last = now;
  }
  return SpinOutcome.Exhausted;
}
