// Opens the bridge's WebSocket while the app's scripts still load and run, which is most of a first paint: the app
// adopts this socket (renderer/src/earlySocket.ts) instead of starting its own handshake only once they have run.
// Once open, it also asks what the app's store asks first (renderer/src/store/bind.ts), subscribing to the events
// that keep those answers current before asking, as the store does: the answers are then in hand when the app
// starts, and its first render shows the agents. The app's own requests for them are answered from these.
// Only in a browser on `habitat serve`; inside Electron the preload's window.habitat is the bridge. It loads async
// (the page's own scripts are fetched meanwhile), so it steps aside if the app has started without it.
/* global window */
(function connectEarly() {
  if (window.habitat || window.__habitatStarted || typeof WebSocket !== 'function') return;
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
  var early = { url: url, token: token, socket: socket, events: [], calls: [] };
  // exactly the topics the store subscribes to: the host keeps one subscription per topic and connection
  var topics = ['process.spawned', 'process.changed', 'vnc.started.*', 'vnc.stopped.*', 'agent.approval'];
  var commands = ['system.info', 'process.list', 'agent.approvals', 'vnc.list', 'gpu.list'];
  var keep = function (event) {
    early.events.push(event);
  };
  // what happens before the app takes the socket over is kept, in order, for it
  socket.onmessage = socket.onerror = socket.onclose = keep;
  socket.onopen = function (event) {
    keep(event);
    try {
      socket.send(JSON.stringify({ type: 'subscribe', id: 'early.topics', topics: topics }));
      for (var i = 0; i < commands.length; i++) {
        var call = { type: 'call', id: 'early.' + i, command: commands[i], args: {} };
        socket.send(JSON.stringify(call));
        early.calls.push(call);
      }
    } catch {
      // closing already: the app sees the close and connects again
    }
  };
  window.__habitatEarlySocket = early;
})();
