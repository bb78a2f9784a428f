import { describe, expect, it } from 'vitest';
import { type REASON_TEXT, reasonText, storedReasonText } from './reasons.js';

describe('reason texts', () => {
  it('has a text for every send failure reason, checked by the compiler', () => {
    // @ts-expect-error a list of texts that leaves a reason out does not compile
    const partial: typeof REASON_TEXT = { blocked: 'the user blocked the bot' };
    expect(Object.keys(partial)).toHaveLength(1);
    expect(reasonText('floodWait', 7)).toBe('Telegram asks to wait (retry after 7 s)');
  });

  it('shows a stored reason it does not know by its name', () => {
    expect(storedReasonText('blocked')).toBe('the user blocked the bot');
    expect(storedReasonText('fromTheFuture')).toBe('fromTheFuture');
    expect(storedReasonText('toString')).toBe('toString');
  });
});
