// UTF-8 into and out of the mailbox's shared memory. Node's TextEncoder.encodeInto and
// TextDecoder.decode take views of a SharedArrayBuffer; browsers refuse them ("TypeError: … must
// not be shared", WHATWG Encoding's [AllowShared] is absent), so there — the playground's Web
// Worker threads — the text goes through a private scratch buffer: one copy of the bytes, the
// same results (read, written, the decoded string, the same errors from a fatal decoder).

const encoder = new TextEncoder();

/** Whether this platform's TextEncoder/TextDecoder accept views of shared memory (Node: yes; browsers: no). */
export const SHARED_VIEWS_OK: boolean = ((): boolean => {
  if (typeof SharedArrayBuffer !== 'function') return true; // nothing is shared here
  try {
    const view = new Uint8Array(new SharedArrayBuffer(8));
    encoder.encodeInto('', view);
    new TextDecoder().decode(view);
    return true;
  } catch {
    return false;
  }
})();

/** Grown to the largest destination seen (a slot's payload capacity, bounded by PAYLOAD_CAPACITY_MAX). */
let scratch = new Uint8Array(0);

const isShared = (view: Uint8Array): boolean => typeof SharedArrayBuffer === 'function' && view.buffer instanceof SharedArrayBuffer;

/**
 * TextEncoder.encodeInto on any view, shared or not. `viaScratch` (tests) forces the copying path.
 * @returns as encodeInto: UTF-16 units read, bytes written (fewer than asked when `dest` is too small)
 */
export function encodeUtf8Into(text: string, dest: Uint8Array, viaScratch = !SHARED_VIEWS_OK && isShared(dest)): { read: number; written: number } {
  if (!viaScratch) return encoder.encodeInto(text, dest);
  if (scratch.length < dest.length) scratch = new Uint8Array(dest.length);
  const { read, written } = encoder.encodeInto(text, scratch.subarray(0, dest.length));
  dest.set(scratch.subarray(0, written));
  return { read, written };
}

/** What decodeUtf8 needs of a TextDecoder. */
export interface Utf8Decoder {
  decode(input: Uint8Array): string;
}

/** `decoder.decode(view)` on any view, shared or not. `viaCopy` (tests) forces the copying path. */
export function decodeUtf8(decoder: Utf8Decoder, view: Uint8Array, viaCopy = !SHARED_VIEWS_OK && isShared(view)): string {
  // slice() of a shared view copies into a fresh, unshared buffer.
  return decoder.decode(viaCopy ? view.slice() : view);
}
