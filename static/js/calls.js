// Calls (issue 29): voice, video and screen sharing from browser to browser,
// the server passing only the setup (docs/PROTOCOL.md, "Calls"). A private
// chat calls the friend; a group call is a full mesh of RTCPeerConnections,
// up to CALL_MAX_PEERS people. This module follows the call frames, rings,
// holds the peer connections and draws the call's record; callmedia.js has
// the devices and sounds, callview.js the screens, calltext.js the words.
//
// Negotiation (docs/PROTOCOL.md, "Rules and timing"): the later joiner makes
// the offer to each one listed before it (so two offers never cross), and a
// rejoin (our socket came back) offers an ICE restart to all; each connection carries one
// audio and one video transceiver from the start, so that the camera,
// another microphone or the screen only replace a track (replaceTrack) and
// never renegotiate. Our socket reconnecting leaves the connections alone:
// the call is told again that we are here (the rejoin action).

import * as api from './api.js';
import {
  audioContext, cannotCall, listDevices, mediaErrorText, openCamera, openLocalMedia, openMicrophone, openScreen,
  startRinging, watchSpeaking,
} from './callmedia.js';
import { CALL, callIcon, callOf, callSummary } from './calltext.js';
import { CallView, clearCallError, incomingCard, showCallError } from './callview.js';
import { registerContentRenderer, registerFrameHandler } from './hooks.js';
import { nameOf, shownName, userInfo, whenKnown } from './names.js';
import { GROUP, PRIVATE } from './constants.js';
import { convKey } from './convs.js';
import { me, state } from './state.js';
import { el, toast } from './view.js';
import { t } from './i18n.js';

const START = 30; // client: start a call; server: a call's state
const ACTION = 31; // client: accept, decline, hangup, rejoin
const SIGNAL = 32; // offer, answer, ICE candidate, both ways (to one connection)
const HELLO = 33; // client: who am I; server: my connection's id and the calls for me
const LOST_MS = 8000; // a connection "disconnected" this long is given up (its person left)

let config = null; // GET /call/config
let myConn = ''; // this socket's connection id (the hello's answer)
let seq = 0;
let call = null; // the call this device is in (or starting)
const rings = new Map(); // CallId -> an incoming call ringing here
const running = new Map(); // conv key -> the latest state of a call running there (for Join)

const debug = window.__ginchatCalls || {};
window.__ginchatCalls = debug; // tests and curious developers: the current call and its peer connections
Object.assign(debug, {
  current: () => call,
  peers: () => (call ? [...call.peers.values()].map((p) => p.pc) : []),
  socket: () => state.socket,
  peerStates: () => (call ? Object.fromEntries([...call.peers.entries()].map(([id, p]) => [id, p.pc.connectionState])) : {}),
});

async function callConfig() {
  if (!config) {
    config = api.get('/call/config').then((data) => (data && data.Data) || {}).catch(() => {
      config = null; // asked again next time
      return {};
    });
  }
  const c = await config;
  return {
    iceServers: Array.isArray(c.IceServers) ? c.IceServers : [],
    maxPeers: Number(c.MaxPeers) || 6,
    ringSeconds: Number(c.RingSeconds) || 30,
  };
}

function send(frame) {
  return !!state.socket && state.socket.send(frame);
}

function convOfCall(frame) {
  if (frame.ChatType === GROUP) return state.convs.get(convKey(GROUP, frame.TargetId));
  const other = frame.CallerId === me.ID ? frame.TargetId : frame.CallerId;
  return state.convs.get(convKey(PRIVATE, other));
}

function convTitle(conv, frame) {
  if (conv) return conv.name;
  return frame.ChatType === GROUP ? t('group {id}', { id: frame.TargetId }) : nameOf(frame.CallerId);
}

// --- starting and answering ---------------------------------------------------------
async function withMedia(video) {
  const why = cannotCall();
  if (why) {
    showCallError(why);
    return null;
  }
  clearCallError();
  try {
    const media = await openLocalMedia({ video });
    if (media.note) toast(media.note);
    return media.stream;
  } catch (err) {
    showCallError(mediaErrorText(err, video));
    return null;
  }
}

