// What every command handler needs from its arguments, whichever file registers it: the registry id
// a tree row or a caller passed.
import type { TreeNode } from './treeModel';

/** What a command acting on an item may receive: a tree node, a registry id, or nothing (then it asks). */
export type CommandArg = TreeNode | string | undefined;

/** A tree node's `targetId`, or a registry id given as a string; undefined for anything else. */
export function targetIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && 'targetId' in arg) {
    const { targetId } = arg as { targetId?: unknown };
    return typeof targetId === 'string' ? targetId : undefined;
  }
  return undefined;
}
