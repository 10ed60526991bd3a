// A minimal server side of the MySQL client/server protocol (handshake v10, mysql_native_password,
// COM_QUERY, COM_STMT_PREPARE/EXECUTE with binary results, EOF-style result sets). Written by hand
// because mysql2's server-side statement parsing is heuristic.
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';

const CAP = {
  LONG_PASSWORD: 0x1,
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  TRANSACTIONS: 0x2000,
  SECURE_CONNECTION: 0x8000,
  MULTI_RESULTS: 0x20000,
  PS_MULTI_RESULTS: 0x40000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  PLUGIN_AUTH_LENENC: 0x200000,
};
const SERVER_CAPS = Object.values(CAP).reduce((a, b) => a | b, 0) & ~CAP.SSL;
const STATUS_AUTOCOMMIT = 0x0002;
const CHARSET_UTF8MB4_BIN = 46;
const CHARSET_BINARY = 63;
const TYPE_LONGLONG = 0x08;
const TYPE_VAR_STRING = 0xfd;
const FLAG_UNSIGNED = 0x20;
const FLAG_BINARY = 0x80;

export type SqlValue = string | number | bigint | null;

export interface SqlColumn {
  name: string;
  type?: 'string' | 'int' | 'uint';
}

export type SqlResult =
  | { kind: 'ok'; affectedRows?: number; warnings?: number }
  | { kind: 'rows'; columns: SqlColumn[]; rows: SqlValue[][] }
  | { kind: 'error'; code: number; sqlState?: string; message: string }
  /** Never answer (a "hang" fault) — the client must give up. */
  | { kind: 'hang' }
  /** Drop the connection (a "die" fault). */
  | { kind: 'close' };

/** A bound parameter of a prepared statement. */
export type ParamValue = string | number | bigint | null | Buffer;

export interface MysqlSession {
  /** Returns an error for access denied. */
  authenticate(a: { user: string; clientHost: string; verify: (authString: string) => boolean }): SqlResult | undefined;
  execute(sql: string, params?: ParamValue[]): Promise<SqlResult>;
  countParams(sql: string): number;
  close(): void;
}

export interface MysqlServerOptions {
  serverVersion: string;
  newSession: () => MysqlSession;
  /**
   * TLS for clients (TiDB: `security.ssl-cert`/`ssl-key` set; `ssl-ca` asks clients for a certificate
   * and verifies one if given, pingcap/tidb pkg/util/misc.go LoadTLSCertificates: VerifyClientCertIfGiven).
   * `requireSecureTransport`: `security.require-secure-transport`, plaintext logins refused.
   */
  tls?: { key: string; cert: string; ca?: string; requireSecureTransport: boolean };
}

let nextConnectionId = 1;

export function createMysqlServer(opts: MysqlServerOptions): net.Server & { destroyAll(): void } {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    new Connection(socket, opts).start();
  }) as net.Server & { destroyAll(): void };
  server.destroyAll = () => {
    for (const s of sockets) s.destroy();
  };
  return server;
}

// ---- encoding helpers ----

