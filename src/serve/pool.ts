/**
 * The replicas behind the gateway, per served model, and how a request picks one.
 * - least-tokens (default): the healthy replica with the fewest outstanding tokens (prompt
 *   estimate + completion budget of requests in flight); ties go to the fewest requests.
 * - prefix: rendezvous hashing of the prompt prefix over healthy replicas, so one
 *   conversation keeps hitting the replica whose KV/prefix cache holds it; falls back to
 *   least-tokens when the preferred replica is loaded far above the others.
 */
export type RoutingPolicy = 'least-tokens' | 'prefix';
export const ROUTING_POLICIES: readonly RoutingPolicy[] = ['least-tokens', 'prefix'];

export interface Replica {
  readonly id: string;
  readonly model: string;
  /** Base URL, e.g. http://127.0.0.1:8001 (the gateway appends /v1/...). */
  readonly url: string;
  healthy: boolean;
  /** Taken out of rotation before it is stopped (scale-down): in-flight requests finish. */
  draining: boolean;
  /** Why the replica is out of rotation (last failed check or request). */
  reason: string;
  outstandingTokens: number;
  inflight: number;
  served: number;
  failures: number;
  /** The release it serves (a deployment's replicas): canary routing splits traffic by release. */
  readonly release?: string;
}

export interface ReplicaInput {
  readonly url: string;
  readonly model: string;
  readonly id?: string;
  readonly release?: string;
  /** False for a replica still starting: it joins rotation after its first passing health check. */
  readonly healthy?: boolean;
}

/** FNV-1a, 32-bit: cheap and stable for rendezvous hashing. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}

/** Whether `r` may take a request (healthy, not draining, not tried already). */
function usable(r: Replica, exclude: ReadonlySet<string>): boolean {
  return r.healthy && !r.draining && (exclude.size === 0 || !exclude.has(r.id));
}

export class ReplicaPool {
  private readonly byModel = new Map<string, Replica[]>();
  /** Traffic share per release of a model (a canary rollout), percent. */
  private readonly shares = new Map<string, readonly { release: string; percent: number }[]>();
  private requestCounter = 0;
  /** Unix seconds a model was first served here: /v1/models' `created`. */
  private readonly firstSeenSeconds = new Map<string, number>();

  constructor(replicas: readonly ReplicaInput[] = []) {
    this.setReplicas(replicas);
  }

  /**
   * Replaces the replica set (discovery calls this as replicas come and go). Replicas with an
   * unchanged id keep their counters and health, so requests in flight stay accounted.
   */
  setReplicas(inputs: readonly ReplicaInput[]): void {
    const old = new Map(this.all().map((r) => [r.id, r]));
    this.byModel.clear();
    for (const i of inputs) {
      const id = i.id ?? `${i.model}@${i.url}`;
      const prev = old.get(id);
      const r: Replica = prev && prev.url === i.url && prev.model === i.model && prev.release === i.release ? prev
        : { id, model: i.model, url: i.url.replace(/\/+$/, ''), healthy: i.healthy ?? true, draining: false, reason: i.healthy === false ? 'starting' : '', outstandingTokens: 0, inflight: 0, served: 0, failures: 0, ...(i.release !== undefined ? { release: i.release } : {}) };
      const list = this.byModel.get(i.model) ?? [];
      list.push(r);
      this.byModel.set(i.model, list);
      if (!this.firstSeenSeconds.has(i.model)) this.firstSeenSeconds.set(i.model, Math.floor(Date.now() / 1000));
    }
  }

  /** Replaces the replicas of one model, keeping the others (a service manages its own model). */
  setModelReplicas(model: string, inputs: readonly ReplicaInput[]): void {
    const others = this.all().filter((r) => r.model !== model).map((r) => ({ url: r.url, model: r.model, id: r.id, ...(r.release !== undefined ? { release: r.release } : {}) }));
    this.setReplicas([...others, ...inputs.map((i) => ({ ...i, model }))]);
  }

  /** Whether `model` has replicas here (healthy or not). */
  serves(model: string): boolean {
    return this.byModel.has(model);
  }

  models(): string[] {
    return [...this.byModel.keys()].sort();
  }

  createdSeconds(model: string): number {
    return this.firstSeenSeconds.get(model) ?? Math.floor(Date.now() / 1000);
  }

  all(): Replica[] {
    return [...this.byModel.values()].flat();
  }

  replicasOf(model: string): readonly Replica[] {
    return this.byModel.get(model) ?? [];
  }

  /** Splits `model`'s traffic by release (percentages); an empty list routes to any release. */
  setShares(model: string, shares: readonly { release: string; percent: number }[]): void {
    if (shares.length > 1) this.shares.set(model, shares); else this.shares.delete(model);
  }

  /** The release this request goes to: a golden-ratio sequence spreads each share evenly over requests. */
  private releaseFor(model: string): string | undefined {
    const shares = this.shares.get(model);
    if (!shares) return undefined;
    const x = ((this.requestCounter++ * 0.6180339887498949) % 1) * 100;
    let acc = 0;
    for (const s of shares) { acc += s.percent; if (x < acc) return s.release; }
    return shares.at(-1)!.release;
  }

  /**
   * Picks a healthy replica of `model` not in `exclude`; undefined when none is left. Runs on
   * every request: loops over the model's replicas without building candidate lists.
   */
  pick(model: string, policy: RoutingPolicy, prefix: string, exclude: ReadonlySet<string>): Replica | undefined {
    const all = this.byModel.get(model);
    if (!all) return undefined;
    let any = false;
    for (const r of all) if (usable(r, exclude)) { any = true; break; }
    if (!any) return undefined;
    // A canary split: the candidates are the usable replicas of the release this request goes to, if it has any.
    const release = this.releaseFor(model);
    let onlyRelease = false;
    if (release !== undefined) for (const r of all) if (r.release === release && usable(r, exclude)) { onlyRelease = true; break; }
    const only = onlyRelease ? release : undefined;
    let least: Replica | undefined;
    for (const r of all) {
      if (!usable(r, exclude) || (only !== undefined && r.release !== only)) continue;
      if (!least || r.outstandingTokens < least.outstandingTokens || (r.outstandingTokens === least.outstandingTokens && r.inflight < least.inflight)) least = r;
    }
    if (policy !== 'prefix' || prefix.length === 0) return least;
    let best = least!;
    let bestScore = -1;
    for (const r of all) {
      if (!usable(r, exclude) || (only !== undefined && r.release !== only)) continue;
      const score = hash(`${r.id}|${prefix}`);
      if (score > bestScore) { bestScore = score; best = r; }
    }
    // Affinity yields when it would pile work on one replica (2x the least loaded + a slack).
    return best.outstandingTokens > 2 * least!.outstandingTokens + 4096 ? least : best;
  }

  /** Why no replica can take a request for `model` (for the 503 message). */
  unavailableReason(model: string): string {
    const list = this.replicasOf(model);
    if (list.length === 0) return `model "${model}" has no replicas`;
    return `no healthy replica of "${model}": ${list.map((r) => `${r.url} (${r.draining ? 'draining' : r.reason || 'unhealthy'})`).join('; ')}`;
  }
}
