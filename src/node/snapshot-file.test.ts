// Every form `--cluster` accepts, made from a real lab snapshot (a List as kubectl prints it), gives
// the same cluster; every bad snapshot gets a message naming the file, line and column.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../core/cluster/index.js';
import { FIXTURES } from '../../test/support/files.js';
import {
  loadClusterSnapshot,
  parseSnapshotText,
  readSnapshotDocuments,
  SnapshotFileError,
} from './snapshot-file.js';

type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
} & Record<string, unknown>;
interface KubeList {
  apiVersion: string;
  kind: string;
  items: KubeObject[];
  metadata: unknown;
}

const LAB = join(FIXTURES, 'lab/clusterip/snapshot.json');
const BAD = join(FIXTURES, 'snapshots');
const list = JSON.parse(readFileSync(LAB, 'utf8')) as KubeList;
const itemsOf = (kind: string): KubeObject[] => list.items.filter((item) => item.kind === kind);
const listOf = (items: KubeObject[]): KubeList => ({ ...list, items });
const copy = <T>(value: T): T => structuredClone(value);
const NOT_KUBERNETES =
  'expected Kubernetes objects (what kubectl get ... -o json or -o yaml prints, each with apiVersion and kind)';

let tmp: string;
/** The lab List as kubectl printed it: every other form must give the same cluster. */
let expected: ClusterSnapshot;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'podpath-snapshot-'));
  expected = await loadClusterSnapshot(LAB);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Everything but `sources`, which names the files read. */
function cluster(snapshot: ClusterSnapshot): Omit<ClusterSnapshot, 'sources'> {
  const { sources: _, ...rest } = snapshot;
  return rest;
}

/** The SnapshotFileError reading `path` throws; fails on any other outcome. */
async function failure(path: string, fileAtFault = path): Promise<SnapshotFileError> {
  const error: unknown = await loadClusterSnapshot(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SnapshotFileError);
  expect((error as SnapshotFileError).path).toBe(fileAtFault);
  expect((error as SnapshotFileError).name).toBe('SnapshotFileError');
  return error as SnapshotFileError;
}

describe('the lab List as kubectl prints it (-o json)', () => {
  it('has the objects the List holds', () => {
    expect(expected.sources).toEqual([LAB]);
    expect(expected.counts).toEqual({
      nodes: itemsOf('Node').length,
      pods: itemsOf('Pod').length,
      services: itemsOf('Service').length,
      endpointSlices: itemsOf('EndpointSlice').length,
      endpoints: 0,
      podsWithoutIp: 0,
      unknownKinds: {},
    });
    expect(expected.counts).toMatchObject({ nodes: 2, pods: 4, services: 2, endpointSlices: 2 });
    expect(expected.endpointsFrom).toBe('EndpointSlice');
    expect(expected.services.map((s) => s.endpoints.length)).not.toContain(0);
  });

  it('is one document: the List itself', async () => {
    expect(await readSnapshotDocuments(LAB)).toEqual([{ source: LAB, value: list }]);
  });
});

