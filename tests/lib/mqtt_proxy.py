"""A TCP proxy between floortrackd and mosquitto that reads the MQTT stream.

It tells which messages the client acknowledged (a PUBACK for a PUBLISH the
broker sent on the same connection), can drop every connection (the client
sees the broker go away, the broker sees the client go away), and can hold
new connections: accepted, but nothing forwarded, so the client's CONNECT
waits unanswered (a connect under way) until release().
"""
import select
import socket
import threading


class _Stream:
    """Splits one direction of an MQTT 3.1.1 byte stream into packets."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        packets = []
        while len(self.buf) >= 2:
            length, shift, i = 0, 0, 1
            while True:
                if i >= len(self.buf):
                    return packets
                b = self.buf[i]
                length |= (b & 0x7F) << shift
                shift += 7
                i += 1
                if not b & 0x80:
                    break
            if len(self.buf) < i + length:
                return packets
            packets.append((self.buf[0], self.buf[i:i + length]))
            self.buf = self.buf[i + length:]
        return packets


class _Connection:
    def __init__(self, proxy, client):
        self.proxy = proxy
        self.client = client
        self.upstream = None
        self.sent = {}  # packet id -> payload of the PUBLISH the broker sent with it

    def start(self):
        self.upstream = socket.create_connection(("127.0.0.1", self.proxy.upstream_port))
        threading.Thread(target=self._pump, args=(self.client, self.upstream, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.upstream, self.client, False), daemon=True).start()

    def _pump(self, src, dst, from_client):
        stream = _Stream()
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                for header, body in stream.feed(data):
                    kind = header >> 4
                    if kind == 3 and not from_client:  # PUBLISH from the broker
                        topic_len = int.from_bytes(body[0:2], "big")
                        qos = (header >> 1) & 3
                        start = 2 + topic_len
                        if qos > 0:
                            packet_id = int.from_bytes(body[start:start + 2], "big")
                            with self.proxy.lock:
                                self.sent[packet_id] = body[start + 2:]
                                self.proxy.published += 1
                    elif kind == 4 and from_client:  # PUBACK from the client
                        packet_id = int.from_bytes(body[0:2], "big")
                        with self.proxy.lock:
                            payload = self.sent.pop(packet_id, None)
                            if payload is not None:
                                self.proxy.acked.append(payload)
                dst.sendall(data)  # recorded first: the PUBACK cannot overtake the record
        except OSError:
            pass
        self.close()

    def close(self):
        for s in (self.client, self.upstream):
            if s is None:
                continue
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class MqttProxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.holding = False
        self.held = []     # accepted client sockets not yet forwarded
        self.active = []   # forwarded connections
        self.acked = []    # payloads the client acknowledged, in order
        self.published = 0  # QoS 1 PUBLISH packets the broker sent
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self):
        return f"tcp://127.0.0.1:{self.port}"

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.holding:
                    self.held.append(client)
                    continue
            self._forward(client)

    def _forward(self, client):
        conn = _Connection(self, client)
        try:
            conn.start()
        except OSError:
            conn.close()
            return
        with self.lock:
            self.active.append(conn)

    def hold(self):
        with self.lock:
            self.holding = True

    def held_with_data(self):
        """Held connections whose client already sent something (its CONNECT)."""
        with self.lock:
            held = list(self.held)
        if not held:
            return 0
        readable, _, _ = select.select(held, [], [], 0)
        return len(readable)

    def release(self):
        with self.lock:
            self.holding = False
            held, self.held = self.held, []
        for client in held:
            self._forward(client)

    def drop_all(self):
        with self.lock:
            active, self.active = self.active, []
        for conn in active:
            conn.close()

    def acked_payloads(self):
        with self.lock:
            return list(self.acked)

    def close(self):
        self._closed = True
        self.listener.close()
        self.drop_all()
        with self.lock:
            held, self.held = self.held, []
        for s in held:
            s.close()
