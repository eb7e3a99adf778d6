"""Data tables of the Windows event parsers (no code): what Elastic's integrations map per value.

* ``SECURITY_EVENTS`` / ``SYSMON_EVENTS`` / ``SYSTEM_EVENTS``: event id → ``(event.category,
  event.type, event.action)``, as the ``system.security``, ``windows.sysmon_operational`` and
  ``system.system`` ingest pipelines set them (a tuple action is Elastic's list value).
* Value lookups: logon types, NTSTATUS logon failures, ``%%23xx`` failure reasons, service types,
  Security task categories, event levels, opcodes, keyword bits, Sysmon DNS query status and
  record types, registry hive abbreviations, channels → (``event.dataset``, ``event.module``).
"""

from __future__ import annotations

Category = tuple[tuple[str, ...], tuple[str, ...], str | tuple[str, ...]]

_IAM_ADMIN_CHANGE = (("iam", "configuration"), ("admin", "change"))
_USER_CHANGE = (("iam",), ("user", "change"))
_GROUP_CHANGE = (("iam",), ("group", "change"))
_GROUP_CREATION = (("iam",), ("group", "creation"))
_GROUP_DELETION = (("iam",), ("group", "deletion"))
_CONFIG_CHANGE = (("configuration",), ("change",))
_TASK_CHANGE = (("iam", "configuration"), ("change", "admin"))
_AUTH_START = (("authentication",), ("start",))