describe('every snapshot form gives the same cluster', () => {
  it('the List as YAML (-o yaml)', async () => {
    const path = write('list.yaml', stringify(list));
    expect(await readSnapshotDocuments(path)).toEqual([{ source: path, value: list }]);
    expect(cluster(await loadClusterSnapshot(path))).toEqual(cluster(expected));
  });

  it.each(readdirSync(join(FIXTURES, 'lab')).sort())('every lab snapshot as YAML: %s', async (scenario) => {
    const json = join(FIXTURES, 'lab', scenario, 'snapshot.json');
    const yaml = write(`${scenario}.yaml`, stringify(JSON.parse(readFileSync(json, 'utf8'))));
    expect(cluster(await loadClusterSnapshot(yaml))).toEqual(cluster(await loadClusterSnapshot(json)));
  });

  it('the List as YAML with a .json name, and as JSON with a .yaml name: content decides', async () => {
    const yamlInJson = write('list-yaml.json', stringify(list));
    const jsonInYaml = write('list-json.yml', json(list));
    expect(cluster(await loadClusterSnapshot(yamlInJson))).toEqual(cluster(expected));
    expect(cluster(await loadClusterSnapshot(jsonInYaml))).toEqual(cluster(expected));
  });

  it('JSON after a comment line is read as YAML (JSON has no comments, YAML reads JSON)', async () => {
    const path = write(
      'commented.json',
      `# kubectl get nodes,pods,services,endpointslices -A -o json\n${json(list)}`,
    );
    expect(cluster(await loadClusterSnapshot(path))).toEqual(cluster(expected));
  });

  it('a single Pod as JSON (kubectl get pod NAME -o json)', async () => {
    const pod = itemsOf('Pod')[0];
    const path = write('pod.json', json(pod));
    const snapshot = await loadClusterSnapshot(path);
    expect(snapshot.counts).toEqual({
      nodes: 0,
      pods: 1,
      services: 0,
      endpointSlices: 0,
      endpoints: 0,
      podsWithoutIp: 0,
      unknownKinds: {},
    });
    expect(snapshot.pods).toEqual(expected.pods.filter((p) => p.name === pod.metadata.name));
  });

  it('a single Node as YAML (kubectl get node NAME -o yaml)', async () => {
    const node = itemsOf('Node')[1];
    const path = write('node.yaml', stringify(node));
    const snapshot = await loadClusterSnapshot(path);
    expect(snapshot.counts).toMatchObject({ nodes: 1, pods: 0, services: 0, endpointSlices: 0 });
    expect(snapshot.nodes).toEqual(expected.nodes.filter((n) => n.name === node.metadata.name));
  });

  it('a folder of one-kind Lists (kubectl get pods -A -o json > pods.json ...), other files ignored', async () => {
    const folder = join(tmp, 'one-kind-at-a-time');
    mkdirSync(folder);
    mkdirSync(join(folder, 'older')); // not read: no recursion
    writeFileSync(join(folder, 'older', 'pods.json'), '{ not read');
    mkdirSync(join(folder, 'folder.json')); // a folder, whatever its name
    writeFileSync(join(folder, 'README.md'), '# kubectl output, one kind per file\n');
    writeFileSync(join(folder, 'services.json'), json(listOf(itemsOf('Service'))));
    writeFileSync(join(folder, 'pods.yaml'), stringify(listOf(itemsOf('Pod'))));
    writeFileSync(join(folder, 'nodes.json'), json(listOf(itemsOf('Node'))));
    writeFileSync(join(folder, 'endpointslices.yml'), stringify(listOf(itemsOf('EndpointSlice'))));

    const documents = await readSnapshotDocuments(folder);
    expect(documents.map((d) => d.source)).toEqual(
      ['endpointslices.yml', 'nodes.json', 'pods.yaml', 'services.json'].map((name) => join(folder, name)),
    );
    const snapshot = await loadClusterSnapshot(folder);
    expect(snapshot.counts).toEqual(expected.counts);
    expect(snapshot.nodes).toEqual(expected.nodes);
    expect(snapshot.pods).toEqual(expected.pods);
    // The folder reads the slices before their Services: endpoints still reach them.
    expect(snapshot.services).toEqual(expected.services);
  });

  it('multi-document YAML: one object per document, each named by its number', async () => {
    const text = [
      '# kubectl get nodes,pods,services,endpointslices -A -o yaml, split into documents',
      ...list.items.map((item) => `---\n${stringify(item)}`),
      '---\n', // an empty last document, as a trailing separator leaves
    ].join('\n');
    const path = write('documents.yaml', text);
    const documents = await readSnapshotDocuments(path);
    expect(documents).toEqual(
      list.items.map((value, i) => ({ source: `${path} (document ${i + 1})`, value })),
    );
    expect(cluster(await loadClusterSnapshot(path))).toEqual(cluster(expected));
  });

  it('JSON with a byte order mark: UTF-8, and UTF-16 as Windows PowerShell 5 redirects it', async () => {
    const utf8 = write('bom-utf8.json', `\ufeff${json(list)}`);
    const utf16 = write('bom-utf16.json', Buffer.from(`\ufeff${json(list)}`, 'utf16le'));
    expect(cluster(await loadClusterSnapshot(utf8))).toEqual(cluster(expected));
    expect(cluster(await loadClusterSnapshot(utf16))).toEqual(cluster(expected));
  });

  it('CRLF line ends', async () => {
    const path = write('crlf.yaml', stringify(list).replaceAll('\n', '\r\n'));
    expect(cluster(await loadClusterSnapshot(path))).toEqual(cluster(expected));
  });

  it('objects of other kinds are ignored and counted', async () => {
    const [pod] = itemsOf('Pod');
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt', namespace: 'default' },
      data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\n...' },
    };
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'client', namespace: pod.metadata.namespace },
      spec: { replicas: 1, selector: { matchLabels: { app: 'client' } } },
    };
    const path = write(
      'unknown-kinds.json',
      json(listOf([configMap, ...list.items, deployment, copy(configMap)])),
    );
    const snapshot = await loadClusterSnapshot(path);
    expect(snapshot.counts).toEqual({ ...expected.counts, unknownKinds: { ConfigMap: 2, Deployment: 1 } });
    expect(cluster(snapshot)).toEqual({ ...cluster(expected), counts: snapshot.counts });
  });

  it('a Pod without status.podIP (Pending) is skipped and counted', async () => {
    const pending = copy(itemsOf('Pod')[0]);
    pending.metadata.name = 'client-7glfjtdkgj-pendg';
    pending.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] };
    const path = write('pending.json', json(listOf([...list.items, pending])));
    const snapshot = await loadClusterSnapshot(path);
    expect(snapshot.counts).toEqual({ ...expected.counts, pods: expected.counts.pods + 1, podsWithoutIp: 1 });
    expect(snapshot.pods).toEqual(expected.pods);
  });

  describe('v1 Endpoints instead of EndpointSlices', () => {
    /** The v1 Endpoints the endpoints controller mirrors from a lab EndpointSlice. */
    function endpointsOf(slice: KubeObject): KubeObject {
      type SliceEndpoint = {
        addresses: string[];
        conditions: { ready: boolean };
        nodeName: string;
        targetRef: unknown;
      };
      const endpoints = slice.endpoints as SliceEndpoint[];
      const address = (e: SliceEndpoint) =>
        e.addresses.map((ip) => ({ ip, nodeName: e.nodeName, targetRef: e.targetRef }));
      const { namespace, labels } = slice.metadata;
      return {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: labels!['kubernetes.io/service-name'], namespace },
        subsets: [
          {
            addresses: endpoints.filter((e) => e.conditions.ready).flatMap(address),
            notReadyAddresses: endpoints.filter((e) => !e.conditions.ready).flatMap(address),
            ports: slice.ports,
          },
        ],
      };
    }
    const byIp = (snapshot: ClusterSnapshot) =>
      snapshot.services.map((s) => ({
        ...s,
        endpoints: [...s.endpoints].sort((a, b) => a.ip.localeCompare(b.ip)),
      }));

    it('are used when there are no EndpointSlices', async () => {
      const legacy = itemsOf('EndpointSlice').map(endpointsOf);
      const items = [...list.items.filter((item) => item.kind !== 'EndpointSlice'), ...legacy];
      const snapshot = await loadClusterSnapshot(write('endpoints-v1.json', json(listOf(items))));
      expect(snapshot.endpointsFrom).toBe('Endpoints');
      expect(snapshot.counts).toEqual({ ...expected.counts, endpointSlices: 0, endpoints: legacy.length });
      expect(byIp(snapshot)).toEqual(byIp(expected));
    });

    it('are not used when EndpointSlices are there (they mirror them)', async () => {
      const legacy = itemsOf('EndpointSlice').map(endpointsOf);
      const snapshot = await loadClusterSnapshot(
        write('both.json', json(listOf([...legacy, ...list.items]))),
      );
      expect(snapshot.endpointsFrom).toBe('EndpointSlice');
      expect(snapshot.counts).toEqual({ ...expected.counts, endpoints: legacy.length });
      expect(snapshot.services).toEqual(expected.services);
    });
  });

  it('an empty List (kubectl found nothing) is an empty cluster, not an error', async () => {
    const snapshot = await loadClusterSnapshot(join(FIXTURES, 'lab/docker-bridge/snapshot.json'));
    expect(snapshot.counts).toMatchObject({
      nodes: 0,
      pods: 0,
      services: 0,
      endpointSlices: 0,
      endpoints: 0,
    });
  });
});

