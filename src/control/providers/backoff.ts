/**
 * When to ask a provider again after it refused (OCI out of host capacity, an instance that
 * never came up): 30 s after the first failure, doubling up to 10 minutes, back to 30 s after
 * a success. Pure: the caller passes the time.
 */
export const RETRY_INITIAL_SECONDS = 30;
export const RETRY_MAX_SECONDS = 600;

export class RetryBackoff {
  private delaySeconds = 0;
  private retryAt = -Infinity;

  constructor(readonly initialSeconds = RETRY_INITIAL_SECONDS, readonly maxSeconds = RETRY_MAX_SECONDS) {}

  /** A refusal at `nowSeconds`: the next try waits the (doubled) delay. Returns when it may be. */
  failed(nowSeconds: number): number {
    this.delaySeconds = this.delaySeconds === 0 ? this.initialSeconds : Math.min(this.maxSeconds, this.delaySeconds * 2);
    this.retryAt = nowSeconds + this.delaySeconds;
    return this.retryAt;
  }

  /** A success: the next refusal starts again from the initial delay. */
  succeeded(): void {
    this.delaySeconds = 0;
    this.retryAt = -Infinity;
  }

  /** Whether a new request may go out now. */
  ready(nowSeconds: number): boolean { return nowSeconds >= this.retryAt; }

  /** The current delay (0: no refusal since the last success) and when the next try may go out. */
  get state(): { readonly delaySeconds: number; readonly retryAtSeconds: number } { return { delaySeconds: this.delaySeconds, retryAtSeconds: this.retryAt }; }
}
