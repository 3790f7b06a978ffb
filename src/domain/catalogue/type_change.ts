import { z } from "zod";
import type { NotificationType } from "./catalogue.ts";
import { WEEKDAYS } from "../time/weekday.ts";

/**
 * What of a type decides who gets it when: its defaults and whether it is
 * critical. A catalogue change is this before and after (null: the type did
 * not exist, or no longer does); the retype walk moves the users it moves.
 */
const typeShapeSchema = z.object({
  enabled: z.boolean(),
  times: z.array(z.string()),
  days: z.array(z.enum(WEEKDAYS)),
  critical: z.boolean(),
});

export const typeChangeSchema = z.object({
  type: z.string(),
  before: typeShapeSchema.nullable(),
  after: typeShapeSchema.nullable(),
});

export type TypeShape = z.output<typeof typeShapeSchema>;
export type TypeChange = z.output<typeof typeChangeSchema>;

export function shapeOf(type: NotificationType | null): TypeShape | null {
  return type === null ? null : {
    enabled: type.enabled,
    times: [...type.times],
    days: [...type.days],
    critical: type.critical,
  };
}

/**
 * Whether a change can move any user's schedules: a type that appears or
 * goes (even one off by default may be on for users whose choices about an
 * earlier type of that id were kept), or changes its defaults or its
 * criticality. Labels, templates, severity and webhooks move nobody.
 */
export function movesAnyone(change: TypeChange): boolean {
  const { before, after } = change;
  if (before === null || after === null) return true;
  return before.enabled !== after.enabled ||
    before.critical !== after.critical ||
    before.times.join() !== after.times.join() ||
    before.days.join() !== after.days.join();
}