SECURITY_EVENTS: dict[str, Category] = {
    "1100": (("process",), ("end",), "logging-service-shutdown"),
    "1102": (("iam",), ("admin", "change"), "audit-log-cleared"),
    "1104": (("iam",), ("admin",), "logging-full"),
    "1105": (("iam",), ("admin",), "auditlog-archieved"),
    "1108": (("iam",), ("admin",), "logging-processing-error"),
    "4610": (("configuration",), ("access",), "authentication-package-loaded"),
    "4611": (*_CONFIG_CHANGE, "trusted-logon-process-registered"),
    "4614": (("configuration",), ("access",), "notification-package-loaded"),
    "4616": (*_CONFIG_CHANGE, "system-time-changed"),
    "4622": (("configuration",), ("access",), "security-package-loaded"),
    "4624": (*_AUTH_START, "logged-in"),
    "4625": (*_AUTH_START, "logon-failed"),
    "4634": (("authentication",), ("end",), "logged-out"),
    "4647": (("authentication",), ("end",), "logged-out"),
    "4648": (*_AUTH_START, "logged-in-explicit"),
    "4657": (("registry", "configuration"), ("change",), "registry-value-modified"),
    "4670": (*_IAM_ADMIN_CHANGE, "permissions-changed"),
    "4672": (("iam",), ("admin",), "logged-in-special"),
    "4673": (("iam",), ("admin",), "privileged-service-called"),
    "4674": (("iam",), ("admin",), "privileged-operation"),
    "4688": (("process",), ("start",), "created-process"),
    "4689": (("process",), ("end",), "exited-process"),
    "4697": (*_IAM_ADMIN_CHANGE, "service-installed"),
    "4698": (("iam", "configuration"), ("creation", "admin"), "scheduled-task-created"),
    "4699": (("iam", "configuration"), ("deletion", "admin"), "scheduled-task-deleted"),
    "4700": (*_TASK_CHANGE, "scheduled-task-enabled"),
    "4701": (*_TASK_CHANGE, "scheduled-task-disabled"),
    "4702": (*_TASK_CHANGE, "scheduled-task-updated"),
    "4706": (("configuration",), ("creation",), "domain-trust-added"),
    "4707": (("configuration",), ("deletion",), "domain-trust-removed"),
    "4713": (*_CONFIG_CHANGE, "kerberos-policy-changed"),
    "4714": (*_CONFIG_CHANGE, "encrypted-data-recovery-policy-changed"),
    "4715": (*_CONFIG_CHANGE, "object-audit-policy-changed"),
    "4716": (*_CONFIG_CHANGE, "trusted-domain-information-changed"),
    "4717": (*_IAM_ADMIN_CHANGE, "system-security-access-granted"),
    "4718": (("iam", "configuration"), ("admin", "deletion"), "system-security-access-removed"),
    "4719": (*_IAM_ADMIN_CHANGE, "changed-audit-config"),
    "4720": (("iam",), ("user", "creation"), "added-user-account"),
    "4722": (*_USER_CHANGE, "enabled-user-account"),
    "4723": (*_USER_CHANGE, "changed-password"),
    "4724": (*_USER_CHANGE, "reset-password"),
    "4725": (("iam",), ("user", "deletion"), "disabled-user-account"),
    "4726": (("iam",), ("user", "deletion"), "deleted-user-account"),
    "4727": (*_GROUP_CREATION, "added-group-account"),
    "4728": (*_GROUP_CHANGE, "added-member-to-group"),
    "4729": (*_GROUP_CHANGE, "removed-member-from-group"),
    "4730": (*_GROUP_DELETION, "deleted-group-account"),
    "4731": (*_GROUP_CREATION, "added-group-account"),
    "4732": (*_GROUP_CHANGE, "added-member-to-group"),
    "4733": (*_GROUP_CHANGE, "removed-member-from-group"),
    "4734": (*_GROUP_DELETION, "deleted-group-account"),
    "4735": (*_GROUP_CHANGE, "modified-group-account"),
    "4737": (*_GROUP_CHANGE, "modified-group-account"),
    "4738": (*_USER_CHANGE, "modified-user-account"),
    "4739": (*_CONFIG_CHANGE, "domain-policy-changed"),
    "4740": (*_USER_CHANGE, "locked-out-user-account"),
    "4741": (("iam",), ("creation", "admin"), "added-computer-account"),
    "4742": (("iam",), ("change", "admin"), "changed-computer-account"),
    "4743": (("iam",), ("deletion", "admin"), "deleted-computer-account"),
    "4744": (*_GROUP_CREATION, "added-distribution-group-account"),
    "4745": (*_GROUP_CHANGE, "changed-distribution-group-account"),
    "4746": (*_GROUP_CHANGE, "added-member-to-distribution-group"),
    "4747": (*_GROUP_CHANGE, "removed-member-from-distribution-group"),
    "4748": (*_GROUP_DELETION, "deleted-distribution-group-account"),
    "4749": (*_GROUP_CREATION, "added-distribution-group-account"),
    "4750": (*_GROUP_CHANGE, "changed-distribution-group-account"),
    "4751": (*_GROUP_CHANGE, "added-member-to-distribution-group"),
    "4752": (*_GROUP_CHANGE, "removed-member-from-distribution-group"),
    "4753": (*_GROUP_DELETION, "deleted-distribution-group-account"),
    "4754": (*_GROUP_CREATION, "added-group-account"),
    "4755": (*_GROUP_CHANGE, "modified-group-account"),
    "4756": (*_GROUP_CHANGE, "added-member-to-group"),
    "4757": (*_GROUP_CHANGE, "removed-member-from-group"),
    "4758": (*_GROUP_DELETION, "deleted-group-account"),
    "4759": (*_GROUP_CREATION, "added-distribution-group-account"),
    "4760": (*_GROUP_CHANGE, "changed-distribution-group-account"),
    "4761": (*_GROUP_CHANGE, "added-member-to-distribution-group"),
    "4762": (*_GROUP_CHANGE, "removed-member-from-distribution-group"),
    "4763": (*_GROUP_DELETION, "deleted-distribution-group-account"),
    "4764": (*_GROUP_CHANGE, "type-changed-group-account"),
    "4767": (*_USER_CHANGE, "unlocked-user-account"),
    "4768": (*_AUTH_START, "kerberos-authentication-ticket-requested"),
    "4769": (*_AUTH_START, "kerberos-service-ticket-requested"),
    "4770": (*_AUTH_START, "kerberos-service-ticket-renewed"),
    "4771": (*_AUTH_START, "kerberos-preauth-failed"),
    "4776": (*_AUTH_START, "credential-validated"),
    "4778": (("authentication", "session"), ("start",), "session-reconnected"),
    "4779": (("authentication", "session"), ("end",), "session-disconnected"),
    "4781": (*_USER_CHANGE, "renamed-user-account"),
    "4798": (("iam",), ("user", "info"), "group-membership-enumerated"),
    "4799": (("iam",), ("group", "info"), "user-member-enumerated"),
    "4817": (*_IAM_ADMIN_CHANGE, "object-audit-changed"),
    "4902": (("iam", "configuration"), ("admin", "creation"), "user-audit-policy-created"),
    "4904": (*_IAM_ADMIN_CHANGE, "security-event-source-added"),
    "4905": (("iam", "configuration"), ("admin", "deletion"), "security-event-source-removed"),
    "4906": (*_IAM_ADMIN_CHANGE, "crash-on-audit-changed"),
    "4907": (*_IAM_ADMIN_CHANGE, "audit-setting-changed"),
    "4908": (*_IAM_ADMIN_CHANGE, "special-group-table-changed"),
    "4912": (*_IAM_ADMIN_CHANGE, "per-user-audit-policy-changed"),
    "4950": (*_CONFIG_CHANGE, "windows-firewall-setting-changed"),
    "4954": (*_CONFIG_CHANGE, "windows-firewall-group-policy-changed"),
    "4964": (("iam",), ("admin", "group"), "logged-in-special"),
    "5024": (("process",), ("start",), "windows-firewall-service-started"),
    "5025": (("process",), ("end",), "windows-firewall-service-stopped"),
    "5033": (("driver",), ("start",), "windows-firewall-driver-started"),
    "5034": (("driver",), ("end",), "windows-firewall-driver-stopped"),
    "5037": (("driver",), ("end",), "windows-firewall-driver-error"),
    "5140": (("network", "file"), ("info", "access"), "network-share-object-accessed"),
    "5145": (("network", "file"), ("info", "access"), "network-share-object-access-checked"),
}

