// Masking of secrets in anything that may reach a log line or an error message.

/**
 * Masks what must never reach logs: credentials in URIs (`scheme://user:pass@`), query strings of
 * storage URIs (S3 keys), `--init` passwords, and key=value secrets.
 */
export function maskSecrets(line: string): string {
  return line
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^\s/@"']*):([^\s/@"']*)@/gi, '$1$2:***@')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?"']*)\?[^\s"']*/gi, '$1?***')
    .replace(/((?:secret-access-key|access-key|secret_access_key|access_key|password|passwd)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&"',\]]+)/gi, '$1***')
    .replace(/(The new password is:\s*)'[^']*'/g, "$1'***'");
}
