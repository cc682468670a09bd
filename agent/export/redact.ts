// What a collector says is not trusted to be free of secrets: authentication front-ends echo the
// request they refused ("invalid credentials: authorization=Bearer ..."). Every collector message
// goes through a redactor before it reaches a log line or an error.

/** Longest collector message kept in a log line; the rest is cut (after redaction, so no secret is cut in half and shown). */
export const MAX_COLLECTOR_MESSAGE = 512;

/** Values shorter than this are not treated as secrets: replacing every "ci" or "1" would garble messages and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/** A credential scheme and its token, up to the next blank, quote or separator; the classes do not overlap, so matching is linear. */
const CREDENTIAL = /(Bearer|Basic)[ \t]+[^\s"',;]+/gi;

export const REDACTED = '[redacted]';

export type Redactor = (text: string) => string;

/**
 * Returns a function that replaces each secret (as written and percent-encoded, as a header echoed
 * in a URL would be) and any `Bearer`/`Basic` credential with [redacted], and bounds the length.
 */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const form of ordered) out = out.split(form).join(REDACTED);
    out = out.replace(CREDENTIAL, `$1 ${REDACTED}`);
    return out.length > MAX_COLLECTOR_MESSAGE ? `${out.slice(0, MAX_COLLECTOR_MESSAGE)}… (${out.length - MAX_COLLECTOR_MESSAGE} more characters)` : out;
  };
}
