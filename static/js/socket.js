// The chat WebSocket: heartbeat, reconnect with backoff, and resume with
// ?since=<the last Id seen> so that nothing is missed and nothing doubled.

const MAX_DELAY_MS = 15000;
const REPLACED = 4001; // close code: too many connections of this user (docs/PROTOCOL.md)

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
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.retryNow();
    });
    this.connect();
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, attempt: this.attempt, retryAt: this.retryAt } }));
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
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.startHeartbeat();
      this.setState('open');
      this.dispatchEvent(new Event('open'));
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws || typeof event.data !== 'string') return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (frame && typeof frame === 'object') this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.dispatchEvent(new Event('close'));
      // 4001: the user's newer connections pushed this one out (MAX_SOCKETS_PER_USER):
      // coming straight back would push out another, so wait the longest delay.
      if (event.code === REPLACED) this.attempt = Math.max(this.attempt, 6);
      this.scheduleRetry();
    });
  }

  scheduleRetry() {
    this.attempt += 1;
    const ceiling = Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.attempt - 1, 6));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState('waiting');
  }

  // Skip the rest of the backoff (the network came back, the tab is visible,
  // or the user asked).
  retryNow() {
    if (this.retryTimer) this.connect();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => this.send({ Type: 3 }), this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
