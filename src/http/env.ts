import type { AppDeps, Background } from "../deps.ts";

export type Principal =
  | { kind: "admin" }
  | { kind: "user"; userId: string; roles: string[]; topics: string[] };

export interface HonoEnv {
  Variables: {
    requestId: string;
    deps: AppDeps;
    principal: Principal;
    background: Background;
  };
}
