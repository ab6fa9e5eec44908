// node:crypto as the browser bundle sees it (web/build.ts aliases it here): createHash('sha256')
// over @noble/hashes, the same algorithm, so a run in the playground hashes its trace exactly as
// Node does (sim/trace.ts traceHash; crypto.test.ts compares both on the same input).

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

export interface BrowserHash {
  update(data: string | Uint8Array): BrowserHash;
  digest(encoding: 'hex'): string;
}

export function createHash(algorithm: string): BrowserHash {
  if (algorithm !== 'sha256') throw new Error(`createHash: only sha256 is available in the browser (asked for ${algorithm})`);
  const h = sha256.create();
  const hash: BrowserHash = {
    update(data: string | Uint8Array) {
      h.update(typeof data === 'string' ? utf8ToBytes(data) : data);
      return hash;
    },
    digest(encoding: 'hex') {
      if (encoding !== 'hex') throw new Error('digest: only hex is available in the browser');
      return bytesToHex(h.digest());
    },
  };
  return hash;
}
