// The `format` values Kubernetes actually checks, with Kubernetes' meaning. The API server validates
// CRD strings against kube-openapi's strfmt registry and silently ignores any other format, so we do
// the same: a format not listed here is dropped from the schema (never a compile error, never a
// failure). int32/int64 are not strfmt formats; the built-in types enforce them when the Go decoder
// fills an int32 field, and operators do the same for CRD fields, so out-of-range numbers are
// rejected here too.
import type Ajv from 'ajv';
import type { FormatDefinition } from 'ajv';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`, 'i');
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 =
  /^(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?::(([0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})?|([0-9a-f]{1,4}:){6}\d+\.\d+\.\d+\.\d+|(([0-9a-f]{1,4}:){0,5}[0-9a-f]{1,4})?::(([0-9a-f]{1,4}:){0,5})?\d+\.\d+\.\d+\.\d+)$/i;
// RFC 3339 date-time as Go's strfmt accepts it (fractional seconds optional, Z or offset).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
// Go time.ParseDuration units, or the Scala-style "22 ns" strfmt also accepts.
const DURATION =
  /^([+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^\d+\s?(ns|us|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function isIp(s: string): boolean {
  return IPV4.test(s) || IPV6.test(s);
}

function isCidr(s: string): boolean {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return IPV4.test(ip) ? Number(bits) <= 32 : IPV6.test(ip) && Number(bits) <= 128;
}

function isUri(s: string): boolean {
  // Go's url.ParseRequestURI: absolute URI or absolute path.
  if (s.startsWith('/')) return !/\s/.test(s);
  try {
    return /^[a-z][a-z0-9+.-]*:/i.test(s) && Boolean(new URL(s));
  } catch {
    return false;
  }
}

export const STRING_FORMATS: Readonly<Record<string, (s: string) => boolean>> = {
  bsonobjectid: (s) => /^[0-9a-f]{24}$/i.test(s),
  uri: isUri,
  email: (s) => /^[^\s@<>]+@[^\s@<>]+$/.test(s),
  hostname: (s) => HOSTNAME.test(s),
  ipv4: (s) => IPV4.test(s),
  ipv6: (s) => IPV6.test(s),
  cidr: isCidr,
  mac: (s) => /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(s) || /^([0-9a-f]{2}[:-]){7}[0-9a-f]{2}$/i.test(s),
  uuid: (s) => UUID.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  isbn: (s) => /^(\d{9}[\dX]|\d{13})$/.test(s.replace(/[- ]/g, '')),
  isbn10: (s) => /^\d{9}[\dX]$/.test(s.replace(/[- ]/g, '')),
  isbn13: (s) => /^\d{13}$/.test(s.replace(/[- ]/g, '')),
  creditcard: (s) =>
    /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/.test(
      s.replace(/\D/g, ''),
    ),
  ssn: (s) => /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(s),
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: (s) => /^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/.test(s),
  byte: (s) => BASE64.test(s),
  password: () => true,
  date: (s) => DATE.test(s),
  duration: (s) => DURATION.test(s),
  datetime: (s) => DATE_TIME.test(s),
  'date-time': (s) => DATE_TIME.test(s),
  // Not a strfmt format, but Kubernetes fields that carry it are parsed with net.ParseIP.
  ip: isIp,
};

export const NUMBER_FORMATS: Readonly<Record<string, (n: number) => boolean>> = {
  int32: (n) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647,
  // Beyond 2^53 JSON numbers lose precision in JS anyway; any integer is accepted.
  int64: (n) => Number.isInteger(n),
  double: () => true,
  float: () => true,
};

/** Is `format` one we check for a value of JSON type `type`? Unknown ones are dropped by the schema transform. */
export function isCheckedFormat(format: string): boolean {
  return format in STRING_FORMATS || format in NUMBER_FORMATS;
}

/**
 * Every format as an ajv format definition. One table for both uses: ajv.addFormat here, and the
 * `formats` object that cached (generated) validators call at run time (compiled-runtime.ts).
 */
export const KUBERNETES_FORMATS: Readonly<Record<string, FormatDefinition<string> | FormatDefinition<number>>> = {
  ...Object.fromEntries(Object.entries(STRING_FORMATS).map(([name, validate]) => [name, { type: 'string', validate }])),
  ...Object.fromEntries(Object.entries(NUMBER_FORMATS).map(([name, validate]) => [name, { type: 'number', validate }])),
};

export function addKubernetesFormats(ajv: Ajv): void {
  for (const [name, definition] of Object.entries(KUBERNETES_FORMATS)) ajv.addFormat(name, definition);
}
