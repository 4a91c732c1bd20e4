// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity): the one parser dbfleet
// has, used by fleet validation (storage sizes: non-negative) and by the ported admission rules
// (which compare any quantity the webhook parses, sign included).
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?\d+)?$/;
const FACTOR: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A Kubernetes quantity in base units, or undefined when resource.ParseQuantity would fail. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value);
  if (!match) return undefined;
  const sign = match[1] === '-' ? -1 : 1;
  const suffix = match[3] ?? '';
  const number = Number(match[2]);
  if (/^[eE]/.test(suffix)) return sign * number * 10 ** Number(suffix.slice(1));
  return sign * number * FACTOR[suffix];
}

/** A quantity a size may take: parseable and not negative (`-1Gi` is a quantity, not a size). */
export function isQuantity(value: string): boolean {
  return !value.startsWith('-') && parseQuantity(value) !== undefined;
}

/** The quantity in bytes (or base units), for comparing sizes. */
export function quantityToNumber(value: string): number {
  const number = isQuantity(value) ? parseQuantity(value) : undefined;
  if (number === undefined) throw new Error(`"${value}" is not a valid Kubernetes quantity`);
  return number;
}
