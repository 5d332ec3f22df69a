// The chat page's fixed elements, looked up once: the app's root, the
// message pane and the composer's text box; $ for any other by id.

export const $ = (id) => document.getElementById(id);
export const root = $('app');
export const messagesEl = $('messages');
export const input = $('msg-input');
