import { HTMLParser } from 'telegram/extensions/html.js';
import { MarkdownParser } from 'telegram/extensions/markdown.js';
import { Api } from './tl.js';

/** Formatted text ready for messages.sendMessage; `entities` stay opaque outside gram/. */
export interface FormattedText {
  readonly text: string;
  readonly entities: readonly unknown[];
}

export type ParseMode = 'html' | 'markdown';

/** Parses HTML or Markdown into plain text plus entities, with GramJS's own parsers. */
export function formatText(text: string, mode: ParseMode | undefined): FormattedText {
  if (!mode) return { text, entities: [] };
  const [plain, entities] = mode === 'html' ? HTMLParser.parse(text) : MarkdownParser.parse(text);
  return { text: plain, entities };
}

/** An inline keyboard button: a link or a callback with data. */
export type InlineButton =
  | { readonly text: string; readonly url: string }
  | { readonly text: string; readonly data: string };

export function inlineKeyboard(rows: readonly (readonly InlineButton[])[]): Api.ReplyInlineMarkup {
  return new Api.ReplyInlineMarkup({
    rows: rows.map(
      (row) =>
        new Api.KeyboardButtonRow({
          buttons: row.map((b) =>
            'url' in b
              ? new Api.KeyboardButtonUrl({ text: b.text, url: b.url })
              : new Api.KeyboardButtonCallback({ text: b.text, data: Buffer.from(b.data, 'utf8') }),
          ),
        }),
    ),
  });
}
