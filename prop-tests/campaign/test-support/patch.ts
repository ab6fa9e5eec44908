// A small mutation of the tree for one test: patch() replaces a property (a hypervisor or
// builder function) and the afterEach hook this module registers puts it back, last first.

import { afterEach } from 'vitest';

const restore: Array<() => void> = [];
afterEach(() => {
  while (restore.length > 0) restore.pop()!();
});

/** Replaces `obj[key]` with `make(original)` until the end of the current test. */
export function patch<T extends object, K extends keyof T>(obj: T, key: K, make: (orig: T[K]) => T[K]): void {
  const orig = obj[key];
  obj[key] = make(orig);
  restore.push(() => void (obj[key] = orig));
}
