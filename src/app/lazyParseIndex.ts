// Which discovered files have been parsed. The Testing view lists every `.tcp` file as soon as it
// is found but parses one only when it is expanded, run or opened (or changes after that): a
// repository with many or huge `.tcp` files must not cost a parse of each at activation.
export class LazyParseIndex<T> {
  private readonly known = new Set<string>();
  private readonly parsed = new Map<string, T>();

  /** `parse` reads and parses one file; undefined means it is gone or unreadable. */
  constructor(private readonly parse: (key: string) => Promise<T | undefined>) {}

  /** A file was found (discovery, creation); returns true when it is new. Parses nothing. */
  discover(key: string): boolean {
    if (this.known.has(key)) return false;
    this.known.add(key);
    return true;
  }

  isParsed(key: string): boolean {
    return this.parsed.has(key);
  }

  /** The parse of a file, parsing it now if it never was (expanded, run). */
  async ensure(key: string): Promise<T | undefined> {
    this.known.add(key);
    if (this.parsed.has(key)) return this.parsed.get(key);
    return this.refresh(key);
  }

  /** Parse again (the file changed, settings changed); stays lazy for a file never parsed. */
  async changed(key: string): Promise<T | undefined> {
    return this.parsed.has(key) ? this.refresh(key) : undefined;
  }

  /** A parse obtained elsewhere (an open editor's text). */
  set(key: string, value: T): void {
    this.known.add(key);
    this.parsed.set(key, value);
  }

  forget(key: string): void {
    this.known.delete(key);
    this.parsed.delete(key);
  }

  /** Files parsed so far, to refresh when the settings they depend on change. */
  parsedKeys(): string[] {
    return [...this.parsed.keys()];
  }

  private async refresh(key: string): Promise<T | undefined> {
    const value = await this.parse(key);
    if (value === undefined) this.forget(key);
    else this.parsed.set(key, value);
    return value;
  }
}
