// The one use of Node's global Buffer in the emulator's modules (the scenario loader's byte
// counts), for the browser bundle (injected by web/build.ts): UTF-8 length of a string.

export const Buffer = {
  byteLength: (text: string): number => new TextEncoder().encode(text).length,
};
