/**
 * The control plane with its dashboard: what `gigafactory up` starts. The dashboard mounts on
 * the API's app (same port); its login URL is written to <data-dir>/dashboard-url (0600).
 */
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../control/server.ts';
import { createDashboard, type Dashboard } from './dashboard.ts';

export interface DashboardPlane extends ControlPlane {
  /** The login URL with a one-time code (also in <data-dir>/dashboard-url). */
  readonly dashboardUrl: string;
  readonly dashboard: Dashboard;
}

export async function startDashboardPlane(o: ControlPlaneOptions & { readonly sampleEveryMs?: number }): Promise<DashboardPlane> {
  let dashboard: Dashboard | undefined;
  const cp = await startControlPlane({
    ...o,
    mount: (app, parts) => {
      o.mount?.(app, parts);
      dashboard = createDashboard({ api: app, ...parts, ...(o.sampleEveryMs !== undefined ? { sampleEveryMs: o.sampleEveryMs } : {}) });
      app.route('/', dashboard.app);
    },
  });
  const d = dashboard!;
  const dashboardUrl = d.writeLoginUrl(cp.url);
  return Object.assign(Object.create(null) as object, cp, {
    dashboardUrl, dashboard: d,
    async close() { d.close(); await cp.close(); },
  }) as DashboardPlane;
}
