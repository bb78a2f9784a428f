import { Api } from '../tl.js';
import { currentState } from '../world/difference.js';
import { botMethod } from './method.js';

/** updates.getState: also GramJS's "am I logged in?" probe (401 AUTH_KEY_UNREGISTERED when not). */
export const updatesGetState = botMethod(
  Api.updates.GetState,
  (_req, ctx) => currentState(ctx.world, ctx.bot),
  {
    floodable: false,
  },
);
