// The demo's outputs, each variant's share made in the thread that ran it (world/scenario-file/
// parallel.ts afterModule): its events for the Perfetto file (process index + 1) and its entry of
// the HTML report's data, both serialised right after its run — a worker's core is otherwise idle
// then — so that after the last run the demo only joins and writes them. Imports nothing that
// reads package files: a worker loads it from the compiled sources.

import { perfettoRunChunks } from '../../report/perfetto.ts';
import { reportRunJson } from '../../report/report-data.ts';
import type { Telemetry } from '../../report/telemetry.ts';
import type { VariantRun } from '../../world/scenario-file/run.ts';

export const DEMO_PARTS_MODULE = import.meta.url;

/** A variant's share of the demo's outputs. */
export interface DemoParts {
  /** perfettoRunChunks of the variant's telemetry, named by its label, as process index + 1. */
  perfetto: string[];
  /** reportRunJson of the variant (its label and telemetry). */
  report: string;
}

/** The variant's parts (AfterRunModule.afterRun); undefined for a run without telemetry. */
export function afterRun(run: VariantRun<unknown>, index: number): DemoParts | undefined {
  const telemetry = run.telemetry as Telemetry | undefined;
  if (telemetry === undefined) return undefined;
  return { perfetto: perfettoRunChunks({ telemetry, name: run.label }, index + 1), report: reportRunJson(run.label, telemetry) };
}
