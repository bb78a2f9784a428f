import { NetworkError, PmError } from '../errors.js';
import { translateRpcError } from '../rpc-errors.js';
import { redactSecrets } from '../secrets.js';
import { GramFloodWaitError, RPCError, SlowModeWaitError } from './tl.js';

export { NetworkError };

/** Turns whatever GramJS threw into a PmError: RPC errors by name (one place), the rest as NetworkError. */
export function toPmError(e: unknown, method: string): PmError {
  if (e instanceof PmError) return e;
  if (e instanceof GramFloodWaitError || e instanceof SlowModeWaitError) {
    const seconds = (e as { seconds: number }).seconds;
    return translateRpcError(
      420,
      `${e instanceof SlowModeWaitError ? 'SLOWMODE' : 'FLOOD'}_WAIT_${seconds}`,
      method,
    );
  }
  if (e instanceof RPCError) {
    return translateRpcError(e.code ?? 400, e.errorMessage ?? 'UNKNOWN', method);
  }
  return new NetworkError(method, redactSecrets(e instanceof Error ? e.message : String(e)));
}

/** Runs one GramJS call and rethrows its failure as a typed PmError. */
export async function callRpc<T>(method: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toPmError(e, method);
  }
}
