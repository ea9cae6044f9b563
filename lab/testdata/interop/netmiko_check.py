"""Drive a netagent lab device's CLI with netmiko (Debian python3-netmiko).

Usage: netmiko_check.py DEVICE_TYPE HOST PORT USER PASSWORD IFNAME
Prints one line per step; exits non-zero at the first failure.
"""
import sys

from netmiko import ConnectHandler

device_type, host, port, user, password, ifname = sys.argv[1:7]


def check(cond, what, out=""):
    if not cond:
        print("FAIL", what)
        print(out)
        sys.exit(1)
    print("ok", what)


conn = ConnectHandler(device_type=device_type, host=host, port=int(port), username=user,
                      password=password, allow_agent=False, use_keys=False, timeout=20)
out = conn.send_config_set(["interface " + ifname, "description from netmiko", "mtu 9000", "exit"])
check("%" not in out, "config set", out)
run = conn.send_command("show running-config")
check("description from netmiko" in run and "mtu 9000" in run, "show running-config", run)
out = conn.send_command("show interfaces " + ifname)
check(ifname in out and "line protocol" in out, "show interfaces", out)
bad = conn.send_command("show frobnication")
check(bad.strip().startswith("%"), "error for a bad command", bad)
ver = conn.send_command("show version")
check("Uptime" in ver, "session goes on after an error", ver)
conn.disconnect()
print("PASS")
