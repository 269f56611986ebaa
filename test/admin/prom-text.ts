/**
 * A small strict parser for the Prometheus text exposition format (0.0.4),
 * used to prove /metrics is well formed. Throws on anything malformed.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | null;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, line: number): number {
  // Prometheus parses values with Go's strconv.ParseFloat, which matches NaN/Inf ignoring case
  // (prom-client prints "Nan" for an empty event-loop histogram).
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value "${s}"`);
  return Number(s);
}

function parseLabels(src: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  if (src[i] !== '{') return { labels, rest: src };
  i++;
  while (true) {
    while (src[i] === ' ') i++;
    if (src[i] === '}') {
      i++;
      break;
    }
    const eq = src.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const key = src.slice(i, eq).trim();
    if (!LABEL.test(key)) throw new Error(`line ${line}: bad label name "${key}"`);
    if (key in labels) throw new Error(`line ${line}: duplicate label "${key}"`);
    i = eq + 1;
    if (src[i] !== '"') throw new Error(`line ${line}: label value not quoted`);
    i++;
    let v = '';
    while (true) {
      const c = src[i];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '\\') {
        const n = src[i + 1];
        if (n === 'n') v += '\n';
        else if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        i += 2;
        continue;
      }
      if (c === '"') {
        i++;
        break;
      }
      v += c;
      i++;
    }
    labels[key] = v;
    if (src[i] === ',') i++;
    else if (src[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after label`);
  }
  return { labels, rest: src.slice(i) };
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  if (text.length && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.split('\n');
  const familyOf = (sample: string): Family | undefined => {
    const direct = fams.get(sample);
    if (direct) return direct;
    for (const suf of ['_bucket', '_sum', '_count']) {
      if (sample.endsWith(suf)) {
        const f = fams.get(sample.slice(0, -suf.length));
        if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
      }
    }
    return undefined;
  };
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name!)) throw new Error(`line ${n}: bad metric name "${name}"`);
      let f = fams.get(name!);
      if (!f) {
        f = { name: name!, type: 'untyped', help: null, samples: [] };
        fams.set(name!, f);
      }
      if (kind === 'TYPE') {
        if (f.samples.length) throw new Error(`line ${n}: TYPE after samples of ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!)) throw new Error(`line ${n}: bad type "${rest}"`);
        f.type = rest as Family['type'];
      } else {
        if (f.help !== null) throw new Error(`line ${n}: second HELP for ${name}`);
        f.help = rest!;
      }
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(.*)$/.exec(raw);
    if (!nm) throw new Error(`line ${n}: not a sample: ${raw}`);
    const name = nm[1]!;
    const { labels, rest } = parseLabels(nm[2]!, n);
    const parts = rest.trim().split(/ +/);
    if (parts.length < 1 || parts.length > 2 || !rest.startsWith(' ')) throw new Error(`line ${n}: bad sample tail "${rest}"`);
    const value = parseValue(parts[0]!, n);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${n}: bad timestamp`);
    const f = familyOf(name);
    if (!f) throw new Error(`line ${n}: sample ${name} has no TYPE/HELP family`);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`line ${n}: negative counter`);
    f.samples.push({ name, labels, value });
  });
  // histogram consistency: cumulative buckets ending in +Inf == _count
  for (const f of fams.values()) {
    if (f.type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of f.samples.filter((x) => x.name === `${f.name}_bucket`)) {
      if (!('le' in s.labels)) throw new Error(`${f.name}: bucket without le`);
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      let prev = -Infinity;
      let prevCount = 0;
      for (const b of buckets) {
        const le = parseValue(b.labels.le!, 0);
        if (le <= prev) throw new Error(`${f.name}${key}: buckets not increasing`);
        if (b.value < prevCount) throw new Error(`${f.name}${key}: bucket counts not cumulative`);
        prev = le;
        prevCount = b.value;
      }
      if (prev !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
      const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === key);
      if (!count || count.value !== prevCount) throw new Error(`${f.name}${key}: _count != +Inf bucket`);
    }
  }
  return fams;
}
