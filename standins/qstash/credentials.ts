/**
 * QStash's published local-development credentials (user 1 of the official
 * dev server). Reusing them lets the official `@upstash/qstash` Client and
 * Receiver talk to this dev server unchanged, including `devMode: true`.
 * They guard nothing: never use them outside a developer machine or CI.
 */
export const DEV_QSTASH_TOKEN =
  "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=";
export const DEV_QSTASH_CURRENT_SIGNING_KEY =
  "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r";
export const DEV_QSTASH_NEXT_SIGNING_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs";
