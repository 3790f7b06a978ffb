import type { DlqFilter } from "./dead_letters.ts";
import type { MessageFilter } from "./message_queue.ts";
import { queryList, queryNumber } from "./request_parsing.ts";

/**
 * The filters the SDK's bulk calls put in the query string (repeated
 * `messageIds=`/`dlqIds=`, `url`, `label`, dates, …). No filter at all
 * selects everything, which is what `{ all: true }` sends.
 */
export function messageFilterFrom(params: URLSearchParams): MessageFilter {
  const filter: MessageFilter = {};
  for (const name of ["messageIds", "label", "scheduleId"] as const) {
    const values = queryList(params, name);
    if (values) filter[name] = values;
  }
  const url = queryList(params, "url", false);
  if (url) filter.url = url;
  const fromDate = queryNumber(params, "fromDate");
  if (fromDate !== undefined) filter.fromDate = fromDate;
  const toDate = queryNumber(params, "toDate");
  if (toDate !== undefined) filter.toDate = toDate;
  return filter;
}

export function dlqFilterFrom(params: URLSearchParams): DlqFilter {
  const filter: DlqFilter = messageFilterFrom(params);
  const dlqIds = queryList(params, "dlqIds");
  if (dlqIds) filter.dlqIds = dlqIds;
  const messageId = queryList(params, "messageId");
  if (messageId) filter.messageIds = messageId;
  const responseStatus = queryNumber(params, "responseStatus");
  if (responseStatus !== undefined) filter.responseStatus = responseStatus;
  return filter;
}
