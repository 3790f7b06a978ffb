import type { ServiceContext } from "../../context.ts";
import { z } from "zod";
import { renderTemplate } from "../../domain/delivery/template.ts";
import { WebhookError } from "../../ports/webhook_client.ts";
import type { DueOccurrence } from "../../domain/delivery/due_occurrence.ts";

/**
 * What a content webhook may answer: data for the type's templates
 * (`{{data.key}}`), and a title or body of its own to use instead of them.
 */
const webhookReply = z.object({
  title: z.string().min(1).max(200).optional(),
  body: z.string().max(4000).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export interface Content {
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/**
 * The type's templates, filled in; with the host app's content webhook
 * first when the type names one (its data fills `{{data.key}}`, its own
 * title or body wins). A webhook that fails, times out or answers nonsense
 * leaves the templates alone, with nothing for `{{data.…}}`.
 */
export async function renderContent({ ctx, due }: {
  ctx: ServiceContext;
  due: DueOccurrence;
}): Promise<Content> {
  const { occurrence: o, prefs, type } = due;
  let reply: z.output<typeof webhookReply> = {};
  if (type.webhook) {
    try {
      reply = webhookReply.parse(
        await ctx.webhooks.post(type.webhook, {
          userId: o.userId,
          type: o.type,
          occurrence: {
            localDate: o.localDate,
            localTime: o.localTime,
            timezone: prefs.timezone,
          },
        }, ctx.config.contentWebhookTimeoutMs),
      );
    } catch (error) {
      ctx.log.warn("content.fallback", {
        type: o.type,
        // Our own messages only: a zod error could quote the reply.
        reason: error instanceof WebhookError ? error.message : "invalid reply",
      });
    }
  }
  const data = reply.data ?? {};
  const vars = {
    localDate: o.localDate,
    localTime: o.localTime,
    weekday: due.weekday,
    timezone: prefs.timezone,
    userId: o.userId,
    label: type.label,
  };
  return {
    title: reply.title ?? renderTemplate(type.template.title, vars, data),
    body: reply.body ?? renderTemplate(type.template.body, vars, data),
    data,
  };
}
