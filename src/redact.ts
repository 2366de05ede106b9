/**
 * Passwords never reach a terminal or a log. Whatever parses a secret
 * registers it here, and every line batchctl prints passes through `redact`.
 */
const secrets = new Set<string>();

export const MASK = "****";

export function registerSecret(secret: string | undefined): void {
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
  let result = text;
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of ordered) result = result.split(secret).join(MASK);
  return result;
}