function lenencInt(n: number | bigint): Buffer {
  const v = BigInt(n);
  if (v < 251n) return Buffer.from([Number(v)]);
  if (v < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = 0xfc;
    b.writeUInt16LE(Number(v), 1);
    return b;
  }
  if (v < 0x1000000n) {
    const b = Buffer.alloc(4);
    b[0] = 0xfd;
    b.writeUIntLE(Number(v), 1, 3);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(v, 1);
  return b;
}

function lenencStr(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([lenencInt(b.length), b]);
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  u8(): number {
    return this.buf[this.pos++];
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  nulStr(): string {
    const end = this.buf.indexOf(0, this.pos);
    const e = end < 0 ? this.buf.length : end;
    const s = this.buf.subarray(this.pos, e).toString('utf8');
    this.pos = e + 1;
    return s;
  }
  lenenc(): number {
    const f = this.u8();
    if (f < 251) return f;
    if (f === 0xfc) return this.u16();
    if (f === 0xfd) {
      const v = this.buf.readUIntLE(this.pos, 3);
      this.pos += 3;
      return v;
    }
    const v = Number(this.buf.readBigUInt64LE(this.pos));
    this.pos += 8;
    return v;
  }
  rest(): Buffer {
    return this.buf.subarray(this.pos);
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
}

interface Prepared {
  sql: string;
  numParams: number;
  types: number[];
}

class Connection {
  private inbuf = Buffer.alloc(0);
  private seq = 0;
  private state: 'auth' | 'authSwitch' | 'command' = 'auth';
  private readonly scramble: Buffer;
  private readonly connectionId = nextConnectionId++;
  private session: MysqlSession;
  private queue: Promise<void> = Promise.resolve();
  private stmts = new Map<number, Prepared>();
  private nextStmt = 1;
  private pendingUser = '';
  private closed = false;
  private secure = false;
  private readonly caps: number;
  private readonly clientHost: string;

  constructor(
    private socket: net.Socket,
    private readonly opts: MysqlServerOptions,
  ) {
    // Printable, non-zero scramble bytes, as MySQL generates them.
    this.scramble = Buffer.from([...randomBytes(20)].map((b) => 0x21 + (b % 94)));
    this.session = opts.newSession();
    this.caps = opts.tls ? SERVER_CAPS | CAP.SSL : SERVER_CAPS;
    this.clientHost = (socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  }

  start(): void {
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.session.close();
    });
    this.seq = 0;
    this.sendHandshake();
  }

  /** The client's SSLRequest: the rest of the conversation (handshake response first) runs over TLS. */
  private upgradeToTls(rest: Buffer): void {
    const t = this.opts.tls!;
    const raw = this.socket;
    // Over a stream, not the socket's handle: bytes of the ClientHello already read (`rest`) must reach TLS.
    raw.removeAllListeners('data');
    const plain = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        raw.write(chunk, cb);
      },
      final(cb) {
        raw.end();
        cb();
      },
      destroy(err, cb) {
        raw.destroy();
        cb(err);
      },
    });
    raw.on('data', (d) => plain.push(d));
    raw.on('end', () => plain.push(null));
    if (rest.length) plain.push(rest);
    const secure = new tls.TLSSocket(plain as unknown as net.Socket, { isServer: true, key: t.key, cert: t.cert, ca: t.ca, requestCert: Boolean(t.ca), rejectUnauthorized: false });
    secure.on('error', () => raw.destroy());
    secure.on('data', (d) => this.onData(d));
    this.socket = secure;
    this.secure = true;
    this.inbuf = Buffer.alloc(0);
  }

  private write(payload: Buffer): void {
    if (this.closed) return;
    const h = Buffer.alloc(4);
    h.writeUIntLE(payload.length, 0, 3);
    h[3] = this.seq & 0xff;
    this.seq = (this.seq + 1) & 0xff;
    this.socket.write(Buffer.concat([h, payload]));
  }

  private onData(d: Buffer): void {
    this.inbuf = Buffer.concat([this.inbuf, d]);
    while (this.inbuf.length >= 4) {
      const len = this.inbuf.readUIntLE(0, 3);
      if (this.inbuf.length < 4 + len) break;
      const seq = this.inbuf[3];
      const payload = this.inbuf.subarray(4, 4 + len);
      this.inbuf = this.inbuf.subarray(4 + len);
      // SSLRequest: the first 32 bytes of a handshake response with CLIENT_SSL set.
      if (this.state === 'auth' && !this.secure && this.opts.tls && len === 32 && payload.readUInt32LE(0) & CAP.SSL) {
        this.seq = (seq + 1) & 0xff;
        this.upgradeToTls(this.inbuf);
        return;
      }
      this.queue = this.queue.then(() => this.onPacket(seq, Buffer.from(payload))).catch(() => {
        this.socket.destroy();
      });
    }
  }

  private sendHandshake(): void {
    const parts = [
      Buffer.from([10]),
      Buffer.from(this.opts.serverVersion + '\0', 'utf8'),
      (() => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(this.connectionId);
        return b;
      })(),
      this.scramble.subarray(0, 8),
      Buffer.from([0]),
      (() => {
        const b = Buffer.alloc(2);
        b.writeUInt16LE(this.caps & 0xffff);
        return b;
      })(),
      Buffer.from([CHARSET_UTF8MB4_BIN]),
      (() => {
        const b = Buffer.alloc(2);
        b.writeUInt16LE(STATUS_AUTOCOMMIT);
        return b;
      })(),
      (() => {
        const b = Buffer.alloc(2);
        b.writeUInt16LE((this.caps >>> 16) & 0xffff);
        return b;
      })(),
      Buffer.from([21]),
      Buffer.alloc(10),
      this.scramble.subarray(8, 20),
      Buffer.from([0]),
      Buffer.from('mysql_native_password\0'),
    ];
    this.write(Buffer.concat(parts));
  }

  private verify(token: Buffer): (authString: string) => boolean {
    return (authString: string) => {
      if (!authString) return token.length === 0;
      if (token.length !== 20) return false;
      const stage2 = Buffer.from(authString, 'hex');
      const mix = createHash('sha1').update(this.scramble).update(stage2).digest();
      const stage1 = Buffer.alloc(20);
      for (let i = 0; i < 20; i++) stage1[i] = token[i] ^ mix[i];
      return createHash('sha1').update(stage1).digest().equals(stage2);
    };
  }

  private finishAuth(user: string, token: Buffer): void {
    const clientHost = this.clientHost;
    if (this.opts.tls?.requireSecureTransport && !this.secure) {
      // pingcap/tidb pkg/server/conn.go: errSecureTransportRequired (ER_SECURE_TRANSPORT_REQUIRED).
      this.sendError(3159, 'Connections using insecure transport are prohibited while --require_secure_transport=ON.', 'HY000');
      this.socket.end();
      return;
    }
    const err = this.session.authenticate({ user, clientHost, verify: this.verify(token) });
    if (err && err.kind === 'error') {
      this.sendError(err.code, err.message, err.sqlState ?? '28000');
      this.socket.end();
      return;
    }
    this.state = 'command';
    this.sendOk();
  }

  private async onPacket(seq: number, p: Buffer): Promise<void> {
    this.seq = (seq + 1) & 0xff;
    if (this.state === 'auth') {
      const r = new Reader(p);
      const caps = r.u32();
      r.u32();
      r.u8();
      r.bytes(23);
      const user = r.nulStr();
      let token: Buffer;
      if (caps & CAP.PLUGIN_AUTH_LENENC) token = r.bytes(r.lenenc());
      else if (caps & CAP.SECURE_CONNECTION) token = r.bytes(r.u8());
      else token = Buffer.from(r.nulStr());
      if (caps & CAP.CONNECT_WITH_DB && !r.done) r.nulStr();
      let plugin = 'mysql_native_password';
      if (caps & CAP.PLUGIN_AUTH && !r.done) plugin = r.nulStr() || plugin;
      if (plugin !== 'mysql_native_password') {
        this.pendingUser = user;
        this.state = 'authSwitch';
        this.write(Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_native_password\0'), this.scramble, Buffer.from([0])]));
        return;
      }
      this.finishAuth(user, Buffer.from(token));
      return;
    }
    if (this.state === 'authSwitch') {
      this.finishAuth(this.pendingUser, p);
      return;
    }
    const cmd = p[0];
    const body = p.subarray(1);
    switch (cmd) {
      case 0x01: // COM_QUIT
        this.socket.end();
        return;
      case 0x02: // COM_INIT_DB
      case 0x0e: // COM_PING
      case 0x1a: // COM_STMT_RESET
      case 0x11: // COM_CHANGE_USER (not supported beyond OK)
        this.sendOk();
        return;
      case 0x03: {
        const res = await this.session.execute(body.toString('utf8'));
        this.sendResult(res, false);
        return;
      }
      case 0x16: {
        const sql = body.toString('utf8');
        const id = this.nextStmt++;
        const numParams = this.session.countParams(sql);
        this.stmts.set(id, { sql, numParams, types: [] });
        const b = Buffer.alloc(12);
        b[0] = 0;
        b.writeUInt32LE(id, 1);
        b.writeUInt16LE(0, 5); // columns are described by the execute response
        b.writeUInt16LE(numParams, 7);
        b[9] = 0;
        b.writeUInt16LE(0, 10);
        this.write(b);
        if (numParams > 0) {
          for (let i = 0; i < numParams; i++) this.write(columnDef({ name: '?', type: 'string' }));
          this.sendEof();
        }
        return;
      }
      case 0x17: {
        const r = new Reader(body);
        const id = r.u32();
        const st = this.stmts.get(id);
        if (!st) {
          this.sendError(1243, `Unknown prepared statement handler (${id}) given to mysqld_stmt_execute`, 'HY000');
          return;
        }
        r.u8();
        r.u32();
        const params: ParamValue[] = [];
        if (st.numParams > 0) {
          const nullMap = r.bytes((st.numParams + 7) >> 3);
          const bound = r.u8();
          if (bound === 1) {
            st.types = [];
            for (let i = 0; i < st.numParams; i++) st.types.push(r.u16());
          }
          for (let i = 0; i < st.numParams; i++) {
            if (nullMap[i >> 3] & (1 << (i & 7))) {
              params.push(null);
              continue;
            }
            params.push(readBinaryValue(r, (st.types[i] ?? TYPE_VAR_STRING) & 0xff, ((st.types[i] ?? 0) & 0x8000) !== 0));
          }
        }
        const res = await this.session.execute(st.sql, params);
        this.sendResult(res, true);
        return;
      }
      case 0x19: // COM_STMT_CLOSE: no answer
        this.stmts.delete(body.readUInt32LE(0));
        return;
      default:
        this.sendError(1047, 'Unknown command', '08S01');
    }
  }

  private sendOk(affectedRows = 0, warnings = 0): void {
    const tail = Buffer.alloc(4);
    tail.writeUInt16LE(STATUS_AUTOCOMMIT, 0);
    tail.writeUInt16LE(warnings, 2);
    this.write(Buffer.concat([Buffer.from([0]), lenencInt(affectedRows), lenencInt(0), tail]));
  }

  private sendEof(): void {
    const b = Buffer.alloc(5);
    b[0] = 0xfe;
    b.writeUInt16LE(0, 1);
    b.writeUInt16LE(STATUS_AUTOCOMMIT, 3);
    this.write(b);
  }

  private sendError(code: number, message: string, sqlState = 'HY000'): void {
    const b = Buffer.alloc(3);
    b[0] = 0xff;
    b.writeUInt16LE(code, 1);
    this.write(Buffer.concat([b, Buffer.from('#' + sqlState.padEnd(5, '0').slice(0, 5)), Buffer.from(message, 'utf8')]));
  }

  private sendResult(res: SqlResult, binary: boolean): void {
    switch (res.kind) {
      case 'hang':
        return;
      case 'close':
        this.socket.destroy();
        return;
      case 'ok':
        this.sendOk(res.affectedRows ?? 0, res.warnings ?? 0);
        return;
      case 'error':
        this.sendError(res.code, res.message, res.sqlState);
        return;
      case 'rows': {
        this.write(lenencInt(res.columns.length));
        for (const c of res.columns) this.write(columnDef(c));
        this.sendEof();
        for (const row of res.rows) this.write(binary ? binaryRow(res.columns, row) : textRow(row));
        this.sendEof();
      }
    }
  }
}

