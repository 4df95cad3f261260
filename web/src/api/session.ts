// The signed-in session: the access token lives only in memory (never in
// storage a script could read back); the refresh token is an HttpOnly
// cookie the server rotates on every refreshSession. Framework-free; React
// reads it through subscribe/getState.
import { Client, fetchExchange } from '@urql/core';
import { ApiError, apiErrorOf } from './errors.ts';
import { LogIn, LogOut, RefreshSession, SignUp } from './operations.ts';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; error?: ApiError }
  | { status: 'signed-in'; user: SessionUser };

interface AuthPayload {
  accessToken: string;
  expiresAt: string;
  user: SessionUser;
}

/** Refresh this long before the access token expires, milliseconds. */
const REFRESH_AHEAD_MS = 60_000;
/** A token this close to expiry is not sent, milliseconds. */
const EXPIRY_MARGIN_MS = 10_000;

export class Session {
  private token: string | null = null;
  private expiresAt = 0;
  private state: SessionState = { status: 'loading' };
  private refreshing: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();
  /** Plain client for the auth mutations (the app's client would try to refresh on their errors). */
  private readonly client: Client;

  constructor(url: string) {
    this.client = new Client({ url, exchanges: [fetchExchange], preferGetMethod: false, requestPolicy: 'network-only', fetchOptions: { credentials: 'same-origin' } });
  }

  getState = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The token to send now, without waiting (null: none, or about to expire). */
  currentToken(): string | null {
    return this.token && Date.now() < this.expiresAt - EXPIRY_MARGIN_MS ? this.token : null;
  }

  /** The token to send, refreshed first when needed; null when signed out. */
  async accessToken(): Promise<string | null> {
    return this.currentToken() ?? (this.state.status === 'signed-out' ? null : this.refresh());
  }

  /** The server refused our token (e.g. a WebSocket closed with 4403): get a new one next time. */
  invalidate(): void {
    this.expiresAt = 0;
  }

  /**
   * Page load: a browser holding the refresh cookie is signed in without
   * another step. Offline (the server out of reach) the person who was
   * signed in here last stays signed in, as far as this page can tell, so
   * the editor opens from local state; the next token is fetched once the
   * network is back, and a refused cookie then signs out as usual.
   */
  async restore(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      const problem = error instanceof ApiError ? error : new ApiError('NETWORK', String(error));
      const user = problem.code === 'NETWORK' ? rememberedUser() : null;
      if (user) this.setState({ status: 'signed-in', user });
      else this.signedOut(problem);
    }
  }

  /** Single flight in this tab, and one tab at a time (Web Locks): see doRefresh. */
  refresh(): Promise<string | null> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async signUp(email: string, password: string, name: string): Promise<void> {
    const result = await this.client.mutation(SignUp, { email, password, name }).toPromise();
    if (!result.data) throw apiErrorOf(result.error);
    this.accept(result.data.signUp);
  }

  async logIn(email: string, password: string): Promise<void> {
    const result = await this.client.mutation(LogIn, { email, password }).toPromise();
    if (!result.data) throw apiErrorOf(result.error);
    this.accept(result.data.logIn);
  }

  /** Ends the session on the server (and clears the cookie); signed out here whatever happens. */
  async logOut(): Promise<void> {
    const token = this.token;
    try {
      await this.client.mutation(LogOut, {}, { fetchOptions: { headers: token ? { authorization: `Bearer ${token}` } : {} } }).toPromise();
    } finally {
      this.signedOut();
    }
  }

  private async doRefresh(): Promise<string | null> {
    // The cookie rotates on each refresh, and the server treats a second use
    // of a rotated cookie as theft (it revokes the session). Two tabs
    // refreshing at once would present the same cookie: take turns.
    const run = async (): Promise<string | null> => {
      const result = await this.client.mutation(RefreshSession, {}).toPromise();
      if (result.data) {
        this.accept(result.data.refreshSession);
        return this.token;
      }
      const error = apiErrorOf(result.error);
      if (error.code === 'UNAUTHENTICATED') {
        this.signedOut(this.state.status === 'signed-in' ? error : undefined);
        return null;
      }
      throw error;
    };
    return typeof navigator !== 'undefined' && navigator.locks ? navigator.locks.request('collab-refresh-session', run) : run();
  }

  private accept(payload: AuthPayload): void {
    this.token = payload.accessToken;
    // Against the local clock; a skewed clock only means an early refresh,
    // or a refused token that triggers one (api/client.ts).
    this.expiresAt = Date.parse(payload.expiresAt);
    if (this.timer) clearTimeout(this.timer);
    const lifetime = this.expiresAt - Date.now();
    this.timer = setTimeout(() => void this.refresh().catch(() => {}), Math.max(5_000, lifetime - REFRESH_AHEAD_MS));
    const user = payload.user;
    const same = this.state.status === 'signed-in' && this.state.user.id === user.id && this.state.user.name === user.name && this.state.user.email === user.email;
    if (!same) {
      const signedIn = { id: user.id, email: user.email, name: user.name };
      remember(signedIn);
      this.setState({ status: 'signed-in', user: signedIn });
    }
  }

  private signedOut(error?: ApiError): void {
    this.token = null;
    this.expiresAt = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    remember(null);
    this.setState(error ? { status: 'signed-out', error } : { status: 'signed-out' });
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Who was signed in on this browser, for opening offline: the profile only
 * (no token; those stay in memory and in the HttpOnly cookie), forgotten on
 * signing out.
 */
const USER_KEY = 'collab-user';

function remember(user: SessionUser | null): void {
  try {
    if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
    else localStorage.removeItem(USER_KEY);
  } catch {
    // No storage (private mode, tests in Node): nothing to open offline from.
  }
}

function rememberedUser(): SessionUser | null {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(USER_KEY) ?? 'null');
    if (!value || typeof value !== 'object') return null;
    const { id, email, name } = value as Record<string, unknown>;
    return typeof id === 'string' && typeof email === 'string' && typeof name === 'string' ? { id, email, name } : null;
  } catch {
    return null;
  }
}
