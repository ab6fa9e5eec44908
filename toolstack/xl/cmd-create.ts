// `xl create` (xl_vmcontrol.c main_create + create_domain): read and parse the config (with
// `key=value` overrides), with autoballoon on take the xl lock and run freemem(), build the
// domain through libxl, release the lock, start the guest's kernel if the config asks for one
// (guest-kernel.ts), and unpause unless -p. A failed build exits 3 (`return -rc` of ERROR_FAIL).
// -n (or xl's global -N) is a dry run: it prints the parsed config as JSON (config-json.ts) and
// creates nothing. Leaves out: -c/-V consoles, -F/-e (no daemon to wait for the domain's death).

import { isOverrideArgument } from '../config/index.ts';
import { libxlDomainCreate, ERROR_FAIL } from '../builder/build.ts';
import { configSetsKey, parseDomainConfig } from '../domain-config.ts';
import { physinfo } from '../builder/domain-info.ts';
import { freemem } from '../freemem.ts';
import { autoballoonEnabled } from '../xl-conf.ts';
import { writeLines, type XlContext } from './context.ts';
import { xlGetopt } from './getopt.ts';
import { guestKernelSpec, readGuestKernel } from './guest-kernel.ts';
import { acquireLock, type XlLock } from './lock.ts';
import { domainConfigJson } from './config-json.ts';
import { jsonCPretty } from './json-c.ts';

export async function mainCreate(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'Fnqf:pcdeVA', { quiet: 'q', defconfig: 'f', dryrun: 'n', vncviewer: 'V', 'vncviewer-autopass': 'A' },
    'create', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  let filename = p.opts.filter((o) => o.opt === 'f').map((o) => o.arg!).pop();
  const overrides: string[] = [];
  for (const a of p.operands) {
    if (isOverrideArgument(a)) overrides.push(a);
    else filename = a;
  }
  const quiet = p.opts.some((o) => o.opt === 'q');
  const paused = p.opts.some((o) => o.opt === 'p');
  if (filename === undefined) {
    // DIVERGENCE: xl's -f-less, file-less create (command-line-only config) is not modelled.
    x.out.write('stderr', "'xl create' requires at least 1 argument.\n\n");
    return 2;
  }
  const text = x.params.files?.[filename];
  if (text === undefined) {
    x.out.write('stderr', `Failed to read config file: ${filename}: No such file or directory\n`);
    return -ERROR_FAIL;
  }
  // xl_cmdimpl.c create_domain: printf() in 4.3; fprintf(stderr, …) since d36a3734a6 (4.5.0,
  // "xl: fix migration failure with xl migrate --debug"), later in xl_vmcontrol.c.
  if (!quiet) x.out.write(x.version === '4.3' ? 'stdout' : 'stderr', `Parsing config from ${filename}\n`);
  // parse_vnuma_config asks libxl_get_physinfo for the node and CPU counts.
  const pi = configSetsKey(text, filename, overrides, 'vnuma') ? await physinfo(x.port) : undefined;
  const host = pi === undefined ? undefined : { nrNodes: pi.nr_nodes, nrCpus: pi.nr_cpus };
  const parsed = parseDomainConfig(text, filename, overrides, { version: x.version, ...(host === undefined ? {} : { host }) });
  writeLines(x, parsed.stderr);
  if (!parsed.ok) return parsed.exitStatus;
  const cfg = parsed.config;
  if (x.globals.dryrun || p.opts.some((o) => o.opt === 'n')) {
    // create_domain: libxl_domain_config_to_json then fputs — no newline after the closing brace.
    x.out.write('stdout', jsonCPretty(domainConfigJson(cfg)));
    return 0;
  }
  // The emulator's memsim_* keys are read with the rest of the config: a bad one stops here.
  const kernelRead = readGuestKernel(text, filename, overrides, cfg, x.version);
  writeLines(x, kernelRead.stderr);
  if (!kernelRead.ok) return kernelRead.exitStatus;

  const autoballoon = autoballoonEnabled(x.conf.autoballoon, x.params.xenCommandline ?? '');
  let lock: XlLock | undefined;
  try {
    if (autoballoon) {
      lock = await acquireLock(x.port, x.conf.lockfile);
      const libxlCtx = { port: x.port, version: x.version, stderr: [] as string[] };
      const ok = await freemem(libxlCtx, cfg);
      writeLines(x, libxlCtx.stderr);
      if (!ok) {
        x.out.write('stderr', 'failed to free memory for the domain\n');
        return -ERROR_FAIL;
      }
    }
    const outcome = await libxlDomainCreate(x.port, { config: cfg, claimMode: x.conf.claimMode, version: x.version, inject: x.params.inject });
    writeLines(x, outcome.stderr);
    if (outcome.rc !== 0) return -outcome.rc;
    await lock?.release();
    const domid = outcome.domid!;
    if (kernelRead.kernel !== undefined) await x.port.spawn(guestKernelSpec(kernelRead.kernel, cfg, domid));
    if (!paused) await x.port.hypercall('XEN_DOMCTL_unpausedomain', { domid });
    return 0;
  } finally {
    await lock?.release();
  }
}