function columnDef(c: SqlColumn): Buffer {
  const isInt = c.type === 'int' || c.type === 'uint';
  const fixed = Buffer.alloc(13);
  fixed[0] = 0x0c;
  fixed.writeUInt16LE(isInt ? CHARSET_BINARY : CHARSET_UTF8MB4_BIN, 1);
  fixed.writeUInt32LE(isInt ? 20 : 1024, 3);
  fixed[7] = isInt ? TYPE_LONGLONG : TYPE_VAR_STRING;
  fixed.writeUInt16LE(isInt ? FLAG_BINARY | (c.type === 'uint' ? FLAG_UNSIGNED : 0) : 0, 8);
  fixed[10] = 0;
  return Buffer.concat([lenencStr('def'), lenencStr(''), lenencStr(''), lenencStr(''), lenencStr(c.name), lenencStr(c.name), fixed]);
}

function textRow(row: SqlValue[]): Buffer {
  return Buffer.concat(row.map((v) => (v === null ? Buffer.from([0xfb]) : lenencStr(String(v)))));
}

function binaryRow(columns: SqlColumn[], row: SqlValue[]): Buffer {
  const nullMap = Buffer.alloc((columns.length + 7 + 2) >> 3);
  const parts: Buffer[] = [];
  columns.forEach((c, i) => {
    const v = row[i];
    if (v === null || v === undefined) {
      const bit = i + 2;
      nullMap[bit >> 3] |= 1 << (bit & 7);
      return;
    }
    if (c.type === 'int' || c.type === 'uint') {
      const b = Buffer.alloc(8);
      const big = BigInt(v);
      if (c.type === 'uint') b.writeBigUInt64LE(BigInt.asUintN(64, big));
      else b.writeBigInt64LE(BigInt.asIntN(64, big));
      parts.push(b);
    } else parts.push(lenencStr(String(v)));
  });
  return Buffer.concat([Buffer.from([0]), nullMap, ...parts]);
}

