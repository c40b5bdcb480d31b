/**
 * The MDN HTTP Observatory's header rules (algorithm version 4, @mdn/mdn-http-observatory 1.4.8),
 * rewritten for one captured response. The package itself is not a dependency: it needs Node 22
 * for part of its tree and native PostgreSQL bindings, and it only scans 2xx/3xx/401/403 pages
 * by GET, so it could not score a 413, 429 or 500 anyway. Score modifiers are the package's;
 * the score starts at 100, penalties apply first, and bonuses count only when the penalised
 * score is still at least 90. A+ is 100 or more.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface ObservedResponse {
  readonly headers: IncomingHttpHeaders;
  /** The plain-HTTP answer for the same host (the redirect listener), if any. */
  readonly httpRedirect?: { status: number; location: string | undefined } | null;
  /** The answer to a CORS preflight from a foreign origin. */
  readonly foreignPreflight?: IncomingHttpHeaders | null;
}

export interface RuleResult { readonly rule: string; readonly result: string; readonly modifier: number }

const h = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

function csp(headers: IncomingHttpHeaders): RuleResult {
  const value = h(headers, 'content-security-policy');
  if (value === undefined) return { rule: 'csp', result: 'csp-not-implemented', modifier: -25 };
  const dirs = new Map<string, string[]>();
  for (const part of value.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/);
    if (dirs.has(name.toLowerCase())) return { rule: 'csp', result: 'csp-implemented-but-duplicate-directives', modifier: 0 };
    dirs.set(name.toLowerCase(), sources.map((s) => s.toLowerCase()));
  }
  const src = (d: string): string[] => dirs.get(d) ?? dirs.get('default-src') ?? [];
  const scripts = src('script-src');
  if (scripts.includes("'unsafe-inline'") || scripts.includes('data:') || !dirs.has('default-src') && !dirs.has('script-src')) {
    return { rule: 'csp', result: 'csp-implemented-with-unsafe-inline', modifier: -20 };
  }
  if (scripts.includes("'unsafe-eval'")) return { rule: 'csp', result: 'csp-implemented-with-unsafe-eval', modifier: -10 };
  if ([...dirs.values()].flat().some((s) => s === 'http:' || s.startsWith('http://'))) {
    return { rule: 'csp', result: 'csp-implemented-with-insecure-scheme', modifier: -20 };
  }
  const defaultNone = (dirs.get('default-src') ?? []).join(' ') === "'none'";
  const formAction = dirs.get('form-action') ?? [];
  if (defaultNone && (formAction.includes("'none'") || formAction.includes("'self'"))) {
    return { rule: 'csp', result: 'csp-implemented-with-no-unsafe-default-src-none', modifier: 10 };
  }
  return { rule: 'csp', result: 'csp-implemented-with-no-unsafe', modifier: 5 };
}

function cookies(headers: IncomingHttpHeaders): RuleResult {
  const list = headers['set-cookie'] ?? [];
  if (list.length === 0) return { rule: 'cookies', result: 'cookies-not-found', modifier: 0 };
  const flags = list.map((c) => c.toLowerCase());
  if (flags.some((c) => !/;\s*secure/.test(c))) return { rule: 'cookies', result: 'cookies-session-without-secure-flag', modifier: -40 };
  if (flags.some((c) => !/;\s*httponly/.test(c))) return { rule: 'cookies', result: 'cookies-session-without-httponly-flag', modifier: -30 };
  if (flags.some((c) => /;\s*samesite=(?!strict|lax|none)/.test(c))) return { rule: 'cookies', result: 'cookies-samesite-flag-invalid', modifier: -20 };
  if (flags.every((c) => /;\s*samesite=(strict|lax)/.test(c))) return { rule: 'cookies', result: 'cookies-secure-with-httponly-sessions-and-samesite', modifier: 5 };
  return { rule: 'cookies', result: 'cookies-secure-with-httponly-sessions', modifier: 0 };
}

function cors(r: ObservedResponse): RuleResult {
  const acao = h(r.headers, 'access-control-allow-origin');
  const pre = r.foreignPreflight ? h(r.foreignPreflight, 'access-control-allow-origin') : undefined;
  const creds = h(r.headers, 'access-control-allow-credentials') === 'true' || (r.foreignPreflight && h(r.foreignPreflight, 'access-control-allow-credentials') === 'true');
  if (pre !== undefined && pre !== '*' && creds) return { rule: 'cors', result: 'cross-origin-resource-sharing-implemented-with-universal-access', modifier: -50 };
  if (acao === undefined && pre === undefined) return { rule: 'cors', result: 'cross-origin-resource-sharing-not-implemented', modifier: 0 };
  return { rule: 'cors', result: acao === '*' ? 'cross-origin-resource-sharing-implemented-with-public-access' : 'cross-origin-resource-sharing-implemented-with-restricted-access', modifier: 0 };
}