describe('bad snapshots: a SnapshotFileError with a message for users', () => {
  it('a missing file', async () => {
    const path = join(tmp, 'no-such-snapshot.json');
    expect((await failure(path)).message).toBe(`cannot read ${path}: no such file`);
    const under = join(LAB, 'x.json'); // a file where a folder should be
    expect((await failure(under)).message).toBe(`cannot read ${under}: no such file`);
  });

  it('an empty file, a blank one, one of only comments', async () => {
    const empty = join(BAD, 'empty.json');
    expect((await failure(empty)).message).toBe(`${empty} is empty`);
    const blank = write('blank.yaml', '\n  \n\t\n');
    expect((await failure(blank)).message).toBe(`${blank} is empty`);
    const comments = write('comments.yaml', '# kubectl get pods -o yaml\n---\n# nothing here\n');
    expect((await failure(comments)).message).toBe(
      `${comments} is empty: it holds only YAML comments or document markers`,
    );
  });

  it('an empty folder, and one with no .json, .yaml or .yml file', async () => {
    const empty = join(tmp, 'empty-folder');
    mkdirSync(empty);
    expect((await failure(empty)).message).toBe(
      `cannot read ${empty}: it is a directory with no .json, .yaml or .yml files`,
    );
    const other = join(tmp, 'other-files');
    mkdirSync(other);
    writeFileSync(join(other, 'snapshot.txt'), json(list));
    expect((await failure(other)).message).toBe(
      `cannot read ${other}: it is a directory with no .json, .yaml or .yml files`,
    );
  });

  it('broken JSON: a trailing comma on line 3', async () => {
    const path = join(BAD, 'trailing-comma.json');
    expect((await failure(path)).message).toBe(
      `${path} is not valid JSON: trailing comma before '}' at line 3, column 16`,
    );
  });

  it('broken JSON in a real snapshot: the line and column of the fault', async () => {
    const text = json(list);
    // Drop the colon after node1's "podCIDR": `"podCIDR" "10.244.1.0/24",` on line 28.
    const at = text.indexOf('"podCIDR":') + '"podCIDR"'.length;
    const path = write('missing-colon.json', text.slice(0, at) + text.slice(at + 1));
    expect((await failure(path)).message).toBe(
      `${path} is not valid JSON: expected ':' after the property name, found '"' at line 28, column 19`,
    );
  });

  it('broken YAML: bad indentation', async () => {
    const path = join(BAD, 'bad-indentation.yaml');
    expect((await failure(path)).message).toBe(
      `${path} is not valid YAML: All mapping items must start at the same column at line 8, column 1`,
    );
  });

  it('broken YAML in a later document: the line counts from the top of the file', async () => {
    const path = write(
      'second-document.yaml',
      `${stringify(itemsOf('Node')[0])}---\nkind: Pod\nmetadata: [a\n`,
    );
    // The node's lines, `---`, `kind: Pod`, `metadata: [a`: the error is at the start of the next line.
    const line = stringify(itemsOf('Node')[0]).split('\n').length - 1 + 4;
    expect((await failure(path)).message).toBe(
      `${path} is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line ${line}, column 1`,
    );
  });

  it('YAML with an alias to no anchor', async () => {
    const path = write('alias.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: *meta\n');
    expect((await failure(path)).message).toBe(
      `${path} is not valid YAML: Unresolved alias (the anchor must be set before the alias): meta at line 3, column 11`,
    );
  });

  it('JSON that is not Kubernetes objects', async () => {
    const numbers = join(BAD, 'numbers.json');
    expect((await failure(numbers)).message).toBe(`${numbers}: ${NOT_KUBERNETES}, found an array of numbers`);
    const hello = join(BAD, 'hello-world.json');
    expect((await failure(hello)).message).toBe(
      `${hello}: ${NOT_KUBERNETES}, found an object with "hello" but no apiVersion and kind`,
    );
  });

  it('YAML that is not Kubernetes objects, named by file and document', async () => {
    const path = write('words.yaml', `${stringify(itemsOf('Node')[0])}---\njust words\n`);
    expect((await failure(path)).message).toBe(`${path} (document 2): ${NOT_KUBERNETES}, found a string`);
  });

  it('a bad file in a folder is named by its own path', async () => {
    const folder = join(tmp, 'folder-with-a-bad-file');
    mkdirSync(folder);
    writeFileSync(join(folder, 'nodes.json'), json(listOf(itemsOf('Node'))));
    writeFileSync(join(folder, 'pods.json'), json(listOf(itemsOf('Pod'))).replace('"Running"', '"Running",'));
    // The first pod's `"phase": "Running",,` on line 39.
    const file = join(folder, 'pods.json');
    expect((await failure(folder, file)).message).toBe(
      `${file} is not valid JSON: expected a property name in double quotes, found ',' at line 39, column 28`,
    );
  });

  it('a capture passed by mistake', async () => {
    const path = join(FIXTURES, 'lab/clusterip/client.pcap');
    expect((await failure(path)).message).toBe(`${path} is not a text file (expected JSON or YAML)`);
  });
});

