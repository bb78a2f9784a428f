// What require('@pm/testserver') loads on a Node without require(esm) (before 20.19): a clear message, not a stack.
throw new Error(
  '@pm/testserver is an ES module. Load it with import (import { … } from "@pm/testserver") or await import("@pm/testserver"), ' +
    'or run Node >= 20.19, where require() loads ES modules. This is Node ' +
    process.version +
    '.',
);
