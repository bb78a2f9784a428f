import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';

describe('describeError', () => {
  it("writes control characters in another library's first line as escapes", () => {
    // A path with an escape sequence, named by a library pm does not wrap, reached the terminal raw.
    const error = new Error('unable to open /tmp/a\u001b[2Jb.db\n    at deep inside');
    expect(describeError(error, false)).toBe('unable to open /tmp/a\\u001b[2Jb.db');
  });
});
