// Replies and data as bmpd-cli reads them: xml2js trees with namespace prefixes dropped (the CLI
// asks for the bmpd module only, so local names are unambiguous), wrapped for lookups by name.
import xml2js from 'xml2js';

interface RawElement {
  readonly $?: Record<string, string>;
  readonly _?: string;
  readonly [child: string]: unknown;
}

const stripPrefix = (name: string): string => name.replace(/^[^:]*:/, '');

export class XmlElement {
  constructor(
    readonly name: string,
    private readonly raw: RawElement | string,
  ) {}

  static async parse(xml: string): Promise<XmlElement> {
    const parsed = (await xml2js.parseStringPromise(xml, {
      explicitArray: true,
      explicitRoot: true,
      tagNameProcessors: [stripPrefix],
      attrNameProcessors: [stripPrefix],
      xmlns: false,
    })) as Record<string, RawElement[] | RawElement>;
    const [name, value] = Object.entries(parsed)[0] ?? ['', {}];
    return new XmlElement(name, Array.isArray(value) ? value[0]! : value);
  }

  children(name: string): XmlElement[] {
    if (typeof this.raw === 'string') return [];
    const list = this.raw[name];
    return Array.isArray(list) ? list.map((v) => new XmlElement(name, v as RawElement | string)) : [];
  }

  child(name: string): XmlElement | undefined {
    return this.children(name)[0];
  }

  /** Descends through single children: el.at('bgp', 'bmp', 'state'). */
  at(...path: string[]): XmlElement | undefined {
    let el: XmlElement | undefined = this;
    for (const name of path) el = el?.child(name);
    return el;
  }

  /** The element's own text, trimmed ('' for an empty leaf such as <activate/>). */
  get text(): string {
    return (typeof this.raw === 'string' ? this.raw : this.raw._ ?? '').trim();
  }

  /** A child leaf's text, or undefined when it is absent. */
  leaf(name: string): string | undefined {
    return this.child(name)?.text;
  }

  leafList(name: string): string[] {
    return this.children(name).map((c) => c.text);
  }

  attribute(name: string): string | undefined {
    return typeof this.raw === 'string' ? undefined : this.raw.$?.[name];
  }

  /** RFC 6243 report-all-tagged: the server marks a value it holds only as the schema default. */
  isDefault(leaf: string): boolean {
    return this.child(leaf)?.attribute('default') === 'true';
  }
}
