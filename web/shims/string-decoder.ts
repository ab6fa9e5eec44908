// node:string_decoder as the browser bundle sees it: UTF-8 only (what the trace reader asks for),
// over TextDecoder's streaming mode, so a character split across two reads comes out whole.

export class StringDecoder {
  private readonly decoder = new TextDecoder('utf-8');

  constructor(encoding = 'utf8') {
    if (!/^utf-?8$/i.test(encoding)) throw new Error(`StringDecoder: only utf8 in the browser playground, not ${encoding}`);
  }

  write(bytes: Uint8Array): string {
    return this.decoder.decode(bytes, { stream: true });
  }

  end(bytes?: Uint8Array): string {
    return (bytes === undefined ? '' : this.decoder.decode(bytes, { stream: true })) + this.decoder.decode();
  }
}

export default { StringDecoder };
