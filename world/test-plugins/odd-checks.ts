// Test plugin: checks that misbehave once a guest exists — one throws, one answers false, one
// answers a message far longer than a trace keeps.
import { defineProperty } from '../../sim/define.ts';

export const throwsCheck = defineProperty({ name: 'throws-check', check: (v) => (v.domains().length > 1 ? JSON.parse('{') : undefined) });
export const falseCheck = defineProperty({ name: 'false-check', check: (v) => (v.domains().length > 1 ? (false as never) : undefined) });
export const longBreach = defineProperty({ name: 'long-breach', check: (v) => (v.domains().length > 1 ? 'x'.repeat(5000) : undefined) });
