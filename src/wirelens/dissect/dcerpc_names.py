"""Names of well-known DCE/RPC interfaces and their operations (facts from the Microsoft
protocol specifications named beside each: interface UUIDs and operation numbers).

An interface is named as its named pipe or its COM interface is commonly called (``svcctl``,
``winreg``, ``IRemUnknown2``); an operation by its specification name, with MS-SCMR's ``R``
prefix dropped (``CloseServiceHandle``), as Suricata and Zeek write them. Operations not
listed here keep their number only (the ``opnum`` column).
"""

from __future__ import annotations

__all__ = ["INTERFACES", "interface_name", "operation_name"]


def _ops(*names: str, start: int = 0) -> dict[int, str]:
    """Operation names numbered from ``start``; an empty name leaves a number out."""
    return {start + i: n for i, n in enumerate(names) if n}


_DCOM_IUNKNOWN = ("QueryInterface", "AddRef", "Release")  # opnums 0-2, never on the wire
_EFSR_OPS = _ops(
    "EfsRpcOpenFileRaw", "EfsRpcReadFileRaw", "EfsRpcWriteFileRaw", "EfsRpcCloseRaw",
    "EfsRpcEncryptFileSrv", "EfsRpcDecryptFileSrv", "EfsRpcQueryUsersOnFile",
    "EfsRpcQueryRecoveryAgents", "EfsRpcRemoveUsersFromFile", "EfsRpcAddUsersToFile")
"""MS-EFSR §3.1.4 (PetitPotam), served on two interfaces."""

