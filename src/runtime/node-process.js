// One protocol node per OS process starts here: TypeScript support first, then the node itself.
import { register } from 'tsx/esm/api';
register();
await import('./node-process-main.ts');
