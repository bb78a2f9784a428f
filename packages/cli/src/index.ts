export { CommandFailed, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
export { displayName, renderTable } from './format.js';
export { GLOBAL_DEFAULTS, type GlobalOptions, parseServer, parseStorage } from './global-options.js';
export { type CliIo, processIo, toJson } from './io.js';
export { runCli } from './main.js';
export { buildProgram } from './program.js';
export { prompt } from './prompt.js';
