"""Data tables of the auditd parser (no code), from Elastic's auditd integration (go-libaudit).

* ``RECORD_TYPES``: record type → ``Action`` (``event.action``, categories, types, and the
  ``copy`` rules: which record keys, first present wins, name ``user``, ``user.effective``,
  ``user.target`` or ``group``; a numeric value goes to ``.id``, any other to ``.name``).
* ``SYSCALLS``: syscall name → ``Action`` for SYSCALL records (x86_64 numbers are not named: only
  auditd's ENRICHED ``SYSCALL=`` field or another source's name matches).
* ``NUMERIC_TYPES``: the kernel's ``type=1300`` numbers (printk ``audit:`` lines) → names.
* ``HEX_KEYS``: keys whose unquoted value is hex-encoded text when it needs encoding.
"""

from __future__ import annotations

from typing import NamedTuple


class Action(NamedTuple):
    action: str
    category: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    copy: tuple[tuple[tuple[str, ...], str], ...] = ()


_SESSION_USERS = ((("auid",), "user"), (("acct", "id", "uid"), "user.effective"))
_ACCOUNT_ADMIN = (
    (("auid",), "user"),
    (("uid",), "user.effective"),
    (("id", "acct"), "user.target"),
)
_GROUP_ADMIN = ((("auid",), "user"), (("uid",), "user.effective"), (("id", "acct"), "group"))
_AUTH_INFO = (("authentication",), ("info",))
_NETWORK_SEND = (("network",), ("connection", "info"))
_PROCESS_INFO = (("process",), ("info",))
_HOST_INFO = (("host",), ("info",))

