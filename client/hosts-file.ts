// `tiem hosts import`: hosts from a CSV or JSON file into POST /api/v1/resources/hosts bodies.
// CSV header: ip,hostName,region,zone,rack,arch,cpuCores,memory,disks — disks as
// `name:path:capacityGB:type;…` (e.g. `nvme0:/data1:1000:NVMeSSD;sda:/data2:2000:SSD`).
import type { HostBody } from './api-types.js';
import { TiemError } from '../domain/errors.js';

const COLUMNS = ['ip', 'hostName', 'region', 'zone', 'rack', 'arch', 'cpuCores', 'memory', 'disks'] as const;
const DISK_TYPES = new Set(['SSD', 'NVMeSSD', 'SATA']);

function invalid(where: string, msg: string): TiemError {
  return new TiemError('PARAMETER_INVALID', `${where}: ${msg}`);
}

/** One CSV record: commas split fields, double quotes protect them ("" is a quote). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

export function parseDisks(spec: string, where: string): HostBody['disks'] {
  return spec
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => {
      const [name, path, capacity, type] = d.split(':');
      if (!name || !path || !capacity || !type) throw invalid(where, `disk "${d}": expected name:path:capacityGB:type`);
      const cap = Number(capacity);
      if (!Number.isFinite(cap) || cap <= 0) throw invalid(where, `disk "${d}": capacity must be a positive number of GB`);
      if (!DISK_TYPES.has(type)) throw invalid(where, `disk "${d}": type must be SSD, NVMeSSD or SATA`);
      return { name, path, capacity: cap, type: type as HostBody['disks'][number]['type'] };
    });
}

function positive(v: string | undefined, what: string, where: string): number {
  const n = Number(v);
  if (!v || !Number.isFinite(n) || n <= 0) throw invalid(where, `${what} must be a positive number, got "${v ?? ''}"`);
  return n;
}

export function parseHostsCsv(text: string): HostBody[] {
  const lines = text.split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l.trim() && !l.trimStart().startsWith('#'));
  if (lines.length === 0) throw invalid('hosts file', 'empty');
  const header = splitCsvLine(lines[0].l);
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw invalid('line 1', `missing column(s) ${missing.join(', ')}; expected header ${COLUMNS.join(',')}`);
  return lines.slice(1).map(({ l, n }) => {
    const cells = splitCsvLine(l);
    const get = (c: (typeof COLUMNS)[number]) => cells[header.indexOf(c)] ?? '';
    const where = `line ${n}`;
    for (const c of ['ip', 'region', 'zone', 'arch'] as const) if (!get(c)) throw invalid(where, `${c} is empty`);
    return {
      ip: get('ip'),
      hostName: get('hostName') || undefined,
      region: get('region'),
      zone: get('zone'),
      rack: get('rack'),
      arch: get('arch') as HostBody['arch'],
      cpuCores: positive(get('cpuCores'), 'cpuCores', where),
      memory: positive(get('memory'), 'memory', where),
      disks: parseDisks(get('disks'), where),
    };
  });
}

/** JSON: an array of hosts or `{ "hosts": [...] }` (the API body). Checked by the API's schema. */
export function parseHostsJson(text: string): HostBody[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new TiemError('MARSHAL_ERROR', `hosts file: ${(err as Error).message}`);
  }
  const hosts = Array.isArray(v) ? v : (v as { hosts?: unknown } | null)?.hosts;
  if (!Array.isArray(hosts)) throw invalid('hosts file', 'expected an array of hosts or {"hosts": [...]}');
  return hosts as HostBody[];
}

export function parseHostsFile(name: string, text: string): HostBody[] {
  return name.toLowerCase().endsWith('.json') ? parseHostsJson(text) : parseHostsCsv(text);
}
