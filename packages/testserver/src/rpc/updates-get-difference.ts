import { Api } from '../tl.js';
import { getDifference } from '../world/difference.js';
import { botMethod } from './method.js';

/** updates.getDifference: Empty, Difference, DifferenceSlice or DifferenceTooLong from the bot's update log. */
export const updatesGetDifference = botMethod(
  Api.updates.GetDifference,
  (req, ctx) =>
    getDifference(ctx.world, ctx.bot, {
      pts: req.pts,
      qts: req.qts,
      date: req.date,
      ...(req.ptsTotalLimit !== undefined ? { ptsTotalLimit: req.ptsTotalLimit } : {}),
    }),
  { floodable: false },
);
