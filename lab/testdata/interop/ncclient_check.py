"""Drive a netagent lab device with ncclient (Debian python3-ncclient).

Usage: ncclient_check.py HOST PORT USER PASSWORD
Prints one line per step; exits non-zero at the first failure.
"""
import sys
import time

from ncclient import manager
from ncclient.operations.rpc import RPCError

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

EDIT = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="http://openconfig.net/yang/interfaces">
    <interface><name>e1-1</name><config><description>%s</description></config></interface>
  </interfaces>
</config>"""

FILTER = ("subtree", '<interfaces xmlns="http://openconfig.net/yang/interfaces">'
          '<interface><name>e1-1</name><config><description/></config></interface></interfaces>')


def description(m, source="running"):
    reply = m.get_config(source=source, filter=FILTER)
    xml = reply.data_xml
    start = xml.find("<description>")
    if start < 0:
        return None
    return xml[start + len("<description>"):xml.find("</description>")]


def check(cond, what):
    if not cond:
        print("FAIL", what)
        sys.exit(1)
    print("ok", what)


# hostkey_verify is off: the test checks the host key with Go's knownhosts
# separately; ncclient reads only ~/.ssh/known_hosts.
with manager.connect(host=host, port=port, username=user, password=password,
                     hostkey_verify=False, allow_agent=False, look_for_keys=False,
                     timeout=20) as m:
    check(":candidate" in " ".join(m.server_capabilities), "candidate capability")
    check(any("confirmed-commit:1.1" in c for c in m.server_capabilities), "confirmed-commit capability")
    with m.locked("candidate"):
        m.edit_config(target="candidate", config=EDIT % "from ncclient")
        check(description(m, "candidate") == "from ncclient", "edit-config to candidate")
        check(description(m) != "from ncclient", "running unchanged before commit")
        m.commit()
        check(description(m) == "from ncclient", "commit")
    # Lock-denied from a second session.
    with manager.connect(host=host, port=port, username=user, password=password,
                         hostkey_verify=False, allow_agent=False, look_for_keys=False, timeout=20) as m2:
        m.lock("candidate")
        try:
            m2.lock("candidate")
            check(False, "lock-denied")
        except RPCError as e:
            check(e.tag == "lock-denied", "lock-denied (%s)" % e.tag)
        m.unlock("candidate")
    # Confirmed commit that nobody confirms reverts by itself.
    m.edit_config(target="candidate", config=EDIT % "provisional")
    m.commit(confirmed=True, timeout="1")
    check(description(m) == "provisional", "confirmed commit applied")
    deadline = time.time() + 10
    while description(m) == "provisional" and time.time() < deadline:
        time.sleep(0.2)
    check(description(m) == "from ncclient", "confirmed commit reverted")
    # A bad edit is an rpc-error with a tag and a path.
    try:
        m.edit_config(target="candidate", config=EDIT.replace("<description>%s</description>", "<mtu>x</mtu>"))
        check(False, "invalid-value")
    except RPCError as e:
        check(e.tag == "invalid-value" and "mtu" in (e.path or ""), "invalid-value with error-path (%s %s)" % (e.tag, e.path))
print("PASS")
