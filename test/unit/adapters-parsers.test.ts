import { describe, expect, it } from '@jest/globals';
import { maskStorageUri, parseBrProgress, parseBrSummary, parseByteSize } from '../../adapters/br.js';
import { maskSecrets } from '../../adapters/process.js';
import { parseTidbVersion, escapeId } from '../../adapters/tidb-sql.js';
import { parseJsonKeepingBigInts } from '../../adapters/ticdc.js';
import { parseTiupErrorLine, parseTiupJson } from '../../adapters/tiup.js';

describe('parseTiupJson', () => {
  it('finds the JSON object between wrapper noise lines', () => {
    const stdout = [
      'tiup is checking updates for component cluster ...',
      'Starting component `cluster`: /root/.tiup/components/cluster/v1.16.0/tiup-cluster list --format json',
      '{',
      '  "clusters": [',
      '    {"name": "c1", "user": "tidb", "version": "v7.5.1", "path": "/p", "private_key": "/p/ssh/id_rsa"}',
      '  ]',
      '}',
      'some trailing line',
    ].join('\n');
    expect(parseTiupJson<{ clusters: { name: string }[] }>(stdout).clusters.map((c) => c.name)).toEqual(['c1']);
  });

  it('parses a single-line display object and skips non-JSON lines that start with a brace', () => {
    const display = { cluster_meta: { cluster_name: 'x' }, instances: [{ id: '10.0.1.11:2379', Port: 2379 }] };
    const stdout = `{not json at all}\n${JSON.stringify(display)}\n`;
    expect(parseTiupJson(stdout)).toEqual(display);
  });

  it('throws when there is no JSON object', () => {
    expect(() => parseTiupJson('Error: cluster c1 not found\n')).toThrow(/no JSON object/);
    expect(() => parseTiupJson('[1,2,3]')).toThrow(/no JSON object/);
  });
});

describe('parseTiupErrorLine', () => {
  it('parses the final {"exit_code","error"} line of stderr', () => {
    const stderr = [
      'Starting component `cluster`: /root/.tiup/components/cluster/v1.16.0/tiup-cluster deploy dup v7.5.1 /tmp/t.yaml',
      'Error: Cluster name \'dup\' is duplicated (deploy.name_dup)',
      '{"exit_code":1,"error":"Cluster name \'dup\' is duplicated"}',
    ].join('\n');
    expect(parseTiupErrorLine(stderr)).toEqual({ exitCode: 1, error: "Cluster name 'dup' is duplicated" });
  });

  it('returns undefined without such a line', () => {
    expect(parseTiupErrorLine('Error: something\n{"other":1}\n')).toBeUndefined();
    expect(parseTiupErrorLine('')).toBeUndefined();
  });
});

describe('parseBrProgress', () => {
  it('matches the log form TiDB Operator parses', () => {
    const line =
      '[2024/05/06 10:11:12.345 +08:00] [INFO] [progress.go:162] [progress] [step="Full Restore"] [progress=42.17%] [count="421 / 1000"] [speed="12 p/s"] [elapsed=35s] [remaining=48s]';
    expect(parseBrProgress(line)).toEqual({ step: 'Full Restore', percent: 42.17 });
  });

  it('accepts an unquoted single-word step', () => {
    expect(parseBrProgress('[INFO] [progress] [step=Checksum] [progress=100.00%]')).toEqual({ step: 'Checksum', percent: 100 });
  });

  it('matches the terminal progress bar', () => {
    expect(parseBrProgress('Full Backup <-----------/.................> 37.50%')).toEqual({ step: 'Full Backup', percent: 37.5 });
  });

  it('ignores other lines', () => {
    expect(parseBrProgress('[INFO] [client.go:800] ["backup started"] [progress=none]')).toBeUndefined();
    expect(parseBrProgress('')).toBeUndefined();
  });
});