# The System channel's Service Control Manager reports installs as Security 4697 does.
SYSTEM_EVENTS: dict[str, Category] = {"7045": (*_IAM_ADMIN_CHANGE, "service-installed")}

SYSMON_EVENTS: dict[str, Category] = {
    "1": (("process",), ("start",), "Process creation"),
    "2": (("file",), ("change",), "A process changed a file creation time"),
    "3": (("network",), ("start", "connection", "protocol"), "Network connection"),
    "4": (("process",), ("change",), "Sysmon service state changed"),
    "5": (("process",), ("end",), "Process terminated"),
    "6": (("driver",), ("start",), "Driver loaded"),
    "7": (("process", "library"), ("change", "start"), ("Image loaded", "load")),
    "8": (("process",), ("change",), "CreateRemoteThread"),
    "9": (("process",), ("access",), "RawAccessRead"),
    "10": (("process",), ("access",), "ProcessAccess"),
    "11": (("file",), ("creation",), "FileCreate"),
    "12": (("configuration", "registry"), ("change",), "RegistryEvent (Object create and delete)"),
    "13": (("configuration", "registry"), ("change",), "RegistryEvent (Value Set)"),
    "14": (("configuration", "registry"), ("change",), "RegistryEvent (Key and Value Rename)"),
    "15": (("file",), ("access",), "FileCreateStreamHash"),
    "16": (("configuration",), ("change",), "ServiceConfigurationChange"),
    "17": (("file",), ("creation",), "PipeEvent (Pipe Created)"),
    "18": (("file",), ("access",), "PipeEvent (Pipe Connected)"),
    "19": (("process",), ("creation",), "WmiEvent (WmiEventFilter activity detected)"),
    "20": (("process",), ("creation",), "WmiEvent (WmiEventConsumer activity detected)"),
    "21": (("process",), ("access",), "WmiEvent (WmiEventConsumerToFilter activity detected)"),
    "22": (("network",), ("connection", "protocol", "info"), "DNSEvent (DNS query)"),
    "23": (("file",), ("deletion",), "FileDelete (File Delete archived)"),
    "24": ((), ("change",), "ClipboardChange (New content in the clipboard)"),
    "25": (("process",), ("change",), "ProcessTampering (Process image change)"),
    "26": (("file",), ("deletion",), "FileDeleteDetected (File Delete logged)"),
    "27": (("file",), ("creation", "denied"), "FileBlockExecutable"),
    "28": (("file",), ("deletion", "denied"), "FileBlockShredding"),
    "29": (("file",), ("creation",), "FileExecutableDetected"),
    "255": (("process",), ("error",), "Error"),
}

LOGON_TYPES = {
    "2": "Interactive", "3": "Network", "4": "Batch", "5": "Service", "7": "Unlock",
    "8": "NetworkCleartext", "9": "NewCredentials", "10": "RemoteInteractive",
    "11": "CachedInteractive",
}  # fmt: skip

