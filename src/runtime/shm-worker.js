// Members of a shared-memory group start here, one worker thread each: TypeScript support first, then the member itself.
import { register } from 'tsx/esm/api';
register();
await import('./shm-worker-main.ts');