export async function startCall(conv, video) {
  if (call) {
    toast(t('You are already in a call.'));
    return;
  }
  const live = running.get(conv.key);
  if (live && (conv.type === GROUP || rings.has(live.CallId))) {
    stopRing(live.CallId);
    joinCall(live, video, 'accept');
    return;
  }
  call = newCall({ conv, video, callerId: me.ID, chatType: conv.type, targetId: conv.id });
  const stream = await withMedia(video);
  if (!stream || call.ended) {
    endLocal();
    return;
  }
  useStream(stream);
  openView();
  call.view.setStatus(t('Calling…'));
  call.outgoingRing = startRinging(true);
  call.clientMsgId = `call-${Date.now().toString(36)}-${(seq += 1)}`;
  if (!send({ Type: START, ChatType: conv.type, TargetId: conv.id, Video: !!video, ClientMsgId: call.clientMsgId })) {
    toast(t('Not connected: the call could not start.'));
    endLocal();
  }
}

async function accept(ring, video) {
  stopRing(ring.frame.CallId);
  if (call) {
    toast(t('You are already in a call.'));
    return;
  }
  joinCall(ring.frame, video, 'accept');
}

async function joinCall(frame, video, action = 'accept') {
  const conv = convOfCall(frame);
  call = newCall({ conv, video, callerId: frame.CallerId, chatType: frame.ChatType, targetId: frame.TargetId });
  call.id = frame.CallId;
  const stream = await withMedia(video);
  if (!stream || call.ended) {
    if (action === 'accept' && !call.ended) send({ Type: ACTION, CallId: frame.CallId, Action: 'decline' });
    endLocal();
    return;
  }
  useStream(stream);
  openView();
  call.view.setStatus(t('Connecting…'));
  call.joined = true;
  call.clientMsgId = `call-${Date.now().toString(36)}-${(seq += 1)}`;
  send({ Type: ACTION, CallId: frame.CallId, Action: action, ClientMsgId: call.clientMsgId });
}

function decline(ring) {
  send({ Type: ACTION, CallId: ring.frame.CallId, Action: 'decline' });
  stopRing(ring.frame.CallId);
}

export function hangUp() {
  if (!call) return;
  if (call.id) send({ Type: ACTION, CallId: call.id, Action: 'hangup' });
  endLocal();
}

function newCall({ conv, video, callerId, chatType, targetId }) {
  return {
    id: null, clientMsgId: '', rejoinMsgId: '', confirmed: false, conv, video, callerId, chatType, targetId, peers: new Map(), stream: null, mic: null, cam: null, screen: null,
    muted: false, camOn: !!video, sharing: false, startedAt: 0, view: null, joined: callerId === me.ID, ended: false,
    devices: { mic: '', cam: '', speaker: '' }, speaking: null, outgoingRing: null,
  };
}

function useStream(stream) {
  call.stream = stream;
  call.mic = stream.getAudioTracks()[0] || null;
  call.cam = stream.getVideoTracks()[0] || null;
  call.camOn = !!call.cam;
  call.devices.mic = (call.mic && call.mic.getSettings().deviceId) || '';
  call.devices.cam = (call.cam && call.cam.getSettings().deviceId) || '';
}

function openView() {
  const conv = call.conv;
  call.view = new CallView({
    title: conv ? conv.name : '',
    handlers: {
      onMute: toggleMute, onCamera: toggleCamera, onShare: toggleShare, onHangup: hangUp,
      onDevices: async () => ({ ...(await listDevices()), current: call ? call.devices : {} }), onPickDevice: pickDevice,
    },
  });
  const mine = call.view.tile('me', { name: nameOf(me.ID), userId: me.ID, avatarUrl: me.Avatar, local: true });
  mine.setStream(localPreview());
  call.speaking = watchSpeaking(call.stream, (on) => mine.setSpeaking(on));
  call.view.setControls(call);
}

function localPreview() {
  const shown = new MediaStream();
  const video = call.sharing ? call.screen : call.cam;
  if (video && call.camOn) shown.addTrack(video);
  else if (video && call.sharing) shown.addTrack(video);
  return shown;
}

