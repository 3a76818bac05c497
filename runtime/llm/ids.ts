import { randomUUID } from 'node:crypto';

const MINTED = 'local_';

/** An id for a tool call whose provider gave none; never sent back to that provider as if it were its own. */
export function mintCallId(): string {
  return `${MINTED}${randomUUID().slice(0, 12)}`;
}

export function isMintedId(id: string): boolean {
  return id.startsWith(MINTED);
}
