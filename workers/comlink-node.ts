// comlink on Node worker_threads, typed. The UMD node adapter sets module.exports = nodeEndpoint
// while its .d.ts declares `export default`, so under NodeNext TypeScript types the default
// import as { default }; normalise at runtime. (The ESM build, comlink/dist/esm/node-adapter.mjs,
// has no .d.mts and would be an untyped import.)

import Comlink from 'comlink';
import nodeEndpointModule from 'comlink/dist/umd/node-adapter.js';

type NodeEndpointFn = typeof nodeEndpointModule.default;

export const nodeEndpoint: NodeEndpointFn =
  typeof nodeEndpointModule === 'function' ? (nodeEndpointModule as unknown as NodeEndpointFn) : nodeEndpointModule.default;

export { Comlink };
