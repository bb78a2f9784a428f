#!/usr/bin/env node
// The `pm` command inside the workspace: runs the TypeScript sources through tsx (no build step). The published
// package's bin is dist/bin.js, built JavaScript.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
