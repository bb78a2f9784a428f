// What require('@pm/cli') loads on a Node without require(esm) (before 20.19): a clear message, not a stack.
throw new Error(
  '@pm/cli is an ES module. Load it with import (import { … } from "@pm/cli") or await import("@pm/cli"), ' +
    'or run Node >= 20.19, where require() loads ES modules. This is Node ' +
    process.version +
    '.',
);
