/**
 * Starts a server that has to know its own port before it binds: the
 * Worker's PUBLIC_URL names it (QStash calls back there), and nginx reads it
 * from its config. The kernel offers a port that is free at this moment; if
 * another process binds it before this start does, the start fails with
 * "address in use" and is made again on a newly offered port. A lost race
 * costs one more start, never the test. Servers that can report the port
 * they bound (`Deno.serve` with port 0) never come here.
 */
const ATTEMPTS = 20;

/** What a start throws when its port was taken first. */
export class AddressInUse extends Error {
  override name = "AddressInUse";
}

export async function startOnOfferedPort<T>(
  start: (port: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start(offeredPort());
    } catch (error) {
      if (!isAddressInUse(error) || attempt === ATTEMPTS) throw error;
    }
  }
}

function offeredPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Deno's own error, ours, or Miniflare's `ERR_ADDRESS_IN_USE`. */
export function isAddressInUse(error: unknown): boolean {
  if (
    error instanceof Deno.errors.AddrInUse || error instanceof AddressInUse
  ) {
    return true;
  }
  return typeof error === "object" && error !== null && "code" in error &&
    error.code === "ERR_ADDRESS_IN_USE";
}
