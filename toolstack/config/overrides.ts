// `xl create CFG key=value ...`: how xl joins command-line settings to the file
// (xl_vmcontrol.c main_create + create_domain). Each argument containing `=` is appended with
// a newline to `extra_config`; create_domain then appends "\n" + extra_config + "\n" to the
// file's bytes and parses the whole buffer under the file's name. So overrides are reported
// with the file's name and with line numbers continuing past the file's last line (plus one
// for the separating newline), they win over the file by "last setting wins", and they also
// terminate a file whose last line lacks a newline.

/** True for the arguments xl treats as overrides (`strchr(arg, '=')`). */
export function isOverrideArgument(arg: string): boolean {
  return arg.includes('=');
}

/**
 * The buffer xl parses for `xl create` with `overrides` (each a `key=value` argument, in order).
 * Without overrides the file text is returned unchanged, as xl only appends when extra_config
 * is non-empty.
 */
export function withOverrides(fileText: string, overrides: readonly string[]): string {
  if (overrides.length === 0) return fileText;
  const extraConfig = overrides.map((arg) => `${arg}\n`).join('');
  return `${fileText}\n${extraConfig}\n`;
}
