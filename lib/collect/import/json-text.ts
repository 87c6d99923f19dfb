/**
 * JSON text helpers for dump files: splitting concatenated values (`{…}{…}`, JSON lines) into their source
 * ranges, and describing a parse error by line and column without quoting the input (it could be a Secret value).
 */
function lineCol(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: pos - lineStart + 1 };
}

/**
 * A JSON.parse error as "what, where" — without the excerpt of the input that V8 may quote (it could be a
 * Secret value). The location comes from a small validator, since V8 does not always give one.
 */
export function describeJsonError(err: unknown, text: string, start: number, end: number): string {
  const message = err instanceof Error ? err.message : String(err);
  const offset = jsonErrorOffset(text, start, end);
  if (offset === undefined || offset >= end || /Unexpected end of JSON input/.test(message)) {
    return 'unexpected end of input (the file looks truncated)';
  }
  let reason = message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)\s*$/, '');
  if (reason.includes('"') || reason.length > 80 || reason === '') reason = 'Unexpected character';
  const { line, col } = lineCol(text, offset);
  return `${reason.charAt(0).toLowerCase()}${reason.slice(1)} at line ${line}, column ${col}`;
}

/** Where JSON in text[start, end) stops being valid, or undefined when it is valid. */
function jsonErrorOffset(text: string, start: number, end: number): number | undefined {
  let i = start;
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const ws = () => {
    for (let c = text.charCodeAt(i); i < end && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09); c = text.charCodeAt(++i));
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      i += c === 0x5c ? 2 : 1;
    }
    return false;
  };
  const value = (depth: number): boolean => {
    ws();
    if (i >= end || depth > 10_000) return false;
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"' || !string()) return false;
          ws();
          if (text[i] !== ':') return false;
          i++;
        }
        if (!value(depth + 1)) return false;
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return true;
        }
        return false;
      }
    }
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return true;
      }
    }
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m || m[0] === '') return false;
    i += m[0].length;
    return true;
  };
  if (!value(0)) return Math.min(i, end);
  ws();
  return i < end ? i : undefined;
}

/**
 * Splits concatenated JSON values (`{…}{…}`, JSON lines) into their source ranges. Returns undefined
 * when the text is not a sequence of objects/arrays (then the caller reports the JSON.parse error).
 */
export function splitJsonValues(text: string): { start: number; end: number }[] | undefined {
  const out: { start: number; end: number }[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      if (depth === 0) return undefined;
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) out.push({ start, end: i + 1 });
    } else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      return undefined;
    }
  }
  if (depth > 0 && start >= 0) out.push({ start, end: text.length }); // a truncated last value: let JSON.parse say so
  return out;
}
