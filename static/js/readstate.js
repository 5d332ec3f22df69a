// How far each conversation has been read: the server's read cursors
// (issue 9). The lists bring them (ReadId), Type 10 frames move them (from
// my other devices too), and markRead tells the server: a Type 10 frame on
// the socket, or POST /message/read while the socket is down.
//
// cursors: conversation key ('u7', 'g9') -> the last message Id I have read.

export class ReadState {
  // send(frame) answers true when the socket took the frame.
  constructor({ send, post }) {
    this.send = send;
    this.post = post;
    this.cursors = new Map();
    this.onChange = null;
  }

  has(conv) {
    return this.cursors.has(conv);
  }

  get(conv) {
    return this.cursors.get(conv) || 0;
  }

  // The server's word (a list answer or a Type 10 frame of mine): forward only.
  learn(conv, id) {
    id = Number(id) || 0;
    if (id <= this.get(conv) && this.has(conv)) return false;
    this.cursors.set(conv, id);
    if (this.onChange) this.onChange(conv, id);
    return true;
  }

  // Everything up to message `id` of `conv` has been read here.
  markRead(conv, id) {
    id = Number(id) || 0;
    if (!id || id <= this.get(conv)) return;
    this.cursors.set(conv, id);
    const chatType = conv[0] === 'g' ? 2 : 1;
    const targetId = Number(conv.slice(1));
    if (!this.send({ Type: 10, ChatType: chatType, TargetId: targetId, Id: id })) {
      this.post('/message/read', { type: chatType, targetId, id }).catch(() => {});
    }
  }
}
