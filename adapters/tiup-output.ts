// Pure parsers of tiup-cluster output. The `tiup` wrapper and the component may print other lines
// ("Starting component `cluster`: …", warnings) around the JSON, on either stream.

/**
 * Finds the JSON object in tiup's stdout: the first block that starts with a line beginning with `{`
 * and ends with a line ending with `}` and parses as JSON.
 */
export function parseTiupJson<T = unknown>(stdout: string): T {
  const lines = stdout.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trimStart().startsWith('{')) continue;
    for (let j = lines.length - 1; j >= i; j--) {
      if (!lines[j].trimEnd().endsWith('}')) continue;
      try {
        const value: unknown = JSON.parse(lines.slice(i, j + 1).join('\n'));
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as T;
      } catch {
        // try a shorter block
      }
    }
  }
  throw new Error('no JSON object found in tiup output');
}

export interface TiupErrorLine {
  exitCode: number;
  error: string;
}

/** tiup-cluster's final stderr line `{"exit_code":N,"error":"..."}` (printed with `--format json`). */
export function parseTiupErrorLine(stderr: string): TiupErrorLine | undefined {
  const lines = stderr.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{') || !line.includes('"exit_code"')) continue;
    try {
      const parsed = JSON.parse(line) as { exit_code?: unknown; error?: unknown };
      if (typeof parsed.exit_code === 'number' && typeof parsed.error === 'string') {
        return { exitCode: parsed.exit_code, error: parsed.error };
      }
    } catch {
      // not the error line
    }
  }
  return undefined;
}
