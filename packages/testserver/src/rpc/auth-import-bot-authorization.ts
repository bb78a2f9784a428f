import { RpcError } from '../backend.js';
import { Api } from '../tl.js';
import { renderSelf } from '../world/render.js';
import { publicMethod } from './method.js';

const TOKEN_RE = /^(\d{1,20}):([A-Za-z0-9_-]{1,64})$/;

/**
 * auth.importBotAuthorization: a token `<botId>:<secret>` binds the caller's auth key to the bot. A wrong
 * token is 400 ACCESS_TOKEN_INVALID: core.telegram.org/method/auth.importBotAuthorization lists it as a 400
 * (the auth key is fine, the token is not; 401 is for keys that are not logged in).
 */
export const authImportBotAuthorization = publicMethod(Api.auth.ImportBotAuthorization, (req, ctx) => {
  const m = TOKEN_RE.exec(req.botAuthToken);
  const bot = m ? ctx.world.user(BigInt(m[1]!)) : undefined;
  if (!m || !bot?.account || bot.deleted || bot.account.secret !== m[2]) {
    throw new RpcError(400, 'ACCESS_TOKEN_INVALID');
  }
  ctx.world.bindAuthKey(ctx.call.authKeyId, bot);
  return new Api.auth.Authorization({ user: renderSelf(ctx.world, bot) });
});
