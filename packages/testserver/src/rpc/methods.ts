import { authImportBotAuthorization } from './auth-import-bot-authorization.js';
import { authLogOut } from './auth-log-out.js';
import { botsGetBotCommands, botsResetBotCommands, botsSetBotCommands } from './bots-commands.js';
import { channelsGetChannels } from './channels-get-channels.js';
import { contactsResolveUsername } from './contacts-resolve-username.js';
import { helpGetConfig } from './help-get-config.js';
import { helpGetNearestDc } from './help-get-nearest-dc.js';
import { messagesDeleteMessages } from './messages-delete-messages.js';
import { messagesEditMessage } from './messages-edit-message.js';
import { messagesGetChats } from './messages-get-chats.js';
import { messagesGetMessages } from './messages-get-messages.js';
import { messagesHideChatJoinRequest } from './messages-hide-chat-join-request.js';
import { messagesSendMessage } from './messages-send-message.js';
import { messagesSetBotCallbackAnswer } from './messages-set-bot-callback-answer.js';
import { messagesSetTyping } from './messages-set-typing.js';
import type { Method } from './method.js';
import { updatesGetChannelDifference } from './updates-get-channel-difference.js';
import { updatesGetDifference } from './updates-get-difference.js';
import { updatesGetState } from './updates-get-state.js';
import { usersGetFullUser } from './users-get-full-user.js';
import { usersGetUsers } from './users-get-users.js';

/** Every emulated method. */
export const METHODS: readonly Method[] = [
  helpGetConfig,
  helpGetNearestDc,
  authImportBotAuthorization,
  authLogOut,
  usersGetUsers,
  usersGetFullUser,
  contactsResolveUsername,
  messagesSendMessage,
  messagesSetTyping,
  messagesEditMessage,
  messagesDeleteMessages,
  messagesSetBotCallbackAnswer,
  messagesGetMessages,
  messagesGetChats,
  channelsGetChannels,
  messagesHideChatJoinRequest,
  updatesGetState,
  updatesGetDifference,
  updatesGetChannelDifference,
  botsSetBotCommands,
  botsGetBotCommands,
  botsResetBotCommands,
];
