/** The credentials of a bot login (api id, api hash, bot token), checked before any network call. */
import { describeValue, InvalidInputError } from '../errors.js';

const TOKEN_RE = /^\d{1,20}:[A-Za-z0-9_-]{10,}$/;

export class InvalidBotTokenError extends InvalidInputError {
  constructor() {
    // The token itself is never repeated back: it is a secret.
    super(
      'INVALID_BOT_TOKEN',
      '<redacted>',
      'Invalid bot token: expected "<bot id>:<secret>" as @BotFather gives it',
    );
  }
}

export class InvalidApiIdError extends InvalidInputError {
  constructor(value: unknown) {
    super(
      'INVALID_API_ID',
      describeValue(value),
      `Invalid api id ${describeValue(value)}: a positive integer from my.telegram.org`,
    );
  }
}

/** Checks the credentials' form before any network call. */
export function validateCredentials(
  apiId: unknown,
  apiHash: unknown,
  token: unknown,
): { apiId: number; apiHash: string; token: string } {
  const id = typeof apiId === 'string' && /^\d{1,10}$/.test(apiId) ? Number(apiId) : apiId;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new InvalidApiIdError(apiId);
  if (typeof apiHash !== 'string' || !/^[0-9a-fA-F]{32}$/.test(apiHash)) {
    throw new InvalidInputError(
      'INVALID_API_HASH',
      '<redacted>',
      'Invalid api hash: expected 32 hex characters from my.telegram.org',
    );
  }
  if (typeof token !== 'string' || !TOKEN_RE.test(token.trim())) throw new InvalidBotTokenError();
  return { apiId: id, apiHash, token: token.trim() };
}
