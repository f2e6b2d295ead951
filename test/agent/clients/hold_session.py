"""Opens a NETCONF session and holds it for N seconds (or until the server closes it).

Usage: hold_session.py PORT SECONDS [READY_FILE]  -> prints {"connected_at_end": bool}
READY_FILE, when given, is created once the session is up, so a test can act on an open session
rather than guess how long Python, ncclient and SSH take to get there on a loaded machine.
"""
import json
import sys
import time

from ncclient import manager

port, seconds = int(sys.argv[1]), float(sys.argv[2])
ready_file = sys.argv[3] if len(sys.argv) > 3 else None
m = manager.connect(host="127.0.0.1", port=port, username="admin", password="admin",
                    hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30)
if ready_file:
    open(ready_file, "w").close()
deadline = time.time() + seconds
while time.time() < deadline and m.connected:
    time.sleep(0.1)
print(json.dumps({"connected_at_end": m.connected}))
