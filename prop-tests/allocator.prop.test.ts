// Model-based test: the hypervisor against the counter model of the claim rules
// (prop-tests/model.ts), for every Xen version, with the invariant checker after every critical
// section of every hypercall (commands drive begin/step) and, on 4.22, the "claims are backed by
// free memory" promise after every section too.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Hypervisor, XEN_VERSIONS } from '../hv/index.ts';
import { allCommands, bootGuests, makeReal } from './commands.ts';
import { newModel } from './model.ts';
import { pinnedSeed } from './setup.ts';

/** Sequences of up to 40 hypercalls, biased towards long ones. */
const COMMANDS = { maxCommands: 40, size: '+1' } as const;

describe(`allocator vs claim model (seed: ${pinnedSeed})`, () => {
  test.each(XEN_VERSIONS.map((v) => [v] as const))('on %s every command sequence agrees with the model', (version) => {
    fc.assert(
      fc.property(fc.commands(allCommands, COMMANDS), (cmds) => {
        // A short preemption slice makes long populates go through continuations.
        const hv = new Hypervisor({ memoryMiB: 16, xen: version, costs: { preemptSliceNs: 20_000 } });
        const real = makeReal(hv, version === '4.22');
        const model = newModel(version, hv.heap.totalAvailPages);
        bootGuests(model, real);
        fc.modelRun(() => ({ model, real }), cmds);
      }),
    );
  });

  test('the model and commands detect a wrong claim rule: a hypervisor with B2 injected disagrees on 4.22', () => {
    // Guard against a vacuous model: the same property must fail when the hypervisor misbehaves.
    const run = (): void =>
      fc.assert(
        fc.property(fc.commands(allCommands, COMMANDS), (cmds) => {
          const hv = new Hypervisor({ memoryMiB: 16, xen: '4.22', inject: ['B2'] });
          const real = makeReal(hv, false);
          const model = newModel('4.22', hv.heap.totalAvailPages);
          bootGuests(model, real);
          fc.modelRun(() => ({ model, real }), cmds);
        }),
        { verbose: 0 },
      );
    // The shrunk counterexample is B2's trace: a free while a claim is active.
    expect(run).toThrow(/Counterexample: \[.*claim\[d\d+,\d+\].*decrease\[d\d+,\d+\]/);
  });
});
