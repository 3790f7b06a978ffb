import type { z } from "zod";
import { badRequest } from "./api_error.ts";

/** Small readers for the parts of a request the routes share. */

/** Parses a JSON body with `schema`; any problem is QStash's 400. */
export function parseJsonBody<T>(text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest("request body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0
      ? ` at ${issue.path.join(".")}`
      : "";
    throw badRequest(`invalid request body${where}: ${issue?.message ?? ""}`);
  }
  return parsed.data;
}

/**
 * The destination in `/v2/publish/{destination}` and
 * `/v2/schedules/{destination}`. The SDK does not encode it, so its own query
 * string arrives as the request's query string and is reattached here.
 * Other clients encode it (`https%3A%2F%2F…`); both forms work.
 */
export function destinationAfter(requestUrl: string, prefix: string): string {
  const url = new URL(requestUrl);
  const rest = url.pathname.slice(prefix.length);
  if (/^https?%3A/i.test(rest)) return decodeURIComponent(rest) + url.search;
  return rest + url.search;
}

/**
 * Every value of a repeatable query parameter, or undefined if absent. Ids
 * and labels may also come comma-joined; URLs are taken whole.
 */
export function queryList(
  params: URLSearchParams,
  name: string,
  commaSeparated = true,
): string[] | undefined {
  const values = params.getAll(name)
    .flatMap((v) => commaSeparated ? v.split(",") : [v])
    .map((v) => v.trim()).filter(Boolean);
  return values.length > 0 ? values : undefined;
}

export function queryNumber(
  params: URLSearchParams,
  name: string,
): number | undefined {
  const value = params.get(name);
  if (value === null || value === "") return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) {
    throw badRequest(`invalid ${name} "${value}": not a number`);
  }
  return number;
}
