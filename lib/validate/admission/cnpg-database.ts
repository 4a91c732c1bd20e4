// CloudNativePG's Database admission rules (update adds no check of its own):
// cloudnative-pg@v1.30.0 internal/webhook/v1/database_webhook.go `validate`.
import { CNPG, CNPG_DATABASE_WEBHOOK, child, refuser, specOf, type AdmissionViolation, type Loose } from './rule';

type Refuse = (path: string, message: string) => void;

/** Duplicate names in a list (field.Duplicate on the second and later occurrences). */
function duplicates(list: unknown, path: string, refuse: Refuse, seen = new Set<unknown>()): void {
  ((Array.isArray(list) ? list : []) as Loose[]).forEach((item, i) => {
    if (seen.has(item?.name)) refuse(`${child(path, i)}.name`, `Duplicate value: "${item?.name}"`);
    seen.add(item?.name);
  });
}

/** validateNameOptionsUsages: the item's name among its siblings, and its options' and usages' names. */
function namedItems(list: unknown, path: string, refuse: Refuse): void {
  const names = new Set<unknown>();
  ((Array.isArray(list) ? list : []) as Loose[]).forEach((item, i) => {
    const at = child(path, i);
    if (names.has(item?.name)) refuse(`${at}.name`, `Duplicate value: "${item?.name}"`);
    names.add(item?.name);
    duplicates(item?.options, `${at}.options`, refuse);
    duplicates(item?.usages, `${at}.usages`, refuse);
  });
}

export function databaseViolations(database: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  const s = specOf(database);
  const source = (func: string) => ({ repo: CNPG, file: CNPG_DATABASE_WEBHOOK, func });
  duplicates(s.extensions, 'spec.extensions', refuser('cnpg.database.validateExtensions', source('validateExtensions'), out));
  duplicates(s.schemas, 'spec.schemas', refuser('cnpg.database.validateSchemas', source('validateSchemas'), out));
  namedItems(s.fdws, 'spec.fdws', refuser('cnpg.database.validateFDWs', source('validateFDWs'), out));
  const servers = refuser('cnpg.database.validateForeignServers', source('validateForeignServers'), out);
  const fdws = new Set(((Array.isArray(s.fdws) ? s.fdws : []) as Loose[]).map((f) => f?.name));
  ((Array.isArray(s.servers) ? s.servers : []) as Loose[]).forEach((server, i) => {
    if (server?.ensure !== 'absent' && !fdws.has(server?.fdw))
      servers(`${child('spec.servers', i)}.fdw`, `"${server?.fdw ?? ''}": referenced fdw not defined in spec.fdws`);
  });
  namedItems(s.servers, 'spec.servers', servers);
  return out;
}
