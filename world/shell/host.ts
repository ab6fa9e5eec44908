// The xl shell's emulated host: one scheduled World (the hypervisor, dom0 running a balloon-only
// Linux kernel, and whatever guest kernels `xl create` starts), on which each xl command line
// runs as its own actor while everything else keeps running. Virtual time advances only while
// something runs: a command (population takes time) or `sleep`.

import { ArrivalOrder } from '../../sim/policy.ts';
import { NS_PER_SEC } from '../../sim/port.ts';
import { World } from '../world.ts';
import type { ActorSpec } from '../../sim/scenario.ts';
import type { XenVersion } from '../../hv/version.ts';
import type { LinuxGuestOptions } from '../../guests/linux-guest.ts';
import { closeSink, openSink, type XlWrite } from '../../toolstack/xl/io.ts';
import type { XlParams } from '../../toolstack/xl/context.ts';

export interface XlHostOptions {
  memoryMiB: number;
  xen: XenVersion;
  nodes: number;
  /** dom0's memory (Xen's dom0_mem); default min(1024, memoryMiB / 8), as the hypervisor's. */
  dom0MiB?: number;
  /** xl.conf as given with --xl-conf; absent = an empty xl.conf. */
  xlConf?: { path: string; text: string | null };
  /** Toolstack/hypervisor bugs to inject. */
  inject?: string[];
}

export interface CommandResult {
  readonly writes: readonly XlWrite[];
  readonly exitStatus: number;
}

/** Xen's command line on the emulated host: a fixed-size dom0 (so autoballoon=auto is off). */
export function xenCommandline(o: XlHostOptions, dom0MiB: number): string {
  return `placeholder dom0_mem=${dom0MiB}M,max:${dom0MiB}M${o.xen === '4.3' ? ' tmem' : ''} console=com1`;
}

export class XlHost {
  readonly world: World;
  readonly dom0MiB: number;
  private readonly commandline: string;
  private serial = 0;

  constructor(readonly options: XlHostOptions) {
    this.dom0MiB = options.dom0MiB ?? Math.min(1024, Math.floor(options.memoryMiB / 8));
    this.commandline = xenCommandline(options, this.dom0MiB);
    const dom0Pages = this.dom0MiB * 256;
    const dom0Kernel: LinuxGuestOptions = { seed: 0, workload: 'idle', initialPages: dom0Pages, maxPfn: dom0Pages, tmem: false };
    const actors: ActorSpec[] = [{ name: 'dom0-linux', kind: 'linux', caller: 0, params: dom0Kernel as unknown as Record<string, unknown> }];
    this.world = new World(
      {
        name: 'xl-shell',
        host: { memoryMiB: options.memoryMiB, xen: options.xen, nodes: options.nodes, dom0MiB: this.dom0MiB, tmem: options.xen === '4.3', inject: options.inject?.filter((b) => /^B\d+$/.test(b)) },
        actors,
      },
      new ArrivalOrder(),
      { maxSteps: Number.MAX_SAFE_INTEGER },
    );
  }

  /** Virtual time in seconds. */
  get nowSecs(): number {
    return this.world.owner.hv.now / NS_PER_SEC;
  }

  /**
   * Runs one xl command line to completion while the rest of the host runs.
   * @param argv the words after `xl`; @param files guest configs it may read, by path as given
   */
  async xl(argv: string[], files: Record<string, string>): Promise<CommandResult> {
    return (await this.xlConcurrently([{ argv, files }]))[0];
  }

  /**
   * Starts several xl processes at the same virtual moment (two admins, or two scripts) and
   * runs until all have exited. @returns their results, in the order given
   */
  async xlConcurrently(commands: ReadonlyArray<{ argv: string[]; files: Record<string, string> }>): Promise<CommandResult[]> {
    const opened = commands.map(({ argv, files }) => {
      const { id, sink } = openSink();
      const params: XlParams = {
        argv, version: this.options.xen, files, io: id, xenCommandline: this.commandline,
        ...(this.options.xlConf === undefined ? {} : { xlConf: this.options.xlConf }),
        ...(this.options.inject === undefined ? {} : { inject: this.options.inject }),
      };
      this.world.spawn({ name: `xl-${++this.serial}`, kind: 'xl', params: params as unknown as Record<string, unknown> });
      return { id, sink };
    });
    try {
      await this.world.runUntil(() => opened.every(({ sink }) => sink.done));
      this.throwIfFailed();
      return opened.map(({ sink }) => ({ writes: sink.writes, exitStatus: sink.exitStatus ?? 255 }));
    } finally {
      for (const { id } of opened) closeSink(id);
    }
  }

  /**
   * `sleep SECONDS`: virtual time advances while guests run.
   * @param stop checked after every step: true ends the sleep early (Ctrl-C at the prompt); the
   *   sleeper actor then wakes at its time unseen, as a killed `sleep` would never have.
   */
  async sleep(seconds: number, stop: () => boolean = () => false): Promise<void> {
    const until = this.world.owner.hv.now + Math.round(seconds * NS_PER_SEC);
    this.world.spawn({ name: `sleep-${++this.serial}`, kind: 'script', params: { steps: [{ sleep: until - this.world.owner.hv.now }] } });
    await this.world.runUntil(() => this.world.owner.hv.now >= until || stop());
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    const f = this.world.failure;
    if (f !== undefined) throw new Error(`emulated host failed (${f.kind} at step ${f.step}): ${f.message}`);
  }
}
