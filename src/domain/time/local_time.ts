/**
 * A local wall-clock time "HH:MM", 00:00–23:59. Two digits each so that
 * string order is time order, which keeps sorting and ids trivial.
 */
export const LOCAL_TIME_PATTERN = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

export function isLocalTime(value: string): boolean {
  return LOCAL_TIME_PATTERN.test(value);
}

/** Splits a valid "HH:MM" into numbers; throws on anything else (a programming error). */
export function hourAndMinute(
  localTime: string,
): { hour: number; minute: number } {
  if (!isLocalTime(localTime)) {
    throw new RangeError(`Local time "${localTime}" is not HH:MM`);
  }
  return {
    hour: Number(localTime.slice(0, 2)),
    minute: Number(localTime.slice(3, 5)),
  };
}
