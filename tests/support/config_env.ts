/** The smallest environment `parseConfig()` accepts, for unit tests. */
export const VALID_ENV = {
  API_KEY: "k".repeat(24),
  JWT_SECRET: "s".repeat(40),
  PUBLIC_URL: "https://herald.example/",
  LIBSQL_URL: "libsql://db.example",
  QSTASH_TOKEN: "token",
  QSTASH_CURRENT_SIGNING_KEY: "sig_current",
  QSTASH_NEXT_SIGNING_KEY: "sig_next",
};
