import { styleText } from 'node:util';

export type Style = 'red' | 'yellow' | 'green';
export type Paint = (style: Style, text: string) => string;

// Typed for Node 20's two arguments; newer Nodes take the third and, without it, judge by process.stdout.
const style = styleText as unknown as (s: Style, t: string, o?: { validateStream: boolean }) => string;

/**
 * Whether text for `stream` may be coloured, decided once per stream: NO_COLOR (any value) says no,
 * FORCE_COLOR says yes (0 or false: no), else only a terminal is coloured; a pipe or a file never.
 */
export function colourOn(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return stream.isTTY === true;
}

/** A painter for `stream`: styles with ANSI codes where colourOn allows, else returns the text as it is. */
export function painter(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Paint {
  if (!colourOn(stream, env)) return (_s, text) => text;
  return (s, text) => style(s, text, { validateStream: false });
}
