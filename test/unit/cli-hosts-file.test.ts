import { describe, expect, it } from '@jest/globals';
import { parseHostsCsv, parseHostsFile, parseHostsJson } from '../../client/hosts-file.js';
import { TiemError } from '../../domain/errors.js';

const HEADER = 'ip,hostName,region,zone,rack,arch,cpuCores,memory,disks';

describe('hosts CSV', () => {
  it('parses hosts with several disks, in any column order', () => {
    const csv = `${HEADER}\n10.0.1.1,tikv-1,Region1,"Region1,Zone1",R1,X86_64,16,64,nvme0:/data1:1000:NVMeSSD;sda:/data2:2000:SSD\n\n# a comment\n10.0.1.2,,Region1,Zone2,R2,ARM64,8,32,sda:/data:500:SATA\n`;
    expect(parseHostsCsv(csv)).toEqual([
      {
        ip: '10.0.1.1', hostName: 'tikv-1', region: 'Region1', zone: 'Region1,Zone1', rack: 'R1', arch: 'X86_64', cpuCores: 16, memory: 64,
        disks: [
          { name: 'nvme0', path: '/data1', capacity: 1000, type: 'NVMeSSD' },
          { name: 'sda', path: '/data2', capacity: 2000, type: 'SSD' },
        ],
      },
      { ip: '10.0.1.2', hostName: undefined, region: 'Region1', zone: 'Zone2', rack: 'R2', arch: 'ARM64', cpuCores: 8, memory: 32, disks: [{ name: 'sda', path: '/data', capacity: 500, type: 'SATA' }] },
    ]);
    const reordered = 'disks,ip,region,zone,rack,arch,cpuCores,memory,hostName\nsda:/d:10:SSD,10.0.0.9,R,Z,K,X86_64,4,8,h9';
    expect(parseHostsCsv(reordered)[0]).toMatchObject({ ip: '10.0.0.9', hostName: 'h9', disks: [{ path: '/d', capacity: 10 }] });
  });

  it('rejects bad input with 10001 naming the line', () => {
    const bad = (csv: string) => {
      try {
        parseHostsCsv(csv);
      } catch (err) {
        expect(err).toBeInstanceOf(TiemError);
        return `${(err as TiemError).code} ${(err as TiemError).detail}`;
      }
      throw new Error('accepted');
    };
    expect(bad('ip,region\n1.1.1.1,R')).toMatch(/^10001 line 1: missing column\(s\) hostName, zone, rack, arch, cpuCores, memory, disks/);
    expect(bad(`${HEADER}\n1.1.1.1,h,R,Z,K,X86_64,zero,8,sda:/d:10:SSD`)).toBe('10001 line 2: cpuCores must be a positive number, got "zero"');
    expect(bad(`${HEADER}\n1.1.1.1,h,R,Z,K,X86_64,4,8,sda:/d:10:Floppy`)).toContain('line 2: disk "sda:/d:10:Floppy": type must be SSD, NVMeSSD or SATA');
    expect(bad(`${HEADER}\n1.1.1.1,h,R,Z,K,X86_64,4,8,sda:/d`)).toContain('expected name:path:capacityGB:type');
    expect(bad(`${HEADER}\n,h,R,Z,K,X86_64,4,8,sda:/d:1:SSD`)).toBe('10001 line 2: ip is empty');
    expect(bad('')).toBe('10001 hosts file: empty');
  });
});

describe('hosts JSON', () => {
  it('accepts an array or the API body, and picks the parser by extension', () => {
    const h = { ip: '1.2.3.4', region: 'R', zone: 'Z', rack: 'K', arch: 'X86_64', cpuCores: 4, memory: 8, disks: [] };
    expect(parseHostsJson(JSON.stringify([h]))).toEqual([h]);
    expect(parseHostsFile('pool.JSON', JSON.stringify({ hosts: [h] }))).toEqual([h]);
    expect(() => parseHostsJson('{"hosts": 3}')).toThrow(/expected an array/);
    expect(() => parseHostsJson('{')).toThrow(TiemError);
    expect(parseHostsFile('pool.csv', `${HEADER}\n1.2.3.4,,R,Z,K,X86_64,4,8,`)[0].disks).toEqual([]);
  });
});