describe('JSON syntax errors: the reason, line and column, the same on every Node version', () => {
  // [text, message after "x.json is not valid JSON: "]
  const cases: [string, string][] = [
    ['{\n  "a": 1,\n}', "trailing comma before '}' at line 2, column 9"],
    ['[1, 2,\n]', "trailing comma before ']' at line 1, column 6"],
    ['[1,,2]', "expected a value, found ',' at line 1, column 4"],
    ['{"a" 1}', "expected ':' after the property name, found '1' at line 1, column 6"],
    ['{"a": 1 "b": 2}', "expected ',' or '}' after a property value, found '\"' at line 1, column 9"],
    ['[1 2]', "expected ',' or ']' after an array element, found '2' at line 1, column 4"],
    ["{'a': 1}", `expected a property name in double quotes, found "'" at line 1, column 2`],
    ['{a: 1}', "expected a property name in double quotes, found 'a' at line 1, column 2"],
    ['{"a": tru}', "expected a value, found 'tru' at line 1, column 7"],
    ['{"a": undefined}', "expected a value, found 'undefined' at line 1, column 7"],
    ['{"a": 01}', 'invalid number at line 1, column 7'],
    ['{"a": 1.}', 'invalid number at line 1, column 7'],
    ['{"a": -}', 'invalid number at line 1, column 7'],
    ['{"a": "x\n"}', 'string not closed before the end of its line at line 1, column 7'],
    ['{"a": "x\t"}', 'control character U+0009 in a string (write it as an escape) at line 1, column 9'],
    ['{"a": "\\q"}', "invalid escape '\\q' in a string at line 1, column 8"],
    ['{"a": "\\u12"}', "invalid escape '\\u' in a string at line 1, column 8"],
    ['{"a": "x', 'string not closed before the end of the file at line 1, column 7'],
    [
      '{\n  "a": [1, 2',
      "expected ',' or ']' after an array element, found the end of the file at line 2, column 13",
    ],
    ['{"a": ', 'expected a value, found the end of the file at line 1, column 7'],
    ['{"a": 1}\n{"b": 2}', 'unexpected text after the end of the JSON value at line 2, column 1'],
    ['{"a": 1}}', 'unexpected text after the end of the JSON value at line 1, column 9'],
    ['\r\n{\r\n  "a": 1,\r\n}', "trailing comma before '}' at line 3, column 9"],
  ];
  it.each(cases)('%j', (text, message) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parseSnapshotText('x.json', text)).toThrow(
      new SnapshotFileError('x.json', `x.json is not valid JSON: ${message}`),
    );
  });

  it('valid JSON of any shape parses as JSON.parse parses it', () => {
    for (const text of ['[]', '{}', '[1, -0.5e+3, "\\u00e9\\n", true, false, null, {"a": {"b": []}}]']) {
      expect(parseSnapshotText('x.json', text)).toEqual([{ source: 'x.json', value: JSON.parse(text) }]);
    }
  });

  it('nesting deeper than the stack still gets a message', () => {
    const text = `${'['.repeat(200_000)}}`;
    expect(() => parseSnapshotText('deep.json', text)).toThrow(SnapshotFileError);
  });
});

