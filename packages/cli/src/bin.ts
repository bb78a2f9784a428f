#!/usr/bin/env node
/** The `pm` command of the installed package (built JavaScript; inside the workspace bin/pm.js runs the sources). */
import { runCli } from './main.js';

process.exitCode = await runCli(process.argv.slice(2));
