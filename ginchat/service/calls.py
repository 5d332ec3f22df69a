"""Calls over HTTP (issue 29): what a browser needs before it calls. The
call itself runs over the socket (frames 30-33, docs/PROTOCOL.md "Calls")."""

from ginchat.domain import calls
from ginchat.utils import resp


def call_config():
    """The call settings a client needs: the ICE servers (STUN/TURN, from
    ICE_SERVERS; none by default, as on one LAN browsers reach each other
    directly), how many people a call holds at most, how long it rings, how
    long a participant whose socket was lost may rejoin, and the largest
    signal.
    ---
    tags: [call]
    security: [{Bearer: []}]
    responses:
      200:
        description: "Data: {IceServers: [RTCIceServer dicts: {urls, username?, credential?}], MaxPeers: CALL_MAX_PEERS, RingSeconds: CALL_RING_SECONDS, RejoinSeconds: CALL_REJOIN_SECONDS, SignalBytes: CALL_SIGNAL_BYTES}"
        schema: {$ref: "#/definitions/Envelope"}
      401: {$ref: "#/responses/NotLoggedIn"}
    """
    return resp.ok(calls.config_of())