INTERFACES: dict[str, tuple[str, dict[int, str]]] = {
    # DCE 1.1 RPC appendix O / MS-RPCE §2.2.1.2: endpoint mapper and management
    "e1af8308-5d1f-11c9-91a4-08002b14a0fa": ("epmapper", _ops(
        "ept_insert", "ept_delete", "ept_lookup", "ept_map", "ept_lookup_handle_free",
        "ept_inq_object", "ept_mgmt_delete")),
    "afa8bd80-7d8a-11c9-bef4-08002b102989": ("mgmt", _ops(
        "inq_if_ids", "inq_stats", "is_server_listening", "stop_server_listening",
        "inq_princ_name")),
    # MS-SCMR §3.1.4: service control manager
    "367abb81-9844-35f1-ad32-98f038001003": ("svcctl", _ops(
        "CloseServiceHandle", "ControlService", "DeleteService", "LockServiceDatabase",
        "QueryServiceObjectSecurity", "SetServiceObjectSecurity", "QueryServiceStatus",
        "SetServiceStatus", "UnlockServiceDatabase", "NotifyBootConfigStatus",
        "I_ScSetServiceBitsW", "ChangeServiceConfigW", "CreateServiceW",
        "EnumDependentServicesW", "EnumServicesStatusW", "OpenSCManagerW", "OpenServiceW",
        "QueryServiceConfigW", "QueryServiceLockStatusW", "StartServiceW",
        "GetServiceDisplayNameW", "GetServiceKeyNameW", "I_ScSetServiceBitsA",
        "ChangeServiceConfigA", "CreateServiceA", "EnumDependentServicesA",
        "EnumServicesStatusA", "OpenSCManagerA", "OpenServiceA", "QueryServiceConfigA",
        "QueryServiceLockStatusA", "StartServiceA", "GetServiceDisplayNameA",
        "GetServiceKeyNameA", "I_ScGetCurrentGroupStateW", "EnumServiceGroupW",
        "ChangeServiceConfig2A", "ChangeServiceConfig2W", "QueryServiceConfig2A",
        "QueryServiceConfig2W", "QueryServiceStatusEx", "EnumServicesStatusExA",
        "EnumServicesStatusExW", "I_ScSendTSMessage", "CreateServiceWOW64A",
        "CreateServiceWOW64W")),
    # MS-RRP §3.1.5: remote registry
    "338cd001-2244-31f1-aaaa-900038001003": ("winreg", _ops(
        "OpenClassesRoot", "OpenCurrentUser", "OpenLocalMachine", "OpenPerformanceData",
        "OpenUsers", "BaseRegCloseKey", "BaseRegCreateKey", "BaseRegDeleteKey",
        "BaseRegDeleteValue", "BaseRegEnumKey", "BaseRegEnumValue", "BaseRegFlushKey",
        "BaseRegGetKeySecurity", "BaseRegLoadKey", "", "BaseRegOpenKey",
        "BaseRegQueryInfoKey", "BaseRegQueryValue", "BaseRegReplaceKey", "BaseRegRestoreKey",
        "BaseRegSaveKey", "BaseRegSetKeySecurity", "BaseRegSetValue", "BaseRegUnLoadKey",
        "BaseInitiateSystemShutdown", "BaseAbortSystemShutdown", "BaseRegGetVersion",
        "OpenCurrentConfig", "", "BaseRegQueryMultipleValues", "BaseInitiateSystemShutdownEx",
        "BaseRegSaveKeyEx", "OpenPerformanceText", "OpenPerformanceNlsText",
        "BaseRegQueryMultipleValues2", "BaseRegDeleteKeyEx")),
    # MS-DSSP §3.2.5: directory services setup
    "3919286a-b10c-11d0-9ba8-00c04fd92ef5": ("dssetup", _ops(
        "DsRolerGetPrimaryDomainInformation", "DsRolerDnsNameToFlatName", "DsRolerDcAsDc",
        "DsRolerDcAsReplica", "DsRolerDemoteDc", "DsRolerGetDcOperationProgress",
        "DsRolerGetDcOperationResults", "DsRolerCancel", "DsRolerServerSaveStateForUpgrade",
        "DsRolerUpgradeDownlevelServer", "DsRolerAbortDownlevelServerUpgrade",
        "DsRolerGetDatabaseFacts")),
    # MS-TSCH §3.2.5: task scheduler (ATSvc and the Task Scheduler 2.0 service)
    "1ff70682-0a51-30e8-076d-740be8cee98b": ("atsvc", _ops(
        "NetrJobAdd", "NetrJobDel", "NetrJobEnum", "NetrJobGetInfo")),
    "86d35949-83c9-4044-b424-db363231fd0c": ("ITaskSchedulerService", _ops(
        "SchRpcHighestVersion", "SchRpcRegisterTask", "SchRpcRetrieveTask",
        "SchRpcCreateFolder", "SchRpcSetSecurity", "SchRpcGetSecurity", "SchRpcEnumFolders",
        "SchRpcEnumTasks", "SchRpcEnumInstances", "SchRpcGetInstanceInfo",
        "SchRpcStopInstance", "SchRpcStop", "SchRpcRun", "SchRpcDelete", "SchRpcRename",
        "SchRpcScheduledRuntimes", "SchRpcGetLastRunInfo", "SchRpcGetTaskInfo",
        "SchRpcGetNumberOfMissedRuns", "SchRpcEnableTask")),
    # MS-DRSR §4.1: directory replication (DCSync asks DRSGetNCChanges)
    "e3514235-4b06-11d1-ab04-00c04fc2dcd2": ("drsuapi", _ops(
        "DRSBind", "DRSUnbind", "DRSReplicaSync", "DRSGetNCChanges", "DRSUpdateRefs",
        "DRSReplicaAdd", "DRSReplicaDel", "DRSReplicaModify", "DRSVerifyNames",
        "DRSGetMemberships", "DRSInterDomainMove", "DRSGetNT4ChangeLog", "DRSCrackNames",
        "DRSWriteSPN", "DRSRemoveDsServer", "DRSRemoveDsDomain", "DRSDomainControllerInfo",
        "DRSAddEntry", "DRSExecuteKCC", "DRSGetReplInfo", "DRSAddSidHistory",
        "DRSGetMemberships2", "DRSReplicaVerifyObjects", "DRSGetObjectExistence",
        "DRSQuerySitesByCost", "DRSInitDemotion", "DRSReplicaDemotion", "DRSFinishDemotion",
        "DRSAddCloneDC", "DRSWriteNgcKey", "DRSReadNgcKey")),
    # MS-NRPC §3.5.4: Netlogon (Zerologon: ServerReqChallenge, ServerAuthenticate3,
    # ServerPasswordSet2)
    "12345678-1234-abcd-ef00-01234567cffb": ("netlogon", _ops(
        "NetrLogonUasLogon", "NetrLogonUasLogoff", "NetrLogonSamLogon", "NetrLogonSamLogoff",
        "NetrServerReqChallenge", "NetrServerAuthenticate", "NetrServerPasswordSet",
        "NetrDatabaseDeltas", "NetrDatabaseSync", "NetrAccountDeltas", "NetrAccountSync",
        "NetrGetDCName", "NetrLogonControl", "NetrGetAnyDCName", "NetrLogonControl2",
        "NetrServerAuthenticate2", "NetrDatabaseSync2", "NetrDatabaseRedo",
        "NetrLogonControl2Ex", "NetrEnumerateTrustedDomains", "DsrGetDcName",
        "NetrLogonGetCapabilities", "NetrLogonSetServiceBits", "NetrLogonGetTrustRid",
        "NetrLogonComputeServerDigest", "NetrLogonComputeClientDigest",
        "NetrServerAuthenticate3", "DsrGetDcNameEx", "DsrGetSiteName",
        "NetrLogonGetDomainInfo", "NetrServerPasswordSet2")),
    # MS-SAMR §3.1.5: security account manager
    "12345778-1234-abcd-ef00-0123456789ac": ("samr", {
        **_ops("SamrConnect", "SamrCloseHandle", "SamrSetSecurityObject",
               "SamrQuerySecurityObject", "", "SamrLookupDomainInSamServer",
               "SamrEnumerateDomainsInSamServer", "SamrOpenDomain",
               "SamrQueryInformationDomain", "SamrSetInformationDomain",
               "SamrCreateGroupInDomain", "SamrEnumerateGroupsInDomain",
               "SamrCreateUserInDomain", "SamrEnumerateUsersInDomain",
               "SamrCreateAliasInDomain", "SamrEnumerateAliasesInDomain",
               "SamrGetAliasMembership", "SamrLookupNamesInDomain", "SamrLookupIdsInDomain",
               "SamrOpenGroup", "SamrQueryInformationGroup", "SamrSetInformationGroup",
               "SamrAddMemberToGroup", "SamrDeleteGroup", "SamrRemoveMemberFromGroup",
               "SamrGetMembersInGroup", "SamrSetMemberAttributesOfGroup", "SamrOpenAlias",
               "SamrQueryInformationAlias", "SamrSetInformationAlias", "SamrDeleteAlias",
               "SamrAddMemberToAlias", "SamrRemoveMemberFromAlias", "SamrGetMembersInAlias",
               "SamrOpenUser", "SamrDeleteUser", "SamrQueryInformationUser",
               "SamrSetInformationUser", "SamrChangePasswordUser", "SamrGetGroupsForUser",
               "SamrQueryDisplayInformation", "SamrGetDisplayEnumerationIndex"),
        **_ops("SamrGetUserDomainPasswordInformation", "SamrRemoveMemberFromForeignDomain",
               "SamrQueryInformationDomain2", "SamrQueryInformationUser2",
               "SamrQueryDisplayInformation2", "SamrGetDisplayEnumerationIndex2",
               "SamrCreateUser2InDomain", "SamrQueryDisplayInformation3",
               "SamrAddMultipleMembersToAlias", "SamrRemoveMultipleMembersFromAlias",
               "SamrOemChangePasswordUser2", "SamrUnicodeChangePasswordUser2",
               "SamrGetDomainPasswordInformation", "SamrConnect2", "SamrSetInformationUser2",
               start=44),
        **_ops("SamrConnect4", "", "SamrConnect5", "SamrRidToSid", "SamrSetDSRMPassword",
               "SamrValidatePassword", start=62),
    }),
    # MS-LSAD §3.1.4 and MS-LSAT §3.1.4: local security authority
    "12345778-1234-abcd-ef00-0123456789ab": ("lsarpc", {
        **_ops("LsarClose", "LsarDelete", "LsarEnumeratePrivileges", "LsarQuerySecurityObject",
               "LsarSetSecurityObject", "LsarChangePassword", "LsarOpenPolicy",
               "LsarQueryInformationPolicy", "LsarSetInformationPolicy", "LsarClearAuditLog",
               "LsarCreateAccount", "LsarEnumerateAccounts", "LsarCreateTrustedDomain",
               "LsarEnumerateTrustedDomains", "LsarLookupNames", "LsarLookupSids",
               "LsarCreateSecret", "LsarOpenAccount", "LsarEnumeratePrivilegesAccount",
               "LsarAddPrivilegesToAccount", "LsarRemovePrivilegesFromAccount",
               "LsarGetQuotasForAccount", "LsarSetQuotasForAccount",
               "LsarGetSystemAccessAccount", "LsarSetSystemAccessAccount",
               "LsarOpenTrustedDomain", "LsarQueryInfoTrustedDomain",
               "LsarSetInformationTrustedDomain", "LsarOpenSecret", "LsarSetSecret",
               "LsarQuerySecret", "LsarLookupPrivilegeValue", "LsarLookupPrivilegeName",
               "LsarLookupPrivilegeDisplayName", "LsarDeleteObject",
               "LsarEnumerateAccountsWithUserRight", "LsarEnumerateAccountRights",
               "LsarAddAccountRights", "LsarRemoveAccountRights",
               "LsarQueryTrustedDomainInfo", "LsarSetTrustedDomainInfo",
               "LsarDeleteTrustedDomain", "LsarStorePrivateData", "LsarRetrievePrivateData",
               "LsarOpenPolicy2", "LsarGetUserName", "LsarQueryInformationPolicy2",
               "LsarSetInformationPolicy2", "LsarQueryTrustedDomainInfoByName",
               "LsarSetTrustedDomainInfoByName", "LsarEnumerateTrustedDomainsEx",
               "LsarCreateTrustedDomainEx", "LsarCloseTrustedDomainEx",
               "LsarQueryDomainInformationPolicy", "LsarSetDomainInformationPolicy",
               "LsarOpenTrustedDomainByName"),
        57: "LsarLookupSids2", 58: "LsarLookupNames2", 59: "LsarCreateTrustedDomainEx2",
        68: "LsarLookupNames3", 73: "LsarQueryForestTrustInformation",
        74: "LsarSetForestTrustInformation", 76: "LsarLookupSids3", 77: "LsarLookupNames4",
    }),
    # MS-SRVS §3.1.4: server service
    "4b324fc8-1670-01d3-1278-5a47bf6ee188": ("srvsvc", _ops(
        "NetrConnectionEnum", "NetrFileEnum", "NetrFileGetInfo", "NetrFileClose",
        "NetrSessionEnum", "NetrSessionDel", "NetrShareAdd", "NetrShareEnum",
        "NetrShareGetInfo", "NetrShareSetInfo", "NetrShareDel", "NetrShareDelSticky",
        "NetrShareCheck", "NetrServerGetInfo", "NetrServerSetInfo", "NetrServerDiskEnum",
        "NetrServerStatisticsGet", "NetrServerTransportAdd", "NetrServerTransportEnum",
        "NetrServerTransportDel", "NetrRemoteTOD", start=8)),
    # MS-WKST §3.2.4: workstation service
    "6bffd098-a112-3610-9833-46c3f87e345a": ("wkssvc", {
        0: "NetrWkstaGetInfo", 1: "NetrWkstaSetInfo", 2: "NetrWkstaUserEnum",
        5: "NetrWkstaTransportEnum", 6: "NetrWkstaTransportAdd", 7: "NetrWkstaTransportDel",
        8: "NetrUseAdd", 9: "NetrUseGetInfo", 10: "NetrUseDel", 11: "NetrUseEnum",
        13: "NetrWorkstationStatisticsGet", 20: "NetrGetJoinInformation",
        22: "NetrJoinDomain2", 23: "NetrUnjoinDomain2", 24: "NetrRenameMachineInDomain2",
        25: "NetrValidateName2", 26: "NetrGetJoinableOUs2",
        27: "NetrAddAlternateComputerName", 28: "NetrRemoveAlternateComputerName",
        29: "NetrSetPrimaryComputerName", 30: "NetrEnumerateComputerNames",
    }),
    # MS-EFSR §3.1.4: encrypting file system (PetitPotam), on the lsarpc and efsrpc pipes
    "c681d488-d850-11d0-8c52-00c04fd90f7e": ("efsrpc", _EFSR_OPS),
    "df1941c5-fe89-4e79-bf10-463657acf44d": ("efsrpc", _EFSR_OPS),
    # MS-RPRN §3.1.4: print spooler (the printer bug, PrintNightmare)
    "12345678-1234-abcd-ef00-0123456789ab": ("spoolss", {
        0: "RpcEnumPrinters", 1: "RpcOpenPrinter", 29: "RpcClosePrinter",
        65: "RpcRemoteFindFirstPrinterChangeNotificationEx", 69: "RpcOpenPrinterEx",
        89: "RpcAddPrinterDriverEx",
    }),
    # MS-PAR §3.1.4: asynchronous print
    "76f03f96-cdfd-44fc-a22c-64950a001209": ("IRemoteWinspool", {
        0: "RpcAsyncOpenPrinter", 39: "RpcAsyncAddPrinterDriver"}),
    # MS-EVEN §3.1.4: event log (ElfrClearELFW clears a log)
    "82273fdc-e32a-18c3-3f78-827929dc23ea": ("eventlog", {
        0: "ElfrClearELFW", 1: "ElfrBackupELFW", 2: "ElfrCloseEL"}),
    # MS-DCOM §3.1.2.5, §3.1.1.5: remote activation and object exporter
    "00000131-0000-0000-c000-000000000046": ("IRemUnknown", _ops(
        *_DCOM_IUNKNOWN, "RemQueryInterface", "RemAddRef", "RemRelease")),
    "00000143-0000-0000-c000-000000000046": ("IRemUnknown2", _ops(
        *_DCOM_IUNKNOWN, "RemQueryInterface", "RemAddRef", "RemRelease",
        "RemQueryInterface2")),
    "000001a0-0000-0000-c000-000000000046": ("IRemoteSCMActivator", _ops(
        *_DCOM_IUNKNOWN, "RemoteGetClassObject", "RemoteCreateInstance")),
    "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57": ("IActivation", {0: "RemoteActivation"}),
    "99fcfec4-5260-101b-bbcb-00aa0021347a": ("IObjectExporter", _ops(
        "ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2",
        "ServerAlive2")),
    # MS-NSPI §3.1.4: Exchange name service provider (address book)
    "f5cc5a18-4264-101a-8c59-08002b2f8426": ("nspi", {0: "NspiBind", 1: "NspiUnbind"}),
    # OLE Automation: IDispatch
    "00020400-0000-0000-c000-000000000046": ("IDispatch", _ops(
        *_DCOM_IUNKNOWN, "GetTypeInfoCount", "GetTypeInfo", "GetIDsOfNames", "Invoke")),
    # MS-WMI §3.1.4: remote WMI
    "f309ad18-d86a-11d0-a075-00c04fb68820": ("IWbemLevel1Login", _ops(
        *_DCOM_IUNKNOWN, "EstablishPosition", "RequestChallenge", "WBEMLogin", "NTLMLogin")),
    "9556dc99-828c-11cf-a37e-00aa003240c7": ("IWbemServices", {
        **_ops(*_DCOM_IUNKNOWN, "OpenNamespace"), 6: "GetObject", 20: "ExecQuery",
        21: "ExecQueryAsync", 22: "ExecNotificationQuery", 23: "ExecNotificationQueryAsync",
        24: "ExecMethod", 25: "ExecMethodAsync"}),
}
"""Interface UUID (lower case) -> (name, {opnum: operation name})."""


def interface_name(uuid: str) -> str | None:
    """The common name of the interface ``uuid``, or None."""
    known = INTERFACES.get(uuid)
    return known[0] if known is not None else None


def operation_name(uuid: str, opnum: int) -> str | None:
    """The name of operation ``opnum`` of the interface ``uuid``, or None."""
    known = INTERFACES.get(uuid)
    return known[1].get(opnum) if known is not None else None
