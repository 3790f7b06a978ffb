import { digestRuleSchema } from "../delivery/digest.ts";
import { z } from "zod";
import type { NotificationType } from "./catalogue.ts";
import { SEVERITIES } from "../delivery/notification.ts";
import { daysSchema, timesSchema } from "../preferences/preferences_schema.ts";
import { unknownPlaceholders } from "../delivery/template.ts";
import { WEEKDAYS } from "../time/weekday.ts";
import { PUSH_POLICIES } from "../push/push_policy.ts";

/**
 * How an operator defines a notification type (`/v1/types`): the fields
 * today's catalogue entries have (`id`, `label`, `enabled`, `times`,
 * `days`, `template: {title, body}`) plus `description`, `severity`,
 * `webhook`, `critical` and `channels` (`{push: "off" | "offline" |
 * "always"}`, domain/push/push_policy.ts). Times and days follow the same rules as a
 * user's; templates may only name placeholders an occurrence can fill.
 */

/** Letters and digits: an id becomes part of QStash schedule ids. */
const TYPE_ID = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

export const typeIdSchema = z.string().regex(TYPE_ID, {
  error: (issue) =>
    `Type id ${
      JSON.stringify(issue.input)
    } must start with a letter and hold only letters and digits (at most 64)`,
});

function template(max: number) {
  return z.string().max(max).superRefine((text, ctx) => {
    for (const name of unknownPlaceholders(text)) {
      ctx.addIssue({
        code: "custom",
        input: text,
        message: `Unknown placeholder "{{${name}}}"; use {{localDate}}, ` +
          "{{localTime}}, {{weekday}}, {{timezone}}, {{userId}}, {{label}} " +
          "or {{data.<key>}} for what the content webhook answers",
      });
    }
  });
}

const fields = {
  label: z.string().trim().min(1).max(100),
  description: z.string().max(500),
  enabled: z.boolean(),
  times: timesSchema,
  days: daysSchema,
  template: z.strictObject({
    title: template(200).pipe(z.string().min(1, "A title is required")),
    body: template(2000).default(""),
  }),
  severity: z.enum(SEVERITIES),
  webhook: z.url({ protocol: /^https?$/ }).nullable(),
  critical: z.boolean(),
  channels: z.strictObject({ push: z.enum(PUSH_POLICIES) }),
  digest: digestRuleSchema.nullable(),
};

/** What a definition leaves out takes these defaults. */
const definitionShape = {
  label: fields.label,
  description: fields.description.default(""),
  enabled: fields.enabled.default(true),
  times: fields.times,
  days: fields.days.default([...WEEKDAYS]),
  template: fields.template,
  severity: fields.severity.default("medium"),
  webhook: fields.webhook.default(null),
  critical: fields.critical.default(false),
  channels: fields.channels.default({ push: "off" }),
  digest: fields.digest.default(null),
};

/** A whole definition: `PUT /v1/types/{id}`. */
export const typeDefinitionSchema = z.strictObject(definitionShape)
  .superRefine(criticalIsOn);

/** `POST /v1/types`: a definition with its id. */
export const typeCreateSchema = z.strictObject({
  id: typeIdSchema,
  ...definitionShape,
}).superRefine(criticalIsOn);

/** `PATCH /v1/types/{id}`: any fields; the id never changes. */
export const typePatchSchema = z.strictObject({
  label: fields.label.optional(),
  description: fields.description.optional(),
  enabled: fields.enabled.optional(),
  times: fields.times.optional(),
  days: fields.days.optional(),
  template: fields.template.optional(),
  severity: fields.severity.optional(),
  webhook: fields.webhook.optional(),
  critical: fields.critical.optional(),
  channels: fields.channels.optional(),
  digest: fields.digest.optional(),
});

export type TypeDefinition = z.output<typeof typeDefinitionSchema>;
export type TypePatch = z.output<typeof typePatchSchema>;

function criticalIsOn(
  t: { enabled: boolean; critical: boolean },
  ctx: z.RefinementCtx,
) {
  if (t.critical && !t.enabled) {
    ctx.addIssue({
      code: "custom",
      path: ["enabled"],
      message: "A critical type is on for everyone: it cannot be off",
    });
  }
}

/**
 * A type's definition: everything but its id, field by field (a stored
 * type's version and times are not part of it).
 */
export function definitionOf(type: NotificationType): TypeDefinition {
  return {
    label: type.label,
    description: type.description,
    enabled: type.enabled,
    times: type.times,
    days: type.days,
    template: type.template,
    severity: type.severity,
    webhook: type.webhook,
    critical: type.critical,
    channels: { push: type.channels.push },
    digest: type.digest,
  };
}

/** A patch over a stored type, checked as a whole definition again. */
export function patchedType(
  current: NotificationType,
  patch: TypePatch,
): z.ZodSafeParseResult<TypeDefinition> {
  return typeDefinitionSchema.safeParse({ ...definitionOf(current), ...patch });
}