describe('parseBrSummary', () => {
  it('parses a backup summary with a byte Size and BackupTS', () => {
    const line =
      '[2024/05/06 10:20:00.000 +08:00] [INFO] [collector.go:77] ["Full Backup success summary"] [total-ranges=19] [ranges-succeed=19] [ranges-failed=0] [backup-checksum=3.1ms] [backup-fast-checksum=2.8ms] [backup-total-ranges=80] [total-take=4.2s] [BackupTS=449506925178880001] [total-kv=1000000] [total-kv-size=1.2GB] [average-speed=285.7MB/s] [backup-data-size(after-compressed)=314.5MB] [Size=314572800]';
    const s = parseBrSummary(line);
    expect(s?.kind).toBe('backup');
    expect(s?.backupTs).toBe('449506925178880001'); // > 2^53, kept exact
    expect(s?.sizeBytes).toBe(314572800);
    expect(s?.fields['total-take']).toBe('4.2s');
    expect(s?.fields['backup-data-size(after-compressed)']).toBe('314.5MB');
  });

  it('parses the docs form and falls back to total-kv-size with units', () => {
    const line = '[Full Backup success summary] [total-take=10s] [BackupTS=435844546560000000] [total-kv=10] [total-kv-size=1.5GB] [average-speed=150MB/s]';
    expect(parseBrSummary(line)).toMatchObject({ kind: 'backup', backupTs: '435844546560000000', sizeBytes: 1_500_000_000 });
  });

  it('parses a restore summary without BackupTS', () => {
    const line =
      '[INFO] ["Full Restore success summary"] [total-ranges=10] [ranges-succeed=10] [ranges-failed=0] [total-take=3s] [restore-data-size(after-compressed)=512MiB] [total-kv=1000] [average-speed=100MB/s]';
    const s = parseBrSummary(line);
    expect(s).toMatchObject({ kind: 'restore', sizeBytes: 512 * 1024 * 1024 });
    expect(s?.backupTs).toBeUndefined();
  });

  it('returns undefined for other lines', () => {
    expect(parseBrSummary('[INFO] ["Full Backup failed summary"] [total-ranges=1]')).toBeUndefined();
  });
});

describe('parseByteSize', () => {
  it.each([
    ['314572800', 314572800],
    ['1.2GB', 1_200_000_000],
    ['512MiB', 536870912],
    ['1.5 kB', 1500],
    ['10B', 10],
    ['2TiB', 2 * 2 ** 40],
    ['0', 0],
  ])('%s → %d', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'abc', '12 parsecs', '-5MB', '1.2.3GB'])('rejects %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});

describe('secret masking', () => {
  it('masks S3 keys in storage URIs', () => {
    const uri = 's3://bucket/clone/b1?access-key=AKIAXXX&secret-access-key=s3cr3t&endpoint=http://minio:9000';
    expect(maskStorageUri(uri)).toBe('s3://bucket/clone/b1?***');
    const masked = maskSecrets(`[arguments] [storage="${uri}"]`);
    expect(masked).not.toContain('s3cr3t');
    expect(masked).not.toContain('AKIAXXX');
    expect(masked).toContain('s3://bucket/clone/b1');
  });

  it('masks the password of a sink URI and key=value secrets', () => {
    expect(maskSecrets('sink mysql://cdc_user:Pa55word@127.0.2.21:4000/ failed')).toBe('sink mysql://cdc_user:***@127.0.2.21:4000/ failed');
    expect(maskSecrets('secret-access-key=abc123 other=1')).toBe('secret-access-key=*** other=1');
    expect(maskSecrets("The new password is: 'X9y!z'.")).toBe("The new password is: '***'.");
  });
});

describe('parseJsonKeepingBigInts', () => {
  it('keeps TSOs beyond 2^53 exact and leaves strings and small numbers alone', () => {
    const text = '{"checkpoint_ts": 449506925178880001, "n": 3, "f": -1.5e3, "s": "a 449506925178880001 \\" b", "arr":[449506925178880003]}';
    const v = parseJsonKeepingBigInts(text) as Record<string, unknown>;
    expect(v.checkpoint_ts).toBe('449506925178880001');
    expect(v.n).toBe(3);
    expect(v.f).toBe(-1500);
    expect(v.s).toBe('a 449506925178880001 " b');
    expect(v.arr).toEqual(['449506925178880003']);
  });
});

describe('tidb helpers', () => {
  it('parses Release Version of tidb_version()', () => {
    const text = 'Release Version: v7.5.1\nEdition: Community\nGit Commit Hash: 7d16cc79e81bbf573124df3fd9351c26963f3e70\nGit Branch: heads/refs/tags/v7.5.1';
    expect(parseTidbVersion(text)).toBe('v7.5.1');
    expect(parseTidbVersion('5.7.25-TiDB')).toBeUndefined();
  });

  it('escapes backticks in identifiers', () => {
    expect(escapeId('we`ird')).toBe('`we``ird`');
  });
});
