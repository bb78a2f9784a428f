import { Api, toBigint } from '../tl.js';
import { botAnswerCallback } from '../world/callback-queries.js';
import { botMethod } from './method.js';

/** messages.setBotCallbackAnswer: the answer a user sees after pressing a callback button (once per query). */
export const messagesSetBotCallbackAnswer = botMethod(
  Api.messages.SetBotCallbackAnswer,
  (req, ctx) => {
    botAnswerCallback(ctx.bot, toBigint(req.queryId), {
      alert: Boolean(req.alert),
      cacheTime: req.cacheTime,
      ...(req.message ? { text: req.message } : {}),
      ...(req.url ? { url: req.url } : {}),
    });
    return true;
  },
  { floodable: false },
);
