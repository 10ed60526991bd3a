// TLS of a simulated cluster with `global.enable_tls: true`: TiUP's per-cluster CA, the client
// certificate it keeps beside it, and the server certificate the cluster's instances present.
// Files and names as pingcap/tiup writes them (pkg/cluster/spec/profile.go TLSCertKeyDir "tls",
// TLSCACert "ca.crt", TLSCAKey "ca.pem", TLSClientCert "client.crt", TLSClientKey "client.pem";
// pkg/cluster/manager/builder.go loadCertificate: CA and client pair under
// $TIUP_HOME/storage/cluster/clusters/<name>/tls/). Generated with the machine's openssl.
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { clusterDir } from './storage.js';
import type { ClusterModel } from './model.js';

const run = promisify(execFile);

export interface ClusterTls {
  caCert: string;
  clientCert: string;
  clientKey: string;
  /** What the cluster's TiDB, TiCDC and PD endpoints present (TiUP: <deploy_dir>/tls/<role>.crt). */
  serverCert: string;
  serverKey: string;
}

export const TLS_FILES = { caCert: 'ca.crt', caKey: 'ca.pem', clientCert: 'client.crt', clientKey: 'client.pem' } as const;

export function tlsDir(tiupHome: string, name: string): string {
  return path.join(clusterDir(tiupHome, name), 'tls');
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

/** Signs a new RSA key's certificate with the CA in `dir` (ca.crt/ca.pem). */
async function issue(dir: string, base: string, subject: string, ext: string[]): Promise<void> {
  await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject, ...ext.flatMap((e) => ['-addext', e])], dir);
  await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.pem', '-CAcreateserial', '-days', '3650', '-copy_extensions', 'copyall', '-out', `${base}.crt`], dir);
}

/**
 * Generates the cluster's CA, client pair and server pair; writes the CA and client pair into
 * TiUP's tls/ folder of the cluster. `hosts` go into the server certificate's SAN.
 */
export async function generateClusterTls(tiupHome: string, name: string, hosts: string[]): Promise<ClusterTls> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-tls-'));
  try {
    await openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.pem', '-out', 'ca.crt', '-days', '3650', '-subj', '/O=PingCAP/OU=TiUP/CN=TiUP', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'],
      work,
    );
    await issue(work, 'client', `/O=PingCAP/OU=TiUP/CN=${name}-client`, ['extendedKeyUsage=clientAuth']);
    const san = [...new Set(['127.0.0.1', ...hosts])].map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`));
    await issue(work, 'server', `/O=PingCAP/OU=TiUP/CN=${name}`, [`subjectAltName=DNS:localhost,${san.join(',')}`, 'extendedKeyUsage=serverAuth,clientAuth']);
    const read = (f: string) => fs.readFileSync(path.join(work, f), 'utf8');
    const dir = tlsDir(tiupHome, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, TLS_FILES.caCert), read('ca.crt'));
    fs.writeFileSync(path.join(dir, TLS_FILES.caKey), read('ca.pem'), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, TLS_FILES.clientCert), read('client.crt'));
    fs.writeFileSync(path.join(dir, TLS_FILES.clientKey), read('client.key'), { mode: 0o600 });
    return { caCert: read('ca.crt'), clientCert: read('client.crt'), clientKey: read('client.key'), serverCert: read('server.crt'), serverKey: read('server.key') };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Why a client's --ca/--cert/--key would not get through the cluster's TLS, or undefined when they
 * would: the CA must be the cluster's (it verifies the server), the certificate must be signed by
 * the cluster's CA (PD/TiKV verify the client, tiflow pkg/security/credential.go
 * RequireAndVerifyClientCert) and the key must be the certificate's.
 */
export function clientCredentialProblem(tls: ClusterTls, files: { ca?: string; cert?: string; key?: string }): string | undefined {
  if (!files.ca || !files.cert || !files.key) return 'no client certificate (--ca, --cert and --key are required by a TLS cluster)';
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(fs.readFileSync(files.ca));
    cert = new X509Certificate(fs.readFileSync(files.cert));
  } catch (e) {
    return `could not load certificate: ${(e as Error).message}`;
  }
  const clusterCa = new X509Certificate(tls.caCert);
  if (!new X509Certificate(tls.serverCert).verify(ca.publicKey)) return 'x509: certificate signed by unknown authority';
  if (!cert.verify(clusterCa.publicKey)) return 'remote error: tls: bad certificate';
  try {
    if (!cert.checkPrivateKey(createPrivateKey(fs.readFileSync(files.key)))) return 'tls: private key does not match public key';
  } catch (e) {
    return `could not load client key pair: ${(e as Error).message}`;
  }
  return undefined;
}

/** The TLS a cluster's TiDB offers SQL clients, or undefined (plaintext only). */
export interface SqlTls {
  key: string;
  cert: string;
  /** Set when `security.ssl-ca` is: clients are asked for a certificate. */
  ca?: string;
  requireSecureTransport: boolean;
}

/**
 * TiDB serves TLS to SQL clients only when `security.ssl-cert` and `ssl-key` are set (TiUP's
 * enable_tls sets only the cluster-ssl-* items, pingcap/tiup pkg/cluster/spec/tidb.go setTLSConfig).
 * The simulator presents the cluster's server certificate whatever path is configured.
 */
export function sqlTlsOf(c: ClusterModel): SqlTls | undefined {
  const conf = c.config.tidb ?? {};
  if (!c.tls || !conf['security.ssl-cert'] || !conf['security.ssl-key']) return undefined;
  const requireSecureTransport = conf['security.require-secure-transport'] === true || conf['security.require-secure-transport'] === 'true';
  return { key: c.tls.serverKey, cert: c.tls.serverCert, ca: conf['security.ssl-ca'] ? c.tls.caCert : undefined, requireSecureTransport };
}

/**
 * Why a TiCDC MySQL sink cannot open its connection to `downstream`, or undefined. `sslCa` is the
 * sink URI's ssl-ca, read on the CDC host (`readOnCdcHost`): with it the sink speaks TLS and
 * verifies the server (tiflow pkg/sink/mysql/config.go getSSLCA, pkg/security/credential.go
 * ToTLSConfig "could not read ca certificate"); without it, plaintext.
 */
export function sinkTlsProblem(downstream: ClusterModel, sslCa: string | undefined, readOnCdcHost: (p: string) => string | undefined): string | undefined {
  const offered = sqlTlsOf(downstream);
  if (!sslCa) {
    return offered?.requireSecureTransport ? 'Error 3159 (HY000): Connections using insecure transport are prohibited while --require_secure_transport=ON.' : undefined;
  }
  const pem = readOnCdcHost(sslCa);
  if (pem === undefined) return `could not read ca certificate: open ${sslCa}: no such file or directory`;
  // go-sql-driver/mysql packets.go readHandshakePacket: ErrNoTLS.
  if (!offered) return 'TLS requested but server does not support TLS';
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(pem);
  } catch {
    return 'failed to append ca certs';
  }
  if (!new X509Certificate(offered.cert).verify(ca.publicKey)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  return undefined;
}
