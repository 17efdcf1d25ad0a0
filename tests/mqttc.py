"""A blocking paho wrapper shared by the integration tests (run with
Debian's /usr/bin/python3, which has python3-paho-mqtt)."""
import queue

import paho.mqtt.client as mqtt

V311, V5 = mqtt.MQTTv311, mqtt.MQTTv5
_open_clients = []


def close_all():
    """paho's loop uses select(): leaked sockets push new descriptors past
    FD_SETSIZE, so every client a test opened is closed after it (conftest
    calls this after each test)."""
    while _open_clients:
        c = _open_clients.pop()
        try:
            c.c.loop_stop()
            c.c.socket() and c.c.socket().close()
        except Exception:
            pass


class Client:
    """A paho client with blocking connect/subscribe and a message queue."""

    def __init__(self, port, client_id="", version=V311, clean=True, will=None,
                 keepalive=60, props=None, username=None, password=None, tls=None,
                 wait=True, transport="tcp", ws_path="/mqtt"):
        self.c = mqtt.Client(client_id=client_id, protocol=version, transport=transport,
                             **({} if version == V5 else {"clean_session": clean}))
        if transport == "websockets":
            self.c.ws_set_options(path=ws_path)
        # paho's network loop reconnects by itself 1 s after a disconnect;
        # a test's client must not (it would take the session over again).
        self.c.reconnect_delay_set(min_delay=3600, max_delay=3600)
        if username is not None:
            self.c.username_pw_set(username, password)
        if tls is not None:
            self.c.tls_set_context(tls)
        self.version = version
        self.msgs = queue.Queue()
        self.connack = queue.Queue()
        self.subacks = queue.Queue()
        self.disconnects = queue.Queue()
        self.c.on_message = lambda c, u, m: self.msgs.put(m)
        if version == V5:
            self.c.on_connect = lambda c, u, f, rc, p=None: self.connack.put((f, rc, p))
            self.c.on_subscribe = lambda c, u, mid, rcs, p=None: self.subacks.put(rcs)
            self.c.on_disconnect = lambda c, u, rc, p=None: self.disconnects.put(rc)
        else:
            self.c.on_connect = lambda c, u, f, rc: self.connack.put((f, rc, None))
            self.c.on_subscribe = lambda c, u, mid, qos: self.subacks.put(qos)
            self.c.on_disconnect = lambda c, u, rc: self.disconnects.put(rc)
        if will:
            self.c.will_set(*will)
        kw = {}
        if version == V5:
            kw["clean_start"] = clean
            if props is not None:
                kw["properties"] = props
        _open_clients.append(self)
        self.c.connect("127.0.0.1", port, keepalive, **kw)
        self.c.loop_start()
        self.flags, self.rc, self.props = (None, None, None)
        if wait:
            self.flags, self.rc, self.props = self.connack.get(timeout=10)

    def sub(self, topic, qos=0, props=None):
        if isinstance(qos, mqtt.SubscribeOptions):
            self.c.subscribe(topic, options=qos, properties=props)
        elif props is not None:
            self.c.subscribe(topic, qos, properties=props)
        else:
            self.c.subscribe(topic, qos)
        return self.subacks.get(timeout=10)

    def pub(self, topic, payload, qos=0, retain=False, props=None):
        info = self.c.publish(topic, payload, qos, retain, properties=props)
        info.wait_for_publish(10)
        return info

    def get(self, timeout=5):
        return self.msgs.get(timeout=timeout)

    def none(self, wait=0.4):
        try:
            m = self.msgs.get(timeout=wait)
            return m
        except queue.Empty:
            return None

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()

    def drop(self):
        """Close the socket without DISCONNECT (an abrupt network loss)."""
        self.c.loop_stop()
        self.c.socket().close()


