// The user script's own part: a token provider on cozeauth (through
// GM_xmlhttpRequest when the manager grants it, else fetch), and the page's
// hard-coded Coze token replaced by fresh ones: in Coze's Chat SDK
// (CozeWebSDK.WebChatClient's auth) and on every fetch or XMLHttpRequest to
// the Coze API that carries an Authorization header.
(function (cfg) {
  'use strict';
  var C = window.cozeauth, W = typeof unsafeWindow !== 'undefined' ? unsafeWindow : window,
    gm = typeof GM_xmlhttpRequest === 'function', key = typeof GM_getValue === 'function' ? GM_getValue('cozeauth_key', '') : '';

  // The client key stays in the manager's storage, never in the script text.
  if (typeof GM_registerMenuCommand === 'function') {
    GM_registerMenuCommand('cozeauth: set client key', function () {
      var k = prompt('cozeauth client key (cza_...) for ' + cfg.url + '; kept in this user script\'s storage. Empty to remove.');
      if (k != null) { GM_setValue('cozeauth_key', k.trim()); location.reload(); }
    });
  }

  function gmTransport(r) {
    return new Promise(function (ok, no) {
      function fail(why) { return function () { no(C.Error('network', 'cannot reach ' + r.url + ' (' + why + '): is cozeauth running, and is its host listed under @connect?')); }; }
      GM_xmlhttpRequest({method: 'POST', url: r.url, headers: r.headers, data: r.body, anonymous: true, timeout: 30000,
        onload: function (x) {
          ok({status: x.status, text: x.responseText, header: function (n) {
            var m = new RegExp('^' + n + ':[ \\t]*(.*)$', 'im').exec(x.responseHeaders || '');
            return m ? m[1].trim() : null;
          }});
        },
        onerror: fail('network error'), ontimeout: fail('timeout'), onabort: fail('aborted')});
    });
  }

  var P = C.create({url: cfg.url, app: cfg.app, key: key, transport: gm ? gmTransport : undefined});
  P.getToken().catch(function () {}); // ready before the page asks
  W.cozeauthUserScript = {version: cfg.version};

  function isAPI(u) {
    try { return cfg.apiHosts.indexOf(new URL(u, location.href).host) >= 0; } catch (e) { return false; }
  }

  var pageFetch = W.fetch;
  W.fetch = function (input, init) {
    var req, u = input && typeof input === 'object' && 'url' in input ? input.url : String(input);
    if (!isAPI(u)) return pageFetch.apply(this, arguments); // other hosts: untouched
    try { req = new W.Request(input, init); } catch (e) { return pageFetch.apply(this, arguments); }
    if (!req.headers.has('Authorization')) return pageFetch.call(W, req);
    return P.getToken().then(function (t) {
      req.headers.set('Authorization', 'Bearer ' + t);
      return pageFetch.call(W, req);
    });
  };

  var X = W.XMLHttpRequest.prototype, xOpen = X.open, xSet = X.setRequestHeader, xSend = X.send, held = new WeakMap();
  X.open = function (m, u) {
    held.set(this, isAPI(u) ? {} : null);
    return xOpen.apply(this, arguments);
  };
  X.setRequestHeader = function (n) {
    var h = held.get(this);
    if (h && /^authorization$/i.test(n)) { h.auth = true; return; }
    return xSet.apply(this, arguments);
  };
  X.send = function (body) {
    var x = this, h = held.get(x);
    if (!h || !h.auth) return xSend.apply(x, arguments);
    P.getToken().then(function (t) {
      xSet.call(x, 'Authorization', 'Bearer ' + t);
      xSend.call(x, body);
    }, function () {
      x.dispatchEvent(new W.ProgressEvent('error'));
    });
  };

  // Coze's Chat SDK: swap the token it is given for ours, and let it refresh.
  function wrap(sdk) {
    if (!sdk || typeof sdk.WebChatClient !== 'function' || sdk.WebChatClient.cozeauth) return sdk;
    var Orig = sdk.WebChatClient;
    function WebChatClient(o) {
      o = Object.assign({}, o);
      var a = Object.assign({}, o.auth);
      if (a.type === 'token' || a.token) {
        a.type = 'token';
        a.token = P.current() || 'cozeauth-pending';
        a.onRefreshToken = P.onRefreshToken;
        o.auth = a;
      }
      return new Orig(o);
    }
    WebChatClient.prototype = Orig.prototype;
    WebChatClient.cozeauth = true;
    sdk.WebChatClient = WebChatClient;
    return sdk;
  }
  var sdk = wrap(W.CozeWebSDK);
  try {
    Object.defineProperty(W, 'CozeWebSDK', {configurable: true, enumerable: true,
      get: function () { return sdk; }, set: function (v) { sdk = wrap(v); }});
  } catch (e) {}
})(/*CONFIG*/);
