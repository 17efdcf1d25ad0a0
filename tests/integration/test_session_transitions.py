"""A persistent session whose expiry changes across reconnects and takeovers
must not lose a QoS 1/2 message (MQTT 5 §4.4: unacknowledged PUBLISHes are
resent with DUP when the session resumes).

The clients here are raw MQTT 5 sockets (tests/raw5.py), because the tests must
*not* acknowledge some deliveries, which paho does on its own. Each
sequence runs with and without `--persistence false`, over a takeover (the
old connection is still open when the new CONNECT arrives) and over a plain
reconnect (the old connection ended first)."""
import time

import pytest

from raw5 import Raw


def publish_from_other(port, topic, payload, qos):
    """Publishes from a separate client and waits for the acknowledgement."""
    c = Raw(port, "pub-%f" % time.monotonic(), True, 0)
    c.publish(topic, payload, qos)
    t, body = c.read()
    assert t >> 4 == (4 if qos == 1 else 5), (t, body)
    c.disconnect()


def run_sequence(port, middle_expiry, takeover):
    """The sequence found by a third-party conformance suite (clean start 0
    everywhere after the first CONNECT; B is the client under test):

    1. B: clean start, expiry 99999, SUBSCRIBE T0 QoS 2, DISCONNECT;
    2. another client publishes QoS 1 to T0;
    3. B connects with expiry `middle_expiry`, gets the message, acks it,
       and (takeover) stays connected or (reconnect) disconnects;
    4. B connects with expiry 99999, SUBSCRIBE T0/# QoS 2, publishes QoS 1
       to T0/B and QoS 2 to T0/C itself, acknowledges neither delivery,
       and disconnects;
    5. B reconnects: both must come again, with DUP."""
    b = Raw(port, "B", True, 99999)
    b.subscribe("T0", 2)
    b.disconnect()
    publish_from_other(port, "T0", b"first", 1)

    b = Raw(port, "B", False, middle_expiry)
    assert b.session_present
    [(topic, payload, qos, dup, pid)] = b.publishes(1)
    assert (topic, payload, qos) == ("T0", b"first", 1)
    b.ack(qos, pid)
    b.sync()
    if not takeover:
        b.disconnect()
    middle = b

    b = Raw(port, "B", False, 99999)
    # After a reconnect with expiry 0, the session ended at DISCONNECT.
    assert b.session_present == (takeover or middle_expiry != 0)
    if takeover:
        middle.close()
    b.subscribe("T0/#", 2)
    b.publish("T0/B", b"qos1", 1)
    b.publish("T0/C", b"qos2", 2)
    got = b.publishes(2)
    assert sorted((t, p, q) for t, p, q, _, _ in got) == [("T0/B", b"qos1", 1),
                                                           ("T0/C", b"qos2", 2)]
    assert not any(dup for *_, dup, _ in got)
    b.disconnect()

    b = Raw(port, "B", False, 99999)
    assert b.session_present
    again = b.publishes(2)
    assert sorted((t, p, q) for t, p, q, _, _ in again) == [("T0/B", b"qos1", 1),
                                                             ("T0/C", b"qos2", 2)]
    assert all(dup for *_, dup, _ in again), again
    for t, p, q, _, pid in again:
        b.ack(q, pid)
    b.disconnect()


PERSISTENCE = [pytest.param((), id="durable"),
               pytest.param(("--persistence", "false"), id="memory")]


@pytest.mark.parametrize("args", PERSISTENCE)
@pytest.mark.parametrize("takeover", [True, False], ids=["takeover", "reconnect"])
@pytest.mark.parametrize("middle_expiry", [0, 99999], ids=["expiry0", "expiry99999"])
def test_unacked_messages_survive_expiry_changes(broker_factory, args, takeover,
                                                 middle_expiry):
    b = broker_factory(*args)
    run_sequence(b.port, middle_expiry, takeover)


@pytest.mark.parametrize("args", PERSISTENCE)
@pytest.mark.parametrize("takeover", [True, False], ids=["takeover", "reconnect"])
def test_expiry_zero_then_positive_keeps_unacked_messages(broker_factory, args, takeover):
    """0 → >0: a session that was not persistent becomes so; what it had in
    flight is resent after the next reconnect."""
    port = broker_factory(*args).port
    a = Raw(port, "Z", True, 0)
    a.subscribe("z/#", 1)
    a.publish("z/1", b"one", 1)
    [(_, _, _, _, pid1)] = a.publishes(1)  # not acknowledged
    if not takeover:
        a.disconnect()  # expiry 0: the session ends
    b = Raw(port, "Z", False, 3600)
    assert b.session_present == takeover
    if takeover:
        a.close()
        [(topic, payload, qos, dup, _)] = b.publishes(1)  # resent at once
        assert (topic, payload, dup) == ("z/1", b"one", True)
    else:
        b.subscribe("z/#", 1)
    b.publish("z/2", b"two", 1)
    b.publishes(1)
    b.disconnect()
    c = Raw(port, "Z", False, 3600)
    assert c.session_present
    want = [b"one", b"two"] if takeover else [b"two"]
    got = c.publishes(len(want))
    assert sorted(p for _, p, _, _, _ in got) == want
    assert all(dup for *_, dup, _ in got)
    assert c.nothing()
    c.disconnect()


@pytest.mark.parametrize("args", PERSISTENCE)
def test_offline_queue_beyond_memory_survives_expiry_zero_takeover(broker_factory, args):
    """>0 → 0 → >0 with more queued messages than a session holds in memory:
    none of the stored queue is lost when the middle connection (expiry 0)
    takes the session over and the next one (expiry > 0) takes it back."""
    port = broker_factory("--max-queued-messages", "4", *args).port
    b = Raw(port, "Q", True, 3600)
    b.subscribe("q", 1)
    b.disconnect()
    for i in range(10):
        publish_from_other(port, "q", b"%d" % i, 1)
    mid = Raw(port, "Q", False, 0)
    assert mid.session_present
    first = mid.publishes(4)  # nothing acknowledged
    last = Raw(port, "Q", False, 3600)
    assert last.session_present
    mid.close()
    got = last.publishes(10 if not args else 4)
    payloads = [p for _, p, _, _, _ in got]
    if not args:
        assert payloads == [b"%d" % i for i in range(10)], payloads
    else:
        # In memory the queue is capped at 4: the rest was dropped (counted)
        # before the middle connection came; those 4 must all come back.
        assert payloads == [p for _, p, _, _, _ in first]
    for _, _, q, _, pid in got:
        last.ack(q, pid)
    assert last.nothing()
    last.disconnect()
