/**
 * Lifecycle shared by every component: New → Starting → Running → Stopping →
 * Terminated, or → Failed. Both end states are final (dskit services).
 */
export type ServiceState = 'new' | 'starting' | 'running' | 'stopping' | 'terminated' | 'failed';

export abstract class Service {
  #state: ServiceState = 'new';
  #failure: unknown;
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  get state(): ServiceState {
    return this.#state;
  }

  get failure(): unknown {
    return this.#failure;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TypeError(`Cannot start service "${this.name}": state is ${this.#state}`);
    this.#state = 'starting';
    try {
      await this.starting();
      this.#state = 'running';
    } catch (err) {
      this.#state = 'failed';
      this.#failure = err;
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.#state === 'terminated' || this.#state === 'failed' || this.#state === 'stopping') return;
    if (this.#state === 'new') {
      this.#state = 'terminated';
      return;
    }
    this.#state = 'stopping';
    try {
      await this.stopping();
      this.#state = 'terminated';
    } catch (err) {
      this.#state = 'failed';
      this.#failure = err;
      throw err;
    }
  }

  protected abstract starting(): Promise<void>;
  protected abstract stopping(): Promise<void>;
}
