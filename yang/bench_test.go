package yang

import "testing"

// singleInterface returns the before and after trees of a one-interface change.
func singleInterface(b *testing.B) (*Tree, *Tree) {
	from := tree(b, ifaceMTU, ifaceDescr, eth1+"/config/enabled = true")
	to := tree(b, eth1+"/config/mtu = 9000", ifaceDescr, eth1+"/config/enabled = false")
	return from, to
}

// BenchmarkDiffEncodeNETCONF measures diff + OpenConfig edit-config XML of
// a single-interface change set; the issue asks for 50,000/s per core.
func BenchmarkDiffEncodeNETCONF(b *testing.B) {
	from, to := singleInterface(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEditConfig(Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// BenchmarkDiffEncodeGNMI measures diff + gNMI SetRequest of the same change set.
func BenchmarkDiffEncodeGNMI(b *testing.B) {
	from, to := singleInterface(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSetRequest(Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// BenchmarkDiffEncodeIETF measures diff + IETF edit-config XML.
func BenchmarkDiffEncodeIETF(b *testing.B) {
	from, to := singleInterface(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEditConfigIETF(from, Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// BenchmarkBuildDiffEncodeNETCONF includes building the desired tree from
// the current one, as an intent compiler does per device.
func BenchmarkBuildDiffEncodeNETCONF(b *testing.B) {
	from, _ := singleInterface(b)
	mtu := MustParsePath(eth1 + "/config/mtu")
	b.ReportAllocs()
	for b.Loop() {
		to := from.Clone()
		if err := to.Set(mtu, uint64(9000)); err != nil {
			b.Fatal(err)
		}
		if _, err := EncodeEditConfig(Diff(from, to)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changesets/s")
}

// spineConfig is a device of a generated lab as the transaction benchmark
// sees it: interfaces with addresses and a few static routes.
func spineConfig(b *testing.B) *Tree {
	t := NewTree()
	for i := 1; i <= 20; i++ {
		name := "e1-" + FormatValue(uint64(i))
		p := InterfacePath(name)
		for _, l := range []struct {
			leaf string
			v    any
		}{{"name", name}, {"type", "ethernetCsmacd"}, {"description", "to leaf"}, {"enabled", true}, {"mtu", uint64(1500)}} {
			if err := t.Set(p.Leaf("config", l.leaf), l.v); err != nil {
				b.Fatal(err)
			}
		}
		a := AddressPath(name, 0, "10.0.0."+FormatValue(uint64(2*i)))
		if err := t.Set(a.Leaf("config", "prefix-length"), uint64(31)); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 10; i++ {
		hop := NextHopPath("10.100."+FormatValue(uint64(i))+".0/24", "0")
		if err := t.Set(hop.Leaf("config", "next-hop"), "192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
	return t
}

// BenchmarkDecodeConfigXML measures reading a get-config reply of such a
// device, as every planning read, prepare and read-back does.
func BenchmarkDecodeConfigXML(b *testing.B) {
	data := EncodeTreeXML(spineConfig(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeConfigXML(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeTreeXML measures the lab's side of a get-config.
func BenchmarkEncodeTreeXML(b *testing.B) {
	t := spineConfig(b)
	b.ReportAllocs()
	for b.Loop() {
		t.Clone()
		_ = EncodeTreeXML(t)
	}
}
