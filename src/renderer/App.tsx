import { useEffect, useState } from 'react';
import { getApi } from './api.js';

// Placeholder until the desktop UI lands; the CLI is the way in for now.
export function App(): React.JSX.Element {
  const [version, setVersion] = useState<string>();

  useEffect(() => {
    let isMounted = true;
    getApi()
      ?.version()
      .then(
        (value) => {
          if (isMounted) setVersion(value);
        },
        (error: unknown) => console.error('podpath: version unavailable', error),
      );
    return () => {
      isMounted = false;
    };
  }, []);

  return (
    <main className="placeholder">
      <h1>
        podpath
        {version !== undefined && <span className="version">v{version}</span>}
      </h1>
      <p>Open a capture with the CLI for now:</p>
      <pre>
        <code>npx podpath analyze &lt;capture&gt;</code>
      </pre>
    </main>
  );
}
