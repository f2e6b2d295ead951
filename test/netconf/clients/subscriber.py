"""A NETCONF subscriber driven line by line, for the subscription tests (python3-ncclient).

Usage: subscriber.py PORT USER PASSWORD
stdin, one JSON object a line:
  {"rpc": XML}        send the operation as written (raw, in ncclient's <rpc> envelope: dispatch), print {"reply": XML} or {"error": ...}
  {"close": true}     close the session and exit
stdout, one JSON object a line: {"ready": session-id} once connected, the replies, and
  {"notification": XML, "t": SECONDS} for every notification as it arrives (t: time.time()).
"""
import json
import sys
import threading
import time

from ncclient import manager
from ncclient.operations import RPCError
from ncclient.xml_ import to_ele

lock = threading.Lock()


def emit(obj):
    with lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def main():
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    m = manager.connect(host="127.0.0.1", port=port, username=user, password=password, hostkey_verify=False,
                        allow_agent=False, look_for_keys=False, timeout=60)
    done = threading.Event()

    def notifications():
        while not done.is_set() and m.connected:
            n = m.take_notification(block=True, timeout=0.2)
            if n is not None:
                emit({"notification": n.notification_xml, "t": time.time()})

    reader = threading.Thread(target=notifications, daemon=True)
    reader.start()
    emit({"ready": m.session_id})
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("close"):
            break
        try:
            reply = m.dispatch(to_ele(req["rpc"]))
            emit({"reply": reply.xml, "t": time.time()})
        except RPCError as e:
            emit({"error": {"tag": e.tag, "app_tag": getattr(e, "app_tag", None), "message": e.message, "xml": e.xml and
                            __import__("lxml.etree", fromlist=["etree"]).tostring(e.xml).decode()}})
    done.set()
    reader.join(1)
    if m.connected:
        m.close_session()


if __name__ == "__main__":
    main()
