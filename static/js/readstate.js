// How far each conversation has been read, kept in this browser's
// localStorage. A later issue moves read cursors to the server: only this
// module should need to change then (the same has / get / markRead interface).
//
// cursors: conversation key ('u7', 'g9') -> the last message Id read.
// horizon: the last message Id this browser has taken in (read or counted as
// unread); a conversation first met later starts its cursor there.

export class ReadState {
  constructor(userId) {
    this.key = `ginchat.${userId}.read`;
    this.cursors = {};
    this.horizon = null; // null: this browser's first visit
    this.onChange = null;
    this.load(localStorage.getItem(this.key));
    // Another tab of the same user read something: follow it.
    window.addEventListener('storage', (event) => {
      if (event.key !== this.key || !event.newValue) return;
      const before = { ...this.cursors };
      this.load(event.newValue, true);
      for (const [conv, id] of Object.entries(this.cursors)) {
        if (id !== before[conv] && this.onChange) this.onChange(conv, id);
      }
    });
  }

  load(raw, merge = false) {
    try {
      const saved = raw ? JSON.parse(raw) : null;
      if (!saved || typeof saved !== 'object') return;
      for (const [conv, id] of Object.entries(saved.c || {})) {
        if (!merge || Number(id) > (this.cursors[conv] || 0)) this.cursors[conv] = Number(id) || 0;
      }
      if (Number.isFinite(saved.h)) this.horizon = Math.max(this.horizon || 0, saved.h);
    } catch (err) {
      /* a malformed value: start afresh */
    }
  }

  has(conv) {
    return Object.prototype.hasOwnProperty.call(this.cursors, conv);
  }

  get(conv) {
    return this.cursors[conv] || 0;
  }

  // Everything up to message `id` of `conv` has been read.
  markRead(conv, id) {
    id = Number(id) || 0;
    if (this.has(conv) && this.cursors[conv] >= id) return;
    this.cursors[conv] = id;
    this.save();
  }

  setHorizon(id) {
    if (this.horizon !== null && id <= this.horizon) return;
    this.horizon = id;
    this.save();
  }

  save() {
    try {
      localStorage.setItem(this.key, JSON.stringify({ c: this.cursors, h: this.horizon }));
    } catch (err) {
      /* private mode or full storage: the counts live for this page only */
    }
  }
}
