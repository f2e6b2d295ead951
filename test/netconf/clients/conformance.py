"""ncclient scenarios against a running bmpd agent, one per sub-command.

Usage: conformance.py SCENARIO PORT [ARGS...]
Each scenario prints one JSON object on stdout with what it observed; the
vitest side (test/netconf/conformance/, one file per RFC feature) asserts on
it. Scenarios are grouped here in the same order. Run with Debian's
interpreter (python3-ncclient).
"""
import json
import os
import sys
import time

from ncclient import manager
from ncclient.operations import RPCError
from ncclient.xml_ import to_ele

NS = "urn:bmpd:yang:bmpd"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def connect(port):
    return manager.connect(host="127.0.0.1", port=port, username="admin", password="admin",
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30)


def err(e):
    return {"tag": e.tag, "type": e.type, "message": e.message, "path": e.path, "info": e.info}


def seed_config():
    with open(os.path.join(ROOT, "yang", "examples", "seed-config-loopback.xml")) as f:
        text = f.read()
    start = text.index("<bgp")
    return "<config>" + text[start:] + "</config>"


def server_edit(server_id, inner, op=None):
    attr = ' xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="%s"' % op if op else ""
    return ('<config><bgp xmlns="%s"><as-number>65000</as-number><bmp><server%s><id>%d</id>%s</server></bmp></bgp></config>'
            % (NS, attr, server_id, inner))


# RFC 6241 base operations

def scenario_edit_and_read(port):
    out = {}
    m = connect(port)
    m.edit_config(target="candidate", config=seed_config())
    out["running_before_commit"] = m.get_config(source="running").data_xml
    m.commit()
    out["subtree_server1"] = m.get_config(source="running", filter=(
        "subtree", '<bgp xmlns="%s"><bmp><server><id>1</id></server></bmp></bgp>' % NS)).data_xml
    out["subtree_address_only"] = m.get_config(source="running", filter=(
        "subtree", '<bgp xmlns="%s"><bmp><server><id>2</id><address/></server></bmp></bgp>' % NS)).data_xml
    out["xpath_module_prefix"] = m.get_config(source="running", filter=(
        "xpath", "/bmpd:bgp/bmp/server[id='2']/description")).data_xml
    out["xpath_declared_prefix"] = m.get_config(source="running", filter=(
        "xpath", ({"b": NS}, "/b:bgp/b:bmp/b:initial-refresh"))).data_xml
    out["canonical_twice"] = [m.get_config(source="running").data_xml, m.get_config(source="running").data_xml]
    try:
        m.edit_config(target="running", config=server_edit(1, "", "create"))
        out["create_existing"] = "no error"
    except RPCError as e:
        out["create_existing"] = err(e)
    try:
        m.edit_config(target="running", config=server_edit(1, "<port-number>70000</port-number>"))
        out["bad_port"] = "no error"
    except RPCError as e:
        out["bad_port"] = err(e)
    try:
        m.edit_config(target="running", config='<config><bgp xmlns="%s"><frobnicate/></bgp></config>' % NS)
        out["unknown_element"] = "no error"
    except RPCError as e:
        out["unknown_element"] = err(e)
    try:
        m.edit_config(target="running", config=server_edit(2, "", "delete"))
        out["delete_referenced"] = "no error"
    except RPCError as e:
        out["delete_referenced"] = err(e)
    m.edit_config(target="running", config=server_edit(3, "<description>S3</description>"))
    m.edit_config(target="running", config=server_edit(3, "", "delete"))
    out["after_delete"] = m.get_config(source="running", filter=(
        "subtree", '<bgp xmlns="%s"><bmp><server/></bmp></bgp>' % NS)).data_xml
    m.copy_config(source="running", target="startup")
    out["startup"] = m.get_config(source="startup").data_xml
    out["validate_candidate"] = m.validate(source="candidate").ok
    m.close_session()
    print(json.dumps(out))


