import { installPushHandlers, type WorkerScopeLike } from "./push_worker.ts";

/**
 * Herald's service worker, served at `/client/herald-sw.js` (a classic
 * script, so an app on another origin can `importScripts()` it from a
 * worker of its own). The project type-checks against the DOM's lib, where
 * `self` is a Window; in a service worker it is the worker's global scope,
 * which `WorkerScopeLike` describes as far as the handlers use it.
 */
installPushHandlers(self as unknown as WorkerScopeLike);
