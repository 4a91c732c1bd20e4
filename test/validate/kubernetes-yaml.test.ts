// Manifests are read as Kubernetes reads them (go-yaml v2 through sigs.k8s.io/yaml): YAML 1.1
// look-alikes resolve to what the API server sees, not to YAML 1.2 strings.
import { dump } from 'js-yaml';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadKubernetesYaml, splitYamlDocuments } from '../../lib/validate/kubernetes-yaml';
import { parseManifestText } from '../../lib/validate/manifest-files';
import { valid } from './fixtures';

const one = (text: string) => loadKubernetesYaml(text)[0] as Record<string, unknown>;

describe('Kubernetes YAML reading', () => {
  it('resolves YAML 1.1 booleans as go-yaml v2 does (y, yes, on, off, n …)', () => {
    const doc = one('a: on\nb: Yes\nc: y\nd: OFF\ne: n\nf: No\ng: "on"\nh: \'yes\'\ni: True\nj: onward\n');
    expect(doc).toEqual({ a: true, b: true, c: true, d: false, e: false, f: false, g: 'on', h: 'yes', i: true, j: 'onward' });
  });

  it('resolves numbers with strconv rules: leading-0 octal, 0o/0x/0b, underscores; timestamps and sexagesimals stay strings', () => {
    const doc = one(
      'a: 0755\nb: 0o17\nc: 0x1F\nd: 0b101\ne: 1_000\nf: 08\ng: 1:20\nh: 2024-01-01\ni: +12\nj: .5\nk: 1e3\nl: -0b11\nm: 1.\nq: "0755"\n',
    );
    expect(doc).toEqual({
      a: 493,
      b: 15,
      c: 31,
      d: 5,
      e: 1000,
      f: 8,
      g: '1:20',
      h: '2024-01-01',
      i: 12,
      j: 0.5,
      k: 1000,
      l: -3,
      m: 1,
      q: '0755',
    });
  });

  it('nulls, merge keys, and keys resolved like values', () => {
    expect(one('a:\nb: ~\nc: NULL\nd: Null\n')).toEqual({ a: null, b: null, c: null, d: null });
    expect(one('base: &b {x: 1}\nm: {<<: *b, z: 2}\n').m).toEqual({ x: 1, z: 2 });
    // go-yaml resolves keys too: `y:` is the boolean true, which sigs.k8s.io/yaml writes as "true".
    expect(one('y: 1\n')).toEqual({ true: 1 });
  });

  it('a label value `on` is a boolean, so the schema check rejects what the API server rejects', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    enabled: on\n';
    expect((one(text).metadata as { labels: Record<string, unknown> }).labels.enabled).toBe(true);
    // The YAML 1.2 reading (the `yaml` package's default) would have passed it as the string "on".
    expect((YAML.parse(text) as { metadata: { labels: Record<string, unknown> } }).metadata.labels.enabled).toBe('on');
  });

  it('reads what the renderer (js-yaml dump) writes back to the same object', () => {
    for (const object of Object.values(valid)) expect(one(dump(object, { lineWidth: -1, noRefs: true, quotingType: '"' }))).toEqual(object);
    const tricky = {
      s: ['on', 'y', 'n', 'no', '0755', '0o17', '1_000', '08', '1e3', '.5', '~', '', '1:20', '2024-01-01', '<<', '-.inf', 'null'],
    };
    expect(one(dump(tricky, { lineWidth: -1, noRefs: true, quotingType: '"' }))).toEqual(tricky);
  });

  it('splits a stream at document markers only, keeping directives with their document', () => {
    expect(splitYamlDocuments('# head\na: 1\n---\nb: 2\n--- # c\nc: 3\n----\n')).toEqual([
      '# head\na: 1\n',
      '---\nb: 2\n',
      '--- # c\nc: 3\n----\n',
    ]);
    expect(splitYamlDocuments('%YAML 1.1\n---\na: 1\n---\nb: 2\n')).toHaveLength(1);
  });

  it('one broken document does not hide the others, and its error names the line in the file', () => {
    const parsed = parseManifestText('f.yaml', 'a: 1\n---\nb: [unclosed\n---\nc: 3\n');
    expect(parsed.documents.map((d) => [d.index, d.value])).toEqual([
      [0, { a: 1 }],
      [2, { c: 3 }],
    ]);
    expect(parsed.parseErrors).toEqual([{ index: 1, message: expect.stringMatching(/^YAML parse error: .*\(line [34], column \d+\)$/) }]);
    expect(parseManifestText('d.yaml', 'a: 1\na: 2\n').parseErrors[0].message).toMatch(/duplicated mapping key \(line 2, column 1\)/);
  });
});