def scenario_locks(port):
    out = {}
    a, b = connect(port), connect(port)
    out["a_session"], out["b_session"] = int(a.session_id), int(b.session_id)
    a.lock(target="running")
    try:
        b.lock(target="running")
        out["b_lock"] = "no error"
    except RPCError as e:
        out["b_lock"] = err(e)
    try:
        b.edit_config(target="running", config=server_edit(5, "<description>B</description>"))
        out["b_edit"] = "no error"
    except RPCError as e:
        out["b_edit"] = err(e)
    state = a.get(filter=("xpath", "/ietf-netconf-monitoring:netconf-state/datastores")).data_xml
    out["monitoring_datastores"] = state
    a.close_session()
    time.sleep(0.3)
    out["b_lock_after_a_closed"] = b.lock(target="running").ok
    b.unlock(target="running")
    b.close_session()
    print(json.dumps(out))


def scenario_kill_session(port):
    """RFC 6241 §7.9: one session ends another; its own id and an unknown one are invalid-value."""
    out = {}
    a, b = connect(port), connect(port)
    out["b_session"] = int(b.session_id)
    for name, target in (("own", a.session_id), ("unknown", "4000000000")):
        try:
            a.kill_session(target)
            out[name] = "no error"
        except RPCError as e:
            out[name] = err(e)
    out["kill"] = a.kill_session(b.session_id).ok
    deadline = time.time() + 5
    while b.connected and time.time() < deadline:
        time.sleep(0.1)
    out["b_connected_after"] = b.connected
    out["a_still_answers"] = a.get_config(source="running").ok
    a.close_session()
    print(json.dumps(out))


# RFC 6241 §8.4 confirmed commit

def description_of(m, server_id):
    xml = m.get_config(source="running", filter=(
        "subtree", '<bgp xmlns="%s"><bmp><server><id>%d</id><description/></server></bmp></bgp>' % (NS, server_id))).data_xml
    return xml


def scenario_confirmed_timeout(port):
    out = {}
    m = connect(port)
    m.edit_config(target="candidate", config=server_edit(7, "<description>CONFIRM-ME</description>"))
    m.commit(confirmed=True, timeout="2")
    out["during"] = description_of(m, 7)
    time.sleep(3.5)
    out["after_timeout"] = description_of(m, 7)
    m.close_session()
    print(json.dumps(out))


def scenario_confirmed_then_confirmed(port):
    """RFC 6241 §8.4.1: a confirming <commit> makes the change permanent, so it outlives the
    confirm-timeout of the confirmed commit it confirms."""
    out = {}
    m = connect(port)
    m.edit_config(target="candidate", config=server_edit(6, "<description>CONFIRMED</description>"))
    m.commit(confirmed=True, timeout="2")
    out["during"] = description_of(m, 6)
    out["confirm"] = m.commit().ok
    time.sleep(3.5)
    out["after_timeout"] = description_of(m, 6)
    m.close_session()
    print(json.dumps(out))


def scenario_confirmed_persist(port):
    out = {}
    a = connect(port)
    a.edit_config(target="candidate", config=server_edit(8, "<description>PERSIST</description>"))
    a.commit(confirmed=True, timeout="60", persist="token-1")
    a.close_session()
    time.sleep(0.5)
    b = connect(port)
    out["after_owner_left"] = description_of(b, 8)
    try:
        b.commit(persist_id="wrong")
        out["wrong_id"] = "no error"
    except RPCError as e:
        out["wrong_id"] = err(e)
    out["confirm"] = b.commit(persist_id="token-1").ok
    out["after_confirm"] = description_of(b, 8)
    b.close_session()
    print(json.dumps(out))


def scenario_confirmed_session_end(port):
    out = {}
    a = connect(port)
    a.edit_config(target="candidate", config=server_edit(9, "<description>SESSION-BOUND</description>"))
    a.commit(confirmed=True, timeout="60")
    out["during"] = description_of(a, 9)
    a.close_session()
    time.sleep(0.8)
    b = connect(port)
    out["after_owner_left"] = description_of(b, 9)
    b.close_session()
    print(json.dumps(out))


