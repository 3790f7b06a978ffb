import { dirname } from "node:path";
import { type StateSnapshot, stateSnapshot } from "./state_model.ts";

/**
 * JSON persistence for `--state`. Writes are atomic (temp file + rename, so a
 * crash leaves the old or the new file, never half of one) and coalesced: a
 * burst of changes while a write runs produces one more write, not one each.
 */
export class StateFile {
  readonly #path: string;
  readonly #snapshot: () => StateSnapshot;
  #writing: Promise<void> | undefined;
  #dirty = false;

  constructor(path: string, snapshot: () => StateSnapshot) {
    this.#path = path;
    this.#snapshot = snapshot;
  }

  /** Reads the file; undefined when it does not exist yet. */
  async load(): Promise<StateSnapshot | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`State file "${this.#path}" is not valid JSON`);
    }
    const parsed = stateSnapshot.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `State file "${this.#path}" is not a QStash dev state: ${
          issue?.message ?? "invalid"
        } at ${issue?.path.join(".") ?? "?"}`,
      );
    }
    return parsed.data;
  }

  /** Asks for a write; resolves once the state at call time is on disk. */
  save(): Promise<void> {
    this.#dirty = true;
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      await this.#writeAtomically(JSON.stringify(this.#snapshot()));
    }
  }

  async #writeAtomically(text: string): Promise<void> {
    await Deno.mkdir(dirname(this.#path), { recursive: true });
    const temp = `${this.#path}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, this.#path);
  }
}
