import { runExecutorContract } from '../executor-contract.ts';
import { LocalExecutor } from './executor.ts';

runExecutorContract({ name: 'local', newExecutor: () => new LocalExecutor({ pollMs: 50, stopGraceMs: 1000 }) });
