import { COMPONENT } from './components.js';
import type { ConfigMap } from './config-parts.js';

// PII scrubbing on the gateway, before anything leaves for a backend. Every pattern is RE2 (the
// Collector's regex engine: linear time, no backtracking).

/** An e-mail address. */
export const EMAIL_PATTERN = String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`;
/**
 * A payment-card-like number: 15 or 16 digits (American Express; Visa, Mastercard and most
 * others), optionally grouped by spaces or dashes. Millisecond timestamps (13 digits) stay.
 */
export const CARD_PATTERN = String.raw`\b(?:\d[ -]?){14,15}\d\b`;
/** An IPv4 address. */
export const IPV4_PATTERN = String.raw`\b(?:\d{1,3}\.){3}\d{1,3}\b`;
/**
 * An IPv6 address: eight groups, or groups around a `::`. A clock time such as 12:30:45 has
 * neither, so it stays.
 */
export const IPV6_PATTERN = String.raw`\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}\b`;
/** Attribute keys that carry credentials: HTTP authorization and cookie headers. */
export const CREDENTIAL_KEY_PATTERN = String.raw`(?i)^(http\.request\.header\.)?(proxy-)?(authorization|cookie|set-cookie)$`;

export const PII_VALUE_PATTERNS: readonly string[] = [EMAIL_PATTERN, CARD_PATTERN, IPV4_PATTERN, IPV6_PATTERN];

export const REDACTION = COMPONENT.redaction;
export const TRANSFORM_PII = `${COMPONENT.transform}/pii`;

/**
 * `redaction`: every attribute key is allowed, values matching a PII pattern are masked in span
 * and log attributes; the summary (how many values were masked) goes on the span or record.
 */
export function redactionProcessor(): ConfigMap {
  return { allow_all_keys: true, blocked_values: [...PII_VALUE_PATTERNS], summary: 'info' };
}

/**
 * `transform/pii`: credential headers are deleted wherever they appear as attributes, and PII in
 * log bodies (which `redaction` does not read) is masked.
 */
export function transformPiiProcessor(): ConfigMap {
  const dropCredentials = (path: string): string => `delete_matching_keys(${path}, "${CREDENTIAL_KEY_PATTERN.replace(/\\/g, '\\\\')}")`;
  const maskBody = PII_VALUE_PATTERNS.map((p) => `replace_pattern(log.body, "${p.replace(/\\/g, '\\\\')}", "****") where IsString(log.body)`);
  return {
    error_mode: 'ignore',
    trace_statements: [dropCredentials('resource.attributes'), dropCredentials('span.attributes')],
    log_statements: [dropCredentials('resource.attributes'), dropCredentials('log.attributes'), ...maskBody],
    metric_statements: [dropCredentials('resource.attributes'), dropCredentials('datapoint.attributes')],
  };
}
