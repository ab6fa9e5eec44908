// `xen-memsim/report`: what the HTML report and the Perfetto export draw (telemetry, recorded live
// on a scheduled world or read back from any trace by replaying it), and the writers.

export { attachTelemetry, collectFromTrace, TelemetrySampler, type Telemetry, type TelemetryOptions, type TelemetryEvent } from '../report/telemetry.ts';
export { renderReport, writeReport, type ReportOptions } from '../report/html.ts';
export { toTraceEvents, writePerfetto, type TraceEventFile, type ExportRun } from '../report/perfetto.ts';
