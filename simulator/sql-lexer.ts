// Tokenizer and a small cursor for the SQL subset the simulator understands.

export type TokenType = 'word' | 'string' | 'number' | 'ident' | 'sysvar' | 'uservar' | 'param' | 'punct';

export interface Token {
  type: TokenType;
  /** Unquoted value (strings, idents) or the text (others). */
  value: string;
  start: number;
  end: number;
}

export class SqlSyntaxError extends Error {}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if ((ch === '-' && sql[i + 1] === '-' && (sql[i + 2] === ' ' || sql[i + 2] === undefined)) || ch === '#') {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
      continue;
    }
    const start = i;
    if (ch === "'" || ch === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlSyntaxError('unterminated string');
        const c = sql[i];
        if (c === '\\' && i + 1 < n) {
          const e = sql[i + 1];
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === '0' ? '\0' : e;
          i += 2;
          continue;
        }
        if (c === ch) {
          if (sql[i + 1] === ch) {
            v += ch;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += c;
        i++;
      }
      out.push({ type: 'string', value: v, start, end: i });
      continue;
    }
    if (ch === '`') {
      let v = '';
      i++;
      for (;;) {
        if (i >= n) throw new SqlSyntaxError('unterminated identifier');
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') {
            v += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += sql[i++];
      }
      out.push({ type: 'ident', value: v, start, end: i });
      continue;
    }
    if (ch === '@' && sql[i + 1] === '@') {
      i += 2;
      while (i < n && /[\w.$]/.test(sql[i])) i++;
      out.push({ type: 'sysvar', value: sql.slice(start + 2, i).toLowerCase(), start, end: i });
      continue;
    }
    if (ch === '@' && /[\w$]/.test(sql[i + 1] ?? '')) {
      i++;
      while (i < n && /[\w.$]/.test(sql[i])) i++;
      out.push({ type: 'uservar', value: sql.slice(start + 1, i), start, end: i });
      continue;
    }
    if (/\d/.test(ch) || (ch === '.' && /\d/.test(sql[i + 1] ?? '') && out[out.length - 1]?.type !== 'word' && out[out.length - 1]?.type !== 'ident')) {
      while (i < n && /[\d.eE]/.test(sql[i])) i++;
      if (i < n && /[A-Za-z_]/.test(sql[i])) {
        // identifiers may start with digits (e.g. 1abc)
        while (i < n && /[\w$]/.test(sql[i])) i++;
        out.push({ type: 'word', value: sql.slice(start, i), start, end: i });
      } else out.push({ type: 'number', value: sql.slice(start, i), start, end: i });
      continue;
    }
    if (/[A-Za-z_$\u0080-\uffff]/.test(ch)) {
      while (i < n && /[\w$\u0080-\uffff]/.test(sql[i])) i++;
      out.push({ type: 'word', value: sql.slice(start, i), start, end: i });
      continue;
    }
    if (ch === '?') {
      out.push({ type: 'param', value: '?', start, end: i + 1 });
      i++;
      continue;
    }
    const two = sql.slice(i, i + 2);
    if (['<>', '!=', '>=', '<=', ':='].includes(two)) {
      out.push({ type: 'punct', value: two, start, end: i + 2 });
      i += 2;
      continue;
    }
    out.push({ type: 'punct', value: ch, start, end: i + 1 });
    i++;
  }
  while (out.length && out[out.length - 1].type === 'punct' && out[out.length - 1].value === ';') out.pop();
  return out;
}

/** Cursor over tokens with keyword helpers (keywords compared case-insensitively). */
export class Cursor {
  pos = 0;
  constructor(
    readonly toks: Token[],
    readonly sql: string,
  ) {}

  peek(k = 0): Token | undefined {
    return this.toks[this.pos + k];
  }
  /** Consumes and returns every token left. */
  restTokens(): Token[] {
    const out = this.toks.slice(this.pos);
    this.pos = this.toks.length;
    return out;
  }

  get done(): boolean {
    return this.pos >= this.toks.length;
  }
  isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return !!t && t.type === 'word' && t.value.toUpperCase() === word;
  }
  isKws(...words: string[]): boolean {
    return words.every((w, k) => this.isKw(w, k));
  }
  acceptKw(...words: string[]): boolean {
    if (!this.isKws(...words)) return false;
    this.pos += words.length;
    return true;
  }
  expectKw(...words: string[]): void {
    if (!this.acceptKw(...words)) this.fail();
  }
  isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return !!t && t.type === 'punct' && t.value === p;
  }
  acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }
  expectPunct(p: string): void {
    if (!this.acceptPunct(p)) this.fail();
  }
  next(): Token {
    const t = this.toks[this.pos++];
    if (!t) this.fail();
    return t;
  }
  /** A name: bare word, `ident` or (leniently) a string. */
  name(): string {
    const t = this.next();
    if (t.type === 'word' || t.type === 'ident' || t.type === 'string') return t.value;
    this.pos--;
    return this.fail();
  }
  /** db.table or table */
  qualifiedName(): { db?: string; name: string } {
    const a = this.name();
    if (this.acceptPunct('.')) return { db: a, name: this.name() };
    return { name: a };
  }
  /** A literal value: string, number, bare word (ON/OFF/TRUE), signed number. */
  literal(): string {
    const t = this.next();
    if (t.type === 'punct' && t.value === '-') return '-' + this.literal();
    if (t.type === 'string' || t.type === 'number' || t.type === 'word' || t.type === 'ident') return t.value;
    this.pos--;
    return this.fail();
  }
  /** 'user'@'host' (host defaults to %). */
  userSpec(): { user: string; host: string } {
    const user = this.name();
    let host = '%';
    if (this.acceptPunct('@')) host = this.name();
    else if (this.peek()?.type === 'uservar') {
      // `root@localhost` tokenizes as word + uservar
      host = this.next().value;
    }
    return { user, host };
  }
  rest(): string {
    const t = this.peek();
    return t ? this.sql.slice(t.start) : '';
  }
  fail(): never {
    const near = this.rest().slice(0, 60);
    throw new SqlSyntaxError(`You have an error in your SQL syntax; check the manual that corresponds to your TiDB version for the right syntax to use line 1 column ${this.peek()?.start ?? this.sql.length} near "${near}" `);
  }
}