// This device's part of the call is over: everything of it goes.
function endLocal() {
  if (!call) return;
  const ending = call;
  ending.ended = true;
  call = null;
  if (ending.outgoingRing) ending.outgoingRing.stop();
  for (const peer of ending.peers.values()) closePeer(peer);
  ending.peers.clear();
  if (ending.speaking) ending.speaking.stop();
  for (const track of [ending.mic, ending.cam, ending.screen]) if (track) track.stop();
  if (ending.stream) for (const track of ending.stream.getTracks()) track.stop();
  if (ending.view) ending.view.close();
  refreshHeaderButtons();
}

// --- in the call ------------------------------------------------------------------------
function senders(kind) {
  const list = [];
  for (const peer of call.peers.values()) {
    const tr = peer.pc.getTransceivers().find((x) => x.sender && (x.receiver.track && x.receiver.track.kind === kind));
    if (tr) list.push(tr.sender);
  }
  return list;
}

function replaceAll(kind, track) {
  return Promise.all(senders(kind).map((s) => s.replaceTrack(track).catch(() => {})));
}

function toggleMute() {
  if (!call || !call.mic) return;
  call.muted = !call.muted;
  call.mic.enabled = !call.muted;
  call.view.tile('me', {}).setMuted(call.muted);
  call.view.setControls(call);
  sendToAll({ Kind: 'media', Muted: call.muted });
}

async function toggleCamera() {
  if (!call) return;
  if (call.camOn) {
    call.camOn = false;
    if (call.cam) {
      call.cam.stop();
      call.cam = null;
    }
    if (!call.sharing) await replaceAll('video', null);
  } else {
    try {
      call.cam = await openCamera(call.devices.cam);
    } catch (err) {
      showCallError(mediaErrorText(err, true));
      return;
    }
    call.camOn = true;
    call.devices.cam = call.cam.getSettings().deviceId || '';
    if (!call.sharing) await replaceAll('video', call.cam);
  }
  afterVideoChange();
}

async function toggleShare() {
  if (!call) return;
  if (call.sharing) {
    stopSharing();
    return;
  }
  let track;
  try {
    track = await openScreen();
  } catch (err) {
    if (err && err.name !== 'NotAllowedError') toast(t('The screen could not be shared: {error}', { error: err.message }));
    return;
  }
  if (!call) {
    track.stop();
    return;
  }
  call.screen = track;
  call.sharing = true;
  track.addEventListener('ended', () => stopSharing()); // the browser's own "Stop sharing"
  await replaceAll('video', track);
  afterVideoChange();
}

async function stopSharing() {
  if (!call || !call.sharing) return;
  call.sharing = false;
  if (call.screen) call.screen.stop();
  call.screen = null;
  await replaceAll('video', call.camOn ? call.cam : null);
  afterVideoChange();
}

function afterVideoChange() {
  call.view.tile('me', {}).setStream(localPreview());
  call.view.setControls(call);
  sendToAll({ Kind: 'media', Muted: call.muted, Video: !!(call.sharing || call.camOn) });
}

async function pickDevice(kind, id) {
  if (!call) return;
  try {
    if (kind === 'mic') {
      const track = await openMicrophone(id);
      track.enabled = !call.muted;
      await replaceAll('audio', track);
      if (call.mic) call.mic.stop();
      call.stream.getAudioTracks().forEach((tr) => call.stream.removeTrack(tr));
      call.stream.addTrack(track);
      call.mic = track;
      if (call.speaking) call.speaking.stop();
      const mine = call.view.tile('me', {});
      call.speaking = watchSpeaking(new MediaStream([track]), (on) => mine.setSpeaking(on));
    } else if (kind === 'cam') {
      const track = await openCamera(id);
      if (call.cam) call.cam.stop();
      call.cam = track;
      call.camOn = true;
      if (!call.sharing) await replaceAll('video', track);
      afterVideoChange();
    } else if (kind === 'speaker') {
      for (const tile of call.view.tiles.values()) await tile.setSink(id);
    }
    call.devices[kind] = id;
  } catch (err) {
    showCallError(mediaErrorText(err, kind === 'cam'));
  }
}

function callTimerStart(startedAt) {
  if (!call || call.startedAt) return;
  call.startedAt = startedAt || Date.now();
  call.view.startTimer(call.startedAt);
  call.view.setStatus('');
}

