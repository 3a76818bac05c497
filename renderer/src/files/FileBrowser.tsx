import {
  lazy,
  Suspense,
  useCallback,
  useEffect,
  useRef,
  useState,
  type DragEvent,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { formatBytes } from '../../../shared/format.js';
import { FS_MAX_WRITE_BYTES, type FsEntry, type FsListResult } from '../../../shared/protocol/index.js';
import { api, errorText } from '../store/api.js';
import { notify } from '../store/store.js';
import { Button, IconButton } from '../ui/Button.js';
import { useCloseGuard } from '../desktop/closeGuards.js';
import { Icon } from '../ui/Icon.js';
import { baseName, crumbs, joinPath, parentPath } from './paths.js';
import { useChoice, type ChoiceSpec } from './ChoiceDialog.js';
import { createFile, readAll, replaceFile, statOrNull } from './fsCalls.js';
import { PREVIEW_BYTES, useOpenFile } from './useOpenFile.js';
import { useFsWatch } from './useFsWatch.js';
import { TransferLine, useTransfer } from './useTransfer.js';
import './files.css';

const CodeEditor = lazy(() => import('./CodeEditor.js'));

/**
 * An agent's home through the fs.* commands (so every path is resolved safely by the kernel): browse, preview and
 * edit text with CodeMirror (Ctrl+S saves), upload by dropping files or picking them, download, new files and
 * folders, delete. The folder is watched, so what the agent writes shows up by itself.
 */
export function FileBrowser({
  pid,
  path,
  onPathChange,
  layout,
}: {
  pid: number;
  path: string;
  onPathChange(path: string): void;
  layout: 'split' | 'editor';
}) {
  const [listing, setListing] = useState<FsListResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [prompt, setPrompt] = useState<{ kind: 'file' | 'folder'; name: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const uploadRef = useRef<HTMLInputElement>(null);
  const { transfer, run, cancel } = useTransfer();
  const { ask, asking, dialog } = useChoice();
  const { open, dirty, isDirty, openPath, save, reload, setContent, close, discard, confirmLeave } =
    useOpenFile(pid, ask, setStatus);
  // closing the window (its button, its menu, Ctrl+Alt+W, closing all) asks about unsaved edits first
  useCloseGuard((closeWindow) => {
    if (!isDirty()) return true;
    if (!asking) void confirmLeave().then((ok) => ok && closeWindow());
    return false;
  });

  const refresh = useCallback(() => {
    api()
      .call('fs.list', { pid, path })
      .then(
        (result) => {
          setListing(result);
          setError(null);
        },
        (e: unknown) => setError(errorText(e)),
      );
  }, [pid, path]);

  useEffect(() => {
    setListing(null);
    refresh();
  }, [refresh]);
  // follow changes in this folder (an agent writing files, another window saving), across reconnects
  useFsWatch(pid, path, refresh);

  const openFile = async (entry: FsEntry) => {
    if (entry.type === 'dir') {
      onPathChange(entry.path);
      return;
    }
    await openPath(entry.path);
  };

  const download = async (entry: FsEntry) => {
    if (transfer) return;
    try {
      const blob = await run(
        { verb: 'Downloading', name: entry.name, done: 0, total: entry.size },
        (progress, signal) => readAll(pid, entry.path, progress, signal),
      );
      if (!blob) {
        setStatus(`Download of ${entry.name} cancelled`);
        return;
      }
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = entry.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Downloaded ${entry.name} (${formatBytes(blob.size)})`);
    } catch (e) {
      setStatus(null);
      notify('error', `Cannot download ${entry.name}`, errorText(e), pid);
    }
  };

  const upload = async (files: FileList | File[]) => {
    if (transfer) {
      setStatus('Wait for the transfer under way to finish, or cancel it');
      return;
    }
    const list = [...files].filter((file) => {
      if (file.size <= FS_MAX_WRITE_BYTES) return true;
      notify(
        'error',
        `${file.name} is too large`,
        `Files up to ${formatBytes(FS_MAX_WRITE_BYTES)} can be uploaded.`,
        pid,
      );
      return false;
    });
    if (list.length === 0) return;
    let targets = list.map((file) => ({ file, path: joinPath(path, file.name), taken: false }));
    // one question for every name already taken here: replacing loses what those files hold
    const taken = await Promise.all(targets.map((t) => statOrNull(pid, t.path).catch(() => null)));
    targets.forEach((t, i) => (t.taken = taken[i] !== null));
    const names = targets.filter((t) => t.taken).map((t) => t.file.name);
    if (names.length > 0) {
      const answer = await ask(uploadQuestion(names, names.length < targets.length));
      if (answer === 'cancel') return;
      if (answer === 'skip') targets = targets.filter((t) => !t.taken);
    }
    if (targets.length === 0) return;
    const total = targets.reduce((sum, t) => sum + t.file.size, 0);
    const count = (n: number) => `${n} of ${targets.length} file${targets.length === 1 ? '' : 's'}`;
    setStatus(null);
    const { done, cancelled } = await run(
      { verb: 'Uploading', name: targets[0]!.file.name, done: 0, total },
      async (progress, signal) => {
        let done = 0;
        let sent = 0;
        for (const { file, path: target, taken } of targets) {
          if (signal.aborted) return { done, cancelled: true };
          progress(sent, total, file.name);
          try {
            const bytes = new Uint8Array(await file.arrayBuffer());
            // a name that was free when asked is created without replacing: one that appeared since is refused
            await (taken ? replaceFile(pid, target, bytes) : createFile(pid, target, bytes));
            done++;
          } catch (e) {
            notify('error', `Cannot upload ${file.name}`, errorText(e), pid);
          }
          sent += file.size;
          progress(sent, total);
        }
        return { done, cancelled: false };
      },
    );
    setStatus(cancelled ? `Upload cancelled: ${count(done)} uploaded` : `Uploaded ${count(done)}`);
    refresh();
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const name = prompt?.name.trim();
    if (!prompt || !name) return;
    const target = joinPath(path, name);
    try {
      const existing = await statOrNull(pid, target);
      if (prompt.kind === 'folder') {
        if (existing) {
          notify('error', `Cannot create ${name}`, `${name} already exists here.`, pid);
          return;
        }
        await api().call('fs.mkdir', { pid, path: target, recursive: true });
        setPrompt(null);
        refresh();
        return;
      }
      let entry: FsEntry;
      if (existing) {
        if (existing.type !== 'file') {
          notify('error', `Cannot create ${name}`, `${name} already exists here, and it is not a file.`, pid);
          return;
        }
        const answer = await ask(newFileQuestion(existing));
        if (answer === 'cancel') return; // the name stays in the box, to change it
        setPrompt(null);
        if (answer === 'open') return void (await openFile(existing));
        entry = await api().call('fs.write', { pid, path: target, content: '', encoding: 'utf8' });
      } else {
        // appending nothing creates the file, and leaves one that appeared since the check as it is
        entry = await api().call('fs.write', {
          pid,
          path: target,
          content: '',
          encoding: 'utf8',
          createParents: true,
          append: true,
        });
        setPrompt(null);
      }
      refresh();
      await openFile(entry);
    } catch (e) {
      notify('error', `Cannot create ${name}`, errorText(e), pid);
    }
  };

  const remove = async (entry: FsEntry) => {
    setConfirmDelete(null);
    try {
      await api().call('fs.delete', { pid, path: entry.path, recursive: entry.type === 'dir' });
      if (open?.path === entry.path) discard();
      refresh();
    } catch (e) {
      notify('error', `Cannot delete ${entry.name}`, errorText(e), pid);
    }
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void upload(event.dataTransfer.files);
  };
  const onKey = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      void save();
    }
  };

  const downloadOpen = () => {
    if (!open) return;
    void download({
      name: baseName(open.path),
      path: open.path,
      type: 'file',
      size: open.size,
      mtime: '',
      mode: 0,
    });
  };
  return (
    <div
      className={`files files-${layout}`}
      data-testid="file-browser"
      onKeyDown={onKey}
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <div className="files-toolbar" role="toolbar" aria-label="Files">
        <IconButton
          icon="up"
          label="Up one folder"
          onClick={() => onPathChange(parentPath(path))}
          disabled={path === '.'}
        />
        <nav className="breadcrumbs" aria-label="Folder">
          <ol>
            {crumbs(path).map((crumb, i, all) => (
              <li key={crumb.path}>
                {i === all.length - 1 ? (
                  <span aria-current="location">{crumb.name}</span>
                ) : (
                  <button type="button" className="link" onClick={() => onPathChange(crumb.path)}>
                    {crumb.name}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </nav>
        <span className="toolbar-spacer" />
        {transfer && <TransferLine transfer={transfer} onCancel={cancel} />}
        {/* always there, so that a screen reader hears what it comes to say */}
        <span className="muted files-status" role="status" data-testid="file-status">
          {!transfer && status}
        </span>
        {prompt ? (
          <form className="inline-prompt" onSubmit={create}>
            <input
              autoFocus
              aria-label={prompt.kind === 'file' ? 'New file name' : 'New folder name'}
              placeholder={prompt.kind === 'file' ? 'notes.md' : 'folder'}
              value={prompt.name}
              onChange={(e) => setPrompt({ ...prompt, name: e.target.value })}
              onKeyDown={(e) => e.key === 'Escape' && setPrompt(null)}
            />
            <Button size="sm" type="submit" variant="primary">
              Create
            </Button>
            <IconButton icon="x" label="Cancel" onClick={() => setPrompt(null)} />
          </form>
        ) : (
          <>
            <Button size="sm" icon="file" onClick={() => setPrompt({ kind: 'file', name: '' })}>
              New file
            </Button>
            <Button size="sm" icon="folder" onClick={() => setPrompt({ kind: 'folder', name: '' })}>
              New folder
            </Button>
          </>
        )}
        <Button
          size="sm"
          icon="upload"
          onClick={() => uploadRef.current?.click()}
          disabled={transfer !== null}
        >
          Upload
        </Button>
        <input
          ref={uploadRef}
          type="file"
          multiple
          hidden
          onChange={(e) => {
            if (e.target.files) void upload(e.target.files);
            e.target.value = '';
          }}
        />
        <IconButton icon="refresh" label="Refresh" onClick={refresh} />
      </div>

      <div className="files-main">
        <div className="files-list">
          {error && (
            <p className="error-line" role="alert">
              {error}
            </p>
          )}
          {!listing && !error && <p className="muted empty">Loading…</p>}
          {listing && listing.entries.length === 0 && (
            <p className="muted empty">Empty folder. Drop files here to upload.</p>
          )}
          {listing && listing.entries.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Size</th>
                  <th scope="col">Modified</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {listing.entries.map((entry) => (
                  <tr
                    key={entry.path}
                    className={open?.path === entry.path ? 'selected' : ''}
                    data-testid="file-row"
                    data-name={entry.name}
                  >
                    <td>
                      <button type="button" className="file-name" onClick={() => void openFile(entry)}>
                        <Icon name={entry.type === 'dir' ? 'folder' : 'file'} size={15} />
                        {entry.name}
                        {entry.type === 'symlink' && <span className="muted"> (link)</span>}
                      </button>
                    </td>
                    <td className="muted">{entry.type === 'dir' ? '—' : formatBytes(entry.size)}</td>
                    <td className="muted">
                      {new Date(entry.mtime).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}
                    </td>
                    <td className="file-actions">
                      {entry.type === 'file' && (
                        <IconButton
                          icon="download"
                          label={`Download ${entry.name}`}
                          onClick={() => void download(entry)}
                          disabled={transfer !== null}
                        />
                      )}
                      {confirmDelete === entry.path ? (
                        <Button
                          size="sm"
                          variant="danger"
                          onClick={() => void remove(entry)}
                          onBlur={() => setConfirmDelete(null)}
                          autoFocus
                        >
                          Delete?
                        </Button>
                      ) : (
                        <IconButton
                          icon="trash"
                          label={`Delete ${entry.name}`}
                          onClick={() => setConfirmDelete(entry.path)}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {listing?.truncated && <p className="muted">The folder has more entries than are shown.</p>}
        </div>

        <section className="files-preview" aria-label="Preview">
          {!open ? (
            <div className="muted empty">
              <Icon name="file" size={28} />
              <p>Choose a file to preview or edit it.</p>
            </div>
          ) : (
            <>
              <div className="preview-head">
                <strong title={open.path}>
                  {baseName(open.path)}
                  {dirty && <span aria-label="unsaved changes"> •</span>}
                </strong>
                <span className="muted">{formatBytes(open.size)}</span>
                <span className="toolbar-spacer" />
                {open.view.kind === 'text' && (
                  <Button
                    size="sm"
                    variant="primary"
                    icon="save"
                    onClick={() => void save()}
                    disabled={!dirty && open.onDisk !== 'deleted'}
                    data-testid="file-save"
                  >
                    Save
                  </Button>
                )}
                <IconButton icon="x" label="Close file" onClick={() => void close()} />
              </div>
              {open.onDisk === 'changed' && (
                <p className="files-notice files-notice-warn" role="alert" data-testid="file-on-disk">
                  {baseName(open.path)} changed on disk since you opened it; saving will ask before replacing
                  that.{' '}
                  <button type="button" className="link" onClick={() => void reload()}>
                    Reload it and drop your edits
                  </button>
                </p>
              )}
              {open.onDisk === 'deleted' && (
                <p className="files-notice files-notice-warn" role="alert" data-testid="file-on-disk">
                  {baseName(open.path)} was deleted on disk. Save to write it again.
                </p>
              )}
              {open.view.kind === 'readonly' && (
                <p className="files-notice" role="note" data-testid="file-readonly">
                  Read-only: {open.view.reason}.{' '}
                  <button type="button" className="link" onClick={downloadOpen}>
                    Download it
                  </button>{' '}
                  to edit it elsewhere.
                </p>
              )}
              {open.view.kind === 'binary' ? (
                <div className="muted empty" data-testid="file-binary">
                  <p>
                    {open.size > PREVIEW_BYTES
                      ? 'A binary file, too large to preview here.'
                      : 'A binary file: it is not shown, so that nothing can change its bytes.'}
                  </p>
                  <Button icon="download" onClick={downloadOpen} disabled={transfer !== null}>
                    Download
                  </Button>
                </div>
              ) : (
                <Suspense fallback={<p className="muted empty">Loading the editor…</p>}>
                  <CodeEditor
                    path={open.path}
                    value={open.content}
                    readOnly={open.view.kind !== 'text'}
                    onChange={setContent}
                  />
                </Suspense>
              )}
            </>
          )}
        </section>
      </div>
      {dialog}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <Icon name="upload" size={32} />
          <p>Drop to upload to {path === '.' ? 'the home folder' : path}</p>
        </div>
      )}
    </div>
  );
}

function newFileQuestion(existing: FsEntry): ChoiceSpec<'cancel' | 'replace' | 'open'> {
  const when = new Date(existing.mtime).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  return {
    title: `${existing.name} already exists`,
    body: (
      <p>
        It holds {formatBytes(existing.size)} and was last changed {when}. Open it, or replace it with an
        empty file: what it holds now is then lost.
      </p>
    ),
    choices: [
      { id: 'cancel', label: 'Cancel' },
      { id: 'replace', label: 'Replace with an empty file', variant: 'danger' },
      { id: 'open', label: 'Open it', variant: 'primary' },
    ],
    cancel: 'cancel',
    initial: 'open',
  };
}

function uploadQuestion(names: string[], others: boolean): ChoiceSpec<'cancel' | 'skip' | 'replace'> {
  const one = names.length === 1;
  return {
    title: one ? `${names[0]} already exists here` : `${names.length} files already exist here`,
    body: (
      <>
        <p>
          Uploading replaces {one ? 'it' : 'them'}: what {one ? 'it holds' : 'they hold'} now is lost.
          {others && ` Skip ${one ? 'it' : 'them'} to upload only the other files.`}
        </p>
        {!one && (
          <ul className="choice-names">
            {names.map((name) => (
              <li key={name}>{name}</li>
            ))}
          </ul>
        )}
      </>
    ),
    choices: [
      { id: 'cancel', label: 'Cancel upload' },
      ...(others ? [{ id: 'skip' as const, label: one ? 'Skip it' : 'Skip them' }] : []),
      { id: 'replace', label: one ? 'Replace it' : 'Replace them', variant: 'danger' },
    ],
    cancel: 'cancel',
    initial: others ? 'skip' : 'cancel',
  };
}
