"""Small ncclient commands for the end-to-end tests, one per invocation.

Usage:
  nc.py PORT replace-config FILE            edit candidate with default-operation replace, commit
  nc.py PORT edit FILE [confirmed SECONDS]  merge FILE (a <config>) into candidate, commit (optionally confirmed)
  nc.py PORT edit-inline XML [OP]          like edit, the <config> given inline, default-operation OP (merge)
  nc.py PORT rpc XML                        dispatch one rpc, print its reply
  nc.py PORT save                           copy-config running -> startup
  nc.py PORT get-config                     running, explicit defaults
  nc.py PORT get XPATH                      <get> with an xpath filter (module-name prefixes)
  nc.py PORT watch SECONDS PATTERN...       subscribe, print notifications until each PATTERN was seen
  nc.py PORT capabilities                   the server's hello capabilities
Each prints one JSON object on stdout. Debian's interpreter (python3-ncclient). Logs in as
admin/admin, or as $BMPD_NC_USER with $BMPD_NC_PASSWORD.
"""
import json
import os
import sys
import time

from ncclient import manager
from ncclient.operations import RPCError


def connect(port):
    # The agent's loopback default user, unless the test made a users file (BMPD_NC_USER/PASSWORD).
    user, password = os.environ.get("BMPD_NC_USER", "admin"), os.environ.get("BMPD_NC_PASSWORD", "admin")
    return manager.connect(host="127.0.0.1", port=port, username=user, password=password,
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=60)


def main():
    port, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    m = connect(port)
    out = {}
    try:
        if cmd in ("edit", "replace-config"):
            with open(args[0]) as f:
                config = f.read()
            op = "replace" if cmd == "replace-config" else "merge"
            m.edit_config(target="candidate", config=config, default_operation=op)
            if len(args) >= 3 and args[1] == "confirmed":
                m.commit(confirmed=True, timeout=args[2])
            else:
                m.commit()
            out["ok"] = True
        elif cmd == "edit-inline":
            m.edit_config(target="candidate", config=args[0], default_operation=args[1] if len(args) > 1 else "merge")
            m.commit()
            out["ok"] = True
        elif cmd == "rpc":
            from ncclient.xml_ import to_ele
            out["reply"] = m.dispatch(to_ele(args[0])).xml
        elif cmd == "save":
            out["ok"] = m.copy_config(source="running", target="startup").ok
        elif cmd == "get-config":
            out["data"] = m.get_config(source="running").data_xml
        elif cmd == "get":
            out["data"] = m.get(filter=("xpath", args[0])).data_xml
        elif cmd == "capabilities":
            out["capabilities"] = list(m.server_capabilities)
        elif cmd == "watch":
            seconds, patterns = float(args[0]), args[1:]
            m.create_subscription()
            print(json.dumps({"subscribed": True}), flush=True)
            seen, pending = [], list(patterns)
            deadline = time.time() + seconds
            while pending and time.time() < deadline:
                n = m.take_notification(block=True, timeout=1)
                if n is None:
                    continue
                seen.append(n.notification_xml)
                pending = [p for p in pending if not any(p in s for s in seen)]
            out["notifications"] = seen
            out["missing"] = pending
    except RPCError as e:
        out["error"] = {"tag": e.tag, "message": e.message, "path": e.path}
    finally:
        if m.connected:
            m.close_session()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
