/**
 * What the stand-ins share: faults a test, benchmark or demo can inject
 * (failures, delays, outages), the HTTP routes that set them, and the
 * server that goes down and comes back without letting go of its port.
 */
export { type FaultControl, Faults } from "./fault_controls.ts";
export { faultRoutes } from "./fault_routes.ts";
export { SwitchableServer } from "./switchable_server.ts";
export { cliOptionsOrExit } from "./cli_flags.ts";
