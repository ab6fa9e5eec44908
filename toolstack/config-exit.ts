// xl's `fprintf(stderr, …); exit(EXIT_FAILURE)` inside parse_config_data and its helpers: thrown
// with the exact text, caught once by parseDomainConfig, which ends the command with status 1.

export class ConfigExit {
  constructor(readonly message: string) {}
}
