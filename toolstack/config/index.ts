// Public surface of the xl.cfg / xl.conf parser (libxlu's config half): parse, then read.
export type { ConfigFile, ConfigList, ConfigOp, ConfigSetting, ConfigString, ConfigValue, StderrWrites } from './types.ts';
export { parseConfig, PYTHON_WARNING, type ParseResult } from './parser.ts';
export {
  findSetting, getBoundedLong, getDefbool, getList, getListAsStringList, getListItem, getLong, getString,
  type Read, type ReadError, type ReadOptions,
} from './getters.ts';
export { isOverrideArgument, withOverrides } from './overrides.ts';
export { cStrtol, LONG_MAX, LONG_MIN } from './strtol.ts';
