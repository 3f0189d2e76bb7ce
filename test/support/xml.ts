/**
 * Why `xml` is not well-formed XML, or null: unbalanced or stray tags,
 * unquoted attributes, a bare `&` or `<`. Enough to check generated SVG
 * without an XML parser dependency (no doctype, comments or CDATA).
 */
export function xmlProblem(xml: string): string | null {
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < xml.length && (m = token.exec(xml))) {
    at = token.lastIndex;
    const [, close, name, , selfClose, text, stray] = m;
    if (stray) return `stray < at ${m.index}: ${xml.slice(m.index, m.index + 40)}`;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|#39);)/.test(text)) return `bare & in ${JSON.stringify(text.slice(0, 40))}`;
      continue;
    }
    if (selfClose) continue;
    if (close) {
      if (stack.pop() !== name) return `</${name}> closes nothing open at ${m.index}`;
    } else stack.push(name!);
  }
  if (at < xml.length) return `cannot read on at ${at}: ${xml.slice(at, at + 40)}`;
  return stack.length ? `unclosed <${stack.join('>, <')}>` : null;
}

/** The <svg> elements of an HTML page. */
export const svgElements = (html: string): string[] => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
