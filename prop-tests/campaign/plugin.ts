// The race campaign as a plugin: importing this module registers the campaign's actor kinds
// (mini-builder, poke, guest-poke, offliner) and its property monitors with the kernel's registry
// (sim/registry.ts), as a user's plugin module registers its own.

import './actors.ts';
import './monitors.ts';
import './claim-monitors.ts';
import './result-monitors.ts';
import './build-monitors.ts';
import './offline.ts';
import './squeeze.ts';
