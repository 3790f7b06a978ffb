/**
 * Time, injected: the registry's heartbeats and the directory reporter's
 * delays run on this, so unit tests can move time by hand. Scheduling
 * returns its own cancel function, which keeps timer handles (a number
 * here, an object under Node's types) out of every signature.
 */
export type Cancel = () => void;

export interface Clock {
  now(): number;
  after(ms: number, fn: () => void): Cancel;
  every(ms: number, fn: () => void): Cancel;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
  every(ms, fn) {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
};
