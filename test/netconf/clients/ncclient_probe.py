"""ncclient against bmpd's NETCONF server: hello, capabilities, an unknown rpc, close.

Usage: ncclient_probe.py HOST PORT USER PASSWORD
Prints one JSON object on stdout. Run with Debian's interpreter (python3-ncclient).
"""
import json
import sys

from ncclient import manager
from ncclient.operations import RPCError
from ncclient.xml_ import to_ele


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    out = {}
    # No `with`: leaving the block would send a second close-session.
    m = manager.connect(
        host=host,
        port=port,
        username=user,
        password=password,
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=30,
    )
    out["session_id"] = m.session_id
    out["server_capabilities"] = sorted(m.server_capabilities)
    try:
        m.dispatch(to_ele('<frobnicate xmlns="urn:example:bmpd-test"/>'))
        out["unknown_rpc"] = "no error"
    except RPCError as err:
        out["unknown_rpc"] = {
            "tag": err.tag,
            "type": err.type,
            "severity": err.severity,
            "message": err.message,
        }
    reply = m.close_session()
    out["close_session_ok"] = reply.ok
    out["connected_after_close"] = m.connected
    print(json.dumps(out))


if __name__ == "__main__":
    main()
