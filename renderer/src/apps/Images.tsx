import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import {
  DEFAULT_SANDBOX_IMAGE,
  ImageTagSchema,
  type ErrorValue,
  type ImageInfo,
} from '../../../shared/protocol/index.js';
import { api, toErrorValue } from '../store/api.js';
import { notify } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { ErrorBox } from '../ui/ErrorBox.js';
import { ProgressLine } from '../ui/ProgressLine.js';

interface Progress {
  phase: string;
  message: string;
  percent?: number;
}

/** Sandbox images on the Docker engine, and building one offline (debootstrap) with its progress. */
export function Images() {
  const [images, setImages] = useState<ImageInfo[] | null>(null);
  const [listError, setListError] = useState<ErrorValue | null>(null);
  const [tag, setTag] = useState(DEFAULT_SANDBOX_IMAGE);
  const [building, setBuilding] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [buildError, setBuildError] = useState<ErrorValue | null>(null);

  const load = useCallback(() => {
    api()
      .call('image.list', {})
      .then(
        (r) => {
          setImages(r.images);
          setListError(null);
        },
        (e: unknown) => setListError(toErrorValue(e)),
      );
  }, []);
  useEffect(load, [load]);

  useEffect(() => {
    if (!building) return;
    return api().subscribe('image.progress', (p) => {
      if (p.tag === building)
        setProgress({
          phase: p.phase,
          message: p.message,
          ...(p.percent !== undefined ? { percent: p.percent } : {}),
        });
    });
  }, [building]);

  const build = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = ImageTagSchema.safeParse(tag.trim());
    if (!parsed.success) {
      setBuildError({ code: 'E_INVALID', message: 'an image tag like habitat/sandbox:base' });
      return;
    }
    setBuilding(parsed.data);
    setBuildError(null);
    setProgress({ phase: 'check', message: 'Starting…', percent: 0 });
    try {
      // builds take minutes: no call timeout, progress events say it is alive
      const result = await api().call('image.build', { tag: parsed.data }, { timeoutMs: 0 });
      notify(
        'success',
        `Built ${result.tag}`,
        `${formatBytes(result.sizeBytes)} in ${formatDuration(result.durationMs)}`,
      );
      load();
    } catch (e) {
      setBuildError(toErrorValue(e));
    } finally {
      setBuilding(null);
      setProgress(null);
    }
  };

  return (
    <div className="images" data-testid="images">
      {listError ? (
        <ErrorBox error={listError} title="Images cannot be listed" />
      ) : !images ? (
        <p className="muted">Loading images…</p>
      ) : images.length === 0 ? (
        <p className="muted">No sandbox images yet: build the base image below.</p>
      ) : (
        <table className="image-table">
          <thead>
            <tr>
              <th scope="col">Tag</th>
              <th scope="col">Variant</th>
              <th scope="col">Size</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {images.map((image) => (
              <tr key={image.id + image.tag}>
                <td className="mono">{image.tag}</td>
                <td>{image.variant}</td>
                <td>{formatBytes(image.sizeBytes)}</td>
                <td>{new Date(image.createdAt).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="build-form" onSubmit={build}>
        <label htmlFor="image-tag">Build an image</label>
        <input
          id="image-tag"
          value={tag}
          onChange={(e) => setTag(e.target.value)}
          disabled={building !== null}
          spellCheck={false}
        />
        <Button type="submit" variant="primary" disabled={building !== null}>
          {building ? 'Building…' : 'Build'}
        </Button>
      </form>
      <p className="muted small">
        Needs root and debootstrap on the host; no registry is used. Takes about a minute.
      </p>
      {progress && (
        <ProgressLine label={`Building ${building}`} percent={progress.percent}>
          <strong>{progress.phase}</strong> {progress.message}
        </ProgressLine>
      )}
      {buildError && <ErrorBox error={buildError} title="The build failed" />}
    </div>
  );
}
