// `xen-memsim/report`: what the HTML report and the Perfetto export draw (telemetry, recorded live
// on a scheduled world or read back from any trace by replaying it), and the writers.

export { attachTelemetry, collectFromTrace, TelemetrySampler, type Telemetry, type TelemetryOptions, type TelemetryEvent, type RunMeta } from '../report/telemetry.ts';
export type { MemorySeries, MemoryRow, DomainSeries } from '../report/series.ts';
export type { SectionTable, SectionRecord, CallTable } from '../report/sections.ts';
export { renderReport, writeReport, type ReportOptions, type ReportRun } from '../report/html.ts';
export type { XlWrite, XlStream } from '../toolstack/xl/io.ts';
export { toTraceEvents, writePerfetto, type TraceEventFile, type TraceEventRecord, type ExportRun } from '../report/perfetto.ts';
