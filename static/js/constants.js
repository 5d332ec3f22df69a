// Fixed values of the chat page: conversation and media types, page sizes,
// timings, and the server's limits as it wrote them into the page (#app's
// data attributes). Nothing here changes while the page lives.

const page = document.getElementById('app')?.dataset || {};

export const PRIVATE = 1;
export const GROUP = 2;
export const TEXT = 1;
export const EMOJI = 2;
export const VOICE = 3;
export const IMAGE = 4;
export const PAGE = 30; // messages per history request
export const RECALLED = 0; // Media of a recalled message (issue 9)
export const TYPING_EVERY_MS = 3000; // at most one typing frame per friend this often
export const TYPING_SHOWN_MS = 5000; // "typing…" stays this long after the last frame
export const SEND_TIMEOUT_MS = 15000; // no acknowledgement within this: "failed, retry"
export const POLL_MS = 20000; // friends' online dots and member counts

// The server's RECALL_SECONDS: Recall is offered this long after sending.
export const RECALL_MS = (Number(page.recallSeconds) || 120) * 1000;
export const maxUploadBytes = Number(page.maxUploadMb || 10) * 1024 * 1024;