LOGON_STATUS = {
    "0xc000005e": "There are currently no logon servers available to service the logon request.",
    "0xc0000064": "User logon with misspelled or bad user account",
    "0xc000006a": "User logon with misspelled or bad password",
    "0xc000006d": "This is either due to a bad username or authentication information",
    "0xc000006e": "Unknown user name or bad password.",
    "0xc000006f": "User logon outside authorized hours",
    "0xc0000070": "User logon from unauthorized workstation",
    "0xc0000071": "User logon with expired password",
    "0xc0000072": "User logon to account disabled by administrator",
    "0xc00000dc": "Indicates the Sam Server was in the wrong state to perform the desired operation.",
    "0xc0000133": "Clocks between DC and other computer too far out of sync",
    "0xc000015b": "The user has not been granted the requested logon type (aka logon right) at "
    "this machine",
    "0xc000018c": "The logon request failed because the trust relationship between the primary "
    "domain and the trusted domain failed.",
    "0xc0000192": "An attempt was made to logon, but the Netlogon service was not started.",
    "0xc0000193": "User logon with expired account",
    "0xc0000224": "User is required to change password at next logon",
    "0xc0000225": "Evidently a bug in Windows and not a risk",
    "0xc0000234": "User logon with account locked",
    "0xc00002ee": "Failure Reason: An Error occurred during Logon",
    "0xc0000413": "Logon Failure: The machine you are logging onto is protected by an "
    "authentication firewall. The specified account is not allowed to authenticate to the machine.",
    "0xc0000371": "The local account store does not contain secret material for the specified "
    "account",
    "0x0": "Status OK.",
}

# %%2304..%%2315 of msobjs.dll: the FailureReason of 4625.
FAILURE_REASONS = {
    "2304": "An Error occured during Logon.",
    "2305": "The specified user account has expired.",
    "2306": "The NetLogon component is not active.",
    "2307": "Account locked out.",
    "2308": "The user has not been granted the requested logon type at this machine.",
    "2309": "The specified account's password has expired.",
    "2310": "Account currently disabled.",
    "2311": "Account logon time restriction violation.",
    "2312": "User not allowed to logon at this computer.",
    "2313": "Unknown user name or bad password.",
    "2314": "Domain sid inconsistent.",
    "2315": "Smartcard logon is required and was not used.",
}

SERVICE_TYPES = {
    "0x1": "Kernel Driver", "0x2": "File System Driver", "0x8": "Recognizer Driver",
    "0x10": "Win32 Own Process", "0x20": "Win32 Share Process",
    "0x110": "Interactive Own Process", "0x120": "Interactive Share Process",
}  # fmt: skip

# Task (audit subcategory) numbers of the Security channel, as the Event Viewer names them.
SECURITY_TASKS = {
    12288: "Security State Change", 12289: "Security System Extension", 12290: "System Integrity",
    12291: "IPsec Driver", 12292: "Other System Events", 12544: "Logon", 12545: "Logoff",
    12546: "Account Lockout", 12547: "IPsec Main Mode", 12548: "Special Logon",
    12549: "IPsec Quick Mode", 12550: "IPsec Extended Mode", 12551: "Other Logon/Logoff Events",
    12552: "Network Policy Server", 12553: "User / Device Claims", 12554: "Group Membership",
    12800: "File System", 12801: "Registry", 12802: "Kernel Object", 12803: "SAM",
    12804: "Other Object Access Events", 12805: "Certification Services",
    12806: "Application Generated", 12807: "Handle Manipulation", 12808: "File Share",
    12809: "Filtering Platform Packet Drop", 12810: "Filtering Platform Connection",
    12811: "Detailed File Share", 12812: "Removable Storage", 12813: "Central Policy Staging",
    13056: "Sensitive Privilege Use", 13057: "Non Sensitive Privilege Use",
    13058: "Other Privilege Use Events", 13312: "Process Creation", 13313: "Process Termination",
    13314: "DPAPI Activity", 13315: "RPC Events", 13316: "Plug and Play Events",
    13317: "Token Right Adjusted Events", 13568: "Audit Policy Change",
    13569: "Authentication Policy Change", 13570: "Authorization Policy Change",
    13571: "MPSSVC Rule-Level Policy Change", 13572: "Filtering Platform Policy Change",
    13573: "Other Policy Change Events", 13824: "User Account Management",
    13825: "Computer Account Management", 13826: "Security Group Management",
    13827: "Distribution Group Management", 13828: "Application Group Management",
    13829: "Other Account Management Events", 14080: "Directory Service Access",
    14081: "Directory Service Changes", 14082: "Directory Service Replication",
    14083: "Detailed Directory Service Replication", 14336: "Credential Validation",
    14337: "Kerberos Service Ticket Operations", 14338: "Other Account Logon Events",
    14339: "Kerberos Authentication Service",
}  # fmt: skip

