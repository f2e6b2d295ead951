"""NETCONF transaction cost against one running server (bmpd or netconfd): one
edit-config of the candidate plus one commit per new neighbor, until N neighbors
exist, every transaction timed. The same client and the same neighbor XML serve
both servers, so only the server differs.

Usage: netconf_commit.py --port P --user U --password W --neighbors N
                         [--host H] [--ns NS] [--progress K]
  -> one JSON object on stdout: {"edit_ms": [...], "commit_ms": [...], ...}
Debian's interpreter (python3-ncclient).
"""
import argparse
import json
import sys
import time

from ncclient import manager
from ncclient.transport import ssh as ncclient_ssh

# ncclient 0.6 sends a queued request only when its reader's select() times out,
# every TICK = 0.1 s when the server is silent: each RPC would cost ~100 ms on the
# client side and hide both servers' own cost. 1 ms keeps the client out of the figures.
ncclient_ssh.TICK = 0.001

BMPD_NS = "urn:bmpd:yang:bmpd"


def neighbor(i):
    # 127.1.0.0/16 is loopback. A passive neighbor never opens a connection, and
    # with no listen address configured bmpd accepts none: nothing is sent.
    return ("<neighbor><address>127.1.%d.%d</address><remote-as>%d</remote-as>"
            "<passive>true</passive></neighbor>" % (i // 250, i % 250 + 1, 64512 + i % 1000))


def configured_neighbors(m, ns):
    reply = m.get_config(source="running", filter=("subtree", '<bgp xmlns="%s"><neighbor><address/></neighbor></bgp>' % ns))
    return len(reply.data_ele.xpath("//*[local-name()='neighbor' and namespace-uri()=$ns]", ns=ns))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--neighbors", type=int, required=True)
    ap.add_argument("--ns", default=BMPD_NS)
    ap.add_argument("--progress", type=int, default=0, help="report on stderr every K transactions")
    a = ap.parse_args()

    m = manager.connect(host=a.host, port=a.port, username=a.user, password=a.password,
                        hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=600)
    wrap = '<config><bgp xmlns="%s">%%s</bgp></config>' % a.ns
    before = configured_neighbors(m, a.ns)
    # The container itself (mandatory as-number) is set up once, untimed: the
    # benchmark is about adding neighbors to an existing BGP process.
    m.edit_config(target="candidate", config=wrap % "<as-number>65000</as-number><router-id>127.0.16.254</router-id>")
    m.commit()

    edit_ms, commit_ms = [], []
    started = time.perf_counter()
    for i in range(a.neighbors):
        t0 = time.perf_counter()
        # No <validate> first: on netconfd 2.13 it turns the following commit into a no-op.
        m.edit_config(target="candidate", config=wrap % neighbor(i))
        t1 = time.perf_counter()
        m.commit()
        t2 = time.perf_counter()
        edit_ms.append(round((t1 - t0) * 1000, 3))
        commit_ms.append(round((t2 - t1) * 1000, 3))
        if a.progress and (i + 1) % a.progress == 0:
            print("  %d neighbors, %.0f s" % (i + 1, time.perf_counter() - started), file=sys.stderr, flush=True)

    # Proof that every commit reached the running datastore (a silent no-op commit
    # would make a server look fast).
    after = configured_neighbors(m, a.ns)
    m.close_session()
    print(json.dumps({"neighbors_before": before, "neighbors_after": after,
                      "edit_ms": edit_ms, "commit_ms": commit_ms}))


if __name__ == "__main__":
    main()
