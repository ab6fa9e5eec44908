// Test plugin: two actor kinds in one module (a scenario must say which one in "kind").
import { defineActor } from '../../sim/define.ts';

export const idler = defineActor({ name: 'idler', run: async (port) => port.sleep(1_000_000) });
export const noter = defineActor({ name: 'noter', run: async (port, params) => port.note(`noter: ${String(params.text ?? '')}`) });
