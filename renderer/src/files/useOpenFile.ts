import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText } from '../store/api.js';
import { notify } from '../store/store.js';
import type { ChoiceSpec } from './ChoiceDialog.js';
import { statOrNull } from './fsCalls.js';
import { base64ToBytes, baseName } from './paths.js';
import { decodeFile, encodeText, type LineEnding } from './text.js';
import { useFsWatch } from './useFsWatch.js';

/** What the preview reads of a file; a larger one is shown in part, read-only. */
export const PREVIEW_BYTES = 2 * 1024 * 1024;

export interface OpenFile {
  path: string;
  /** What the editor holds (lines joined by '\n'). */
  content: string;
  /** The content as last read or saved. */
  saved: string;
  size: number;
  /** The file's modification time and size when it was read or saved: a save first checks it still has them. */
  disk: { mtime: string; size: number };
  /** 'text': edited, written back with its own line endings; otherwise shown read-only (with why) or as binary. */
  view: { kind: 'text'; eol: LineEnding } | { kind: 'readonly'; reason: string } | { kind: 'binary' };
  /** Changed or deleted on disk while it had unsaved edits (one without edits is read again instead). */
  onDisk: 'changed' | 'deleted' | null;
}

type Ask = <T extends string>(spec: ChoiceSpec<T>) => Promise<T>;

/** Reads a file for the preview: its bytes, decoded only where that loses nothing. */
async function readFile(pid: number, path: string): Promise<OpenFile> {
  // stat first: a change between the two is then seen by the next check, which compares contents
  const stat = await api().call('fs.stat', { pid, path });
  const result = await api().call('fs.read', { pid, path, encoding: 'base64', length: PREVIEW_BYTES });
  const decoded = decodeFile(base64ToBytes(result.content), !result.truncated);
  const content = decoded.kind === 'binary' ? '' : decoded.text;
  return {
    path: result.path,
    content,
    saved: content,
    size: result.size,
    disk: { mtime: stat.mtime, size: stat.size },
    view:
      decoded.kind === 'text'
        ? { kind: 'text', eol: decoded.eol }
        : decoded.kind === 'readonly'
          ? { kind: 'readonly', reason: decoded.reason }
          : { kind: 'binary' },
    onDisk: null,
  };
}

type DiskState =
  { kind: 'same'; disk: OpenFile['disk'] } | { kind: 'changed'; fresh: OpenFile } | { kind: 'deleted' };

/**
 * Whether the file on disk is still what was read or saved. The modification time and size decide when they are
 * unchanged; when not (a touch, a rewrite with the same bytes) the contents are read and compared, so only a real
 * change counts.
 */
async function checkDisk(pid: number, file: OpenFile): Promise<DiskState> {
  const stat = await statOrNull(pid, file.path);
  if (!stat || stat.type !== 'file') return { kind: 'deleted' };
  if (stat.mtime === file.disk.mtime && stat.size === file.disk.size)
    return { kind: 'same', disk: file.disk };
  const fresh = await readFile(pid, file.path);
  const same =
    file.view.kind !== 'binary' &&
    fresh.saved === file.saved &&
    JSON.stringify(fresh.view) === JSON.stringify(file.view);
  return same ? { kind: 'same', disk: fresh.disk } : { kind: 'changed', fresh };
}

/**
 * The file open in the preview, kept honest with the disk: it is watched, read again by itself when it changes
 * and has no unsaved edits (marked as changed when it has), and a save that would replace changes made since it was
 * read asks first (Overwrite, Reload, Cancel).
 */
