// Whitelists of JSON keys that cannot fall behind the type they filter: adding a field to the type
// without listing it here is a compile error, so the panel never silently drops a new field.

/** Every key of any member of a union (`keyof` of a union gives only the common ones). */
export type KeysOfUnion<T> = T extends unknown ? keyof T : never;

type Complete<T, K extends readonly unknown[]> = [Exclude<KeysOfUnion<T>, K[number]>] extends [never]
  ? K
  : { missingKeys: Exclude<KeysOfUnion<T>, K[number]> };

/** `keyList<T>()([...])` returns the list when it names every key of T, and fails to compile otherwise. */
export function keyList<T>() {
  return <const K extends readonly KeysOfUnion<T>[]>(keys: K & Complete<T, K>): readonly KeysOfUnion<T>[] => keys;
}
