// Node built-ins the browser bundle must not need (node:readline: the terminal's line editing is
// xterm's there): importing is harmless, calling says where it happened.

function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser playground`);
}

export const createInterface = (): never => unavailable('readline.createInterface');
export default {};
