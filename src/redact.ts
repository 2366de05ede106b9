/**
 * Passwords never reach a terminal or a log. Whatever parses a secret
 * registers it here, and every line batchctl prints passes through `redact`.
 *
 * A password is masked wherever it stands as a password: in a URL's user
 * part and after `password=`, registered or not. A registered password of
 * MIN_ANYWHERE characters or more is masked wherever else it appears too; a
 * shorter one is not, since masking every "1" or "pass" in the output would
 * garble run ids, periods and words, and break JSON.
 */
const secrets = new Set<string>();

export const MASK = "****";

const MIN_ANYWHERE = 6;

/** `scheme://user:` then the password, up to the `@` before the host. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*(?=@)/gi;

/** `password=…` in a query string or a keyword connection string. */
const PASSWORD_PARAMETER = /(\b(?:ssl)?password=)[^\s&]*/gi;

export function registerSecret(secret: string | null | undefined): void {
  if (!secret) return;
  secrets.add(secret);
  try {
    secrets.add(decodeURIComponent(secret));
  } catch {
    // Not percent-encoded: the raw form is already registered.
  }
  secrets.add(encodeURIComponent(secret));
}

export function redact(text: string): string {
  let result = text
    .replace(URL_PASSWORD, `$1${MASK}`)
    .replace(PASSWORD_PARAMETER, `$1${MASK}`);
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...secrets]
    .filter((secret) => secret.length >= MIN_ANYWHERE)
    .sort((a, b) => b.length - a.length);
  for (const secret of ordered) result = result.split(secret).join(MASK);
  return result;
}

/** JSON with each string masked on its own, so masking keeps it JSON. */
export function redactedJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    typeof field === "string" ? redact(field) : field,
  );
}
