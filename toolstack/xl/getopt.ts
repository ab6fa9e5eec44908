// xl's option handling: SWITCH_FOREACH_OPT over def_getopt (xl_utils.c) on GNU getopt_long —
// permuting (options may follow operands), bundled short options, `--` ends options, `-h`
// prints the command's help and exits 0, an unknown option prints "option `x' not supported."
// and exits 2, too few operands print "'xl <cmd>' requires at least N argument(s)." + help, 2.

import type { XenVersion } from '../../hv/version.ts';
import { helpText } from './cmdtable.ts';
import type { XlSink } from './io.ts';

export interface Parsed {
  /** Option letters seen, in order, with their argument if they take one. */
  readonly opts: ReadonlyArray<{ opt: string; arg?: string }>;
  readonly operands: readonly string[];
}

/**
 * @param spec getopt's optstring ("qpf:"), plus long names mapped to letters
 * @returns the parse, or the exit status xl returns at once
 */
export function xlGetopt(
  argv: readonly string[], spec: string, longs: Readonly<Record<string, string>>, cmd: string, reqArgs: number,
  out: XlSink, version: XenVersion,
): Parsed | number {
  const opts: Array<{ opt: string; arg?: string }> = [];
  const operands: string[] = [];
  const takesArg = (c: string) => spec[spec.indexOf(c) + 1] === ':';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, value] = a.slice(2).split('=', 2);
      const letter = longs[name];
      if (letter === undefined) {
        out.write('stderr', `option \`${a}' not supported.\n`);
        return 2;
      }
      opts.push(takesArg(letter) ? { opt: letter, arg: value ?? argv[++i] } : { opt: letter });
      continue;
    }
    if (a.length < 2 || a[0] !== '-') {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (c === 'h') {
        out.write('stdout', helpText(cmd, version));
        return 0;
      }
      if (!spec.includes(c) || c === ':') {
        out.write('stderr', `option \`${c}' not supported.\n`);
        return 2;
      }
      if (takesArg(c)) {
        const arg = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (arg === undefined) {
          out.write('stderr', `option \`${c}' requires an argument.\n`);
          return 2;
        }
        opts.push({ opt: c, arg });
        break;
      }
      opts.push({ opt: c });
    }
  }
  if (operands.length < reqArgs) {
    out.write('stderr', `'xl ${cmd}' requires at least ${reqArgs} argument${reqArgs > 1 ? 's' : ''}.\n\n`);
    out.write('stdout', helpText(cmd, version));
    return 2;
  }
  return { opts, operands };
}
