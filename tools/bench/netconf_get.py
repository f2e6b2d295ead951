"""NETCONF timings against a running bmpd: commit N neighbors and S servers,
then time <get> of the full state, <get-data> of the operational datastore
(RFC 8526, plain and with-origin) and a one-neighbor commit at that size.

Usage: netconf_get.py PORT NEIGHBORS SERVERS ROUNDS   -> one JSON object on stdout
Debian's interpreter (python3-ncclient).
"""
import json
import statistics
import sys
import time

from ncclient import manager
from ncclient.xml_ import to_ele
import ncclient.transport.ssh

# ncclient 0.6 sends a queued request only when its reader's select() times
# out (TICK, 0.1 s): without this every RPC would carry up to 100 ms of
# client-side wait.
ncclient.transport.ssh.TICK = 0.001

NS = "urn:bmpd:yang:bmpd"
GET_DATA = ('<get-data xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-nmda" xmlns:ds="urn:ietf:params:xml:ns:yang:ietf-datastores">'
            '<datastore>ds:operational</datastore>%s</get-data>')


def neighbor(i):
    # 127.1.0.0/16 is loopback; passive neighbors never connect, and bmpd has no
    # listener in this configuration, so no BGP packet is sent anywhere.
    return ("<neighbor><address>127.1.%d.%d</address><remote-as>%d</remote-as><passive>true</passive>"
            "<bmp-activate><all/></bmp-activate></neighbor>" % (i // 250, i % 250 + 1, 64512 + i % 1000))


def server(i):
    # Activated, but the first attempt waits an hour: state is reported, nothing connects.
    return ("<server><id>%d</id><activate/><address>127.0.15.%d</address><port-number>1790</port-number>"
            "<initial-delay>3600</initial-delay><description>SERVER%d</description></server>" % (i, i, i))


def timed(fn, rounds):
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return {"median_ms": round(statistics.median(samples) * 1000, 1), "max_ms": round(max(samples) * 1000, 1)}


def main():
    port, n, s, rounds = (int(a) for a in sys.argv[1:5])
    m = manager.connect(host="127.0.0.1", port=port, username="admin", password="admin",
                        hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=600)
    config = ('<config><bgp xmlns="%s"><as-number>65000</as-number><router-id>127.0.15.254</router-id><bmp>%s</bmp>%s</bgp></config>'
              % (NS, "".join(server(i) for i in range(1, s + 1)), "".join(neighbor(i) for i in range(n))))
    t = time.perf_counter()
    m.edit_config(target="candidate", config=config)
    m.commit()
    bulk_commit_ms = round((time.perf_counter() - t) * 1000, 1)
    sizes = {}
    reply = m.get()
    sizes["get_bytes"] = len(reply.data_xml)
    sizes["neighbor_states"] = reply.data_xml.count("<session-state>")
    out = {
        "neighbors": n, "servers": s, "bulk_commit_ms": bulk_commit_ms,
        "get_full": timed(lambda: m.get(), rounds),
        "get_config": timed(lambda: m.get_config(source="running"), rounds),
        "get_data_operational": timed(lambda: m.dispatch(to_ele(GET_DATA % "")), rounds),
        "get_data_with_origin": timed(lambda: m.dispatch(to_ele(GET_DATA % "<with-origin/>")), rounds),
    }
    sizes["get_data_with_origin_bytes"] = len(m.dispatch(to_ele(GET_DATA % "<with-origin/>")).xml)
    counter = [n]

    def one_more():
        i = counter[0]
        counter[0] += 1
        m.edit_config(target="candidate", config='<config><bgp xmlns="%s">%s</bgp></config>' % (NS, neighbor(i)))
        m.commit()

    out["commit_one_neighbor"] = timed(one_more, rounds)
    out.update(sizes)
    m.close_session()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
