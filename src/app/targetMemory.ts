// What the commands remember about the listeners and connections they opened, shared by every
// command file: the last target (so repeating an action is one Enter away) and each outgoing
// connection's target as typed (so Save as Preset keeps `localhost:9000`, not the resolved address).
import type { HostPort } from '../shared/hostPort';

export class TargetMemory {
  /** Where Send Selection goes when the user does not choose, and what pickers offer first. */
  lastTargetId: string | undefined;
  private readonly typed = new Map<string, HostPort>();

  /** `exists` says whether the registry still knows an id (live or in its history). */
  constructor(private readonly exists: (id: string) => boolean) {}

  /** Keeps the typed form of a target, forgetting those of connections the registry no longer knows. */
  rememberTyped(id: string, target: HostPort): void {
    for (const known of this.typed.keys()) if (!this.exists(known)) this.typed.delete(known);
    this.typed.set(id, target);
  }

  typedTarget(id: string): HostPort | undefined {
    return this.typed.get(id);
  }
}