RECORD_TYPES: dict[str, Action] = {
    "ACCT_LOCK": Action("locked-account", ("iam",), ("user", "info")),
    "ACCT_UNLOCK": Action("unlocked-account", ("iam",), ("user", "info")),
    "ADD_GROUP": Action("added-group-account-to", ("iam",), ("group", "creation"), _GROUP_ADMIN),
    "ADD_USER": Action("added-user-account", ("iam",), ("user", "creation"), _ACCOUNT_ADMIN),
    "ANOM_ABEND": Action("crashed-program", ("process",), ("end",)),
    "ANOM_EXEC": Action("attempted-execution-of-forbidden-program", ("process",), ("start",)),
    "ANOM_LINK": Action("used-suspicious-link"),
    "ANOM_LOGIN_FAILURES": Action("failed-log-in-too-many-times-to"),
    "ANOM_LOGIN_LOCATION": Action("attempted-log-in-from-unusual-place-to"),
    "ANOM_LOGIN_SESSIONS": Action("opened-too-many-sessions-to"),
    "ANOM_LOGIN_TIME": Action("attempted-log-in-during-unusual-hour-to"),
    "ANOM_PROMISCUOUS": Action("changed-promiscuous-mode-on-device"),
    "ANOM_RBAC_INTEGRITY_FAIL": Action("tested-file-system-integrity-of"),
    "CHGRP_ID": Action("changed-group", ("process",), ("change",)),
    "CHUSER_ID": Action("changed-user-id", ("process",), ("change",)),
    "CONFIG_CHANGE": Action(
        "changed-audit-configuration", ("process", "configuration"), ("change",)
    ),
    "CRED_ACQ": Action("acquired-credentials", *_AUTH_INFO, _SESSION_USERS),
    "CRED_DISP": Action("disposed-credentials", *_AUTH_INFO, _SESSION_USERS),
    "CRED_REFR": Action("refreshed-credentials", *_AUTH_INFO, _SESSION_USERS),
    "CRYPTO_KEY_USER": Action("negotiated-crypto-key", *_PROCESS_INFO),
    "CRYPTO_LOGIN": Action("crypto-officer-logged-in"),
    "CRYPTO_LOGOUT": Action("crypto-officer-logged-out", *_PROCESS_INFO),
    "CRYPTO_SESSION": Action("started-crypto-session", *_PROCESS_INFO),
    "DAC_CHECK": Action("access-result"),
    "DAEMON_ABORT": Action("aborted-auditd-startup", ("process",), ("stop",)),
    "DAEMON_ACCEPT": Action("remote-audit-connected", ("network",), ("connection", "start")),
    "DAEMON_CLOSE": Action("remote-audit-disconnected", ("network",), ("connection", "start")),
    "DAEMON_CONFIG": Action(
        "changed-auditd-configuration", ("process", "configuration"), ("change",)
    ),
    "DAEMON_END": Action("shutdown-audit", ("process",), ("stop",)),
    "DAEMON_ERR": Action("audit-error", *_PROCESS_INFO),
    "DAEMON_RECONFIG": Action("reconfigured-auditd", ("process", "configuration"), ("info",)),
    "DAEMON_RESUME": Action("resumed-audit-logging", ("process",), ("change",)),
    "DAEMON_ROTATE": Action("rotated-audit-logs", ("process",), ("change",)),
    "DAEMON_START": Action("started-audit", ("process",), ("start",)),
    "DEL_GROUP": Action(
        "deleted-group-account-from", ("iam",), ("group", "deletion"), _GROUP_ADMIN
    ),
    "DEL_USER": Action("deleted-user-account", ("iam",), ("user", "deletion"), _ACCOUNT_ADMIN),
    "FEATURE_CHANGE": Action("changed-audit-feature", ("configuration",), ("change",)),
    "FS_RELABEL": Action("relabeled-filesystem"),
    "GRP_AUTH": Action(
        "authenticated-to-group", *_AUTH_INFO, ((("auid",), "user"), (("uid",), "user.effective"))
    ),
    "GRP_CHAUTHTOK": Action(
        "changed-group-password",
        ("iam",),
        ("group", "change"),
        ((("auid",), "user"), (("uid",), "user.effective"), (("acct", "id", "uid"), "group")),
    ),
    "GRP_MGMT": Action(
        "modified-group-account",
        ("iam",),
        ("group", "change"),
        ((("auid",), "user"), (("uid",), "group"), (("uid",), "user.effective")),
    ),
    "KERNEL": Action("initialized-audit-subsystem", *_PROCESS_INFO),
    "KERN_MODULE": Action("loaded-kernel-module", ("driver",), ("start",)),
    "LABEL_LEVEL_CHANGE": Action("modified-level-of"),
    "LABEL_OVERRIDE": Action("overrode-label-of"),
    "LOGIN": Action(
        "changed-login-id-to",
        ("authentication",),
        ("start",),
        ((("old_auid",), "user"), (("new_auid", "auid"), "user.effective")),
    ),
    "MAC_CHECK": Action("mac-permission"),
    "MAC_CONFIG_CHANGE": Action("changed-selinux-boolean", ("configuration",), ("change",)),
    "MAC_POLICY_LOAD": Action("loaded-selinux-policy", ("configuration",), ("access",)),
    "MAC_STATUS": Action("changed-selinux-enforcement", ("configuration",), ("change",)),
    "NETFILTER_CFG": Action("loaded-firewall-rule-to", ("configuration",), ("change",)),
    "ROLE_ASSIGN": Action("assigned-user-role-to", ("iam",), ("user", "change")),
    "ROLE_MODIFY": Action("modified-role", ("iam",), ("change",)),
    "ROLE_REMOVE": Action("removed-user-role-from", ("iam",), ("user", "change")),
    "SECCOMP": Action("violated-seccomp-policy"),
    "SELINUX_ERR": Action("caused-mac-policy-error"),
    "SERVICE_START": Action("started-service", ("process",), ("start",)),
    "SERVICE_STOP": Action("stopped-service", ("process",), ("stop",)),
    "SOFTWARE_UPDATE": Action("package-updated", ("package",), ("info",)),
    "SYSTEM_BOOT": Action("booted-system", *_HOST_INFO),
    "SYSTEM_RUNLEVEL": Action("changed-to-runlevel", ("host",), ("change",)),
    "SYSTEM_SHUTDOWN": Action("shutdown-system", *_HOST_INFO),
    "TEST": Action("sent-test", *_PROCESS_INFO),
    "TRUSTED_APP": Action("unknown", *_PROCESS_INFO),
    "TTY": Action("typed"),
    "USER": Action("sent-message"),
    "USER_ACCT": Action("was-authorized", *_AUTH_INFO, _SESSION_USERS),
    "USER_AUTH": Action("authenticated", *_AUTH_INFO, _SESSION_USERS),
    "USER_AVC": Action("access-permission"),
    "USER_CHAUTHTOK": Action(
        "changed-password",
        ("iam",),
        ("user", "change"),
        ((("auid",), "user"), (("uid",), "user.effective"), (("acct", "id", "uid"), "user.target")),
    ),
    "USER_CMD": Action("ran-command", ("process",), ("start",)),
    "USER_END": Action("ended-session", ("session",), ("end",), _SESSION_USERS),
    "USER_ERR": Action("error", *_AUTH_INFO, _SESSION_USERS),
    "USER_LOGIN": Action("logged-in", ("authentication",), ("start",), _SESSION_USERS),
    "USER_LOGOUT": Action("logged-out", ("authentication",), ("end",), _SESSION_USERS),
    "USER_MAC_CONFIG_CHANGE": Action("changed-mac-configuration", ("configuration",), ("change",)),
    "USER_MAC_POLICY_LOAD": Action("loaded-mac-policy", ("configuration",), ("access",)),
    "USER_MGMT": Action(
        "modified-user-account",
        ("iam",),
        ("user", "change"),
        ((("auid",), "user"), (("acct", "id", "uid"), "user.target"), (("uid",), "user.effective")),
    ),
    "USER_ROLE_CHANGE": Action("changed-role-to"),
    "USER_SELINUX_ERR": Action("access-error"),
    "USER_START": Action("started-session", ("session",), ("start",), _SESSION_USERS),
    "USER_TTY": Action("typed"),
    "USYS_CONFIG": Action("changed-configuration", ("configuration",), ("change",)),
    "VIRT_CONTROL": Action("issued-vm-control", *_HOST_INFO),
    "VIRT_CREATE": Action("created-vm-image", *_HOST_INFO),
    "VIRT_DESTROY": Action("deleted-vm-image", *_HOST_INFO),
    "VIRT_INTEGRITY_CHECK": Action("checked-integrity-of", *_HOST_INFO),
    "VIRT_MACHINE_ID": Action("assigned-vm-id", *_HOST_INFO),
    "VIRT_MIGRATE_IN": Action("migrated-vm-from", *_HOST_INFO),
    "VIRT_MIGRATE_OUT": Action("migrated-vm-to", *_HOST_INFO),
    "VIRT_RESOURCE": Action("assigned-vm-resource", *_HOST_INFO),
}


