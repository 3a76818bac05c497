// Opens the bridge's WebSocket while the app's scripts still load and run, which is most of a first paint: the app
// adopts this socket (renderer/src/earlySocket.ts) instead of starting its own handshake only once they have run.
// Only in a browser on `habitat serve`; inside Electron the preload's window.habitat is the bridge.
/* global window */
(function connectEarly() {
  if (window.habitat || typeof WebSocket !== 'function') return;
  var token = new URLSearchParams(window.location.search).get('token');
  try {
    token = token || window.sessionStorage.getItem('habitat.token');
  } catch {
    // storage refused (a sandboxed frame): the app then asks for a token itself
  }
  if (!token) return;
  var scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  var url = scheme + '://' + window.location.host + '/bridge';
  var socket = new WebSocket(url, ['habitat.v1', 'habitat.token.' + token]);
  socket.binaryType = 'arraybuffer';
  var early = { url: url, token: token, socket: socket, events: [] };
  // what happens before the app takes the socket over is kept, in order, for it
  socket.onopen =
    socket.onmessage =
    socket.onerror =
    socket.onclose =
      function (event) {
        early.events.push(event);
      };
  window.__habitatEarlySocket = early;
})();