function readBinaryValue(r: Reader, type: number, unsigned: boolean): ParamValue {
  switch (type) {
    case 0x01: {
      const v = r.u8();
      return unsigned ? v : (v << 24) >> 24;
    }
    case 0x02:
    case 0x0d: {
      const v = r.u16();
      return unsigned ? v : (v << 16) >> 16;
    }
    case 0x03:
    case 0x09: {
      const v = r.buf.readInt32LE(r.pos);
      const u = r.buf.readUInt32LE(r.pos);
      r.pos += 4;
      return unsigned ? u : v;
    }
    case 0x08: {
      const v = unsigned ? r.buf.readBigUInt64LE(r.pos) : r.buf.readBigInt64LE(r.pos);
      r.pos += 8;
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 0x04: {
      const v = r.buf.readFloatLE(r.pos);
      r.pos += 4;
      return v;
    }
    case 0x05: {
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 0x06:
      return null;
    case 0x07:
    case 0x0a:
    case 0x0b:
    case 0x0c: {
      // Dates: length-prefixed; rendered as text for the SQL layer.
      const n = r.u8();
      const d = new Reader(r.bytes(n));
      if (n === 0) return '0000-00-00 00:00:00';
      const y = d.u16();
      const mo = d.u8();
      const da = d.u8();
      const hh = n >= 7 ? d.u8() : 0;
      const mi = n >= 7 ? d.u8() : 0;
      const ss = n >= 7 ? d.u8() : 0;
      const p = (x: number) => String(x).padStart(2, '0');
      return `${y}-${p(mo)}-${p(da)} ${p(hh)}:${p(mi)}:${p(ss)}`;
    }
    default: {
      const n = r.lenenc();
      return r.bytes(n).toString('utf8');
    }
  }
}
