// main.tsx imports this first, so it runs before React and the app's modules are evaluated: the
// session is asked for its state while they are, not after. Failing, main.tsx asks again.
import { firstSession } from './api.js';

firstSession().catch(() => undefined);
