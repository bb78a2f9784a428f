import type { TelegramClient } from 'telegram';
import { afterEach } from 'vitest';
import type { Gateway, GatewayOptions } from '../../src/gateway.js';
import { type ConnectionClass, connectClient, startGateway } from './helpers.js';

/** Per-test gateways and clients, torn down after each test. */
export function useFixture() {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });
  return {
    async gateway(options: Partial<GatewayOptions> = {}) {
      const started = await startGateway(options);
      cleanup.push(() => started.gw.stop());
      return started;
    },
    async client(gw: Gateway, connection?: ConnectionClass, session?: string): Promise<TelegramClient> {
      const c = await connectClient(gw, connection, session);
      cleanup.push(() => c.destroy());
      return c;
    },
    defer(fn: () => Promise<unknown>) {
      cleanup.push(fn);
    },
  };
}
