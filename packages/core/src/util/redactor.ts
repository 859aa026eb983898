/** Keeping secrets out of everything trustscope prints or writes. */

/**
 * Replaces every registered secret in text. Front ends pass everything they print through
 * this, as a last line of defence behind never putting tokens in messages at all.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  add(secret: string | undefined): void {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("[REDACTED]");
    return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, "$1[REDACTED]");
  }
}
