"""Opens a NETCONF session and holds it for N seconds (or until the server closes it).

Usage: hold_session.py PORT SECONDS  -> prints {"connected_at_end": bool}
"""
import json
import sys
import time

from ncclient import manager

port, seconds = int(sys.argv[1]), float(sys.argv[2])
m = manager.connect(host="127.0.0.1", port=port, username="admin", password="admin",
                    hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30)
deadline = time.time() + seconds
while time.time() < deadline and m.connected:
    time.sleep(0.1)
print(json.dumps({"connected_at_end": m.connected}))
