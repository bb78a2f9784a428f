// What require('@pm/core') loads on a Node without require(esm) (before 20.19): a clear message, not a stack.
throw new Error(
  '@pm/core is an ES module. Load it with import (import { … } from "@pm/core") or await import("@pm/core"), ' +
    'or run Node >= 20.19, where require() loads ES modules. This is Node ' +
    process.version +
    '.',
);
