// Kubernetes-specific CEL functions (k8s.io/apiserver/pkg/cel/library) that @bufbuild/cel does not
// ship. The CNPG 1.30 rules use none of them (only has(), size(), comparisons and &&/||), so this is
// deliberately small: the list library, which CRD authors use most often. A rule calling any other
// Kubernetes function (quantity(), url(), ip(), cidr(), format.*, ...) is detected when the CRD is
// loaded and reported as "not checked" with its CRD path, never passed silently.
import { CelScalar, celMethod, listType, type CelList, type CelFunc } from '@bufbuild/cel';

const DYN_LIST = listType(CelScalar.DYN);

type Comparable = bigint | number | string | boolean;

function items(list: CelList): Comparable[] {
  return [...list] as Comparable[];
}

function compare(a: Comparable, b: Comparable): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = typeof a === 'boolean' ? Number(a) : a;
  const y = typeof b === 'boolean' ? Number(b) : b;
  // int/double mixes compare numerically, as cel-go's heterogeneous comparison does.
  return Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0;
}

function extreme(list: CelList, sign: 1 | -1): Comparable {
  const values = items(list);
  if (values.length === 0) throw new Error('min/max of an empty list');
  return values.reduce((best, v) => (compare(v, best) * sign > 0 ? v : best));
}

export const kubernetesCelFunctions: CelFunc[] = [
  celMethod('isSorted', DYN_LIST, [], CelScalar.BOOL, function isSorted(this: CelList) {
    const values = items(this);
    return values.every((v, i) => i === 0 || compare(values[i - 1], v) <= 0);
  }),
  celMethod('sum', DYN_LIST, [], CelScalar.DYN, function sum(this: CelList) {
    const values = items(this);
    if (values.length === 0) return 0n;
    if (values.every((v) => typeof v === 'bigint')) return (values as bigint[]).reduce((a, b) => a + b, 0n);
    return values.reduce<number>((a, b) => a + Number(b), 0);
  }),
  celMethod('min', DYN_LIST, [], CelScalar.DYN, function min(this: CelList) {
    return extreme(this, -1);
  }),
  celMethod('max', DYN_LIST, [], CelScalar.DYN, function max(this: CelList) {
    return extreme(this, 1);
  }),
  celMethod('indexOf', DYN_LIST, [CelScalar.DYN], CelScalar.INT, function indexOf(this: CelList, needle: unknown) {
    return BigInt(items(this).findIndex((v) => v === needle));
  }),
  celMethod('lastIndexOf', DYN_LIST, [CelScalar.DYN], CelScalar.INT, function lastIndexOf(this: CelList, needle: unknown) {
    return BigInt(items(this).lastIndexOf(needle as Comparable));
  }),
];
