// The CLI's exit codes, documented in `--help` and the README. A module of its own so that the
// CLI knows them without loading what the commands load (the SDK, the sources).

export const EXIT_OK = 0;
/** Invalid configuration or flags. */
export const EXIT_CONFIG = 2;
/** No source produced data (`--once`), or the SMC is not there (`smc dump`). */
export const EXIT_NO_DATA = 3;