describe('no other exception escapes', () => {
  // A snapshot cut short (copied while kubectl was still writing) or damaged anywhere.
  const text = json(listOf(list.items.slice(0, 3)));
  const yaml = stringify(listOf(list.items.slice(0, 3)));

  it('a JSON snapshot cut at every length is rejected with its line and column', async () => {
    const path = write('cut.json', '');
    for (let length = 1; length < text.trimEnd().length; length += 7) {
      writeFileSync(path, text.slice(0, length));
      const error = await failure(path);
      if (/\S/.test(text.slice(0, length))) {
        expect(error.message).toMatch(
          new RegExp(`^${escape(path)} is not valid JSON: .+ at line \\d+, column \\d+$`),
        );
      }
    }
  });

  it('a YAML snapshot cut or damaged anywhere is read or rejected, never crashes', async () => {
    const path = write('cut.yaml', '');
    for (let length = 1; length < yaml.length; length += 11) {
      for (const damaged of [yaml.slice(0, length), yaml.slice(0, length) + ':' + yaml.slice(length + 1)]) {
        writeFileSync(path, damaged);
        const outcome: unknown = await loadClusterSnapshot(path).then(
          (snapshot) => snapshot,
          (e: unknown) => e,
        );
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(SnapshotFileError);
      }
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
