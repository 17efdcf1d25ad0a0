#!/usr/bin/python3
"""A lamp as the vendor's device SDKs behave on the wire, for tools/demo-thing:
signed CONNECT with `_ss=1` (downlink topics subscribed by the broker),
a property post answered on post_reply, RRPC answered on rrpc/response,
property set answered on set_reply, shadow `control` acknowledged by
reporting the desired state. Prints one line per thing it sees.

    demo-thing-device.py PORT PRODUCT_KEY DEVICE_NAME DEVICE_SECRET SECONDS
"""
import hashlib
import hmac
import json
import sys
import time

import paho.mqtt.client as mqtt

port, pk, dn, secret, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
cid = "%s.%s" % (pk, dn)
content = "clientId%sdeviceName%sproductKey%s" % (cid, dn, pk)
password = hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest().upper()
sysp = "/sys/%s/%s/" % (pk, dn)


def say(text):
    print("device: " + text, flush=True)


def on_message(c, _userdata, m):
    text = m.payload.decode(errors="replace")
    if "/rrpc/request/" in m.topic:
        try:
            req = json.loads(text)
        except ValueError:
            req = None
        if isinstance(req, dict) and str(req.get("method", "")).startswith("thing.service."):
            # A synchronous service call travels over RRPC: an Alink reply.
            say("service %s over RRPC -> code 200" % req["method"])
            answer = json.dumps({"id": req.get("id"), "code": 200, "data": {}},
                                separators=(",", ":"))
        else:
            say("RRPC request %s -> answering pong" % text)
            answer = "pong"
        c.publish(m.topic.replace("/request/", "/response/"), answer.encode(), qos=0)
    elif m.topic.endswith("/thing/service/property/set"):
        req = json.loads(text)
        say("property set %s -> set_reply 200" % json.dumps(req["params"]))
        c.publish(m.topic + "_reply", json.dumps({"id": req["id"], "code": 200, "data": {}}), 1)
    elif m.topic.startswith("/shadow/get/"):
        msg = json.loads(text)
        say("shadow %s: %s" % (msg.get("method"), text))
        if msg.get("method") == "control":
            desired = msg["payload"]["state"].get("desired", {})
            c.publish("/shadow/update/%s/%s" % (pk, dn), json.dumps(
                {"method": "update", "state": {"reported": desired, "desired": "null"},
                 "version": msg["version"] + 1, "clientToken": "demo-1"}), 1)
    else:
        say("%s %s" % (m.topic, text))


c = mqtt.Client(client_id="%s|securemode=3,signmethod=hmacsha256,_ss=1|" % cid,
                protocol=mqtt.MQTTv311)
c.username_pw_set("%s&%s" % (dn, pk), password)
c.on_message = on_message
c.connect("127.0.0.1", int(port), keepalive=60)
c.loop_start()
time.sleep(0.5)
c.publish(sysp + "thing/event/property/post", json.dumps(
    {"id": "1", "version": "1.0", "params": {"Brightness": 40, "LightSwitch": 1},
     "method": "thing.event.property.post"}), 1)
say("ready")
time.sleep(seconds)
c.loop_stop()
c.disconnect()
