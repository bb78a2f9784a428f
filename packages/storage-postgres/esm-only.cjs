// What require('@pm/storage-postgres') loads on a Node without require(esm) (before 20.19): a clear message, not a stack.
throw new Error(
  '@pm/storage-postgres is an ES module. Load it with import (import { … } from "@pm/storage-postgres") or await import("@pm/storage-postgres"), ' +
    'or run Node >= 20.19, where require() loads ES modules. This is Node ' +
    process.version +
    '.',
);
