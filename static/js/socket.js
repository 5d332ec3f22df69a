// The chat WebSocket: heartbeat, reconnect with backoff, and resume with
// ?since=<the last Id seen> so that nothing is missed and nothing doubled.
//
// A dead network closes nothing: the socket looks open until TCP gives up,
// minutes later. So every heartbeat, and every frame sent, asks the server
// for a sign of life ({"Type": 3, "Echo": n} is answered at once; any frame
// counts): none within PROBE_MS and the connection is given up and made
// again ("Reconnecting…"); a connection not open within CONNECT_MS is given
// up too; after QUIET_ATTEMPTS failed attempts, or while the browser says it
// is offline, the state is "Offline" (issue 27).

const MAX_DELAY_MS = 15000;
const PROBE_MS = 3000; // an answer to a heartbeat or a sent frame is due within this
const PROBE_GAP_MS = 1000; // at most one echo a second (the server's KEEPALIVE_RATE is 5)
const CONNECT_MS = 5000; // a handshake that takes longer is a dead network
const QUIET_ATTEMPTS = 2; // failed attempts shown as "Reconnecting…" before "Offline"
const REPLACED = 4001; // close code: too many connections of this user (docs/PROTOCOL.md)
const HEARTBEAT = 3;

export class ChatSocket extends EventTarget {
  // getSince() answers the last message Id the page has seen (or null).
  constructor({ heartbeatSeconds, getSince }) {
    super();
    this.heartbeatMs = Math.max(1, Number(heartbeatSeconds) || 10) * 1000;
    this.getSince = getSince;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.retryAt = 0;
    this.heartbeatTimer = null;
    this.connectTimer = null;
    this.watchdog = null; // set while an answer is due
    this.echoTimer = null;
    this.lastEcho = 0;
    this.echoSeq = 0;
    this.state = 'idle';
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = this.getSince();
    // events=1: presence and friend/group notices too (issue 9).
    const query = since !== null && since !== undefined ? `&since=${encodeURIComponent(since)}` : '';
    return `${scheme}//${location.host}/chat?events=1${query}`;
  }

  start() {
    window.addEventListener('online', () => this.retryNow());
    // The browser lost its network: the connection went with it.
    window.addEventListener('offline', () => {
      if (this.ws) this.drop(this.ws);
      else this.setState(this.state);
    });
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) return;
      this.retryNow();
      this.probe(); // timers sleep in a hidden tab: check the connection now
    });
    this.connect();
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  setState(state) {
    // While the browser says it has no network, anything but an open socket is "offline".
    const shown = state !== 'open' && navigator.onLine === false ? 'offline' : state;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state: shown, attempt: this.attempt, retryAt: this.retryAt } }));
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState !== WebSocket.OPEN) this.drop(ws);
    }, CONNECT_MS);
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      clearTimeout(this.connectTimer);
      this.attempt = 0;
      this.startHeartbeat();
      this.setState('open');
      this.dispatchEvent(new Event('open'));
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      this.alive();
      if (typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (!frame || typeof frame !== 'object' || frame.Type === HEARTBEAT) return; // an echo: life, nothing more
      this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.drop(ws, event.code);
    });
  }

  // This connection is over: closed by the server or the network, or given
  // up as dead (no answer, no handshake). Try again after a backoff.
  drop(ws, code = 0) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearTimeout(this.connectTimer);
    this.stopHeartbeat();
    this.alive();
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
      try {
        ws.close();
      } catch (err) {
        // closing anyway
      }
    }
    this.dispatchEvent(new Event('close'));
    // 4001: the user's newer connections pushed this one out (MAX_SOCKETS_PER_USER):
    // coming straight back would push out another, so wait the longest delay.
    if (code === REPLACED) this.attempt = Math.max(this.attempt, 6);
    this.scheduleRetry();
  }

  scheduleRetry() {
    this.attempt += 1;
    const ceiling = Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.attempt - 1, 6));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    // The first attempts are quick: "Reconnecting…"; then "Offline · retrying in n s".
    this.setState(this.attempt <= QUIET_ATTEMPTS ? 'reconnecting' : 'waiting');
  }

  // Skip the rest of the backoff (the network came back, the tab is visible,
  // or the user asked).
  retryNow() {
    if (this.retryTimer) this.connect();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => this.probe(), this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  // Ask for a sign of life, due within PROBE_MS: a heartbeat with Echo (at
  // most one a second; a frame just sent waits for the next).
  probe() {
    if (!this.isOpen) return;
    if (!this.watchdog) this.watchdog = setTimeout(() => this.lost(), PROBE_MS);
    const wait = this.lastEcho + PROBE_GAP_MS - Date.now();
    if (wait <= 0) this.echo();
    else if (!this.echoTimer) {
      this.echoTimer = setTimeout(() => {
        this.echoTimer = null;
        if (this.watchdog) this.echo();
      }, wait);
    }
  }

  echo() {
    if (!this.isOpen) return;
    this.lastEcho = Date.now();
    this.echoSeq += 1;
    this.ws.send(JSON.stringify({ Type: HEARTBEAT, Echo: this.echoSeq }));
  }

  // The server answered (any frame does): nothing is due any more.
  alive() {
    clearTimeout(this.watchdog);
    this.watchdog = null;
    clearTimeout(this.echoTimer);
    this.echoTimer = null;
  }

  // No answer in time: the network is gone (or the server hangs).
  lost() {
    this.watchdog = null;
    if (this.ws) this.drop(this.ws);
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    this.probe();
    return true;
  }
}
