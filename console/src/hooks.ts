/** Live data and navigation: a polling hook and a router over the History API, under /console. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** How often live data is read again while a page is open. */
export const POLL_MS = 1000;

/** The last answer of `load`, read now and again every `everyMs` (after the previous answer), and its error. */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = POLL_MS) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;
  const tick = useRef<() => Promise<void>>(async () => undefined);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setData(undefined);
    setError(undefined);
    const run = async () => {
      clearTimeout(timer);
      try {
        const value = await loadRef.current();
        if (live) {
          setData(value);
          setError(undefined);
        }
      } catch (err) {
        if (live) setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), String(err)));
      }
      if (live) timer = setTimeout(() => void run(), everyMs);
    };
    tick.current = run;
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps); // the caller lists what `load` depends on

  /** Reads again now (after an action). */
  const refresh = useCallback(() => tick.current(), []);
  return { data, error, refresh };
}

/** Where the console lives in the API's URL space. */
export const BASE = '/console';

/** The current path inside the console (`/`, `/campaigns/<id>`, `/planned`) and its query. */
export function useRoute() {
  const [location, setLocation] = useState(() => ({ path: stripBase(window.location.pathname), search: window.location.search }));
  useEffect(() => {
    const update = () => setLocation({ path: stripBase(window.location.pathname), search: window.location.search });
    window.addEventListener('popstate', update);
    window.addEventListener('herald:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('herald:navigate', update);
    };
  }, []);
  return location;
}

/** Goes to a console path (e.g. `/campaigns/cmp_1`) without reloading the page. */
export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to}`;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event('herald:navigate'));
}

function stripBase(pathname: string): string {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  return rest === '' ? '/' : rest;
}

/** Paging by cursor: the cursor of the page shown, its number, and moving to the next or previous page. */
export function useCursor(resetOn: unknown[]) {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  useEffect(() => setStack([undefined]), resetOn); // a new filter or search starts at the first page
  return {
    after: stack[stack.length - 1],
    page: stack.length,
    next: (cursor: string) => setStack((s) => [...s, cursor]),
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

/** `value`, once it has stayed the same for `ms` (a preview follows the typing without a request per key). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
