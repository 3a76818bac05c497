import { useEffect, useState, type RefObject } from 'react';

/** How long an element must stay in view before it counts (fast scrolling passes over it). */
const SETTLE_MS = 150;
/** How long it may be out of view and still count (a brief scroll away does not drop a connection). */
const LINGER_MS = 1500;

/**
 * Whether an element is in view of its scrolling container (the nearest `.mc-scroll`, else the viewport), with a
 * settle delay on the way in and a linger on the way out.
 */
export function useOnScreen(ref: RefObject<HTMLElement | null>): boolean {
  const [onScreen, setOnScreen] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new IntersectionObserver(
      (entries) => {
        const visible = entries[entries.length - 1]!.isIntersecting;
        clearTimeout(timer);
        timer = setTimeout(() => setOnScreen(visible), visible ? SETTLE_MS : LINGER_MS);
      },
      { root: element.closest('.mc-scroll'), threshold: 0 },
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [ref]);
  return onScreen;
}