// --- the peer connections -------------------------------------------------------------------
function loopbackOnly() {
  return debug.loopbackOnly === true; // the browser tests: the LAN's only network is 127.0.0.1
}

function candidateAllowed(candidate) {
  if (!loopbackOnly() || !candidate || !candidate.candidate) return true;
  return / 127\.\d+\.\d+\.\d+ /.test(candidate.candidate);
}

function sendSignal(userId, data) {
  const peer = call && call.id && call.peers.get(userId);
  if (!peer || !peer.conn) return;
  send({ Type: SIGNAL, CallId: call.id, ToConn: peer.conn, Signal: data });
}

function sendToAll(data) {
  if (!call) return;
  for (const userId of call.peers.keys()) sendSignal(userId, data);
}

// `offerer`: whether this side makes the offer (docs/PROTOCOL.md: the later joiner does).
async function peerFor(userId, conn, offerer = false) {
  let peer = call.peers.get(userId);
  if (peer) {
    if (conn) peer.conn = conn; // they rejoined from a new socket: the same connection goes on
    return peer;
  }
  const { iceServers } = await callConfig();
  if (!call) return null;
  peer = call.peers.get(userId);
  if (peer) {
    if (conn) peer.conn = conn;
    return peer;
  }
  const pc = new RTCPeerConnection({ iceServers });
  const remote = new MediaStream();
  const user = userInfo(userId);
  const tile = call.view.tile(`u${userId}`, { name: nameOf(userId), userId, avatarUrl: user.Avatar });
  tile.setNote(t('connecting…'));
  whenKnown(userId).then((known) => tile.setName(shownName(known))); // "user 7" until the lookup answers
  peer = { userId, conn, pc, remote, tile, offerer, queued: [], speaking: null, lostTimer: null, ready: false };
  call.peers.set(userId, peer);
  const thisCall = call;
  pc.addEventListener('icecandidate', (event) => {
    if (event.candidate && candidateAllowed(event.candidate)) sendSignal(userId, { Kind: 'candidate', Candidate: event.candidate.toJSON() });
  });
  pc.addEventListener('track', (event) => {
    remote.addTrack(event.track);
    event.track.addEventListener('unmute', () => tile.refresh());
    event.track.addEventListener('mute', () => tile.refresh());
    tile.setStream(remote);
    if (event.track.kind === 'audio') {
      if (peer.speaking) peer.speaking.stop();
      peer.speaking = watchSpeaking(new MediaStream([event.track]), (on) => tile.setSpeaking(on));
      if (thisCall.devices.speaker) tile.setSink(thisCall.devices.speaker).catch(() => {});
    }
  });
  pc.addEventListener('connectionstatechange', () => {
    const s = pc.connectionState;
    if (s === 'connected') {
      clearTimeout(peer.lostTimer);
      peer.lostTimer = null;
      tile.setNote('');
      if (thisCall === call) callTimerStart();
    } else if (s === 'disconnected' || s === 'failed') {
      tile.setNote(t('reconnecting…'));
      if (peer.offerer && s === 'failed') restartIce(peer);
      if (!peer.lostTimer) {
        peer.lostTimer = setTimeout(() => {
          if (call === thisCall && pc.connectionState !== 'connected') dropPeer(userId);
        }, LOST_MS);
      }
    }
  });
  if (peer.offerer) {
    pc.addTransceiver(call.mic || 'audio', { direction: 'sendrecv', streams: [call.stream] });
    pc.addTransceiver(currentVideo() || 'video', { direction: 'sendrecv', streams: [call.stream] });
    makeOffer(peer);
  }
  return peer;
}

function currentVideo() {
  if (!call) return null;
  if (call.sharing) return call.screen;
  return call.camOn ? call.cam : null;
}

async function makeOffer(peer, iceRestart = false) {
  try {
    const offer = await peer.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
    await peer.pc.setLocalDescription(offer);
    sendSignal(peer.userId, { Kind: 'offer', Sdp: peer.pc.localDescription.sdp });
  } catch (err) {
    console.warn('call offer failed', err); // eslint-disable-line no-console
  }
}

function restartIce(peer) {
  if (peer.pc.signalingState === 'stable') makeOffer(peer, true);
}

