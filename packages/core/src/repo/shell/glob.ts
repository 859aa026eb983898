/**
 * A small glob matcher for artifact paths (`*` within a segment, `**` across segments, `?`, `[…]`),
 * by dynamic programming so it is O(pattern × text) with no backtracking blow-up.
 */

export const MAX_GLOB_LENGTH = 512;

type Tok = { t: "star" } | { t: "globstar" } | { t: "globstarSlash" } | { t: "any" } | { t: "char"; c: string } | { t: "class"; neg: boolean; set: string };

function tokenize(pattern: string): Tok[] {
  const toks: Tok[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        while (pattern[i + 1] === "*") i++;
        if (pattern[i + 1] === "/") {
          // `**/` matches nothing, or any directories
          i++;
          toks.push({ t: "globstarSlash" });
        } else {
          toks.push({ t: "globstar" });
        }
      } else {
        toks.push({ t: "star" });
      }
    } else if (c === "?") {
      toks.push({ t: "any" });
    } else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) {
        toks.push({ t: "char", c });
      } else {
        let body = pattern.slice(i + 1, close);
        const neg = body.startsWith("!") || body.startsWith("^");
        if (neg) body = body.slice(1);
        let set = "";
        for (let j = 0; j < body.length; j++) {
          const a = body[j] as string;
          const b = body[j + 2];
          if (body[j + 1] === "-" && b !== undefined && b.charCodeAt(0) >= a.charCodeAt(0) && b.charCodeAt(0) - a.charCodeAt(0) < 128) {
            for (let k = a.charCodeAt(0); k <= b.charCodeAt(0); k++) set += String.fromCharCode(k);
            j += 2;
          } else {
            set += a;
          }
        }
        toks.push({ t: "class", neg, set });
        i = close;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      i++;
      toks.push({ t: "char", c: pattern[i] as string });
    } else {
      toks.push({ t: "char", c });
    }
  }
  return toks;
}

/** True when `text` matches the glob `pattern`. Inputs longer than MAX_GLOB_LENGTH never match. */
export function globMatch(pattern: string, text: string): boolean {
  if (pattern.length > MAX_GLOB_LENGTH || text.length > MAX_GLOB_LENGTH) return false;
  const toks = tokenize(pattern);
  const n = toks.length;
  const m = text.length;
  // dp[j] = pattern prefix of length i matches text prefix of length j
  let prev = new Uint8Array(m + 1);
  prev[0] = 1;
  for (let i = 1; i <= n; i++) {
    const tok = toks[i - 1] as Tok;
    const cur = new Uint8Array(m + 1);
    if (tok.t === "star" || tok.t === "globstar") {
      // zero characters, or one more character (not `/` for `*`)
      cur[0] = prev[0] as number;
      for (let j = 1; j <= m; j++) {
        const ch = text[j - 1];
        cur[j] = prev[j] || (cur[j - 1] && (tok.t === "globstar" || ch !== "/") ? 1 : 0);
      }
    } else if (tok.t === "globstarSlash") {
      let reach = 0;
      for (let j = 0; j <= m; j++) {
        cur[j] = prev[j] || (j >= 1 && text[j - 1] === "/" && reach) ? 1 : 0;
        if (prev[j]) reach = 1;
      }
    } else {
      for (let j = 1; j <= m; j++) {
        if (!prev[j - 1]) continue;
        const ch = text[j - 1] as string;
        let ok: boolean;
        if (tok.t === "any") ok = ch !== "/";
        else if (tok.t === "class") ok = tok.set.includes(ch) !== tok.neg && ch !== "/";
        else ok = tok.c === ch;
        if (ok) cur[j] = 1;
      }
    }
    prev = cur;
  }
  return prev[m] === 1;
}
