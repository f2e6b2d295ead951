"""NACM (RFC 8341) as three users see it, driven by ncclient against a running bmpd agent.

Usage: nacm.py SCENARIO PORT [ARGS...]
Users (made by the test with bmpd-adduser, password "<name>-password"):
  admin       group admin: the factory rule-list permits it everything
  operator    group operators: read-only, reset-bgp-neighbor denied
  automation  group automation: may create, update and delete /bgp/bmp/server only
Scenarios edit, get and subscribe take any user (the notification test's own).
Prints one JSON object on stdout with what it observed. Run with Debian's interpreter (python3-ncclient).
"""
import json
import sys
import time

from ncclient import manager
from ncclient.operations import RPCError
from ncclient.xml_ import to_ele

NS = "urn:bmpd:yang:bmpd"
NACM = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SECRET = "md5-s3cret-key"

RULES = """
<nacm xmlns="%(nacm)s">
  <rule-list>
    <name>operators</name>
    <group>operators</group>
    <rule><name>deny-reset-neighbor</name><module-name>bmpd</module-name><rpc-name>reset-bgp-neighbor</rpc-name>
      <access-operations>exec</access-operations><action>deny</action></rule>
    <rule><name>deny-commit</name><module-name>ietf-netconf</module-name><rpc-name>commit</rpc-name>
      <access-operations>exec</access-operations><action>deny</action></rule>
    <rule><name>no-session-start-events</name><module-name>ietf-netconf-notifications</module-name>
      <notification-name>netconf-session-start</notification-name><access-operations>read</access-operations><action>deny</action></rule>
  </rule-list>
  <rule-list>
    <name>automation</name>
    <group>automation</group>
    <rule><name>bmp-servers</name><module-name>bmpd</module-name><path xmlns:b="%(ns)s">/b:bgp/b:bmp/b:server</path>
      <access-operations>create update delete</access-operations><action>permit</action></rule>
  </rule-list>
</nacm>
""" % {"nacm": NACM, "ns": NS}

NEIGHBOR_PASSWORD = """
<bgp xmlns="%s"><neighbor><address>127.0.3.1</address><password>%s</password></neighbor></bgp>
""" % (NS, SECRET)


def connect(port, user, password=None):
    return manager.connect(host="127.0.0.1", port=port, username=user, password=password or user + "-password",
                           hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=30)


def err(e):
    """The first rpc-error of a reply (ncclient raises one RPCError holding them all when there are several)."""
    first = e.errors[0] if getattr(e, "errors", None) else e
    return {"tag": first.tag, "type": first.type, "message": first.message, "path": first.path, "info": first.info}


def attempt(fn):
    """The rpc-error an operation earned, or "ok"."""
    try:
        fn()
        return "ok"
    except RPCError as e:
        return err(e)


def config(inner):
    return "<config>%s</config>" % inner


def server_edit(server_id, inner, op=None):
    attr = ' xmlns:nc="%s" nc:operation="%s"' % (NC, op) if op else ""
    return config('<bgp xmlns="%s"><bmp><server%s><id>%d</id>%s</server></bmp></bgp>' % (NS, attr, server_id, inner))


def seed_config(root):
    with open(root + "/yang/examples/seed-config-loopback.xml") as f:
        text = f.read()
    return text[text.index("<bgp"):]


def datastores(m):
    return {name: m.get_config(source=name).data_xml for name in ("running", "candidate", "startup")}


def counters(m):
    data = m.get(filter=("subtree", '<nacm xmlns="%s"><denied-operations/><denied-data-writes/><denied-notifications/></nacm>' % NACM)).data_ele
    out = {}
    for name in ("denied-operations", "denied-data-writes", "denied-notifications"):
        found = data.find(".//{%s}%s" % (NACM, name))
        out[name] = int(found.text) if found is not None else None
    return out


def drain(session, wanted, seconds=5):
    """Notifications received until one containing `wanted` arrives (or the time is up)."""
    got = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        n = session.take_notification(block=True, timeout=0.5)
        if n is None:
            continue
        got.append(n.notification_xml)
        if wanted in n.notification_xml:
            break
    return got


