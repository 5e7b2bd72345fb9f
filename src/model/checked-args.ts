/** Keys of `S` that `A` lacks, each made `never`: intersected with `S`, it rejects names `A` does not know. */
type OnlyKeysOf<A, S> = { [K in Exclude<keyof S, keyof A>]: never };

/**
 * Calls a tfjs factory (a layer, an initializer) with `args` checked against the factory's own
 * parameter type: every key must be one of its argument names and every value a type it accepts.
 * Plain assignability would let an extra key through (a config field tfjs silently ignores), and
 * `as never` would check nothing.
 */
export function callChecked<A, S extends NonNullable<A>, R>(
  factory: (args: A) => R,
  args: S & OnlyKeysOf<NonNullable<A>, S>,
): R {
  return factory(args);
}
