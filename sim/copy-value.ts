// A deep copy of what an actor puts in a request, taken when it is sent so that later mutation by
// the actor cannot leak into the trace or the hypervisor.

/**
 * A deep copy of a request's value, as structuredClone makes it, without its serialisation for
 * what requests hold — plain objects, arrays (holes kept), numbers, strings (a populate's frame
 * list is one slice). Anything else (typed arrays, Dates, class instances, functions) goes
 * through structuredClone itself, which copies or refuses it as before.
 */
export function copyValue<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return typeof v === 'function' || typeof v === 'symbol' ? structuredClone(v) : v;
  if (Array.isArray(v)) {
    const out = v.slice();
    for (let i = 0; i < out.length; i++) {
      const x: unknown = out[i];
      if ((typeof x === 'object' && x !== null) || typeof x === 'function' || typeof x === 'symbol') out[i] = copyValue(x);
    }
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = copyValue((v as Record<string, unknown>)[k]);
    // An own "__proto__" key (JSON.parse makes them) stays a key, as structuredClone keeps it.
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out as T;
}