def scenario_three_users(port, root):
    out = {}
    admin = connect(port, "admin")
    out["factory"] = admin.get_config(source="running", filter=("subtree", '<nacm xmlns="%s"/>' % NACM)).data_xml
    admin.edit_config(target="running", config=config(seed_config(root) + RULES))
    admin.edit_config(target="running", config=config(NEIGHBOR_PASSWORD))
    before = counters(admin)

    operator = connect(port, "operator")
    operator.create_subscription()
    started_after_subscription = 0
    listener = connect(port, "admin")
    started_after_subscription += 1
    listener.create_subscription()

    # Reads: the password (default-deny-all) and /nacm are not there, whatever the filter.
    out["op_get_config"] = operator.get_config(source="running").data_xml
    out["op_get"] = operator.get().data_xml
    out["op_subtree_password"] = operator.get_config(source="running", filter=(
        "subtree", '<bgp xmlns="%s"><neighbor><address>127.0.3.1</address><password/></neighbor></bgp>' % NS)).data_xml
    out["op_xpath_password"] = operator.get(filter=("xpath", "/bmpd:bgp/neighbor/password")).data_xml
    out["op_content_match"] = operator.get_config(source="running", filter=(
        "xpath", "/bmpd:bgp/neighbor[password='%s']" % SECRET)).data_xml
    out["op_nacm"] = operator.get(filter=("subtree", '<nacm xmlns="%s"/>' % NACM)).data_xml
    out["admin_get_config"] = admin.get_config(source="running").data_xml

    # Writes and operations the operator may not do; the datastores stay as they were.
    stores_before = datastores(admin)
    denied = {}
    denied["edit_running"] = attempt(lambda: operator.edit_config(target="running", config=server_edit(1, "<description>OPERATOR</description>")))
    denied["edit_candidate"] = attempt(lambda: operator.edit_config(target="candidate", config=server_edit(1, "<description>OPERATOR</description>")))
    denied["commit"] = attempt(lambda: operator.commit())
    denied["copy_to_startup"] = attempt(lambda: operator.copy_config(source="running", target="startup"))
    denied["delete_startup"] = attempt(lambda: operator.delete_config(target="startup"))
    denied["kill_admin"] = attempt(lambda: operator.kill_session(admin.session_id))
    denied["nacm_off"] = attempt(lambda: operator.edit_config(target="running", config=config(
        '<nacm xmlns="%s"><enable-nacm>false</enable-nacm></nacm>' % NACM)))
    denied["reset_neighbor"] = attempt(lambda: operator.dispatch(to_ele(
        '<reset-bgp-neighbor xmlns="%s"><address>127.0.3.1</address></reset-bgp-neighbor>' % NS)))
    out["op_denied"] = denied
    out["op_reset_server"] = attempt(lambda: operator.dispatch(to_ele('<reset-bmp-server xmlns="%s"><server>1</server></reset-bmp-server>' % NS)))
    out["op_stores_unchanged"] = datastores(admin) == stores_before

    # The automation user: BMP servers only.
    automation = connect(port, "automation")
    started_after_subscription += 1
    auto = {}
    auto["create_server"] = attempt(lambda: automation.edit_config(target="candidate", config=server_edit(3, "<address>127.0.5.1</address>")))
    auto["commit_create"] = attempt(lambda: automation.commit())
    auto["update_server"] = attempt(lambda: automation.edit_config(target="running", config=server_edit(3, "<description>AUTO</description>")))
    auto["after_update"] = admin.get_config(source="running", filter=(
        "subtree", '<bgp xmlns="%s"><bmp><server><id>3</id></server></bmp></bgp>' % NS)).data_xml
    stores_before = datastores(admin)
    auto["neighbor"] = attempt(lambda: automation.edit_config(target="running", config=config(
        '<bgp xmlns="%s"><neighbor><address>127.0.9.9</address><remote-as>65099</remote-as></neighbor></bgp>' % NS)))
    auto["buffer_size"] = attempt(lambda: automation.edit_config(target="candidate", config=config(
        '<bgp xmlns="%s"><bmp><buffer-size>64</buffer-size></bmp></bgp>' % NS)))
    auto["nacm"] = attempt(lambda: automation.edit_config(target="running", config=config(
        '<nacm xmlns="%s"><write-default>permit</write-default></nacm>' % NACM)))
    auto["stores_unchanged"] = datastores(admin) == stores_before
    auto["delete_server"] = attempt(lambda: automation.edit_config(target="running", config=server_edit(3, "", "delete")))
    auto["after_delete"] = admin.get_config(source="running").data_xml
    out["automation"] = auto
    out["automation_session"] = int(automation.session_id)

    # The admin's change of a password and a description: the operator hears of the description only.
    admin.edit_config(target="candidate", config=config(
        '<bgp xmlns="%s"><bmp><server><id>1</id><description>ADMIN</description></server></bmp>'
        '<neighbor><address>127.0.3.1</address><password>another-secret</password></neighbor></bgp>' % NS))
    admin.commit()
    out["op_notifications"] = drain(operator, "ADMIN-never-in-an-event", 3)
    out["admin_notifications"] = drain(listener, "password", 5)
    out["admin_session"] = int(admin.session_id)

    # The admin may do what the others may not.
    spare = connect(port, "admin")
    started_after_subscription += 1
    allowed = {}
    allowed["kill_session"] = attempt(lambda: admin.kill_session(spare.session_id))
    allowed["copy_to_startup"] = attempt(lambda: admin.copy_config(source="running", target="startup"))
    allowed["delete_startup"] = attempt(lambda: admin.delete_config(target="startup"))
    allowed["reset_neighbor"] = attempt(lambda: admin.dispatch(to_ele(
        '<reset-bgp-neighbor xmlns="%s"><address>127.0.3.1</address></reset-bgp-neighbor>' % NS)))
    out["admin_allowed"] = allowed

    after = counters(admin)
    out["counters_before"] = before
    out["counters_after"] = after
    out["session_starts_after_operator_subscribed"] = started_after_subscription
    for m in (operator, listener, automation, admin):
        m.close_session()
    print(json.dumps(out))


