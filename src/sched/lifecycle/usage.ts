/**
 * GPUs held per tenant, kept in step with the running set by the driver (add on start, remove
 * on stop) so the scheduler gets `usageGpusByTenant` without summing the running jobs each cycle.
 */
export class TenantUsage {
  readonly byTenant = new Map<string, number>();

  add(tenant: string, gpus: number): void {
    this.byTenant.set(tenant, (this.byTenant.get(tenant) ?? 0) + gpus);
  }

  remove(tenant: string, gpus: number): void {
    const left = (this.byTenant.get(tenant) ?? 0) - gpus;
    if (left < 0) throw new Error(`tenant ${tenant} would hold ${left} GPUs: a stop without its start`);
    this.byTenant.set(tenant, left);
  }

  of(tenant: string): number {
    return this.byTenant.get(tenant) ?? 0;
  }
}
