/** Conversions between SQLite values (read with safeIntegers: every INTEGER is a bigint) and project types. */

export const toFlag = (value: boolean | null): 0 | 1 | null => (value === null ? null : value ? 1 : 0);
export const toTime = (value: bigint | null): number | null => (value === null ? null : Number(value));

/** Usernames cannot contain spaces, so a space-separated list is unambiguous; '' is the empty list. */
export const joinUsernames = (usernames: readonly string[]): string => usernames.join(' ');
export const splitUsernames = (value: string | null): string[] => (value ? value.split(' ') : []);
