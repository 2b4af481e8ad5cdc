// The signed-in token of this tab. The secret is kept in sessionStorage:
// it lives as long as the tab (a reload, or the language switch, keeps
// it) and no other tab or later visit sees it; never in localStorage,
// never in an address. What the token may do comes from GET /auth/whoami
// (its name, role, comuni and actions), asked at sign-in and when the tab
// comes back.
//
// Every request made with the token goes through send(): it adds the
// Authorization header and asks the browser to store nothing
// (cache: no-store), so that no answer seen with a token (the crisis
// unit's personal data above all) stays in the HTTP cache.

const storageKey = 'atlante.token';

function stored() {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null; // storage refused: the token lives in memory only
  }
}

function store(secret) {
  try {
    if (secret) sessionStorage.setItem(storageKey, secret);
    else sessionStorage.removeItem(storageKey);
  } catch {
    // memory only
  }
}

/**
 * An answer of the service: status, ok, the ETag, the decoded JSON body
 * (data) or, for an error, the RFC 9457 problem, and the reason of a
 * geometry the service repaired.
 */
export async function answer(res) {
  const out = {
    status: res.status, ok: res.ok, etag: res.headers.get('ETag'), data: null, problem: null,
    repaired: res.headers.get('Atlante-Geometry-Repaired'),
  };
  const type = res.headers.get('Content-Type') ?? '';
  if (res.status === 204) return out;
  let body = null;
  if (type.includes('json')) {
    try {
      body = await res.json();
    } catch {
      body = null;
    }
  }
  if (res.ok) out.data = body;
  else out.problem = body && typeof body === 'object' ? body : { status: res.status, title: res.statusText };
  return out;
}

/**
 * Returns the session of the tab: {who, signedIn(), signIn(secret),
 * signOut(), restore(), may(action, istat), comuni(), send(url, opts),
 * onChange(fn)}. who is the answer of /auth/whoami, or null.
 */
export function createSession() {
  let secret = stored();
  let who = null;
  const listeners = [];
  const changed = () => listeners.forEach((f) => f(who));

  /**
   * Sends a request with the token. opts: method, body (an object, sent
   * as JSON), type (its Content-Type), ifMatch, accept, signal.
   */
  const send = async (url, { method = 'GET', body, type = 'application/json', ifMatch, accept = 'application/json', signal } = {}) => {
    const headers = { Accept: accept };
    if (secret) headers.Authorization = `Bearer ${secret}`;
    if (ifMatch) headers['If-Match'] = ifMatch;
    const init = { method, headers, cache: 'no-store', signal };
    if (body !== undefined) {
      headers['Content-Type'] = type;
      init.body = JSON.stringify(body);
    }
    const res = await answer(await fetch(url, init));
    if (res.status === 401 && secret) {
      // Revoked while in use: the tab forgets it and says so.
      secret = null;
      who = null;
      store(null);
      changed();
    }
    return res;
  };

  const whoami = async (s) => {
    const res = await answer(await fetch('/auth/whoami', {
      headers: { Accept: 'application/json', Authorization: `Bearer ${s}` }, cache: 'no-store',
    }));
    return res;
  };

  return {
    get who() { return who; },
    signedIn: () => who !== null,
    /** Signs in with a secret; returns the answer (its problem when refused). */
    async signIn(s) {
      const res = await whoami(s.trim());
      if (res.ok) {
        secret = s.trim();
        who = res.data;
        store(secret);
        changed();
      }
      return res;
    },
    signOut() {
      secret = null;
      who = null;
      store(null);
      changed();
    },
    /** Signs in again with the tab's token, if any (after a reload). */
    async restore() {
      if (!secret) return;
      const res = await whoami(secret);
      if (res.ok) {
        who = res.data;
      } else {
        secret = null;
        store(null);
      }
      changed();
    },
    /** Whether the token may take action in comune istat (any comune when istat is omitted). */
    may(action, istat) {
      if (!who || !who.actions.includes(action)) return false;
      if (istat === undefined || who.all_comuni) return true;
      return who.comuni.includes(istat);
    },
    /** The ISTAT codes the token acts on (null: every comune). */
    comuni: () => (who?.all_comuni ? null : who?.comuni ?? []),
    send,
    /**
     * The methods the token may use on a resource, from OPTIONS (RFC 9110
     * §9.3.7: the service's Allow tells the truth for the token).
     */
    async allowed(url) {
      const headers = {};
      if (secret) headers.Authorization = `Bearer ${secret}`;
      const res = await fetch(url, { method: 'OPTIONS', headers, cache: 'no-store' });
      if (!res.ok) return [];
      return (res.headers.get('Allow') ?? '').split(',').map((m) => m.trim()).filter(Boolean);
    },
    onChange(f) {
      listeners.push(f);
    },
  };
}
