package topo

import "sort"

// containerlabKinds are the node kinds containerlab registers, with their
// aliases, plus "frr" (netagent's own name for an FRR router). A topology
// naming any of them parses without a warning; what each one becomes in
// the simulated lab (a device with protocols, or a host) is package lab's
// business.
var containerlabKinds = []string{
	// Nokia
	"nokia_srlinux", "srl",
	"nokia_sros", "vr-sros", "vr-nokia_sros",
	"nokia_srsim",
	// Arista
	"arista_ceos", "ceos",
	"arista_veos", "vr-veos", "vr-arista_veos",
	// Cisco
	"cisco_xrd", "xrd", "cisco_xrd_vrouter",
	"cisco_xrv", "vr-xrv", "vr-cisco_xrv",
	"cisco_xrv9k", "vr-xrv9k", "vr-cisco_xrv9k",
	"cisco_c8000", "c8000",
	"cisco_c8000v", "cisco_csr1000v", "vr-csr", "vr-cisco_csr1000v", "cisco_cat9kv",
	"cisco_n9kv", "vr-n9kv", "vr-cisco_n9kv",
	"cisco_iol", "cisco_vios", "cisco_sdwan",
	"cisco_asav", "cisco_ftdv",
	// Juniper
	"juniper_crpd", "crpd",
	"juniper_vmx", "vr-vmx", "vr-juniper_vmx",
	"juniper_vqfx", "vr-vqfx", "vr-juniper_vqfx",
	"juniper_vsrx", "vr-vsrx", "vr-juniper_vsrx",
	"juniper_vjunosrouter", "juniper_vjunosswitch", "juniper_vjunosevolved",
	"juniper_cjunosevolved", "cjunosevolved",
	"juniper_csrx",
	// SONiC, Cumulus, FRR
	"sonic-vs", "sonic-vm", "dell_sonic", "plvision_sonic",
	"nvidia_cumulusvx", "cumulus_cvx", "cvx",
	"frr",
	// other network operating systems
	"vyosnetworks_vyos", "mikrotik_ros", "vr-ros", "vr-mikrotik_ros", "openwrt",
	"aruba_aoscx", "vr-aoscx", "vr-aruba_aoscx",
	"dell_ftosv", "vr-ftosv", "vr-dell_ftosv",
	"ipinfusion_ocnos", "huawei_vrp", "6wind_vsr", "fdio_vpp", "arrcus_arcos",
	"ciena_saos", "vr-ciena_saos", "rare", "veesix_osvbng",
	"paloalto_panos", "vr-pan", "vr-paloalto_panos",
	// hosts, bridges, appliances
	"linux", "bridge", "ovs-bridge", "host", "k8s-kind", "ext-container",
	"generic_vm", "freebsd", "openbsd",
	"keysight_ixia-c-one", "spirent_stc",
	"f5_bigip-ve", "fortinet_fortigate", "checkpoint_cloudguard",
}

var kindSet = func() map[string]bool {
	m := make(map[string]bool, len(containerlabKinds))
	for _, k := range containerlabKinds {
		m[k] = true
	}
	return m
}()

// Kinds returns every node kind (names and aliases) containerlab knows,
// sorted.
func Kinds() []string {
	out := append([]string(nil), containerlabKinds...)
	sort.Strings(out)
	return out
}

// KnownKind reports whether k is a node kind containerlab knows.
func KnownKind(k string) bool { return kindSet[k] }
