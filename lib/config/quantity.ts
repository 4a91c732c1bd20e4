// Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), limited to the forms
// a storage size takes: a non-negative decimal with an optional binary or decimal suffix.
const QUANTITY = /^\+?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?\d+)?$/;
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

export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/** The quantity in bytes (or base units), for comparing sizes. */
export function quantityToNumber(value: string): number {
  const match = QUANTITY.exec(value);
  if (!match) throw new Error(`"${value}" is not a valid Kubernetes quantity`);
  const suffix = match[3] ?? '';
  const number = Number(value.slice(value.startsWith('+') ? 1 : 0, value.length - suffix.length));
  if (/^[eE]/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  return number * FACTOR[suffix];
}