# RFC 6243 with-defaults

def scenario_with_defaults(port):
    out = {}
    m = connect(port)
    m.edit_config(target="candidate", config=seed_config())
    m.commit()
    for mode in ("explicit", "trim", "report-all", "report-all-tagged"):
        out["wd_" + mode.replace("-", "_")] = m.get_config(source="running", with_defaults=mode, filter=(
            "subtree", '<bgp xmlns="%s"><listen/><bmp><server><id>2</id><dscp/></server></bmp></bgp>' % NS)).data_xml
    try:
        # Raw, as ncclient itself refuses a mode the server does not announce.
        m.dispatch(to_ele('<get-config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><source><running/></source>'
                          '<with-defaults xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults">report-none'
                          '</with-defaults></get-config>'))
        out["unknown_mode"] = "no error"
    except RPCError as e:
        out["unknown_mode"] = err(e)
    out["capabilities"] = list(m.server_capabilities)
    m.close_session()
    print(json.dumps(out))


# RFC 6022 ietf-netconf-monitoring

def scenario_schemas(port, outdir):
    m = connect(port)
    state = m.get(filter=("xpath", "/ietf-netconf-monitoring:netconf-state/schemas")).data_ele
    names = []
    for schema in state.iter("{urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring}schema"):
        ident = schema.find("{urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring}identifier").text
        version = schema.find("{urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring}version").text or ""
        text = m.get_schema(ident, version=version or None).data
        fname = "%s@%s.yang" % (ident, version) if version else "%s.yang" % ident
        with open(os.path.join(outdir, fname), "w") as f:
            f.write(text)
        names.append(fname)
    m.close_session()
    print(json.dumps({"files": names}))


def scenario_monitoring_state(port):
    out = {}
    a, b = connect(port), connect(port)
    out["a_session"], out["b_session"] = int(a.session_id), int(b.session_id)
    b.get_config(source="running")
    b.get_config(source="running")
    try:
        b.dispatch(to_ele('<frobnicate xmlns="urn:example:none"/>'))
    except RPCError:
        pass
    out["state"] = a.get(filter=("xpath", "/ietf-netconf-monitoring:netconf-state")).data_xml
    out["hello_capabilities"] = list(a.server_capabilities)
    b.close_session()
    a.close_session()
    print(json.dumps(out))


# RFC 5277 notifications (with the RFC 6470 base events)

def scenario_notification(port):
    out = {}
    listener = connect(port)
    listener.create_subscription()
    writer = connect(port)
    # First a server of its own, so that the second change is one server entry, not all of /bgp.
    writer.edit_config(target="candidate", config=server_edit(9, "<description>BEFORE</description>"))
    writer.commit()
    writer.edit_config(target="candidate", config=server_edit(10, "<description>NOTIFY</description>"))
    writer.commit()
    got = []
    deadline = time.time() + 10
    while time.time() < deadline:
        n = listener.take_notification(block=True, timeout=1)
        if n is None:
            continue
        got.append(n.notification_xml)
        if "netconf-config-change" in n.notification_xml and "id='10'" in n.notification_xml:
            break
    out["notifications"] = got
    out["writer_session"] = int(writer.session_id)
    writer.close_session()
    listener.close_session()
    print(json.dumps(out))


# RFC 8525 ietf-yang-library (and RFC 7895's modules-state)

def scenario_yang_library(port):
    m = connect(port)
    out = {
        "capabilities": list(m.server_capabilities),
        "yang_library": m.get(filter=("xpath", "/ietf-yang-library:yang-library")).data_xml,
        "modules_state": m.get(filter=("xpath", "/ietf-yang-library:modules-state")).data_xml,
    }
    m.close_session()
    print(json.dumps(out))


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    fn = globals()["scenario_" + scenario.replace("-", "_")]
    fn(port, *sys.argv[3:])


if __name__ == "__main__":
    main()
