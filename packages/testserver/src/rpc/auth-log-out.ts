import { Api } from '../tl.js';
import { botMethod } from './method.js';

/** auth.logOut: the auth key stops being the bot's; later calls on it answer 401 AUTH_KEY_UNREGISTERED. */
export const authLogOut = botMethod(
  Api.auth.LogOut,
  (_req, ctx) => {
    ctx.world.unbindAuthKey(ctx.call.authKeyId);
    return new Api.auth.LoggedOut({});
  },
  { floodable: false },
);
