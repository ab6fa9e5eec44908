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

/** Told when each xl command the shell runs starts and ends (the playground's chart marks them). */
export interface XlCommandObserver {
  started(actor: string, argv: readonly string[]): void;
  ended(actor: string, status: number, writes: readonly XlWrite[]): void;
}

/** An existing world the shell joins (a scenario file's variant): its host facts, as the shell needs them. */
export interface JoinedWorld {
  world: World;
  /** Xen's command line of that host. */
  commandline: string;
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
  /** Told of every command's start and end. */
  observer: XlCommandObserver | undefined;

  /**
   * A new emulated host, or (with `join`) the shell on an existing world, e.g. a scenario
   * file's variant whose timeline runs beside the commands typed.
   */
  constructor(readonly options: XlHostOptions, join?: JoinedWorld) {
    this.dom0MiB = options.dom0MiB ?? Math.min(1024, Math.floor(options.memoryMiB / 8));
    if (join !== undefined) {
      this.commandline = join.commandline;
      this.world = join.world;
      return;
    }
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
      const actor = this.freshName('xl');
      this.world.spawn({ name: actor, kind: 'xl', params: params as unknown as Record<string, unknown> });
      this.observer?.started(actor, argv);
      return { id, sink, actor };
    });
    try {
      await this.world.runUntil(() => opened.every(({ sink }) => sink.done));
      this.throwIfFailed();
      for (const { sink, actor } of opened) this.observer?.ended(actor, sink.exitStatus ?? 255, sink.writes);
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
    this.world.spawn({ name: this.freshName('sleep'), kind: 'script', params: { steps: [{ sleep: until - this.world.owner.hv.now }] } });
    await this.world.runUntil(() => this.world.owner.hv.now >= until || stop());
    this.throwIfFailed();
  }

  /** `xl-N`, `sleep-N`: a name no actor of the world has (a joined scenario may have its own xl-1). */
  private freshName(prefix: string): string {
    const taken = new Set(this.world.owner.actorNames());
    let name: string;
    do name = `${prefix}-${++this.serial}`; while (taken.has(name));
    return name;
  }

  private throwIfFailed(): void {
    const f = this.world.failure;
    if (f !== undefined) throw new Error(`emulated host failed (${f.kind} at step ${f.step}): ${f.message}`);
  }
}