def _syscalls(action: Action, names: str) -> dict[str, Action]:
    return dict.fromkeys(names.split(), action)


SYSCALLS: dict[str, Action] = {
    **_syscalls(Action("accepted-connection-from", ("network",), ("connection", "start")),
                "accept accept4"),
    **_syscalls(Action("checked-metadata-of", ("file",), ("info",)),
                "access faccessat fgetxattr fstat fstatat getxattr lgetxattr lstat newfstatat "
                "stat stat64"),
    **_syscalls(Action("changed-system-time", ("host",), ("change",)),
                "adjtimex clock_settime settimeofday stime"),
    **_syscalls(Action("bound-socket", ("network",), ("start",)), "bind"),
    **_syscalls(Action("allocated-memory", *_PROCESS_INFO), "brk mmap mmap2"),
    **_syscalls(Action("changed-file-permissions-of", ("file",), ("change",)),
                "chmod fchmod fchmodat"),
    **_syscalls(Action("changed-file-ownership-of", ("file",), ("change",)),
                "chown fchown fchownat lchown"),
    **_syscalls(Action("connected-to", ("network",), ("connection", "start")), "connect"),
    **_syscalls(Action("opened-file", ("file",), ("creation",)), "creat"),
    **_syscalls(Action("opened-file", ("file",), ("change",)), "fallocate ftruncate truncate"),
    **_syscalls(Action("opened-file", ("file",), ("info",)), "open openat readlink readlinkat"),
    **_syscalls(Action("unloaded-kernel-module", ("driver",), ("end",)), "delete_module"),
    **_syscalls(Action("loaded-kernel-module", ("driver",), ("start",)), "finit_module init_module"),
    **_syscalls(Action("executed", ("process",), ("start",)), "execve execveat"),
    **_syscalls(Action("changed-file-attributes-of", ("file",), ("change",)),
                "fremovexattr fsetxattr lremovexattr lsetxattr removexattr setxattr"),
    **_syscalls(Action("checked-filesystem-metadata-of", ("file",), ("info",)), "fstatfs statfs"),
    **_syscalls(Action("changed-timestamp-of", ("file",), ("info",)),
                "futimens futimesat utime utimensat utimes"),
    **_syscalls(Action("killed-pid", ("process",), ("end",)), "kill tgkill tkill"),
    **_syscalls(Action("listen-for-connections", ("network",), ("start",)), "listen"),
    **_syscalls(Action("created-directory", ("file",), ("creation",)), "mkdir mkdirat"),
    **_syscalls(Action("make-device", ("file",), ("creation",)), "mknod mknodat"),
    **_syscalls(Action("mounted", ("file",), ("creation",)), "mount"),
    **_syscalls(Action("read-file", ("file",), ("info",)), "read"),
    **_syscalls(Action("received-from", *_NETWORK_SEND), "recv recvfrom recvmmsg recvmsg"),
    **_syscalls(Action("renamed", ("file",), ("change",)), "rename renameat renameat2"),
    **_syscalls(Action("deleted", ("file",), ("deletion",)), "rmdir unlink unlinkat"),
    **_syscalls(Action("adjusted-scheduling-policy-of", ("process",), ("change",)),
                "sched_setattr sched_setparam sched_setscheduler"),
    **_syscalls(Action("sent-to", *_NETWORK_SEND), "send sendmmsg sendmsg sendto"),
    **_syscalls(Action("changed-system-name", ("host",), ("change",)), "setdomainname sethostname"),
    **_syscalls(Action("changed-identity-of", ("process",), ("change",)),
                "setegid seteuid setfsgid setfsuid setgid setregid setresgid setresuid setreuid "
                "setuid"),
    **_syscalls(Action("symlinked", ("file",), ("creation",)), "symlink symlinkat"),
    **_syscalls(Action("unmounted", ("file",), ("deletion",)), "umount umount2"),
    **_syscalls(Action("wrote-to-file", ("file",), ("change",)), "write"),
}  # fmt: skip

