#!/usr/bin/env node
// `pm-testserver` inside the workspace: runs the TypeScript sources through tsx (no build step). The published
// package's bin is dist/cli.js, built JavaScript.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
