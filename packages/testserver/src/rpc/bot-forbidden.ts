/**
 * Methods Telegram refuses to bots with 400 BOT_METHOD_INVALID (user-only API). Listed so a bot library that
 * calls one by mistake sees what it would see in production rather than "not emulated".
 */
export const BOT_FORBIDDEN_METHODS: ReadonlySet<string> = new Set([
  'messages.GetDialogs',
  'messages.GetHistory',
  'messages.Search',
  'messages.SearchGlobal',
  'messages.GetAllChats',
  'messages.ReadHistory',
  'channels.ReadHistory',
  'contacts.GetContacts',
  'contacts.Search',
  'contacts.ImportContacts',
  'contacts.Block',
  'contacts.Unblock',
  'account.GetPassword',
  'account.UpdateProfile',
  'account.CheckUsername',
  'account.UpdateUsername',
  'auth.SendCode',
  'auth.SignIn',
  'auth.ExportLoginToken',
]);
