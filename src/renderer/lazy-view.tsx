// Views the first screen does not need are chunks of their own, loaded when first shown. A chunk
// that does not load (web mode: the server stopped, or was rebuilt while the page was open) says
// why in the view's place instead of taking the whole page down.
import { type ComponentType, lazy, type LazyExoticComponent } from 'react';

export function lazyView<P extends object>(
  load: () => Promise<ComponentType<P>>,
): LazyExoticComponent<ComponentType<P>> {
  return lazy<ComponentType<P>>(() =>
    load().then(
      (view) => ({ default: view }),
      (error: unknown) => ({
        default: function Unloaded(): React.JSX.Element {
          return (
            <p className="error" role="alert">
              {error instanceof Error ? error.message : String(error)}
            </p>
          );
        },
      }),
    ),
  );
}
