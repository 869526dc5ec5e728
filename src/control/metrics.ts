/**
 * Prometheus metrics of the control plane, served at GET /metrics (text exposition format).
 * One registry per control plane (not prom-client's global one) so several can live in one
 * process (tests). Job gauges are read from the store at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from './store/types.ts';

export class ControlMetrics {
  readonly registry = new Registry();
  readonly cycleSeconds: Histogram;
  readonly attemptsEnded: Counter<'outcome'>;
  readonly submitted: Counter;

  constructor(store: Store) {
    const registers = [this.registry];
    this.cycleSeconds = new Histogram({
      name: 'gigafactory_scheduling_cycle_seconds', help: 'Reconciler tick: store snapshot + scheduler.schedule + decisions',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers,
    });
    this.attemptsEnded = new Counter({ name: 'gigafactory_attempts_ended_total', help: 'Job attempts ended, by outcome', labelNames: ['outcome'], registers });
    this.submitted = new Counter({ name: 'gigafactory_jobs_submitted_total', help: 'Jobs accepted by POST /v1/jobs', registers });
    new Gauge({
      name: 'gigafactory_jobs', help: 'Jobs now queued or running', labelNames: ['state'], registers,
      async collect() {
        const active = await store.listJobs({ states: ['queued', 'running'], order: 'id' });
        const queued = active.filter((j) => j.state === 'queued').length;
        this.set({ state: 'queued' }, queued);
        this.set({ state: 'running' }, active.length - queued);
      },
    });
  }
}