def scenario_lockout_and_recovery(port, admin_password, user, password):
    """The admin group's rule turned to deny locks the admins out; `user` (a recovery session) sets it back."""
    out = {}
    admin = connect(port, "admin", admin_password)
    rule = ('<nacm xmlns="%s"><rule-list><name>admin</name><rule><name>permit-all</name><action>%%s</action></rule></rule-list></nacm>' % NACM)
    out["lockout"] = attempt(lambda: admin.edit_config(target="running", config=config(rule % "deny")))
    out["admin_after_lockout"] = attempt(lambda: admin.edit_config(target="running", config=config(rule % "permit")))
    rescuer = connect(port, user, password)
    out["rescuer_write"] = attempt(lambda: rescuer.edit_config(target="running", config=config(rule % "permit")))
    out["admin_after_rescue"] = attempt(lambda: admin.edit_config(target="running", config=config(
        '<nacm xmlns="%s"><groups><group><name>rescued</name></group></groups></nacm>' % NACM)))
    for m in (admin, rescuer):
        m.close_session()
    print(json.dumps(out))


def scenario_session(port, user, go_file):
    """Opens a session as `user`, waits until `go_file` exists (the test changed the users file meanwhile), then writes /nacm."""
    import os
    m = connect(port, user)
    deadline = time.time() + 30
    while not os.path.exists(go_file) and time.time() < deadline:
        time.sleep(0.05)
    out = {"session": int(m.session_id)}
    try:
        out["write"] = attempt(lambda: m.edit_config(target="running", config=config(
            '<nacm xmlns="%s"><groups><group><name>written-by-%s</name></group></groups></nacm>' % (NACM, user))))
        m.close_session()
    except Exception as e:  # the server ended the session: ncclient reports the transport, not an rpc-error
        out["write"] = {"closed": type(e).__name__}
    print(json.dumps(out))


def scenario_edit(port, user, config_file):
    """One edit-config of running as `user` from a <config> file."""
    m = connect(port, user)
    with open(config_file) as f:
        out = {"edit": attempt(lambda: m.edit_config(target="running", config=f.read()))}
    m.close_session()
    print(json.dumps(out))


def scenario_get(port, user, xpath):
    """<get> as `user` with an xpath filter."""
    m = connect(port, user)
    out = {"data": m.get(filter=("xpath", xpath)).data_xml}
    m.close_session()
    print(json.dumps(out))


def scenario_subscribe(port, user, ready_file, stop_file):
    """Subscribes as `user`, creates `ready_file`, then collects notifications until `stop_file` exists (at most 120 s)."""
    import os
    m = connect(port, user)
    m.create_subscription()
    open(ready_file, "w").close()
    got = []
    deadline = time.time() + 120
    while time.time() < deadline:
        n = m.take_notification(block=True, timeout=0.2)
        if n is not None:
            got.append(n.notification_xml)
        elif os.path.exists(stop_file):
            break
    session = int(m.session_id)
    m.close_session()
    print(json.dumps({"session": session, "notifications": got}))


def main():
    scenario, port = sys.argv[1], int(sys.argv[2])
    fn = globals()["scenario_" + scenario.replace("-", "_")]
    fn(port, *sys.argv[3:])


if __name__ == "__main__":
    main()