async function onSignal(frame) {
  if (!call || !call.id || frame.CallId !== call.id || !call.joined) return;
  const from = frame.FromUser;
  const data = frame.Signal || {};
  if (!from || from === me.ID) return;
  const peer = await peerFor(from, frame.FromConn);
  if (!peer || !call) return;
  const pc = peer.pc;
  try {
    if (data.Kind === 'offer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: data.Sdp });
      for (const tr of pc.getTransceivers()) {
        const kind = tr.receiver.track && tr.receiver.track.kind;
        if (!kind) continue;
        tr.direction = 'sendrecv';
        await tr.sender.replaceTrack(kind === 'audio' ? call.mic : currentVideo());
        if (tr.sender.setStreams) tr.sender.setStreams(call.stream);
      }
      await pc.setLocalDescription(await pc.createAnswer());
      sendSignal(from, { Kind: 'answer', Sdp: pc.localDescription.sdp });
      await flushCandidates(peer);
      sendSignal(from, { Kind: 'media', Muted: call.muted, Video: !!currentVideo() });
      peer.tile.refresh();
    } else if (data.Kind === 'answer') {
      if (pc.signalingState !== 'have-local-offer') return;
      await pc.setRemoteDescription({ type: 'answer', sdp: data.Sdp });
      await flushCandidates(peer);
      sendSignal(from, { Kind: 'media', Muted: call.muted, Video: !!currentVideo() });
    } else if (data.Kind === 'candidate') {
      if (!candidateAllowed(data.Candidate)) return;
      if (pc.remoteDescription) await pc.addIceCandidate(data.Candidate);
      else peer.queued.push(data.Candidate);
    } else if (data.Kind === 'media') {
      peer.tile.setMuted(!!data.Muted);
      setTimeout(() => peer.tile.refresh(), 300);
    }
  } catch (err) {
    console.warn('call signal failed', data.Kind, err); // eslint-disable-line no-console
  }
}

async function flushCandidates(peer) {
  const queued = peer.queued.splice(0);
  for (const candidate of queued) await peer.pc.addIceCandidate(candidate).catch(() => {});
}

function closePeer(peer) {
  clearTimeout(peer.lostTimer);
  if (peer.speaking) peer.speaking.stop();
  try {
    peer.pc.close();
  } catch (err) {
    // closed already
  }
  if (peer.tile) peer.tile.remove();
}

function dropPeer(userId) {
  if (!call) return;
  const peer = call.peers.get(userId);
  if (!peer) return;
  call.peers.delete(userId);
  closePeer(peer);
}

// --- the call's state from the server ---------------------------------------------------------
function participantsOf(frame) {
  return (frame.Participants || []).filter((p) => p && Number.isInteger(p.UserId));
}

function ringsHere(frame) {
  const people = participantsOf(frame);
  return frame.State !== 'ended' && (frame.RingMs || 0) > 0 && frame.CallerId !== me.ID
    && !people.some((p) => p.UserId === me.ID) && !(frame.Declined || []).includes(me.ID);
}

function isOurs(frame) {
  if (!call) return false;
  if (call.id) return call.id === frame.CallId;
  return !!call.clientMsgId && frame.ClientMsgId === call.clientMsgId;
}

function onCallState(frame) {
  if (!frame.CallId) return;
  const conv = convOfCall(frame);
  const over = frame.State === 'ended';
  if (conv) {
    if (over) running.delete(conv.key);
    else running.set(conv.key, frame);
    refreshHeaderButtons();
  }
  const people = participantsOf(frame);
  if (rings.has(frame.CallId)) {
    rings.get(frame.CallId).frame = frame;
    if (!ringsHere(frame)) stopRing(frame.CallId); // over, answered on another device, or declined
  } else if (ringsHere(frame) && !isOurs(frame)) {
    ring(frame);
  }
  if (!isOurs(frame)) return;
  call.id = frame.CallId;
  if (over) {
    const words = {
      declined: t('The call was declined.'), busy: t('Busy: they are in another call.'), missed: t('No answer.'),
    }[frame.Reason];
    if (words && !call.startedAt) toast(words);
    endLocal();
    return;
  }
  if (frame.State === 'active' && call.outgoingRing && people.some((p) => p.UserId !== me.ID)) {
    call.outgoingRing.stop();
    call.outgoingRing = null;
    call.view.setStatus(t('Connecting…'));
  }
  if (!call.joined) return;
  const self = people.find((p) => p.UserId === me.ID);
  if (self && (!myConn || self.Conn === myConn)) {
    call.confirmed = true;
    if (call.rejoinMsgId && !call.restarted) {
      // Back in with a new socket: offer an ICE restart to everyone (the network may have changed).
      call.restarted = true;
      for (const peer of call.peers.values()) restartIce(peer);
    }
  }
  else if (call.confirmed && !self) {
    toast(t('You left the call.')); // lost, and not back in time
    endLocal();
    return;
  }
  if (!call.confirmed) return;
  for (const p of people) {
    // Participants are listed in the order they joined: I offer to those before me.
    if (p.UserId !== me.ID) peerFor(p.UserId, p.Conn, people.indexOf(p) > people.indexOf(self));
  }
  for (const userId of [...call.peers.keys()]) {
    if (!people.some((p) => p.UserId === userId)) dropPeer(userId);
  }
}

