// Tier-2 errors: a broken invariant is a programmer error (Xen's BUG_ON/ASSERT). Asserts stay on
// everywhere, tests and production alike: in an emulator whose purpose is correctness they are
// the main bug detector.

/** Thrown by assert(); the hv worker turns it into an "hv crashed" response. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(cond: unknown, msg: string | (() => string) = 'assertion failed'): asserts cond {
  if (!cond) throw new AssertionError(typeof msg === 'function' ? msg() : msg);
}

/**
 * Throws an AssertionError: for hot paths, as `if (!cond) assertFail(\`…\`)`, which builds its
 * message only on failure and allocates no closure per call.
 */
export function assertFail(msg: string): never {
  throw new AssertionError(msg);
}

/** A standing invariant (hv/invariants.ts, hv/tmem/check.ts) found broken between two sections. */
export class InvariantViolation extends AssertionError {
  override name = 'InvariantViolation';
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`invariant ${invariant} violated: ${detail}`);
  }
}

/** Exhaustive switch helper: a compile error if a case is missing, a throw if reached anyway. */
export function assertNever(x: never, what = 'value'): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(x)}`);
}