LEVELS = {0: "information", 1: "critical", 2: "error", 3: "warning", 4: "information", 5: "verbose"}
OPCODES = {0: "Info", 1: "Start", 2: "Stop"}
KEYWORD_BITS = (
    (0x0010000000000000, "Audit Failure"),
    (0x0020000000000000, "Audit Success"),
    (0x0040000000000000, "Correlation Hint"),
    (0x0080000000000000, "Classic"),
)
OUTCOMES = {"Audit Success": "success", "Audit Failure": "failure"}

CHANNEL_DATASETS = {
    "security": ("system.security", "system"),
    "system": ("system.system", "system"),
    "application": ("system.application", "system"),
    "microsoft-windows-sysmon/operational": ("windows.sysmon_operational", "windows"),
    "microsoft-windows-powershell/operational": ("windows.powershell_operational", "windows"),
    "windows powershell": ("windows.powershell", "windows"),
}
DEFAULT_DATASET = ("windows.forwarded", "windows")

DNS_STATUS = {
    "0": "SUCCESS", "5": "ERROR_ACCESS_DENIED", "8": "ERROR_NOT_ENOUGH_MEMORY",
    "13": "ERROR_INVALID_DATA", "14": "ERROR_OUTOFMEMORY", "123": "ERROR_INVALID_NAME",
    "1214": "ERROR_INVALID_NETNAME", "1223": "ERROR_CANCELLED", "1460": "ERROR_TIMEOUT",
    "4312": "ERROR_OBJECT_NOT_FOUND", "9001": "DNS_ERROR_RCODE_FORMAT_ERROR",
    "9002": "DNS_ERROR_RCODE_SERVER_FAILURE", "9003": "DNS_ERROR_RCODE_NAME_ERROR",
    "9004": "DNS_ERROR_RCODE_NOT_IMPLEMENTED", "9005": "DNS_ERROR_RCODE_REFUSED",
    "9501": "DNS_INFO_NO_RECORDS", "9502": "DNS_ERROR_BAD_PACKET", "9503": "DNS_ERROR_NO_PACKET",
    "9504": "DNS_ERROR_RCODE", "9505": "DNS_ERROR_UNSECURE_PACKET", "9506": "DNS_REQUEST_PENDING",
    "9560": "DNS_ERROR_INVALID_NAME_CHAR", "9701": "DNS_ERROR_RECORD_DOES_NOT_EXIST",
    "9702": "DNS_ERROR_RECORD_FORMAT", "10054": "WSAECONNRESET", "10055": "WSAENOBUFS",
    "10060": "WSAETIMEDOUT",
}  # fmt: skip

DNS_TYPES = {
    "1": "A", "2": "NS", "5": "CNAME", "6": "SOA", "12": "PTR", "13": "HINFO", "15": "MX",
    "16": "TXT", "17": "RP", "18": "AFSDB", "24": "SIG", "25": "KEY", "28": "AAAA", "29": "LOC",
    "33": "SRV", "35": "NAPTR", "36": "KX", "37": "CERT", "39": "DNAME", "41": "OPT", "43": "DS",
    "46": "RRSIG", "47": "NSEC", "48": "DNSKEY", "49": "DHCID", "250": "TSIG", "251": "IXFR",
    "252": "AXFR", "255": "ANY", "65281": "WINS", "65282": "WINSR",
}  # fmt: skip

REGISTRY_HIVES = {
    "HKEY_CLASSES_ROOT": "HKCR", "HKCR": "HKCR", "HKEY_CURRENT_CONFIG": "HKCC", "HKCC": "HKCC",
    "HKEY_CURRENT_USER": "HKCU", "HKCU": "HKCU", "HKEY_DYN_DATA": "HKDD", "HKDD": "HKDD",
    "HKEY_LOCAL_MACHINE": "HKLM", "HKLM": "HKLM", "HKEY_PERFORMANCE_DATA": "HKPD", "HKPD": "HKPD",
    "HKEY_USERS": "HKU", "HKU": "HKU",
}  # fmt: skip
