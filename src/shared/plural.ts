// "1 client", "3 clients": the one pluraliser for host sentences and the panel alike.

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
