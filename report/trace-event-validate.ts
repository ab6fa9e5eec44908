// A validator for Chrome trace-event JSON (the Trace Event Format's JSON Array and JSON Object
// forms), strict about what Perfetto and chrome://tracing rely on: required fields per phase,
// numeric ts/dur >= 0, integer pid/tid, metadata naming every process and thread used, complete
// events properly nested per thread, and — a rule of this project's export — every complete
// event inside its run (the one X event of category "run" of its process).

type Ev = Record<string, unknown>;

const PHASES = new Set(['X', 'B', 'E', 'i', 'I', 'C', 'M']);
const METADATA_NAMES = new Set(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index', 'process_labels']);
/** Slack for comparing µs computed from ns (floating point). */
const EPS = 1e-6;

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** Field checks of one event; `where` prefixes each problem. */
function checkFields(e: Ev, where: string): string[] {
  const bad: string[] = [];
  const ph = e.ph;
  if (typeof ph !== 'string' || !PHASES.has(ph)) return [`${where}: unknown or missing ph ${JSON.stringify(ph)}`];
  if (typeof e.name !== 'string' || e.name === '') bad.push(`${where}: ph ${ph} needs a name`);
  if (!isInt(e.pid)) bad.push(`${where}: pid must be an integer`);
  if (ph !== 'C' && ph !== 'M' && !isInt(e.tid)) bad.push(`${where}: tid must be an integer`);
  if (e.tid !== undefined && !isInt(e.tid)) bad.push(`${where}: tid must be an integer`);
  if (ph !== 'M' && !isTime(e.ts)) bad.push(`${where}: ts must be a number >= 0`);
  if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null || Array.isArray(e.args))) bad.push(`${where}: args must be an object`);
  const args = (e.args ?? {}) as Ev;
  switch (ph) {
    case 'X':
      if (!isTime(e.dur)) bad.push(`${where}: complete event needs dur >= 0`);
      break;
    case 'i':
    case 'I':
      if (e.s !== undefined && !['g', 'p', 't'].includes(e.s as string)) bad.push(`${where}: instant scope s must be g, p or t`);
      break;
    case 'C':
      if (e.args === undefined || Object.keys(args).length === 0) bad.push(`${where}: counter needs args`);
      for (const [k, v] of Object.entries(args)) if (typeof v !== 'number' || !Number.isFinite(v)) bad.push(`${where}: counter value ${k} is not a number`);
      break;
    case 'M':
      if (!METADATA_NAMES.has(e.name as string)) bad.push(`${where}: unknown metadata ${String(e.name)}`);
      if ((e.name === 'process_name' || e.name === 'thread_name') && typeof args.name !== 'string') bad.push(`${where}: ${String(e.name)} needs args.name`);
      if ((e.name === 'process_sort_index' || e.name === 'thread_sort_index') && !isInt(args.sort_index)) bad.push(`${where}: ${String(e.name)} needs an integer args.sort_index`);
      if (e.name === 'thread_name' && !isInt(e.tid)) bad.push(`${where}: thread_name needs a tid`);
      break;
  }
  return bad;
}

/** Complete events of one thread must nest: none may end inside another and start before it. */
function checkNesting(xs: Ev[], thread: string): string[] {
  const sorted = [...xs].sort((a, b) => (a.ts as number) - (b.ts as number) || (b.dur as number) - (a.dur as number));
  const stack: Ev[] = [];
  for (const e of sorted) {
    const ts = e.ts as number;
    while (stack.length > 0 && (stack.at(-1)!.ts as number) + (stack.at(-1)!.dur as number) <= ts + EPS) stack.pop();
    const parent = stack.at(-1);
    if (parent !== undefined && ts + (e.dur as number) > (parent.ts as number) + (parent.dur as number) + EPS) {
      return [`thread ${thread}: "${String(e.name)}" at ${ts} overlaps "${String(parent.name)}" without nesting in it`];
    }
    stack.push(e);
  }
  return [];
}

/**
 * Validates a parsed trace-event file. @returns the problems found (empty: valid)
 */
export function validateTraceEvents(file: unknown): string[] {
  const events = Array.isArray(file) ? file : (file as { traceEvents?: unknown } | null)?.traceEvents;
  if (!Array.isArray(events)) return ['not a trace-event file: expected an array or an object with a traceEvents array'];
  const problems: string[] = [];
  const named = { process: new Set<number>(), thread: new Set<string>() };
  const used = { process: new Set<number>(), thread: new Set<string>() };
  const xsByThread = new Map<string, Ev[]>();
  const runs = new Map<number, Ev[]>();
  events.forEach((raw, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`event ${i}: not an object`);
      return;
    }
    const e = raw as Ev;
    const bad = checkFields(e, `event ${i} (${String(e.ph)} ${JSON.stringify(e.name)})`);
    problems.push(...bad);
    if (bad.length > 0) return;
    const thread = `${String(e.pid)}/${String(e.tid)}`;
    if (e.ph === 'M') {
      if (e.name === 'process_name') named.process.add(e.pid as number);
      if (e.name === 'thread_name') named.thread.add(thread);
      return;
    }
    used.process.add(e.pid as number);
    if (e.ph === 'X' || e.ph === 'B' || e.ph === 'E' || ((e.ph === 'i' || e.ph === 'I') && (e.s ?? 't') === 't')) used.thread.add(thread);
    if (e.ph === 'X') {
      xsByThread.set(thread, [...(xsByThread.get(thread) ?? []), e]);
      if (e.cat === 'run') runs.set(e.pid as number, [...(runs.get(e.pid as number) ?? []), e]);
    }
  });
  for (const pid of used.process) if (!named.process.has(pid)) problems.push(`process ${pid} has no process_name metadata`);
  for (const th of used.thread) if (!named.thread.has(th)) problems.push(`thread ${th} (pid/tid) has no thread_name metadata`);
  for (const [thread, xs] of xsByThread) {
    problems.push(...checkNesting(xs, thread));
    const pid = xs[0].pid as number;
    const run = runs.get(pid);
    if (run === undefined || run.length !== 1) {
      if (!problems.some((p) => p.startsWith(`process ${pid}: `))) problems.push(`process ${pid}: expected exactly one complete event of category "run", found ${run?.length ?? 0}`);
      continue;
    }
    const [r0, r1] = [run[0].ts as number, (run[0].ts as number) + (run[0].dur as number)];
    for (const e of xs) {
      if ((e.ts as number) < r0 - EPS || (e.ts as number) + (e.dur as number) > r1 + EPS) problems.push(`thread ${thread}: "${String(e.name)}" at ${String(e.ts)} lies outside its run [${r0}, ${r1}]`);
    }
  }
  return problems;
}
