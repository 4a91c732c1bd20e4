// The canonical order of a service's extensions: the rendered Database objects and SQL must not
// change when the fleet file lists the same extensions in another order, yet CREATE EXTENSION
// without CASCADE fails while an extension's `requires` is missing ("required extension … is not
// installed"). CloudNativePG's Database controller creates spec.extensions one by one in list
// order, without CASCADE (cloudnative-pg@v1.30.0 internal/management/controller/
// database_controller_sql.go createDatabaseExtension; database_objects.go reconcileList), and marks
// the Database failed until a later reconcile gets the order right; dbfleet's own SQL for Zalando
// (lib/access/privileges-sql.ts) creates them in list order too. So: sorted by name, then each
// extension moved after the ones it requires.

/**
 * `requires` of extensions shipped with PostgreSQL that require another one, as their control
 * files say (PostgreSQL 15 contrib, /usr/share/postgresql/15/extension/earthdistance.control:
 * `requires = 'cube'`, the only contrib extension with a `requires` in the packages on this
 * machine). An extension not listed here is placed by name alone.
 */
const REQUIRES: Readonly<Record<string, readonly string[]>> = {
  earthdistance: ['cube'],
};

/** Unique, sorted by name, each after the listed extensions it requires. */
export function canonicalExtensions(extensions: readonly string[]): string[] {
  const sorted = [...new Set(extensions)].sort();
  const listed = new Set(sorted);
  const out: string[] = [];
  const placed = new Set<string>();
  const place = (name: string, path: ReadonlySet<string>) => {
    if (placed.has(name) || path.has(name)) return;
    const next = new Set(path).add(name);
    for (const dep of REQUIRES[name] ?? []) if (listed.has(dep)) place(dep, next);
    placed.add(name);
    out.push(name);
  };
  for (const name of sorted) place(name, new Set());
  return out;
}
