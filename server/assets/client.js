/*! cozeauth client.js: short-lived Coze tokens for pages and SDKs. No dependencies.
 * cozeauth.getToken() -> Promise<string>; errors are CozeauthError {code, status, retryAfter}.
 * A token is handed out only while more than `ahead` seconds (at most a quarter of its
 * lifetime) remain; it is refreshed ahead of that by one request, shared by every caller. */
(function (w) {
  'use strict';
  var now = Date.now, TRANSIENT = {0: 1, 408: 1, 429: 1, 500: 1, 502: 1, 503: 1, 504: 1};

  function CozeauthError(code, message, status, retryAfter) {
    var e = new Error('cozeauth: ' + message);
    e.name = 'CozeauthError';
    e.code = code;
    e.status = status || 0;
    e.retryAfter = retryAfter || 0;
    return e;
  }

  function noop() {}

  function sleep(ms) {
    return new Promise(function (r) { setTimeout(r, ms); });
  }

  // fetchTransport posts r with the browser's cookies (public, cookie-bound policies).
  function fetchTransport(r) {
    return fetch(r.url, {method: 'POST', headers: r.headers, body: r.body, credentials: 'include', cache: 'no-store'})
      .then(function (res) {
        return res.text().then(function (t) {
          return {status: res.status, text: t, header: function (n) { return res.headers.get(n); }};
        });
      }, function (e) {
        throw CozeauthError('network', 'cannot reach ' + r.url + ' (' + e.message + '): is cozeauth running, and does its policy list this page\'s origin?');
      });
  }

  // parse turns an answer into {access_token, expires_in} or a CozeauthError carrying
  // cozeauth's error code (X-Cozeauth-Error, else the JSON body's error.code).
  function parse(r, url) {
    var j = null, s = r.status, b, code, msg;
    try { j = JSON.parse(r.text); } catch (e) {}
    if (s === 200 && j && typeof j.access_token === 'string' && j.access_token && j.expires_in > 0) return j;
    b = (j && j.error) || {};
    code = r.header('X-Cozeauth-Error') || (typeof b.code === 'string' && b.code);
    if (s === 200) return Promise.reject(CozeauthError('bad_response', url + ' answered 200 without access_token and expires_in: is it a cozeauth token endpoint?', s));
    msg = typeof b.message === 'string' ? b.message.slice(0, 300) : 'the answer is not from cozeauth (no error code): check the URL';
    return Promise.reject(CozeauthError(code || 'http_' + s, url + ' refused the token request (' + s + (code ? ' ' + code : '') + '): ' + msg, s, +r.header('Retry-After') || 0));
  }

  // create returns a token provider. Options: url (cozeauth's base URL), app, duration
  // (seconds), session, key (a client key: private pages only), ahead (seconds, default 10),
  // retries (default 2), maxBackoff (seconds, default 60), transport (function(req) ->
  // Promise<{status, text, header(name)}>).
  function create(o) {
    o = o || {};
    var url = String(o.url || '').replace(/\/+$/, '') + (o.path || '/token'),
      ahead = (o.ahead || 10) * 1e3, retries = o.retries == null ? 2 : o.retries,
      maxBackoff = (o.maxBackoff || 60) * 1e3, send = o.transport || fetchTransport,
      p = {}, tok = '', exp = 0, margin = 0, flight = null, fails = 0, until = 0, err = null,
      timer = 0, due = false, subs = {}, doc = w.document;

    function emit(type, d) {
      (subs[type] || []).forEach(function (f) { try { f(d); } catch (e) {} });
    }

    // delay is exponential backoff with jitter: a random time in [d/2, d].
    function delay(n) {
      var d = Math.min(maxBackoff, 1e3 * Math.pow(2, Math.min(n, 16) - 1));
      return d / 2 + Math.random() * d / 2;
    }

    function once() {
      var body = {}, h = {'Content-Type': 'application/json'};
      if (o.app) body.app = o.app;
      if (o.duration) body.duration_seconds = +o.duration;
      if (o.session) body.session_name = o.session;
      if (o.key) h['X-API-Key'] = o.key;
      return send({url: url, headers: h, body: JSON.stringify(body)}).then(function (r) { return parse(r, url); });
    }

    function attempt(n) {
      return once().catch(function (e) {
        var d = Math.max(delay(n + 1), e.retryAfter * 1e3);
        if (n >= retries || !TRANSIENT[e.status] || d > maxBackoff) throw e;
        return sleep(d).then(function () { return attempt(n + 1); });
      });
    }

    function schedule(ms) {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (doc && doc.hidden) due = true; // refreshed when the page is shown again
        else refresh().catch(noop);
      }, Math.min(Math.max(ms, 0), 2147483647));
      if (timer.unref) timer.unref(); // in Node, a refresh ahead never keeps the process alive
    }

    // refresh fetches a new token; every caller meanwhile shares this one request.
    function refresh() {
      if (flight) return flight;
      flight = attempt(0).then(function (j) {
        var t = now(), e = j.expires_in * 1e3, same = j.access_token === tok, was = !!tok;
        flight = null;
        if (e <= t) throw CozeauthError('expired_token', 'the token endpoint handed out a token that has already expired: check this computer\'s clock');
        tok = j.access_token;
        exp = e;
        margin = Math.min(ahead, (e - t) / 4);
        fails = 0;
        err = null;
        // The same token again (a server caching longer than `ahead`): ask again halfway.
        schedule(same ? Math.max(1e3, (e - margin - t) / 2) : e - margin - t);
        emit('token', {expiresAt: e, refreshed: was && !same});
        return tok;
      }).catch(function (e) {
        flight = null;
        fails++;
        err = e;
        until = now() + Math.max(delay(fails), e.retryAfter * 1e3);
        if (exp - now() > 1e3) schedule(until - now()); // still valid: retry in the background
        emit('error', e);
        throw e;
      });
      return flight;
    }

    function valid() {
      return tok && now() < exp - 1e3;
    }

    // getToken resolves to a token with more than `ahead` seconds left, refreshing when
    // needed. After a failure it rejects at once with that failure until the backoff ends.
    p.getToken = function () {
      if (tok && now() < exp - margin) return Promise.resolve(tok);
      if (flight || now() >= until) {
        return refresh().catch(function (e) {
          if (valid()) return tok;
          throw e;
        });
      }
      return valid() ? Promise.resolve(tok) : Promise.reject(err);
    };
    // current is the held token while it is valid, else ''.
    p.current = function () { return valid() ? tok : ''; };
    // expiresAt is the held token's expiry (ms since the epoch), 0 when none.
    p.expiresAt = function () { return tok ? exp : 0; };
    // on('token', f({expiresAt, refreshed})) or on('error', f(CozeauthError)).
    p.on = function (type, f) { (subs[type] = subs[type] || []).push(f); return p; };
    // onRefreshToken: Coze's Chat SDK (auth: {type: 'token', token, onRefreshToken}).
    p.onRefreshToken = function () { return p.getToken(); };
    // sdkToken: the Node/browser SDK (new CozeAPI({token: cozeauth.sdkToken, ...})).
    p.sdkToken = p.onRefreshToken;
    // chatAuth resolves to the Chat SDK's whole auth option.
    p.chatAuth = function () {
      return p.getToken().then(function (t) { return {type: 'token', token: t, onRefreshToken: p.onRefreshToken}; });
    };
    if (doc) doc.addEventListener('visibilitychange', function () {
      if (due && !doc.hidden) { due = false; refresh().catch(noop); }
    });
    return p;
  }

  // The default provider talks to the server this script came from; <script data-app,
  // data-duration, data-session, data-key> configure it.
  var s = w.document && w.document.currentScript, d = (s && s.dataset) || {}, c;
  c = create({url: s && s.src ? new URL(s.src).origin : '', app: d.app, duration: d.duration, session: d.session, key: d.key});
  c.create = create;
  c.Error = CozeauthError;
  w.cozeauth = c;
})(typeof window !== 'undefined' ? window : globalThis);
