// `xl dmesg [-c]` (xl_info.c main_dmesg; xl_cmdimpl.c in 4.3) over libxl_xen_console_read_start
// / _read_line (libxl_console.c; libxl.c in 4.3), i.e. XEN_SYSCTL_readconsole: read the
// hypervisor's console ring in chunks of up to 16384 bytes, incrementally, clearing what was read
// with -c, and print each chunk as it comes.

import { STRERROR } from '../../hv/errno.ts';
import { libxlError, SOURCE_SITES } from '../builder/sites.ts';
import type { XlContext } from './context.ts';
import { xlGetopt } from './getopt.ts';

/** libxl's reader buffer less the NUL it adds: "The default size of Xen's console buffer is 16384". */
const READ_CHUNK = 16384;
/** ERROR_FAIL. */
const ERROR_FAIL = -3;
/**
 * Reads one xl dmesg makes at most: the ring holds 16 KiB, so two suffice; the bound only stops
 * a console that kept growing between reads from holding xl for ever.
 */
const MAX_READS = 64;

export async function mainDmesg(x: XlContext, argv: readonly string[]): Promise<number> {
  // 4.3's dmesg has no long options (--clear came with its opts[] table).
  const p = xlGetopt(argv, 'c', x.version === '4.3' ? {} : { clear: 'c' }, 'dmesg', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const clear = p.opts.some((o) => o.opt === 'c') ? 1 : 0;
  let index = 0;
  for (let n = 0; n < MAX_READS; n++) {
    const r = await x.port.hypercall('XEN_SYSCTL_readconsole', { clear, incremental: 1, index, count: READ_CHUNK });
    if (r.rc < 0) {
      const sites = SOURCE_SITES[x.version];
      const errno = STRERROR[-r.rc] ?? `Unknown error ${-r.rc}`;
      x.out.write('stderr', libxlError(sites, sites.consoleReadLine, 'libxl_xen_console_read_line', undefined, `reading console ring buffer: ${errno}`));
      return ERROR_FAIL;
    }
    const text = typeof r.buffer === 'string' ? r.buffer : '';
    if (text === '') return 0;
    x.out.write('stdout', text);
    index = r.index as number;
  }
  return 0;
}