export function useOpenFile(pid: number, ask: Ask, report: (status: string | null) => void) {
  const [open, setOpen] = useState<OpenFile | null>(null);
  // the same, current between renders: checks and saves finish after awaits and must see the latest edits
  const current = useRef<OpenFile | null>(null);
  const update = useCallback((next: (file: OpenFile | null) => OpenFile | null) => {
    current.current = next(current.current);
    setOpen(current.current);
  }, []);
  /** Changes the file at `path` if it is still the one open. */
  const updateIf = useCallback(
    (path: string, next: (file: OpenFile) => OpenFile) => update((f) => (f && f.path === path ? next(f) : f)),
    [update],
  );
  const saving = useRef(false);
  const checkAfterSave = useRef(false);

  const load = useCallback(
    async (path: string): Promise<boolean> => {
      try {
        const file = await readFile(pid, path);
        update(() => file);
        report(null);
        return true;
      } catch (e) {
        notify('error', `Cannot open ${baseName(path)}`, errorText(e), pid);
        return false;
      }
    },
    [pid, update, report],
  );

  /** The file changed on disk (its watch said so, or the connection came back): read it again or mark it. */
  const onDiskChange = useCallback(async () => {
    const file = current.current;
    if (!file) return;
    if (saving.current) {
      // the save's own write: looked at once it is done and the new modification time is known
      checkAfterSave.current = true;
      return;
    }
    let state: DiskState;
    try {
      state = await checkDisk(pid, file);
    } catch {
      return; // the connection is down: it is checked again when it comes back
    }
    const now = current.current;
    if (!now || now.path !== file.path || now.disk !== file.disk || saving.current) return; // moved on meanwhile
    if (state.kind === 'same') {
      updateIf(file.path, (f) => ({ ...f, disk: state.disk, onDisk: null }));
    } else if (state.kind === 'deleted') {
      updateIf(file.path, (f) => ({ ...f, onDisk: 'deleted' }));
    } else if (now.content === now.saved) {
      updateIf(file.path, () => state.fresh);
      report(`Reloaded: ${baseName(file.path)} changed on disk`);
    } else {
      updateIf(file.path, (f) => ({ ...f, onDisk: 'changed' }));
      report(null); // the notice says it; an older "Reloaded" or "Saved" would contradict it
    }
  }, [pid, updateIf, report]);
  useFsWatch(pid, open?.path ?? null, () => void onDiskChange());

  /** Saves, first making sure it replaces nothing written since the file was read (or asking). */
  const save = useCallback(async (): Promise<boolean> => {
    const file = current.current;
    if (!file || file.view.kind !== 'text' || saving.current) return false;
    const { eol } = file.view;
    const name = baseName(file.path);
    saving.current = true;
    try {
      const state = await checkDisk(pid, file);
      if (state.kind === 'changed') {
        const answer = await ask(conflictQuestion(name));
        if (answer === 'cancel') return false;
        if (answer === 'reload') {
          updateIf(file.path, () => state.fresh);
          report(`Reloaded ${name}: your edits were dropped`);
          return false;
        }
      } else if (state.kind === 'deleted' && file.onDisk !== 'deleted') {
        // told now rather than by the notice: it may have been deleted on purpose
        if ((await ask(deletedQuestion(name))) === 'cancel') return false;
      }
      // what the editor holds now: the person may have typed while asked
      const content = current.current?.path === file.path ? current.current.content : file.content;
      const entry = await api().call('fs.write', {
        pid,
        path: file.path,
        content: encodeText(content, eol),
        encoding: 'utf8',
        createParents: state.kind === 'deleted',
      });
      updateIf(file.path, (f) => ({
        ...f,
        saved: content,
        size: entry.size,
        disk: { mtime: entry.mtime, size: entry.size },
        onDisk: null,
      }));
      report(`Saved ${new Date().toLocaleTimeString()}`);
      return true;
    } catch (e) {
      report(null);
      notify('error', `Cannot save ${name}`, errorText(e), pid);
      return false;
    } finally {
      saving.current = false;
      if (checkAfterSave.current) {
        checkAfterSave.current = false;
        void onDiskChange();
      }
    }
  }, [pid, ask, report, updateIf, onDiskChange]);

  /**
   * Before the file is closed or another opened: with unsaved edits, asks whether to save them (Save, Don't save,
   * Cancel). true when it may go: saved, or the person chose to drop the edits.
   */
  const confirmLeave = useCallback(async (): Promise<boolean> => {
    const file = current.current;
    if (!file || file.content === file.saved) return true;
    const answer = await ask(unsavedQuestion(baseName(file.path)));
    if (answer === 'cancel') return false;
    return answer === 'discard' || (await save());
  }, [ask, save]);

  /** Opens a file, after asking about the edits to the one open. */
  const openPath = useCallback(
    async (path: string) => (await confirmLeave()) && (await load(path)),
    [confirmLeave, load],
  );

  /** Reads the open file again, dropping its edits (the person asked to). */
  const reload = useCallback(async () => {
    const file = current.current;
    if (file) await load(file.path);
  }, [load]);

  const setContent = useCallback((content: string) => update((f) => (f ? { ...f, content } : f)), [update]);
  /** Closes the file, after asking about its edits. */
  const close = useCallback(async () => {
    if (await confirmLeave()) update(() => null);
  }, [confirmLeave, update]);
  /** Closes it without asking (it was deleted). */
  const discard = useCallback(() => update(() => null), [update]);
  const isDirty = useCallback(
    () => current.current !== null && current.current.content !== current.current.saved,
    [],
  );

  const dirty = open !== null && open.content !== open.saved;
  useEffect(() => {
    // Reloading or leaving the page would drop the edits: the browser asks. Not in the desktop app, where a veto
    // here keeps its window from closing (and a restarted kernel from reloading it) without a word, since Electron
    // shows no dialog for it: main/ would have to answer will-prevent-unload.
    if (!dirty || window.habitat) return;
    const hold = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = ''; // what older engines read instead
    };
    window.addEventListener('beforeunload', hold);
    return () => window.removeEventListener('beforeunload', hold);
  }, [dirty]);

  return { open, dirty, isDirty, openPath, save, reload, setContent, close, discard, confirmLeave };
}

function unsavedQuestion(name: string): ChoiceSpec<'cancel' | 'discard' | 'save'> {
  return {
    title: `Save the changes to ${name}?`,
    body: 'Your edits are lost if you close it without saving them.',
    choices: [
      { id: 'cancel', label: 'Cancel' },
      { id: 'discard', label: "Don't save", variant: 'danger' },
      { id: 'save', label: 'Save', variant: 'primary' },
    ],
    cancel: 'cancel',
    initial: 'save',
  };
}

function conflictQuestion(name: string): ChoiceSpec<'cancel' | 'reload' | 'overwrite'> {
  return {
    title: `${name} changed on disk`,
    body: `Since you opened it, it was changed outside this editor (by the agent, or in another window). Overwrite replaces those changes with yours; Reload shows what is on disk now and drops your edits.`,
    choices: [
      { id: 'cancel', label: 'Cancel' },
      { id: 'reload', label: 'Reload, drop my edits' },
      { id: 'overwrite', label: 'Overwrite', variant: 'danger' },
    ],
    cancel: 'cancel',
    initial: 'cancel',
  };
}

function deletedQuestion(name: string): ChoiceSpec<'cancel' | 'save'> {
  return {
    title: `${name} was deleted`,
    body: 'Since you opened it, it was deleted or moved away outside this editor. Save it again?',
    choices: [
      { id: 'cancel', label: 'Cancel' },
      { id: 'save', label: 'Save it again', variant: 'primary' },
    ],
    cancel: 'cancel',
    initial: 'save',
  };
}