// The hello's answer: this connection's id, and the calls that concern me.
function onHello(frame) {
  const reconnected = !!myConn && frame.Conn !== myConn;
  myConn = frame.Conn || '';
  if (call && call.id && call.joined && call.confirmed && reconnected) {
    call.rejoinMsgId = `call-${Date.now().toString(36)}-${(seq += 1)}`;
    call.restarted = false;
    send({ Type: ACTION, CallId: call.id, Action: 'rejoin', ClientMsgId: call.rejoinMsgId });
  }
  for (const state0 of frame.Calls || []) onCallState(state0);
}

// A refusal of one of our call frames (busy, not allowed, ended...).
function onError(frame) {
  if (!call || !frame.ClientMsgId) return;
  if (frame.ClientMsgId === call.rejoinMsgId) {
    toast(t('You left the call.')); // away too long: the call went on (or ended) without us
    endLocal();
    return;
  }
  if (frame.ClientMsgId !== call.clientMsgId) return;
  showCallError(frame.Msg || t('The call could not start.'));
  endLocal();
}

// --- ringing ---------------------------------------------------------------------------------
async function ring(frame) {
  const entry = { frame, sound: call ? null : startRinging(false), card: null, notification: null, timer: null };
  rings.set(frame.CallId, entry);
  // The caller's name (a group's member may be new to this page): a moment at most.
  await Promise.race([whenKnown(frame.CallerId), new Promise((resolve) => { setTimeout(resolve, 1500); })]);
  if (rings.get(frame.CallId) !== entry) return; // stopped meanwhile
  const conv = convOfCall(frame);
  const caller = nameOf(frame.CallerId);
  const title = frame.ChatType === GROUP ? t('Call in {group}', { group: convTitle(conv, frame) }) : caller;
  const text = frame.ChatType === GROUP
    ? t('{name} started a call', { name: caller })
    : (frame.Video ? t('Incoming video call') : t('Incoming voice call'));
  entry.card = incomingCard({
    title, text, video: frame.Video, onAccept: (video) => accept(entry, video), onDecline: () => decline(entry),
  });
  if (typeof window.Notification === 'function' && Notification.permission === 'granted') {
    try {
      entry.notification = new Notification(title, { body: text, tag: `call-${frame.CallId}`, requireInteraction: true });
      entry.notification.onclick = () => {
        window.focus();
        entry.notification.close();
      };
    } catch (err) {
      entry.notification = null; // Android Chrome: only through a service worker
    }
  }
  const { ringSeconds } = await callConfig();
  const ms = Math.min(frame.RingMs || ringSeconds * 1000, ringSeconds * 1000);
  if (rings.get(frame.CallId) === entry) entry.timer = setTimeout(() => stopRing(frame.CallId), ms);
}

function stopRing(callId) {
  const entry = rings.get(callId);
  if (!entry) return;
  rings.delete(callId);
  clearTimeout(entry.timer);
  if (entry.sound) entry.sound.stop();
  if (entry.card) entry.card.remove();
  if (entry.notification) entry.notification.close();
}

