// Accounts: sign-up, log-in, sessions and the current user.
import type { IssuedSession, UserRecord } from '../auth/accounts.ts';
import { requirePerson } from '../auth/api-tokens.ts';
import { clearRefreshCookie, refreshCookie } from '../auth/refresh-cookie.ts';
import { builder, type Context } from './builder.ts';

export const UserRef = builder.objectRef<UserRecord>('User').implement({
  description: 'An account.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id of the account.' }),
    email: t.exposeString('email', { description: 'The email the account signs in with (lower-cased).' }),
    name: t.exposeString('name', { description: 'Display name (1-100 characters).' }),
  }),
});

interface AuthPayloadShape {
  accessToken: string;
  expiresAt: Date;
  user: UserRecord;
}

const AuthPayload = builder.objectRef<AuthPayloadShape>('AuthPayload').implement({
  description: 'A fresh access token (keep it in memory; send it as Authorization: Bearer). The refresh token is set as an HttpOnly cookie.',
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', {
      description: 'Send as `Authorization: Bearer <accessToken>` over HTTP, and as `connectionParams: { authorization: "Bearer <accessToken>" }` over WebSocket.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the access token stops working; call refreshSession before then.' }),
    user: t.field({ type: UserRef, description: 'The signed-in account.', resolve: (p) => p.user }),
  }),
});

function issue(ctx: Context, session: IssuedSession): AuthPayloadShape {
  ctx.setCookie(refreshCookie(session.refreshToken, session.refreshMaxAge, ctx.services.config.production));
  return { accessToken: session.accessToken, expiresAt: session.expiresAt, user: session.user };
}

builder.queryField('me', (t) =>
  t.field({
    type: UserRef,
    nullable: true,
    description: 'The signed-in user, or null.',
    resolve: (_root, _args, ctx) => (ctx.viewer ? ctx.services.accounts.user(ctx.viewer.userId) : null),
  }),
);

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    description: 'Creates an account and signs it in (sets the refresh cookie). BAD_USER_INPUT names the bad `field` in extensions.',
    args: {
      email: t.arg.string({ required: true, description: 'A valid email address, unique among accounts (case-insensitive).' }),
      password: t.arg.string({ required: true, description: '8 to 256 characters.' }),
      name: t.arg.string({ required: true, description: 'Display name, 1 to 100 characters.' }),
    },
    resolve: async (_root, args, ctx) => {
      await ctx.services.rateLimits.consume(['authPerIp', ctx.ip]);
      return issue(ctx, await ctx.services.accounts.signUp(args.email, args.password, args.name, ctx.ip));
    },
  }),
  logIn: t.field({
    type: AuthPayload,
    description: 'Signs in (sets the refresh cookie). A wrong email or password is UNAUTHENTICATED.',
    args: {
      email: t.arg.string({ required: true, description: 'The email of the account (case-insensitive).' }),
      password: t.arg.string({ required: true, description: 'Its password.' }),
    },
    resolve: async (_root, args, ctx) => {
      const limits = ctx.services.rateLimits;
      const email = args.email.trim().toLowerCase().slice(0, 254);
      // Every attempt counts per address (credential stuffing). Failures
      // count per account from this address, and per account from all
      // addresses (a looser cap on guessing from many): each attempt takes
      // its point before the password is checked, so a flood of parallel
      // guesses cannot outrun the count, and a success gives it back. So
      // someone guessing from elsewhere never locks the owner out; only
      // guessing from many addresses at once reaches the account's cap.
      const failures = [['authFailuresPerAccountIp', `${email}_${ctx.ip}`], ['authPerAccount', email]] as const;
      await limits.consume(['authPerIp', ctx.ip], ...failures);
      const session = await ctx.services.accounts.logIn(args.email, args.password, ctx.ip);
      await limits.reset(failures[0]);
      await limits.refund(failures[1]);
      return issue(ctx, session);
    },
  }),
  refreshSession: t.field({
    type: AuthPayload,
    description: 'Reads the refresh cookie, rotates it and returns a new access token.',
    resolve: async (_root, _args, ctx) => issue(ctx, await ctx.services.accounts.refresh(ctx.refreshToken)),
  }),
  logOut: t.boolean({
    description: 'Ends this session (its whole refresh-token family) and clears the cookie.',
    resolve: async (_root, _args, ctx) => {
      if (ctx.viewer) requirePerson(ctx.viewer, 'log out (revoke it instead)');
      await ctx.services.accounts.logOut(ctx.refreshToken, ctx.viewer?.sessionId ?? null);
      ctx.setCookie(clearRefreshCookie(ctx.services.config.production));
      return true;
    },
  }),
  logOutEverywhere: t.boolean({
    description:
      "Ends every session of the signed-in user (identified by the access token or the refresh cookie): all refresh tokens stop working, all access tokens are refused, and the user's open WebSockets close with 4002.",
    resolve: async (_root, _args, ctx) => {
      if (ctx.viewer) requirePerson(ctx.viewer, 'log out (revoke it instead)');
      await ctx.services.accounts.logOutEverywhere(ctx.refreshToken, ctx.viewer?.sessionId ?? null);
      ctx.setCookie(clearRefreshCookie(ctx.services.config.production));
      return true;
    },
  }),
}));
