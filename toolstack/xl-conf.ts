// xl's global configuration: main() reading XL_GLOBAL_CONFIG and parse_global_config()
// (tools/xl/xl.c), with the same reads in the same order so that warnings come out as xl
// prints them. Leaves out: keys that only tune devices we do not emulate are read (for their
// warnings) but not interpreted beyond their raw value.

import type { XenVersion } from '../hv/version.ts';
import { parseConfig } from './config/parser.ts';
import { getLong, getString, type Read, type ReadOptions } from './config/getters.ts';
import type { ConfigFile, StderrWrites } from './config/types.ts';

/** `XEN_CONFIG_DIR "/xl.conf"` with the default configure paths. */
export const XL_GLOBAL_CONFIG = '/etc/xen/xl.conf';
/** XL_LOCK_FILE, the default `lockfile`. */
export const XL_LOCK_FILE = '/var/lock/xl';

/** The xl.conf `autoballoon` setting; `auto` is resolved against the Xen command line later. */
export type AutoballoonSetting = 'on' | 'off' | 'auto';

/** xl's globals after parse_global_config. */
export interface XlConf {
  /** xl's `int claim_mode`: non-zero makes every build claim (default 1; 0 in Xen 4.3). */
  readonly claimMode: number;
  readonly autoballoon: AutoballoonSetting;
  readonly lockfile: string;
  readonly runHotplugScripts: number;
  readonly outputFormat: 'json' | 'sxp';
  readonly blkdevStart: string | undefined;
  readonly vifScript: string | undefined;
  readonly vifBridge: string | undefined;
}

/** readXlConf's outcome; `exitStatus` is set when xl would exit before running the command. */
export interface XlConfResult {
  readonly conf: XlConf;
  /**
   * What xl writes while reading xl.conf, one entry per write. An invalid `autoballoon` writes
   * `invalid autoballoon option` **without** a newline (an xl bug): that entry has no `\n`, so
   * the next write continues on the same terminal line when the entries are concatenated.
   */
  readonly stderr: StderrWrites;
  readonly exitStatus?: 1;
}

/** xl's claim_mode default: 1 since 4.4 (f3e5942b1f), 0 in 4.3.0. */
export function defaultClaimMode(version: XenVersion): number {
  return version === '4.3' ? 0 : 1;
}

const valueOf = <T>(r: Read<T>): T | undefined => (r.ok ? r.value : undefined);

/**
 * Reads xl.conf as every xl sub-command does before running.
 * @param text the file's contents, or undefined if it does not exist (xl then warns and goes on
 *   with an empty configuration)
 * @param path the file name messages use (normally {@link XL_GLOBAL_CONFIG})
 * @param version the emulated Xen version, which decides the claim_mode default
 */
export function readXlConf(text: string | undefined, path: string, version: XenVersion): XlConfResult {
  const stderr: StderrWrites = [];
  if (text === undefined) stderr.push(`Failed to read config file: ${path}: No such file or directory\n`);
  const parsed = parseConfig(text ?? '', path);
  stderr.push(...parsed.stderr);
  if (!parsed.ok) {
    stderr.push('Failed to parse config file: Invalid argument\n');
    return { conf: defaultsFor(version), stderr, exitStatus: 1 };
  }
  return { conf: interpret(parsed.cfg, { report: stderr }, version), stderr };
}

function defaultsFor(version: XenVersion): XlConf {
  return {
    claimMode: defaultClaimMode(version),
    autoballoon: 'auto',
    lockfile: XL_LOCK_FILE,
    runHotplugScripts: 1,
    outputFormat: 'json',
    blkdevStart: undefined,
    vifScript: undefined,
    vifBridge: undefined,
  };
}

/** C's `int x = l;` from a long. */
const toInt = (l: bigint): number => Number(BigInt.asIntN(32, l));

function interpret(cfg: ConfigFile, opts: ReadOptions, version: XenVersion): XlConf {
  const defaults = defaultsFor(version);
  let autoballoon = defaults.autoballoon;
  const ab = valueOf(getString(cfg, 'autoballoon', opts));
  if (ab !== undefined) {
    if (ab === 'on' || ab === '1') autoballoon = 'on';
    else if (ab === 'off' || ab === '0') autoballoon = 'off';
    else if (ab === 'auto') autoballoon = 'auto';
    else opts.report.push('invalid autoballoon option'); // sic: no newline in xl.c
  }
  const hotplug = valueOf(getLong(cfg, 'run_hotplug_scripts', opts));
  const lockfile = valueOf(getString(cfg, 'lockfile', opts)) ?? XL_LOCK_FILE;

  let vifScript = valueOf(getString(cfg, 'vifscript', opts));
  if (vifScript !== undefined) {
    opts.report.push('the global config option vifscript is deprecated, please switch to vif.default.script\n');
  }
  vifScript = valueOf(getString(cfg, 'vif.default.script', opts)) ?? vifScript;
  let vifBridge = valueOf(getString(cfg, 'defaultbridge', opts));
  if (vifBridge !== undefined) {
    opts.report.push('the global config option defaultbridge is deprecated, please switch to vif.default.bridge\n');
  }
  vifBridge = valueOf(getString(cfg, 'vif.default.bridge', opts)) ?? vifBridge;
  getString(cfg, 'vif.default.gatewaydev', opts);
  getString(cfg, 'vif.default.backend', opts);

  let outputFormat = defaults.outputFormat;
  const format = valueOf(getString(cfg, 'output_format', opts));
  if (format === 'json' || format === 'sxp') outputFormat = format;
  else if (format !== undefined) opts.report.push(`invalid default output format "${format}"\n`);
  const blkdevStart = valueOf(getString(cfg, 'blkdev_start', opts));

  // Only a successful numeric read changes claim_mode: "on" warns and keeps the default.
  const claim = valueOf(getLong(cfg, 'claim_mode', opts));
  getString(cfg, 'remus.default.netbufscript', opts);
  getString(cfg, 'colo.default.proxyscript', opts);

  return {
    claimMode: claim === undefined ? defaults.claimMode : toInt(claim),
    autoballoon,
    lockfile,
    runHotplugScripts: hotplug === undefined ? defaults.runHotplugScripts : toInt(hotplug),
    outputFormat,
    blkdevStart,
    vifScript,
    vifBridge,
  };
}

/**
 * auto_autoballoon (xl.c): `auto` means on unless Xen was booted with a `dom0_mem=` option,
 * matched with xl's POSIX regex.
 */
export function autoballoonEnabled(setting: AutoballoonSetting, xenCommandline: string): boolean {
  if (setting !== 'auto') return setting === 'on';
  return !/(^| )dom0_mem=((|min:|max:)[0-9]+[bBkKmMgG]?,?)+($| )/.test(xenCommandline);
}
