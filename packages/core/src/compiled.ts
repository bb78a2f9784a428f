/**
 * Code pm builds from strings (`new Function`) for its hottest paths, where a generic loop ran several times slower.
 * A runtime may refuse such code (`node --disallow-code-generation-from-strings`, a policy of hardened hosts): then
 * `compiled` answers undefined and the caller uses its generic version, slower but the same in what it does.
 */
export function compiled<T>(build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    if (error instanceof EvalError) return undefined;
    throw error;
  }
}