function redirection(r: ObservedResponse): RuleResult {
  if (r.httpRedirect === undefined || r.httpRedirect === null) return { rule: 'redirection', result: 'redirection-not-needed-no-http', modifier: 0 };
  const { status, location } = r.httpRedirect;
  if (status < 300 || status > 399 || location === undefined) return { rule: 'redirection', result: 'redirection-missing', modifier: -20 };
  if (!location.startsWith('https://')) return { rule: 'redirection', result: 'redirection-not-to-https', modifier: -20 };
  return { rule: 'redirection', result: 'redirection-to-https', modifier: 0 };
}

function referrer(headers: IncomingHttpHeaders): RuleResult {
  const v = h(headers, 'referrer-policy');
  if (v === undefined) return { rule: 'referrer-policy', result: 'referrer-policy-not-implemented', modifier: 0 };
  const last = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).pop() ?? '';
  if (['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'].includes(last)) return { rule: 'referrer-policy', result: 'referrer-policy-private', modifier: 5 };
  if (['origin', 'origin-when-cross-origin', 'no-referrer-when-downgrade', 'unsafe-url'].includes(last)) return { rule: 'referrer-policy', result: 'referrer-policy-unsafe', modifier: -5 };
  return { rule: 'referrer-policy', result: 'referrer-policy-header-invalid', modifier: -5 };
}

function hsts(headers: IncomingHttpHeaders): RuleResult {
  const v = h(headers, 'strict-transport-security');
  if (v === undefined) return { rule: 'hsts', result: 'hsts-not-implemented', modifier: -20 };
  const m = /(?:^|;)\s*max-age="?(\d+)"?\s*(?:;|$)/i.exec(v);
  if (!m) return { rule: 'hsts', result: 'hsts-header-invalid', modifier: -20 };
  return Number(m[1]) >= 15_768_000
    ? { rule: 'hsts', result: 'hsts-implemented-max-age-at-least-six-months', modifier: 0 }
    : { rule: 'hsts', result: 'hsts-implemented-max-age-less-than-six-months', modifier: -10 };
}

function sri(headers: IncomingHttpHeaders): RuleResult {
  const html = /^(text\/html|application\/xhtml\+xml)/.test(h(headers, 'content-type') ?? '');
  return html ? { rule: 'sri', result: 'sri-not-implemented-but-no-scripts-loaded', modifier: 0 } : { rule: 'sri', result: 'sri-not-implemented-response-not-html', modifier: 0 };
}

function xcto(headers: IncomingHttpHeaders): RuleResult {
  const v = h(headers, 'x-content-type-options');
  if (v === undefined) return { rule: 'x-content-type-options', result: 'x-content-type-options-not-implemented', modifier: -5 };
  return v.trim().toLowerCase() === 'nosniff'
    ? { rule: 'x-content-type-options', result: 'x-content-type-options-nosniff', modifier: 0 }
    : { rule: 'x-content-type-options', result: 'x-content-type-options-header-invalid', modifier: -5 };
}

function xfo(headers: IncomingHttpHeaders): RuleResult {
  if (/frame-ancestors/i.test(h(headers, 'content-security-policy') ?? '')) return { rule: 'x-frame-options', result: 'x-frame-options-implemented-via-csp', modifier: 5 };
  const v = h(headers, 'x-frame-options')?.trim().toLowerCase();
  if (v === undefined) return { rule: 'x-frame-options', result: 'x-frame-options-not-implemented', modifier: -20 };
  if (v === 'deny' || v === 'sameorigin') return { rule: 'x-frame-options', result: 'x-frame-options-sameorigin-or-deny', modifier: 0 };
  return { rule: 'x-frame-options', result: 'x-frame-options-header-invalid', modifier: -20 };
}

function corp(headers: IncomingHttpHeaders): RuleResult {
  const v = h(headers, 'cross-origin-resource-policy')?.trim().toLowerCase();
  if (v === undefined) return { rule: 'corp', result: 'corp-not-implemented', modifier: 0 };
  if (v === 'same-origin') return { rule: 'corp', result: 'corp-implemented-with-same-origin', modifier: 10 };
  if (v === 'same-site') return { rule: 'corp', result: 'corp-implemented-with-same-site', modifier: 10 };
  if (v === 'cross-origin') return { rule: 'corp', result: 'corp-implemented-with-cross-origin', modifier: 0 };
  return { rule: 'corp', result: 'corp-header-invalid', modifier: -5 };
}

export function observatoryScore(r: ObservedResponse): { score: number; grade: string; results: RuleResult[] } {
  const results = [csp(r.headers), cookies(r.headers), cors(r), redirection(r), referrer(r.headers), hsts(r.headers), sri(r.headers), xcto(r.headers), xfo(r.headers), corp(r.headers)];
  const penalised = 100 + results.filter((x) => x.modifier < 0).reduce((n, x) => n + x.modifier, 0);
  const score = penalised >= 90 ? 100 + results.reduce((n, x) => n + x.modifier, 0) : penalised;
  const grade = score >= 100 ? 'A+' : score >= 90 ? 'A' : score >= 85 ? 'A-' : score >= 80 ? 'B+' : score >= 70 ? 'B' : score >= 50 ? 'C' : score >= 25 ? 'D' : 'F';
  return { score, grade, results };
}
