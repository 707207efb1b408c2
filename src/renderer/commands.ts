// The desktop menu's export commands (src/api MenuCommand), passed to whichever view on screen
// can do them: the flows view exports its rows and the selected flow's packets, the path and
// overview views their picture.
import { useEffect, useRef } from 'react';
import type { MenuCommand } from '../api/index.js';

const handlers = new Map<MenuCommand, Set<() => void>>();

/** Runs the command's handlers; says whether any view took it. */
export function runCommand(command: MenuCommand): boolean {
  const set = handlers.get(command);
  if (set === undefined || set.size === 0) return false;
  for (const handler of set) handler();
  return true;
}

/** While the calling view is mounted, `handler` answers `command` (the latest handler is used). */
export function useCommand(command: MenuCommand, handler: () => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const run = (): void => latest.current();
    let set = handlers.get(command);
    if (set === undefined) handlers.set(command, (set = new Set()));
    set.add(run);
    return () => void set.delete(run);
  }, [command]);
}
