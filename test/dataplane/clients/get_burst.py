"""Many <get>s at once, one per NETCONF session (ncclient, Debian's python3-ncclient).

Usage: get_burst.py PORT SESSIONS XPATH
Opens SESSIONS sessions as admin/admin, waits until every one is up, then sends one <get> with
the XPath filter on each at the same moment (one thread per session, released by a barrier).
Prints one JSON object: {"replies": [data_xml, ...], "ms": [each get's round trip]}.
"""
import json
import sys
import threading
import time

from ncclient import manager


def main():
    port, sessions, xpath = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    managers = [manager.connect(host="127.0.0.1", port=port, username="admin", password="admin",
                                hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=60)
                for _ in range(sessions)]
    barrier = threading.Barrier(sessions)
    replies, ms = [None] * sessions, [None] * sessions

    def get(i):
        barrier.wait()
        started = time.monotonic()
        replies[i] = managers[i].get(filter=("xpath", xpath)).data_xml
        ms[i] = round((time.monotonic() - started) * 1000, 1)

    threads = [threading.Thread(target=get, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for m in managers:
        m.close_session()
    print(json.dumps({"replies": replies, "ms": ms}))


if __name__ == "__main__":
    main()
