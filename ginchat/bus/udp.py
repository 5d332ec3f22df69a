"""The UDP bus (udpSendProc/udpRecvProc in the Go GinChat): one datagram
per packet, broadcast to UDP_BROADCAST:UDP_PORT (127.255.255.255 by default,
so nothing leaves the host until an operator names the LAN's broadcast
address)."""

import logging
import socket

import gevent

from ginchat.bus.base import Bus

log = logging.getLogger("ginchat.bus")

MAX_DATAGRAM = 65535


class UdpBus(Bus):
    name = "udp"

    def __init__(self, app, deliver, on_event, **sql):
        super().__init__(app, deliver, on_event, **sql)
        self.port = self.settings.udp_port
        self.broadcast = self.settings.udp_broadcast
        self.sock = None

    @property
    def scope(self):
        return f"udp:{self.port}"

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        # 0.0.0.0, not '': the empty name may pick IPv6 under gevent.
        sock.bind(("0.0.0.0", self.port))
        self.sock = sock
        log.info("udp bus: node %s on port %d, broadcasting to %s", self.node_id, self.port, self.broadcast)
        super().start()

    def stop(self):
        sock, self.sock = self.sock, None
        super().stop()
        if sock is not None:
            sock.close()

    def transmit(self, packet):
        self.sock.sendto(packet, (self.broadcast, self.port))

    def listen(self):
        while True:
            try:
                packet, _addr = self.sock.recvfrom(MAX_DATAGRAM)
            except OSError as exc:
                if self.sock is None:
                    return
                log.warning("udp bus: receive failed: %s", exc)
                gevent.sleep(0.1)
                continue
            self.handle(packet)