# AVC records name the policy that denied: the first of these keys present decides.
AVC_ACTIONS = (("seresult", Action("violated-selinux-policy")),
               ("apparmor", Action("violated-apparmor-policy")))  # fmt: skip

# network.direction of SYSCALL records, by name or x86_64 number (Elastic's two lists).
INGRESS_SYSCALLS = frozenset({"accept", "43", "recvfrom", "45", "recvmsg", "47", "accept4", "288"})
EGRESS_SYSCALLS = frozenset({"connect", "42", "sendto", "44", "sendmsg", "46"})

NUMERIC_TYPES = {
    "1006": "LOGIN", "1100": "USER_AUTH", "1101": "USER_ACCT", "1102": "USER_MGMT",
    "1103": "CRED_ACQ", "1104": "CRED_DISP", "1105": "USER_START", "1106": "USER_END",
    "1107": "USER_AVC", "1108": "USER_CHAUTHTOK", "1109": "USER_ERR", "1110": "CRED_REFR",
    "1111": "USYS_CONFIG", "1112": "USER_LOGIN", "1113": "USER_LOGOUT", "1114": "ADD_USER",
    "1115": "DEL_USER", "1116": "ADD_GROUP", "1117": "DEL_GROUP", "1123": "USER_CMD",
    "1124": "USER_TTY", "1130": "SERVICE_START", "1131": "SERVICE_STOP", "1300": "SYSCALL",
    "1302": "PATH", "1305": "CONFIG_CHANGE", "1306": "SOCKADDR", "1307": "CWD", "1309": "EXECVE",
    "1320": "EOE", "1325": "NETFILTER_CFG", "1326": "SECCOMP", "1327": "PROCTITLE",
    "1400": "AVC", "1700": "ANOM_PROMISCUOUS", "1701": "ANOM_ABEND",
}  # fmt: skip

HEX_KEYS = frozenset({
    "exe", "cmd", "data", "path", "comm", "file", "name", "watch", "cwd", "acct", "dir", "vm",
    "old-chardev", "new-chardev", "old-disk", "new-disk", "old-fs", "new-fs", "old-net", "new-net",
    "device", "cgroup", "apparmor", "operation", "denied_mask", "info", "profile",
    "requested_mask", "old-rng", "new-rng", "ocomm", "grp", "new_group", "invalid_context", "sw",
    "root_dir", "proctitle",
})  # fmt: skip
BOOLEAN_KEYS = frozenset({"success", "key_enforce"})
NUMBER_KEYS = frozenset({"lport", "rport", "entries", "dst_prefixlen", "ksize", "size",
                         "src_prefixlen"})  # fmt: skip
