import { Api } from '../tl.js';
import { publicMethod } from './method.js';

/** DC ids GramJS may ask for; every one points back at this server. */
const DC_IDS = [1, 2, 3, 4, 5];

/** The DC the server claims to be (GramJS's default session DC). */
export const THIS_DC = 2;

/** help.getConfig: Telegram's usual limits, and every DC at this server's own address. */
export const helpGetConfig = publicMethod(Api.help.GetConfig, (_req, ctx) => {
  const date = ctx.world.date();
  return new Api.Config({
    date,
    expires: date + 3600,
    testMode: false,
    thisDc: THIS_DC,
    dcOptions: DC_IDS.map(
      (id) => new Api.DcOption({ id, ipAddress: ctx.server.host, port: ctx.server.port }),
    ),
    dcTxtDomainName: 'apv3.stel.com',
    chatSizeMax: 200,
    megagroupSizeMax: 200_000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210_000,
    offlineBlurTimeoutMs: 5000,
    offlineIdleTimeoutMs: 30_000,
    onlineCloudTimeoutMs: 300_000,
    notifyCloudDelayMs: 30_000,
    notifyDefaultDelayMs: 1500,
    pushChatPeriodMs: 60_000,
    pushChatLimit: 2,
    editTimeLimit: 172_800,
    revokeTimeLimit: 2_147_483_647,
    revokePmTimeLimit: 2_147_483_647,
    ratingEDecay: 2_419_200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604_800,
    callReceiveTimeoutMs: 20_000,
    callRingTimeoutMs: 90_000,
    callConnectTimeoutMs: 30_000,
    callPacketTimeoutMs: 10_000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: 4,
  });
});