// --- the header: Call, Video call, Join ---------------------------------------------------------
function headerTools() {
  let box = document.getElementById('call-tools');
  if (box) return box;
  box = el('span', { id: 'call-tools', className: 'call-head-tools' },
    el('button', {
      type: 'button', id: 'call-voice-btn', className: 'icon-btn', 'aria-label': t('Voice call'), title: t('Voice call'),
      onclick: () => callCurrent(false),
    }, el('span', { 'aria-hidden': 'true', text: '📞' })),
    el('button', {
      type: 'button', id: 'call-video-btn', className: 'icon-btn', 'aria-label': t('Video call'), title: t('Video call'),
      onclick: () => callCurrent(true),
    }, el('span', { 'aria-hidden': 'true', text: '🎥' })),
    el('button', { type: 'button', id: 'call-join-btn', className: 'call-join', text: t('Join call'), hidden: true, onclick: () => callCurrent(false) }));
  const menu = document.getElementById('conv-menu-btn');
  menu.before(box);
  return box;
}

function callCurrent(video) {
  const conv = state.current && state.convs.get(state.current);
  if (conv) startCall(conv, video);
}

function refreshHeaderButtons() {
  const conv = state.current && state.convs.get(state.current);
  const box = headerTools();
  if (!conv) return;
  const live = running.get(conv.key);
  const joinable = conv.type === GROUP && live && live.State !== 'ended' && !(call && call.id === live.CallId);
  // An announcement group: only its owner and admins start a call; anyone may join one.
  const mayStart = !(conv.type === GROUP && conv.whoMayWrite === 'admins' && conv.role !== 'owner' && conv.role !== 'admin');
  box.querySelector('#call-join-btn').hidden = !joinable;
  box.querySelector('#call-voice-btn').hidden = !!joinable || !mayStart;
  box.querySelector('#call-video-btn').hidden = !!joinable || !mayStart;
  box.classList.toggle('busy', !!call);
}

// --- the record in the conversation ---------------------------------------------------------------
function recordNode(msg, conv) {
  const data = callOf(msg);
  const summary = callSummary(msg, me.ID);
  const missed = summary === t('Missed call');
  const node = el('div', { className: `call-record${missed ? ' missed' : ''}`, dataset: { state: data.State || '', reason: data.Reason || '' } },
    el('span', { className: 'call-record-icon', 'aria-hidden': 'true', text: callIcon(msg) }),
    el('span', { className: 'call-record-text', text: summary }));
  const live = running.get(conv.key);
  const inIt = call && call.id && call.id === data.CallId;
  if (inIt) return node;
  if (data.State !== 'ended' && live && live.CallId === data.CallId) {
    if (conv.type === GROUP || rings.has(live.CallId)) {
      node.append(el('button', {
        type: 'button', className: 'link call-record-action', text: t('Join'), onclick: () => startCall(conv, !!data.Video),
      }));
    }
  } else if (data.State === 'ended') {
    node.append(el('button', {
      type: 'button', className: 'link call-record-action', text: t('Call back'), onclick: () => startCall(conv, !!data.Video),
    }));
  }
  return node;
}

export function initCalls() {
  registerFrameHandler(START, onCallState);
  registerFrameHandler(SIGNAL, onSignal);
  registerFrameHandler(HELLO, onHello);
  // The record: its state moves with Type 15 frames, which changes.js applies
  // to the message's Content (and draws the bubble again).
  registerContentRenderer((msg, conv) => (msg.Media === CALL && !msg.Recalled ? recordNode(msg, conv) : null));
  document.addEventListener('ginchat:header', () => refreshHeaderButtons());
  if (state.socket) attachSocket(state.socket);
  document.addEventListener('ginchat:socket', (event) => attachSocket(event.detail));
  window.addEventListener('pagehide', () => hangUp());
  // The first touch of the page lets the ring tone play later (autoplay rules).
  document.addEventListener('pointerdown', () => audioContext(), { once: true });
}

// Every (re)connect says hello first; the answer rejoins a call we are in
// (the peer connections were kept) and rings for calls waiting for us.
function attachSocket(socket) {
  socket.addEventListener('open', () => send({ Type: HELLO }));
  socket.addEventListener('frame', (event) => {
    if (event.detail && event.detail.Type === -1) onError(event.detail);
  });
  if (socket.isOpen) send({ Type: HELLO });
}
